"""Teams: the four modes, delegation tool schemas, members as nested runs (tools, confirmation, errors),
live streaming of member events, shared session_state, storage of team and member runs, nested teams
in the trace, and configuration errors.

Every model is scripted; ``Rec`` keeps what each model saw (messages and the names of the tools it was
offered), so the tests can check what a leader and each member actually received.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time

import pytest
from recorder import Recorder

from agno_nb import Agent, ScriptedModel, tool
from agno_nb.errors import ConfigurationError
from agno_nb.models.scripts import Turn, error, text, tool_call, tool_calls
from agno_nb.traces.fold import TraceView
from agno_nb.run_events import (
    ModelRequestCompleted,
    RunCompleted,
    RunContentDelta,
    RunError,
    RunOutput,
    RunPaused,
    RunStarted,
    ToolCallCompleted,
    ToolCallError,
    ToolCallStarted,
)
from agno_nb.storage.duckdb import DuckDBStore
from agno_nb.team import MODES, Team

DELEGATE = "delegate_task_to_member"


class Rec(Recorder):
    """A ``Recorder`` that also keeps the names of the tools the model was offered on each call."""

    def __init__(self, *turns: Turn):
        super().__init__(*turns)
        self.tools: list[list[str] | None] = []
        self._lock = threading.Lock()

    def __call__(self, messages, tools):
        with self._lock:
            self.tools.append(None if tools is None else [t["function"]["name"] for t in tools])
            return super().__call__(messages, tools)

    def tool_messages(self, call: int = -1) -> list[str]:
        return [m["content"] for m in self.seen[call] if m["role"] == "tool"]


def member(name: str, *turns: Turn, **kwargs) -> tuple[Agent, Rec]:
    rec = Rec(*(turns or (text(f"{name} answer"),)))
    return Agent(name=name, model=ScriptedModel(rec), **kwargs), rec


def crew(members, *turns: Turn, mode: str = "coordinate", **kwargs) -> tuple[Team, Rec]:
    lead = Rec(*turns)
    return Team(name="Crew", members=members, mode=mode, model=ScriptedModel(lead), **kwargs), lead


def delegate(member_id: str, task: str, **extra) -> tuple[str, dict]:
    return (DELEGATE, {"member_id": member_id, "task": task, **extra})


def own(out, *types):
    return [e for e in out.events if e.run_id == out.run_id and (not types or isinstance(e, types))]


def nested(out, *types):
    return [e for e in out.events if e.run_id != out.run_id and (not types or isinstance(e, types))]


def member_runs(out) -> dict[str, list]:
    """Events of each member run, by the member's id (emitter id)."""
    runs: dict[str, list] = {}
    for e in nested(out):
        runs.setdefault(e.ref.emitter_id, []).append(e)
    return runs


def one(items):
    assert len(items) == 1, items
    return items[0]


# ------------------------------------------------------------------------------------------- route


def test_route_returns_the_members_answer_as_is_without_calling_the_leader_again():
    alpha, a = member("Alpha", text("ALPHA says: 42, exactly."))
    beta, b = member("Beta")
    team, lead = crew([alpha, beta], tool_call("route_to_member", member_id="alpha", task="what is the answer?"),
                      mode="route")
    out = team.run("the answer, please")
    assert out.status == "completed", out.status_reason
    assert out.content == "ALPHA says: 42, exactly."
    # The leader was asked once; the member's answer ended the run.
    assert lead.calls == 1
    assert len(own(out, ModelRequestCompleted)) == 1
    assert a.calls == 1 and a.user_text(0) == "what is the answer?"
    assert b.calls == 0
    assert [t.tool_name for t in out.tools] == ["route_to_member"]


# -------------------------------------------------------------------------------------- coordinate


def test_coordinate_runs_two_delegations_of_one_turn_concurrently_and_synthesizes_both():
    alpha, a = member("Alpha", text("result A", delay=0.3))
    beta, b = member("Beta", text("result B", delay=0.3))
    team, lead = crew([alpha, beta],
                      tool_calls(delegate("alpha", "part A", expected_output="one line"), delegate("beta", "part B")),
                      text("A and B together"))
    started = time.perf_counter()
    out = team.run("do both parts")
    wall = time.perf_counter() - started
    assert out.status == "completed", out.status_reason
    assert out.content == "A and B together"
    # Both members slept 0.3 s: concurrent, not 0.6 s in a row.
    assert wall < 0.55 and out.metrics.duration < 0.55, (wall, out.metrics.duration)
    runs = member_runs(out)
    a_start, a_end = runs["alpha"][0].ts, runs["alpha"][-1].ts
    b_start, b_end = runs["beta"][0].ts, runs["beta"][-1].ts
    assert a_start < b_end and b_start < a_end  # the two member runs overlap
    # Each member got its own sub-task (expected_output appended), and the leader's second call saw both results.
    assert a.user_text(0) == "part A\n\nExpected output: one line"
    assert b.user_text(0) == "part B"
    assert lead.calls == 2
    assert sorted(lead.tool_messages(1)) == ["result A", "result B"]
    assert {t.tool_name for t in out.tools} == {DELEGATE} and len(out.tools) == 2


# ----------------------------------------------------------------------------------- collaborate


@pytest.mark.parametrize("mode", ["collaborate", "broadcast"])
def test_collaborate_sends_the_same_task_to_all_members_and_reports_a_failure_per_member(mode):
    alpha, a = member("Alpha", text("red", delay=0.2))
    beta, b = member("Beta", text("blue", delay=0.2))
    gamma, g = member("Gamma", error("server"), retries=0)
    team, lead = crew([alpha, beta, gamma], tool_call("delegate_task_to_all_members", task="Name a color"),
                      text("red and blue"), mode=mode)
    assert team.mode == "collaborate"
    assert list(team.leader.functions) == ["delegate_task_to_all_members"]
    out = team.run("colors?")
    assert out.status == "completed", out.status_reason
    assert out.content == "red and blue"
    for rec in (a, b, g):
        assert rec.calls == 1 and rec.user_text(0) == "Name a color"
    result = json.loads(out.tools[0].result)
    assert list(result) == ["alpha", "beta", "gamma"]
    assert result["alpha"] == "red" and result["beta"] == "blue"
    assert result["gamma"].startswith("Error: member gamma failed: ProviderError")
    assert out.tools[0].error is None  # one member failing does not fail the broadcast
    assert json.loads(lead.tool_messages(1)[0]) == result
    runs = member_runs(out)
    assert runs["alpha"][0].ts < runs["beta"][-1].ts and runs["beta"][0].ts < runs["alpha"][-1].ts


# ------------------------------------------------------------------------------------------- tasks


def test_tasks_run_independent_tasks_in_parallel_then_dependent_ones_with_their_results():
    alpha, a = member("Alpha", text("FACTS", delay=0.3))
    beta, b = member("Beta", text("NUMBERS", delay=0.3))
    gamma, g = member("Gamma", text("REPORT"))
    team, lead = crew([alpha, beta, gamma],
                      tool_call("add_task", title="facts", description="find facts", member_id="alpha"),
                      tool_call("add_task", title="numbers", description="find numbers", member_id="beta"),
                      tool_call("add_task", title="report", description="write the report", member_id="gamma",
                                depends_on=["t1", "t2"]),
                      tool_call("run_ready_tasks"), tool_call("run_ready_tasks"), text("final report"),
                      mode="tasks")
    out = team.run("research and report")
    assert out.status == "completed", out.status_reason
    assert out.content == "final report"
    assert [t.result for t in out.tools[:3]] == ["added t1", "added t2", "added t3"]
    first, second = out.tools[3], out.tools[4]
    assert {t["id"]: t["status"] for t in json.loads(first.result)} == {"t1": "done", "t2": "done", "t3": "pending"}
    assert first.duration < 0.55  # t1 and t2 (0.3 s each) ran at once
    assert {t["id"]: (t["status"], t["result"]) for t in json.loads(second.result)} == {
        "t1": ("done", "FACTS"), "t2": ("done", "NUMBERS"), "t3": ("done", "REPORT")}
    assert g.user_text(0) == ("write the report\n\nResult of t1 (facts):\nFACTS"
                              "\n\nResult of t2 (numbers):\nNUMBERS")
    runs = member_runs(out)
    assert runs["gamma"][0].ts > max(runs["alpha"][-1].ts, runs["beta"][-1].ts)
    assert (a.calls, b.calls, g.calls, lead.calls) == (1, 1, 1, 6)


def test_tasks_unknown_dependency_is_a_tool_error_for_the_leader():
    alpha, a = member("Alpha")
    team, lead = crew([alpha], tool_call("add_task", title="x", description="do x", member_id="alpha",
                                         depends_on=["t7"]),
                      text("cannot plan that"), mode="tasks")
    out = team.run("plan")
    assert out.status == "completed", out.status_reason
    err = one(own(out, ToolCallError))
    assert err.tool_name == "add_task" and "unknown task ids in depends_on: ['t7']" in err.error
    assert lead.tool_messages(1)[0].startswith("Error: ValueError: unknown task ids")
    assert a.calls == 0


def test_tasks_max_iterations_bounds_the_rounds_and_the_leader_loop():
    alpha, a = member("Alpha")
    calls = []

    def leader(messages, tools):  # a leader that never stops asking to run tasks
        calls.append(1)
        if len(calls) == 1:
            return tool_call("add_task", title="x", description="do x", member_id="alpha")
        return tool_call("run_ready_tasks")

    team = Team(name="Crew", members=[alpha], mode="tasks", model=ScriptedModel(leader), max_iterations=2)
    assert team.leader.tool_call_limit == 4 * 2 + 20
    out = team.run("loop")
    assert out.status == "limit_reached"
    assert a.calls == 1  # round 1 ran t1; round 2 found nothing ready
    results = [t.result for t in out.tools if t.tool_name == "run_ready_tasks" and t.error is None]
    assert len(results) == 2 and results[1].startswith("No task is ready")
    errors = own(out, ToolCallError)
    assert len(errors) == 28 - 3
    assert all("max_iterations=2 rounds reached" in e.error for e in errors)


# ------------------------------------------------------------------------------ delegation tools


@pytest.mark.parametrize("mode,names", [("route", ["route_to_member"]), ("coordinate", [DELEGATE]),
                                        ("tasks", ["add_task", "run_ready_tasks", "list_tasks"])])
def test_member_id_is_an_enum_of_the_real_member_ids(mode, names):
    alpha, _ = member("Alpha")
    beta, _ = member("Beta")
    team, _ = crew([alpha, beta], mode=mode)
    schemas = {s["function"]["name"]: s["function"]["parameters"] for s in team.leader._schemas()}
    assert list(schemas) == names
    with_member = [n for n in names if "member_id" in schemas[n]["properties"]]
    assert with_member == [names[0]]
    assert schemas[names[0]]["properties"]["member_id"]["enum"] == ["alpha", "beta"]
    for params in schemas.values():  # injected parameters are never shown to the model
        assert not {"run_context", "tool_span"} & set(params["properties"])


def test_collaborate_tool_has_no_member_id():
    alpha, _ = member("Alpha")
    team, _ = crew([alpha, member("Beta")[0]], mode="collaborate")
    params = one(team.leader._schemas())["function"]["parameters"]
    assert set(params["properties"]) == {"task"}


def test_an_invented_member_is_a_validation_error_and_the_run_goes_on():
    alpha, a = member("Alpha", text("done by alpha"))
    team, lead = crew([alpha], tool_calls(delegate("gamma", "x")), tool_calls(delegate("alpha", "x")),
                      text("finished"))
    out = team.run("go")
    assert out.status == "completed", out.status_reason
    assert out.content == "finished"
    err = one(own(out, ToolCallError))
    assert err.error_type == "ToolArgumentsError" and "member_id" in err.error
    assert lead.tool_messages(1)[0].startswith(f"Error: invalid arguments for {DELEGATE}: member_id")
    assert lead.tool_messages(2)[-1] == "done by alpha"
    assert a.calls == 1


def test_members_never_see_the_delegation_tools():
    def lookup(key: str) -> str:
        """Look a key up."""
        return f"value of {key}"

    alpha, a = member("Alpha", tool_call("lookup", key="k"), text("alpha done"), tools=[lookup])
    beta, b = member("Beta")
    team, lead = crew([alpha, beta], tool_calls(delegate("alpha", "a"), delegate("beta", "b")), text("ok"))
    out = team.run("go")
    assert out.status == "completed", out.status_reason
    assert lead.tools == [[DELEGATE], [DELEGATE]]
    assert a.tools == [["lookup"], ["lookup"]]
    assert b.tools == [None]
    for rec in (a, b):
        assert "delegate" not in json.dumps(rec.seen) and "Members:" not in json.dumps(rec.seen)


# ---------------------------------------------------------------------------------- member runs


def test_a_members_own_tools_run_under_the_members_configuration():
    called, hooked = [], []

    def lookup(key: str) -> str:
        """Look a key up."""
        called.append(key)
        return f"value of {key}"

    async def audit(name, call, arguments):  # the member's tool hook, not the team's
        hooked.append(name)
        return (await call(**arguments)).upper()

    alpha, a = member("Alpha", tool_call("lookup", key="k1"), text("found it"), tools=[lookup], tool_hooks=[audit])
    team, lead = crew([alpha], tool_calls(delegate("alpha", "find k1")), text("team done"))
    assert "lookup" not in team.leader.functions
    out = team.run("go")
    assert out.status == "completed", out.status_reason
    assert called == ["k1"] and hooked == ["lookup"]
    assert a.tool_messages(1) == ["VALUE OF K1"]
    assert [t.tool_name for t in out.tools] == [DELEGATE]  # the member's call is not the team's
    done = one([e for e in nested(out, ToolCallCompleted) if e.tool_name == "lookup"])
    member_start = one(nested(out, RunStarted))
    assert done.run_id == member_start.run_id and done.parent_span_id == member_start.span_id
    assert lead.tool_messages(1) == ["found it"]


async def test_a_member_tool_needing_confirmation_fails_the_delegation_with_a_clear_message():
    ran = []

    @tool(requires_confirmation=True)
    def delete_all() -> str:
        """Delete everything."""
        ran.append(1)
        return "deleted"

    alpha, a = member("Alpha", tool_call("delete_all"), tools=[delete_all])
    team, lead = crew([alpha], tool_calls(delegate("alpha", "clean up")), text("alpha needs a person"))
    out = await asyncio.wait_for(team.arun("clean"), timeout=5)  # never a hang
    assert out.status == "completed", out.status_reason
    assert out.content == "alpha needs a person"
    assert not ran
    err = one(own(out, ToolCallError))
    assert err.tool_name == DELEGATE
    assert "member alpha stopped to wait for a person (delete_all)" in err.error
    assert "confirmation" in err.error
    assert "stopped to wait for a person" in lead.tool_messages(1)[0]
    assert one(nested(out, RunPaused)).run_id != out.run_id
    assert a.calls == 1  # the member was not asked again after pausing


def test_a_failing_member_is_a_tool_error_and_the_team_run_continues():
    alpha, a = member("Alpha", error("server"), retries=0)
    beta, b = member("Beta", text("beta saves the day"))
    team, lead = crew([alpha, beta], tool_calls(delegate("alpha", "try")), tool_calls(delegate("beta", "try")),
                      text("beta did it"))
    out = team.run("go")
    assert out.status == "completed", out.status_reason
    assert out.content == "beta did it" and out.error is None
    err = one(own(out, ToolCallError))
    assert err.error_type == "MemberFailed" and "member alpha failed: ProviderError" in err.error
    assert one(nested(out, RunError)).ref.emitter_id == "alpha"
    assert lead.tool_messages(2)[-1] == "beta saves the day"
    assert (a.calls, b.calls) == (1, 1)  # retries=0 of the member is honoured inside the team


# ------------------------------------------------------------------------------------- streaming


def test_stream_yields_member_events_live_before_the_delegation_completes():
    alpha, a = member("Alpha", text("alpha says hi", delay=0.3))
    team, lead = crew([alpha], tool_calls(delegate("alpha", "greet")), text("the team answer"))
    received = []
    t0 = time.perf_counter()
    for event in team.run("hello", stream=True):
        received.append((event, time.perf_counter() - t0))
    events = [e for e, _ in received]
    team_run = events[0].run_id
    started = one([e for e in events if isinstance(e, ToolCallStarted) and e.run_id == team_run])
    completed = one([e for e in events if isinstance(e, ToolCallCompleted) and e.run_id == team_run])
    m_start = one([e for e in events if isinstance(e, RunStarted) and e.run_id != team_run])
    assert m_start.parent_span_id == started.span_id and m_start.parent_run_id == team_run
    m_deltas = [e for e in events if isinstance(e, RunContentDelta) and e.run_id == m_start.run_id]
    assert "".join(d.content for d in m_deltas) == "alpha says hi"
    idx = events.index
    assert idx(started) < idx(m_start) < idx(m_deltas[0]) < idx(m_deltas[-1]) < idx(completed)
    # Live: the member's start arrived right away, well before its 0.3 s answer and the tool's completion.
    when = {id(e): t for e, t in received}
    assert when[id(m_start)] < 0.2
    assert when[id(completed)] >= 0.3

    out = RunOutput(events[0].ref)
    for e in events:
        out.apply(e)
    assert out.run_id == team_run and isinstance(events[-1], RunCompleted) and events[-1].run_id == team_run
    assert out.content == "the team answer" and out.status == "completed"
    # Team totals include the member's tokens and requests.
    requests = [e for e in events if isinstance(e, ModelRequestCompleted)]
    own_requests = [e for e in requests if e.run_id == team_run]
    assert out.metrics.model_requests == 3 and len(own_requests) == 2
    assert out.metrics.input_tokens == sum(e.input_tokens for e in requests) > sum(e.input_tokens for e in own_requests)
    assert out.metrics.output_tokens == sum(e.output_tokens for e in requests)
    assert out.metrics.tool_calls == 1
    assert (a.calls, lead.calls) == (1, 2)


async def test_async_stream_of_a_team_ends_with_the_teams_own_completion():
    alpha, _ = member("Alpha", text("member content"))
    team, _ = crew([alpha], tool_calls(delegate("alpha", "x")), text("team content"))
    events = [e async for e in team.arun("go", stream=True)]
    completions = [e for e in events if isinstance(e, RunCompleted)]
    assert [c.content for c in completions] == ["member content", "team content"]
    assert completions[-1] is events[-1] and events[-1].run_id == events[0].run_id


def test_print_response_of_a_team_prints_only_the_teams_answer(capsys):
    alpha, _ = member("Alpha", text("member text"))
    team, _ = crew([alpha], tool_calls(delegate("alpha", "x")), text("team answer"))
    out = team.print_response("go", stream=True, show_message=False)
    assert out.content == "team answer"
    assert capsys.readouterr().out == "team answer\n"


# ------------------------------------------------------------------------------------ session_state


def add_item(item: str, session_state: dict) -> str:
    """Put an item in the cart.

    Args:
        item: what to add
    """
    session_state.setdefault("cart", []).append(item)
    return f"added {item}"


def _shopper(messages, tools):
    if messages[-1]["role"] == "tool":
        return text("added it")
    return tool_call("add_item", item="apple")


def _shop_leader(messages, tools):
    if messages[-1]["role"] == "tool":
        return text("done")
    return tool_calls(delegate("shopper", "add an apple"))


def test_a_member_tool_changes_the_teams_session_state_and_it_is_persisted(store):
    shopper = Agent(name="Shopper", model=ScriptedModel(_shopper), tools=[add_item])
    team = Team(name="Shop", members=[shopper], model=ScriptedModel(_shop_leader), db=store,
                session_state={"cart": []})
    out = team.run("buy", session_id="s-shop")
    assert out.status == "completed", out.status_reason
    assert out.session_state == {"cart": ["apple"]}
    assert store.get_session("s-shop").state == {"cart": ["apple"]}
    # The next team run starts from the stored state.
    out2 = team.run("buy again", session_id="s-shop")
    assert out2.session_state == {"cart": ["apple", "apple"]}
    assert store.get_session("s-shop").state == {"cart": ["apple", "apple"]}


def test_run_level_session_state_survives_delegation_in_a_stored_session(store):
    # A member's run shares the team's state object: it must not reload it from the stored session.
    shopper = Agent(name="Shopper", model=ScriptedModel(_shopper), tools=[add_item])
    team = Team(name="Shop", members=[shopper], model=ScriptedModel(_shop_leader), db=store)
    team.run("buy", session_id="s-1")
    out = team.run("buy", session_id="s-1", session_state={"coupon": "SAVE10"})
    assert out.status == "completed", out.status_reason
    assert out.session_state == {"cart": ["apple", "apple"], "coupon": "SAVE10"}
    assert store.get_session("s-1").state == {"cart": ["apple", "apple"], "coupon": "SAVE10"}


# -------------------------------------------------------------------------- member interactions


@pytest.mark.parametrize("share", [True, False])
def test_share_member_interactions_shows_earlier_answers_to_later_members(share):
    alpha, a = member("Alpha", text("ALPHA-ANSWER"))
    beta, b = member("Beta", text("beta answer"))
    team, _ = crew([alpha, beta], tool_calls(delegate("alpha", "task one")), tool_calls(delegate("beta", "task two")),
                   text("both done"), share_member_interactions=share)
    out = team.run("go")
    assert out.status == "completed", out.status_reason
    assert a.user_text(0) == "task one"
    if share:
        assert b.user_text(0) == "task two\n\nWhat other team members said so far:\nalpha: ALPHA-ANSWER"
    else:
        assert b.user_text(0) == "task two"


# ---------------------------------------------------------------------------------------- storage


def _two_member_leader(messages, tools):
    if messages[-1]["role"] == "tool":
        return text("synthesis")
    return tool_calls(delegate("alpha", "a"), delegate("beta", "b"))


def _stored_team(store):
    alpha = Agent(name="Alpha", model=ScriptedModel(lambda m, t: text("alpha answer")))
    beta = Agent(name="Beta", model=ScriptedModel(lambda m, t: text("beta answer")))
    return Team(name="Crew", members=[alpha, beta], model=ScriptedModel(_two_member_leader), db=store)


def test_team_and_member_runs_are_stored_linked_and_counted_once(store):
    team = _stored_team(store)
    assert team.leader.add_history_to_context is False
    out1 = team.run("first", session_id="s-team")
    out2 = team.run("second", session_id="s-team")
    assert out1.ok and out2.ok
    runs = store.list_runs(session_id="s-team")
    tops = [r for r in runs if r.parent_run_id is None]
    members = [r for r in runs if r.parent_run_id is not None]
    assert {r.run_id for r in tops} == {out1.run_id, out2.run_id}
    assert {(r.component_type, r.component_id, r.component_name) for r in tops} == {("team", "crew", "Crew")}
    assert len(members) == 4
    assert sorted((r.parent_run_id, r.component_id) for r in members) == sorted(
        (o.run_id, m) for o in (out1, out2) for m in ("alpha", "beta"))
    assert {r.component_type for r in members} == {"agent"}
    assert store.get_session("s-team").run_count == 2
    assert [r.run_id for r in store.last_runs("s-team", 10)] == [out1.run_id, out2.run_id]
    stored = store.get_run(out1.run_id)
    assert stored.metrics["input_tokens"] == out1.metrics.input_tokens
    assert stored.metrics["model_requests"] == 4  # 2 of the leader, 1 per member


def stored_shape(events) -> list[tuple[str, str]]:
    """(type, span) of events as a store keeps them: consecutive text deltas of one span may share a row."""
    shape: list[tuple[str, str]] = []
    for e in events:
        key = (e.type, e.span_id)
        if isinstance(e, RunContentDelta) and shape and shape[-1] == key:
            continue
        shape.append(key)
    return shape


def test_member_events_are_stored_under_the_member_run_only(store):
    team = _stored_team(store)
    out = team.run("go", session_id="s-ev")
    team_rows = store.get_events(out.run_id)
    assert stored_shape(own(out)) == [(r["type"], r["span_id"]) for r in team_rows]
    assert {r["run_id"] for r in team_rows} == {out.run_id}
    assert sum(r["type"] == "RunStarted" for r in team_rows) == 1
    assert sum(r["type"] == "RunCompleted" for r in team_rows) == 1
    member_ids = {e.run_id for e in nested(out)}
    assert len(member_ids) == 2
    member_rows = 0
    for run_id in member_ids:
        rows = store.get_events(run_id)
        events = [e for e in out.events if e.run_id == run_id]
        assert [(r["type"], r["span_id"]) for r in rows] == stored_shape(events)
        member_rows += len(rows)
    total = int(store.sql("SELECT count(*) AS n FROM events")["n"][0])
    assert total == len(team_rows) + member_rows  # nothing stored twice


def test_leader_history_holds_earlier_team_runs_but_no_member_runs(store):
    alpha, a = member("Alpha", text("alpha answer"), text("alpha answer"))
    team, lead = crew([alpha], tool_calls(delegate("alpha", "member task")), text("synthesis"),
                      tool_calls(delegate("alpha", "member task")), text("synthesis"),
                      db=store, add_history_to_context=True)
    assert team.leader.add_history_to_context is True
    team.run("first", session_id="s-hist")
    out = team.run("second", session_id="s-hist")
    assert out.ok
    second = lead.seen[2]  # the leader's first call of the second run
    assert [m["content"] for m in second if m["role"] == "user"] == ["first", "second"]
    assert [m["content"] for m in second if m["role"] == "assistant" and m.get("content")] == ["synthesis"]
    # Members keep no history of their own in the team's session.
    assert [m["role"] for m in a.seen[1]] == ["user"]


def test_team_history_goes_to_members_only_when_asked(store):
    alpha, a = member("Alpha", text("alpha answer"), text("alpha answer"))
    team, _ = crew([alpha], tool_calls(delegate("alpha", "task 1")), text("synthesis one"),
                   tool_calls(delegate("alpha", "task 2")), text("synthesis two"),
                   db=store, add_team_history_to_members=True)
    team.run("first", session_id="s-mh")
    team.run("second", session_id="s-mh")
    assert a.user_text(0) == "task 1"
    assert a.user_text(1) == ("task 2\n\nThe team's conversation with the user so far:\n"
                              "user: first\nassistant: synthesis one")


def test_a_team_session_is_recorded_as_the_teams(store):
    team = _stored_team(store)
    out = team.run("go", session_id="s-kind")
    assert out.ok
    session = store.get_session("s-kind")
    assert (session.session_type, session.component_id) == ("team", "crew")
    assert [s.session_id for s in store.list_sessions(component_id="crew")] == ["s-kind"]


# ----------------------------------------------------------------------------------- nested teams


def test_nested_teams_run_end_to_end_and_nest_in_the_trace(tmp_path):
    store = DuckDBStore(tmp_path / "nested.duckdb")
    leaf, lf = member("Leaf", text("leaf answer"))
    inner_lead = Rec(tool_calls(delegate("leaf", "leaf work")), text("inner answer"))
    inner = Team(name="Inner", members=[leaf], model=ScriptedModel(inner_lead), description="does inner things")
    outer, outer_lead = crew([inner], tool_calls(delegate("inner", "inner work")), text("outer answer"), db=store)
    out = outer.run("go", session_id="s-nest")
    assert out.status == "completed", out.status_reason
    assert out.content == "outer answer"
    assert "- inner: a team (coordinate) of leaf: does inner things" in outer_lead.system(0)
    assert lf.user_text(0) == "leaf work" and inner_lead.user_text(0) == "inner work"
    assert inner_lead.tool_messages(1) == ["leaf answer"]
    assert outer_lead.tool_messages(1) == ["inner answer"]

    root = TraceView.from_events(out.events).to_json()["root"]
    assert (root["kind"], root["name"]) == ("run", "Crew")
    tool_span = one([c for c in root["children"] if c["kind"] == "tool"])
    inner_span = one(tool_span["children"])
    assert (inner_span["kind"], inner_span["name"], inner_span["status"]) == ("member", "Inner", "completed")
    inner_tool = one([c for c in inner_span["children"] if c["kind"] == "tool"])
    leaf_span = one(inner_tool["children"])
    assert (leaf_span["kind"], leaf_span["name"], leaf_span["status"]) == ("member", "Leaf", "completed")

    runs = {r.component_id: r for r in store.list_runs(session_id="s-nest")}
    assert runs["crew"].run_id == out.run_id and runs["crew"].parent_run_id is None
    assert runs["inner"].component_type == "team" and runs["inner"].parent_run_id == out.run_id
    assert store.get_session("s-nest").run_count == 1
    store.close()


def test_runs_of_a_nested_teams_members_are_stored_on_the_outer_store(tmp_path):
    store = DuckDBStore(tmp_path / "nested.duckdb")
    leaf, _ = member("Leaf", text("leaf answer"))
    inner = Team(name="Inner", members=[leaf], model=ScriptedModel(Rec(tool_calls(delegate("leaf", "w")),
                                                                       text("inner answer"))))
    outer, _ = crew([inner], tool_calls(delegate("inner", "w")), text("outer answer"), db=store)
    out = outer.run("go", session_id="s-nest")
    assert out.ok
    runs = {r.component_id: r for r in store.list_runs(session_id="s-nest")}
    assert set(runs) == {"crew", "inner", "leaf"}
    assert runs["leaf"].parent_run_id == runs["inner"].run_id
    store.close()


# ------------------------------------------------------------------------------------ bad input


def test_unknown_mode_is_a_configuration_error():
    with pytest.raises(ConfigurationError, match=r"mode must be one of route, coordinate, collaborate, broadcast, "
                                                 r"tasks; got 'vote'"):
        Team(name="T", members=[Agent(name="A")], mode="vote")
    assert MODES == ("route", "coordinate", "collaborate", "broadcast", "tasks")


def test_no_members_is_a_configuration_error():
    with pytest.raises(ConfigurationError, match="Team 'T' needs at least one member"):
        Team(name="T", members=[])


def test_duplicate_member_ids_are_a_configuration_error():
    with pytest.raises(ConfigurationError, match=r"member ids must be unique; repeated: \['alpha'\]"):
        Team(name="T", members=[Agent(name="Alpha"), Agent(name="alpha"), Agent(name="Beta")])


@pytest.mark.parametrize("bad", ["alpha", lambda x: x, None])
def test_a_non_agent_member_is_a_configuration_error(bad):
    with pytest.raises(ConfigurationError, match="members are Agents or Teams"):
        Team(name="T", members=[Agent(name="Alpha"), bad])


def test_a_cycle_made_by_mutating_members_is_refused_at_run():
    inner_lead, outer_lead = Rec(text("x")), Rec(text("y"))
    inner = Team(name="Inner", members=[Agent(name="Leaf")], model=ScriptedModel(inner_lead))
    outer = Team(name="Outer", members=[inner], model=ScriptedModel(outer_lead))
    inner.members.append(outer)
    with pytest.raises(ConfigurationError, match="Team cycle: Outer -> Inner -> Outer"):
        outer.run("go")
    with pytest.raises(ConfigurationError, match="Team cycle: Inner -> Outer -> Inner"):
        inner.run("go")
    assert inner_lead.calls == 0 and outer_lead.calls == 0

    solo = Team(name="Solo", members=[Agent(name="Leaf")], model=ScriptedModel(Rec()))
    solo.members.append(solo)
    with pytest.raises(ConfigurationError, match="Team cycle: Solo -> Solo"):
        _ = solo.leader


@pytest.mark.parametrize("extra", ["not an agent", "duplicate"])
def test_other_bad_members_added_after_construction_are_refused_at_run(extra):
    team = Team(name="T", members=[Agent(name="Alpha")], model=ScriptedModel(Rec(text("x"))))
    team.members.append(Agent(name="Alpha") if extra == "duplicate" else extra)
    with pytest.raises(ConfigurationError):
        team.run("go")
