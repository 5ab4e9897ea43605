"""Workflows: every kind of step and construct, session_state across Parallel branches, retries and
``on_error``, confirmation pauses (in this process and by run id from a new ``Workflow`` object),
checkpoints and resume after a really killed process, events and the trace tree, storage rows,
streaming, and configuration errors.

Models are scripted (``ScriptedModel``); a ``Recorder`` keeps what each model saw, so the tests can
check which input an agent step actually received. Tests taking the ``store`` fixture run against a
DuckDB file and a PostgreSQL database.
"""

from __future__ import annotations

import asyncio
import copy
import importlib.util
import json
import os
import subprocess
import sys
import textwrap
import time

import pytest
from recorder import Recorder

from agno_nb import Agent, ScriptedModel, Team
from agno_nb.agent.hitl import PausedRun
from agno_nb.errors import ConfigurationError
from agno_nb.models.scripts import text, tool_call
from agno_nb.traces.fold import TraceView
from agno_nb.run_events import RunCompleted, RunContinued, RunError, RunPaused, RunStarted, RunStatus
from agno_nb.storage import NotFoundError
from agno_nb.storage.duckdb import DuckDBStore
from agno_nb.workflow import Condition, Loop, Parallel, Router, Step, StepInput, StepOutput, Steps, Workflow
from agno_nb.workflow.events import (
    ConditionEvaluated,
    LoopIteration,
    RouterSelected,
    StepCompleted,
    StepRetrying,
    StepStarted,
)

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture(autouse=True)
def _no_default_store(monkeypatch):
    """Workflows without ``db=`` must not pick up a store from the environment or another test."""
    from agno_nb import storage

    monkeypatch.delenv("AGNO_NB_DB", raising=False)
    monkeypatch.setattr(storage, "_default", None)


# ------------------------------------------------------------------------------------------ helpers


def own(out, *types):
    """Events of the workflow run itself (not of nested agent / team / workflow runs)."""
    return [e for e in out.events if e.run_id == out.run_id and (not types or isinstance(e, types))]


def started(out, name: str) -> list[StepStarted]:
    return [e for e in out.events if isinstance(e, StepStarted) and e.step_name == name]


def completed(out, name: str) -> list[StepCompleted]:
    return [e for e in out.events if isinstance(e, StepCompleted) and e.step_name == name]


def one(items):
    assert len(items) == 1, items
    return items[0]


def echo_agent(name: str, *turns) -> tuple[Agent, Recorder]:
    """An agent whose scripted model answers ``turns`` (default: echoes) and records what it saw."""
    if turns:
        rec = Recorder(*turns)
        return Agent(name=name, model=ScriptedModel(rec)), rec

    class Echo(Recorder):
        def __call__(self, messages, tools):
            self.seen.append([dict(m) for m in messages])
            return text(f"{name} got: {self.user_text()}")

    rec = Echo()
    return Agent(name=name, model=ScriptedModel(rec)), rec


class Log:
    """Records which step functions really ran (and how often)."""

    def __init__(self):
        self.calls: list[str] = []

    def step(self, name: str, result=None):
        def fn(si: StepInput):
            self.calls.append(name)
            return result if result is not None else f"{name}<{si.previous_step_content}>"

        fn.__name__ = name
        return Step(name, fn)

    def count(self, name: str) -> int:
        return self.calls.count(name)


def payload_of(value):
    return value if isinstance(value, dict) else json.loads(value)


def assert_spans_closed(out):
    """Every StepStarted span of the run got a StepCompleted."""
    opened = {e.span_id: e.step_name for e in out.events if isinstance(e, StepStarted)}
    closed = {e.span_id for e in out.events if isinstance(e, StepCompleted)}
    assert set(opened) - closed == set(), [opened[s] for s in set(opened) - closed]


# ----------------------------------------------------------------------------------- step kinds


def test_agent_steps_get_the_workflow_input_then_the_previous_steps_content():
    first, rec1 = echo_agent("First")
    second, rec2 = echo_agent("Second")

    def shout(si: StepInput) -> str:
        assert si.input == "hello there"
        return si.previous_step_content.upper()

    wf = Workflow(name="Chain", steps=[first, shout, second])
    out = wf.run("hello there")

    assert out.status == RunStatus.COMPLETED, out.status_reason
    assert rec1.user_text() == "hello there"
    assert rec2.user_text() == "FIRST GOT: HELLO THERE"
    assert out.content == "Second got: FIRST GOT: HELLO THERE"
    assert [s.name for s in wf.steps] == ["First", "shout", "Second"]
    assert [e.work for e in own(out, StepStarted)] == ["agent", "function", "agent"]


def test_agent_step_gets_structured_previous_content_as_json():
    agent, rec = echo_agent("Reader")
    wf = Workflow(name="Structured", steps=[Step("data", lambda si: {"n": 3, "tags": ["x"]}), agent])
    out = wf.run("ignored")
    assert out.status == RunStatus.COMPLETED
    assert json.loads(rec.user_text()) == {"n": 3, "tags": ["x"]}


def test_team_step_runs_the_team_on_the_previous_content():
    member, member_rec = echo_agent("Writer")
    lead = Recorder(tool_call("route_to_member", member_id="writer", task="write about owls"))
    team = Team(name="Crew", members=[member], mode="route", model=ScriptedModel(lead))
    wf = Workflow(name="With team", steps=[Step("topic", lambda si: f"topic: {si.input}"), Step("crew", team=team)])

    out = wf.run("owls")

    assert out.status == RunStatus.COMPLETED, out.status_reason
    assert lead.user_text() == "topic: owls"
    assert member_rec.user_text() == "write about owls"
    assert out.content == "Writer got: write about owls"
    step_span = one(started(out, "crew")).span_id
    assert one(started(out, "crew")).work == "team"
    team_start = one([e for e in out.events if isinstance(e, RunStarted) and e.ref.emitter_id == "crew"])
    assert team_start.parent_span_id == step_span
    assert team_start.parent_run_id == out.run_id


def test_function_steps_sync_async_generators_values_and_step_outputs():
    def sync_value(si):
        return "sv"

    def sync_output(si):
        return StepOutput({"k": 1})

    async def async_value(si):
        await asyncio.sleep(0)
        return "av"

    async def async_output(si):
        return StepOutput("ao", success=True)

    def gen_text(si):
        yield "g"
        yield "e"
        yield "n"

    def gen_output(si):
        yield "ignored chunk"
        yield StepOutput("first")
        yield StepOutput("last")

    async def agen_text(si):
        for piece in ("a", "g", "en"):
            await asyncio.sleep(0)
            yield piece

    async def agen_output(si):
        yield StepOutput("agen-out")

    def gen_mixed(si):
        yield 1
        yield "two"

    fns = [sync_value, sync_output, async_value, async_output, gen_text, gen_output, agen_text, agen_output,
           gen_mixed]
    seen = {}

    def final(si):
        seen.update({k: v.content for k, v in si.previous_step_outputs.items()})
        return "done"

    out = Workflow(name="Functions", steps=[*fns, final]).run("in")

    assert out.status == RunStatus.COMPLETED, out.status_reason
    assert seen == {"sync_value": "sv", "sync_output": {"k": 1}, "async_value": "av", "async_output": "ao",
                    "gen_text": "gen", "gen_output": "last", "agen_text": "agen", "agen_output": "agen-out",
                    "gen_mixed": [1, "two"]}
    assert [e.step_name for e in own(out, StepCompleted)] == [f.__name__ for f in fns] + ["final"]
    assert all(e.success for e in own(out, StepCompleted))


def test_step_output_with_success_false_is_recorded_and_the_workflow_goes_on():
    seen = {}

    def check(si):
        seen["prev"] = si.previous_step_outputs["soft"]
        return "after"

    out = Workflow(name="Soft", steps=[Step("soft", lambda si: StepOutput("meh", success=False, error="weak")),
                                       check]).run("x")
    assert out.status == RunStatus.COMPLETED
    assert seen["prev"].success is False and seen["prev"].error == "weak"
    done = one(completed(out, "soft"))
    assert done.success is False and done.error == "weak"


def test_nested_workflow_step_shares_content_and_nests_its_events():
    inner_agent, rec = echo_agent("Inner agent")
    inner = Workflow(name="Inner", steps=[Step("prep", lambda si: f"prep({si.input})"), inner_agent])
    outer = Workflow(name="Outer", steps=[Step("start", lambda si: "S"), Step("nested", workflow=inner),
                                          Step("end", lambda si: si.previous_step_content + "!")])

    out = outer.run("go")

    assert out.status == RunStatus.COMPLETED, out.status_reason
    assert rec.user_text() == "prep(S)"  # the nested workflow's input is the previous step's content
    assert out.content == "Inner agent got: prep(S)!"
    nested_span = one(started(out, "nested")).span_id
    assert one(started(out, "nested")).work == "workflow"
    inner_start = one([e for e in out.events if isinstance(e, RunStarted) and e.ref.emitter_id == "inner"])
    assert inner_start.parent_span_id == nested_span
    assert inner_start.parent_run_id == out.run_id
    assert one(started(out, "prep")).parent_span_id == inner_start.span_id
    assert one(started(out, "prep")).run_id == inner_start.run_id != out.run_id
    agent_start = one([e for e in out.events if isinstance(e, RunStarted) and e.ref.emitter_id == "inner-agent"])
    assert agent_start.parent_run_id == inner_start.run_id


def test_previous_step_outputs_and_get_step_content():
    seen = {}

    def third(si: StepInput):
        seen["names"] = list(si.previous_step_outputs)
        seen["a"] = si.get_step_content("a")
        seen["b"] = si.get_step_content("b")
        with pytest.raises(KeyError) as info:
            si.get_step_content("nope")
        seen["error"] = str(info.value)
        return "c"

    out = Workflow(name="Lookup", steps=[Step("a", lambda si: "A"), Step("b", lambda si: 2), Step("c", third)]).run("x")
    assert out.status == RunStatus.COMPLETED, out.status_reason
    assert seen["names"] == ["a", "b"]
    assert (seen["a"], seen["b"]) == ("A", 2)
    assert "'nope'" in seen["error"] and "['a', 'b']" in seen["error"]


def test_unknown_step_name_fails_the_run_naming_the_steps_that_ran():
    log = Log()
    wf = Workflow(name="Bad lookup", steps=[Step("a", lambda si: "A"),
                                            Step("b", lambda si: si.get_step_content("missing")), log.step("c")])
    out = wf.run("x")
    assert out.status == RunStatus.ERROR
    assert "missing" in out.status_reason and "['a']" in out.status_reason and "'b'" in out.status_reason
    assert log.calls == []


def test_stop_ends_the_workflow_early():
    log = Log()
    wf = Workflow(name="Stopper", steps=[log.step("a"), Step("halt", lambda si: StepOutput("enough", stop=True)),
                                         log.step("b"), Steps(log.step("c"), name="later")])
    out = wf.run("x")
    assert out.status == RunStatus.COMPLETED
    assert out.status_reason == "stopped early by a step"
    assert out.content == "enough"
    assert log.calls == ["a"]
    assert started(out, "b") == [] and started(out, "later") == []


def test_stop_inside_steps_and_parallel_ends_the_workflow():
    log = Log()

    async def halt(si):
        return StepOutput("halt", stop=True)

    wf = Workflow(name="Inner stop", steps=[Steps(log.step("a"), Parallel(Step("h", halt), log.step("p")),
                                                  log.step("b"), name="grp"), log.step("c")])
    out = wf.run("x")
    assert out.status == RunStatus.COMPLETED and out.status_reason == "stopped early by a step"
    assert log.calls == ["a", "p"]
    assert_spans_closed(out)


# ------------------------------------------------------------------------------------ constructs


def test_steps_run_in_order_under_their_span():
    log = Log()
    out = Workflow(name="Seq", steps=[Steps(log.step("a"), log.step("b"), log.step("c"), name="abc")]).run("x")
    assert out.status == RunStatus.COMPLETED
    assert log.calls == ["a", "b", "c"]
    assert out.content == "c<b<a<None>>>"
    group = one(started(out, "abc"))
    assert group.kind == "steps" and group.parent_span_id == one(own(out, RunStarted)).span_id
    for name in "abc":
        assert one(started(out, name)).parent_span_id == group.span_id
    assert one(completed(out, "abc")).content == "c<b<a<None>>>"


def test_parallel_branches_really_run_concurrently_and_interleave():
    spans = []

    async def sleeper(si):
        start = time.perf_counter()
        await asyncio.sleep(0.1)
        spans.append((start, time.perf_counter()))
        return si.previous_step_content

    branches = [Step(f"s{i}", sleeper) for i in range(10)]
    wf = Workflow(name="Fan out", steps=[Step("seed", lambda si: "seed"), Parallel(*branches, name="fan")])

    out = wf.run("x")

    assert out.status == RunStatus.COMPLETED, out.status_reason
    assert max(s for s, _ in spans) < min(e for _, e in spans), "the branches did not overlap: not concurrent"
    assert out.content == {f"s{i}": "seed" for i in range(10)}
    fan = one(started(out, "fan"))
    assert fan.kind == "parallel"
    branch_events = [e for e in out.events if isinstance(e, (StepStarted, StepCompleted)) and e.step_name != "fan"
                     and e.step_name != "seed"]
    kinds = [type(e).__name__ for e in branch_events]
    # interleaved: every branch started before any finished
    assert kinds == ["StepStarted"] * 10 + ["StepCompleted"] * 10
    assert all(e.parent_span_id == fan.span_id for e in branch_events)
    assert one(completed(out, "fan")).parent_span_id == fan.parent_span_id


def test_parallel_branches_see_the_snapshot_and_changes_merge_in_declaration_order():
    seen = {}

    async def branch_a(si):
        seen["a_start"] = copy.deepcopy(si.session_state)
        si.session_state["a"] = 1
        si.session_state["both"] = "A"
        si.session_state["nested"]["from_a"] = True
        await asyncio.sleep(0.05)
        seen["a_end"] = copy.deepcopy(si.session_state)
        return "a"

    async def branch_b(si):
        await asyncio.sleep(0.02)
        seen["b_start"] = copy.deepcopy(si.session_state)
        si.session_state["b"] = 2
        si.session_state["both"] = "B"
        del si.session_state["gone"]
        await asyncio.sleep(0.05)
        return "b"

    async def branch_c(si):  # changes nothing: its stale copy of "both" must not clobber A's / B's writes
        await asyncio.sleep(0.1)
        seen["c_end"] = copy.deepcopy(si.session_state)
        return "c"

    def after(si):
        seen["after"] = copy.deepcopy(si.session_state)
        return "after"

    initial = {"both": "init", "gone": 1, "keep": "k", "nested": {"x": 1}}
    wf = Workflow(name="State fan", session_state=initial,
                  steps=[Parallel(Step("A", branch_a), Step("B", branch_b), Step("C", branch_c)), after])
    out = wf.run("x")

    assert out.status == RunStatus.COMPLETED, out.status_reason
    snapshot = {"both": "init", "gone": 1, "keep": "k", "nested": {"x": 1}}
    assert seen["a_start"] == snapshot
    assert seen["b_start"] == snapshot  # A's writes (already made) are not visible to B
    assert "b" not in seen["a_end"] and seen["a_end"]["both"] == "A" and "gone" in seen["a_end"]
    assert seen["c_end"] == snapshot
    expected = {"both": "B", "keep": "k", "nested": {"x": 1, "from_a": True}, "a": 1, "b": 2}
    assert seen["after"] == expected
    assert out.session_state == expected
    assert initial == snapshot  # the workflow's default state is not mutated by runs


def test_parallel_later_branch_wins_a_key_both_changed():
    def writer(value):
        async def fn(si):
            await asyncio.sleep(0.01 if value == "first" else 0)  # finishing order must not matter
            si.session_state["k"] = value
            si.session_state[f"own_{value}"] = True
            return value
        return fn

    for order in (("first", "second"), ("second", "first")):
        wf = Workflow(name="Order", session_state={"k": "orig"},
                      steps=[Parallel(*[Step(v, writer(v)) for v in order])])
        out = wf.run("x")
        assert out.session_state == {"k": order[-1], "own_first": True, "own_second": True}, order


def test_parallel_state_is_persisted_in_the_session(store):
    async def a(si):
        si.session_state["a"] = "A"
        return "a"

    async def b(si):
        si.session_state["b"] = "B"
        si.session_state.pop("drop")
        return "b"

    wf = Workflow(name="Persisted", db=store, steps=[Parallel(Step("a", a), Step("b", b))])
    out = wf.run("x", session_state={"drop": 1, "keep": 2})
    assert out.status == RunStatus.COMPLETED, out.status_reason
    assert store.get_session(out.session_id).state == {"keep": 2, "a": "A", "b": "B"}

    # the next run of the session starts from the stored state
    seen = {}
    wf2 = Workflow(name="Persisted", db=store, steps=[Step("read", lambda si: seen.update(si.session_state))])
    wf2.run("y", session_id=out.session_id)
    assert seen == {"keep": 2, "a": "A", "b": "B"}


def test_loop_runs_max_iterations_with_iteration_events():
    log = Log()
    out = Workflow(name="Loop3", steps=[Loop(log.step("work"), name="loop", max_iterations=3)]).run("x")
    assert out.status == RunStatus.COMPLETED
    assert log.count("work") == 3
    loop = one(started(out, "loop"))
    assert loop.kind == "loop"
    iterations = own(out, LoopIteration)
    assert [e.iteration for e in iterations] == [1, 2, 3]
    assert all(e.parent_span_id == loop.span_id and e.loop_name == "loop" for e in iterations)
    assert all(e.parent_span_id == loop.span_id for e in started(out, "work"))
    assert one(completed(out, "loop")).success
    assert out.content == "work<work<work<None>>>"


def test_loop_end_condition_sees_only_this_iterations_outputs():
    counter = {"n": 0}
    checked = []

    def inc(si):
        counter["n"] += 1
        return counter["n"]

    def end(outputs):
        checked.append([(o.step_name, o.content) for o in outputs])
        return outputs[0].content >= 2

    wf = Workflow(name="Until", steps=[Loop(Step("inc", inc), Step("echo", lambda si: f"n={si.previous_step_content}"),
                                            name="until", max_iterations=10, end_condition=end)])
    out = wf.run("x")
    assert out.status == RunStatus.COMPLETED
    assert counter["n"] == 2
    assert checked == [[("inc", 1), ("echo", "n=1")], [("inc", 2), ("echo", "n=2")]]
    assert [e.iteration for e in own(out, LoopIteration)] == [1, 2]
    assert out.content == "n=2"


async def test_loop_async_end_condition():
    async def end(outputs):
        await asyncio.sleep(0)
        return True

    log = Log()
    out = await Workflow(name="Async end", steps=[Loop(log.step("w"), max_iterations=5, end_condition=end)]).arun("x")
    assert out.status == RunStatus.COMPLETED and log.count("w") == 1


@pytest.mark.parametrize("evaluator, taken, skipped", [
    (True, "yes", "no"),
    (False, "no", "yes"),
    (lambda si: si.input == "go", "yes", "no"),
    (lambda si: si.input == "stop", "no", "yes"),
])
def test_condition_bool_or_callable_with_else_steps(evaluator, taken, skipped):
    log = Log()
    wf = Workflow(name="Cond", steps=[Condition(evaluator, [log.step("yes")], else_steps=[log.step("no")],
                                                name="gate"), log.step("after")])
    out = wf.run("go")
    assert out.status == RunStatus.COMPLETED
    assert log.calls == [taken, "after"]
    gate = one(started(out, "gate"))
    assert gate.kind == "condition"
    evaluated = one(own(out, ConditionEvaluated))
    assert evaluated.condition_name == "gate" and evaluated.result is (taken == "yes")
    assert evaluated.parent_span_id == gate.span_id
    assert one(started(out, taken)).parent_span_id == gate.span_id
    assert started(out, skipped) == []


async def test_condition_async_evaluator_sees_previous_content():
    log = Log()

    async def check(si):
        return si.previous_step_content == "ready"

    out = await Workflow(name="Async cond", steps=[Step("prep", lambda si: "ready"),
                                                   Condition(check, [log.step("then")])]).arun("x")
    assert out.status == RunStatus.COMPLETED and log.calls == ["then"]


def test_condition_without_else_and_false_runs_nothing():
    log = Log()
    out = Workflow(name="Cond none", steps=[Step("p", lambda si: "P"), Condition(False, [log.step("then")], name="c"),
                                            log.step("after")]).run("x")
    assert out.status == RunStatus.COMPLETED
    assert log.calls == ["after"]
    assert out.content == "after<P>"


def test_condition_that_raises_ends_the_run_with_an_error_naming_it():
    log = Log()

    def broken(si):
        raise ValueError("cannot decide")

    out = Workflow(name="Cond err", steps=[Condition(broken, [log.step("then")], name="quality gate"),
                                           log.step("after")]).run("x")
    assert out.status == RunStatus.ERROR
    assert "quality gate" in out.status_reason and "cannot decide" in out.status_reason
    assert log.calls == []
    assert own(out, ConditionEvaluated) == []
    assert isinstance(own(out)[-1], RunError)


def test_router_selects_by_step_name_list_or_function():
    log = Log()
    a, b, c = log.step("a"), log.step("b"), log.step("c")

    def plain(si):
        log.calls.append("plain")
        return "plain"

    selections = {"step": a, "name": "b", "list": ["c", a], "function": plain}

    for key in selections:
        log.calls.clear()
        wf = Workflow(name="Routed", steps=[Router(lambda si: selections[si.input], [a, b, c, plain], name="r"),
                                            log.step("after")])
        out = wf.run(key)
        assert out.status == RunStatus.COMPLETED, (key, out.status_reason)
        expected = {"step": ["a"], "name": ["b"], "list": ["c", "a"], "function": ["plain"]}[key]
        assert log.calls == expected + ["after"], key
        selected = one(own(out, RouterSelected))
        router = one(started(out, "r"))
        assert router.kind == "router"
        assert selected.selected == expected and selected.parent_span_id == router.span_id
        for name in expected:
            assert one(started(out, name)).parent_span_id == router.span_id


def test_router_selection_outside_its_choices_is_an_error_naming_the_choices():
    log = Log()
    stranger = Step("stranger", lambda si: "s")
    for picked in ("nobody", stranger):
        router = Router(lambda si, picked=picked: picked, [log.step("x"), log.step("y")], name="r")
        wf = Workflow(name="Bad route", steps=[router, log.step("after")])
        out = wf.run("q")
        assert out.status == RunStatus.ERROR
        assert "['x', 'y']" in out.status_reason
        assert log.calls == []


def test_router_selector_that_raises_is_an_error():
    log = Log()

    def selector(si):
        raise RuntimeError("no route today")

    out = Workflow(name="Route err", steps=[Router(selector, [log.step("x")], name="picker")]).run("q")
    assert out.status == RunStatus.ERROR
    assert "picker" in out.status_reason and "no route today" in out.status_reason
    assert log.calls == []
    assert own(out, RouterSelected) == []


# ----------------------------------------------------------------------------- retries, on_error


def flaky(failures: int, calls: list):
    def fn(si):
        calls.append(si.input)
        if len(calls) <= failures:
            raise ConnectionError(f"flake {len(calls)}")
        return f"ok after {len(calls)}"
    return fn


def test_max_retries_recovers_a_flaky_step():
    calls = []
    out = Workflow(name="Retry", steps=[Step("flaky", flaky(2, calls), max_retries=2)]).run("x")
    assert out.status == RunStatus.COMPLETED
    assert out.content == "ok after 3" and len(calls) == 3
    retries = own(out, StepRetrying)
    assert [(r.attempt, r.error) for r in retries] == [(1, "ConnectionError: flake 1"), (2, "ConnectionError: flake 2")]
    assert [e.attempt for e in started(out, "flaky")] == [1, 2, 3]
    assert [e.success for e in completed(out, "flaky")] == [True]


def test_max_retries_exhausted_fails_the_run():
    calls = []
    log = Log()
    out = Workflow(name="Retry fail", steps=[Step("flaky", flaky(2, calls), max_retries=1), log.step("next")]).run("x")
    assert out.status == RunStatus.ERROR
    assert len(calls) == 2
    assert "flaky" in out.status_reason and "flake 2" in out.status_reason
    assert len(own(out, StepRetrying)) == 1
    assert log.calls == []


def test_on_error_fail_is_the_default():
    log = Log()

    def boom(si):
        raise ValueError("kaput")

    out = Workflow(name="Fail", steps=[log.step("a"), Step("boom", boom), log.step("b")]).run("x")
    assert out.status == RunStatus.ERROR
    assert "'boom'" in out.status_reason and "ValueError: kaput" in out.status_reason
    assert log.calls == ["a"]
    failed = one(completed(out, "boom"))
    assert failed.success is False and "kaput" in failed.error


def test_on_error_skip_records_a_failed_output_and_goes_on():
    seen = {}

    def boom(si):
        raise ValueError("kaput")

    def after(si):
        seen["boom"] = si.previous_step_outputs["boom"]
        seen["prev"] = si.previous_step_content
        return "after"

    out = Workflow(name="Skip", steps=[Step("a", lambda si: "A"), Step("boom", boom, on_error="skip"), after]).run("x")
    assert out.status == RunStatus.COMPLETED, out.status_reason
    assert seen["boom"].success is False and "kaput" in seen["boom"].error and seen["boom"].content is None
    assert seen["prev"] == "A"  # a skipped step does not replace the previous content
    assert one(completed(out, "boom")).success is False


def test_on_error_retry_retries_once():
    calls = []
    step = Step("flaky", flaky(1, calls), on_error="retry")
    assert step.max_retries == 1
    out = Workflow(name="Retry once", steps=[step]).run("x")
    assert out.status == RunStatus.COMPLETED and len(calls) == 2
    calls2 = []
    out2 = Workflow(name="Retry once", steps=[Step("flaky", flaky(2, calls2), on_error="retry")]).run("x")
    assert out2.status == RunStatus.ERROR and len(calls2) == 2


def test_on_error_pause_waits_for_a_person_then_retries_the_step():
    calls = []
    log = Log()
    wf = Workflow(name="Pause on error", steps=[log.step("before"), Step("flaky", flaky(1, calls), on_error="pause"),
                                                log.step("after")])
    out = wf.run("x")

    assert out.status == RunStatus.PAUSED
    req = one(out.requirements)
    assert req.tool_name == "flaky" and "flake 1" in req.arguments["error"]
    assert log.calls == ["before"] and len(calls) == 1
    assert started(out, "after") == []

    req.confirm()
    done = wf.continue_run(out)
    assert done.status == RunStatus.COMPLETED, done.status_reason
    assert len(calls) == 2
    assert log.calls == ["before", "after"]  # the step before the failure did not run again
    assert done.content == "after<ok after 2>"
    assert one(own(done, RunContinued)).decisions == [{"step": "flaky", "decision": "confirmed"}]


def test_on_error_pause_rejected_skips_the_step():
    calls = []
    wf = Workflow(name="Pause reject", steps=[Step("flaky", flaky(5, calls), on_error="pause"),
                                              Step("after", lambda si: si.previous_step_outputs["flaky"].error)])
    out = wf.run("x")
    out.requirements[0].reject("not worth it")
    done = wf.continue_run(out)
    assert done.status == RunStatus.COMPLETED
    assert len(calls) == 1
    assert "not worth it" in done.content


# ----------------------------------------------------------------------------------- confirmation


def test_requires_confirmation_pauses_before_the_step_and_confirm_runs_it():
    log = Log()
    wf = Workflow(name="Confirm", steps=[log.step("draft"), Step("publish", lambda si: log.calls.append("publish")
                                                                  or f"published {si.previous_step_content}",
                                                                  requires_confirmation=True), log.step("notify")])
    out = wf.run("x")
    assert out.status == RunStatus.PAUSED
    assert log.calls == ["draft"]
    req = one(out.requirements)
    assert req.tool_name == "publish" and req.kind == "confirmation"
    assert req.arguments == {"input": "draft<None>"}
    assert started(out, "publish") == []
    assert isinstance(own(out)[-1], RunPaused)

    with pytest.raises(ConfigurationError, match="decision"):
        wf.continue_run(out)  # undecided

    req.confirm()
    done = wf.continue_run(out)
    assert done.status == RunStatus.COMPLETED
    assert log.calls == ["draft", "publish", "notify"]
    assert done.content == "notify<published draft<None>>"


def test_requires_confirmation_rejected_skips_with_the_reason_and_continues():
    log = Log()
    seen = {}

    def after(si):
        seen["publish"] = si.previous_step_outputs["publish"]
        return "after"

    wf = Workflow(name="Reject", steps=[log.step("draft"), Step("publish", lambda si: log.calls.append("publish"),
                                                                requires_confirmation=True), after])
    out = wf.run("x")
    out.requirements[0].reject("legal said no")
    done = wf.continue_run(out)
    assert done.status == RunStatus.COMPLETED
    assert "publish" not in log.calls
    assert seen["publish"].success is False and "legal said no" in seen["publish"].error
    skipped = one(completed(done, "publish"))
    assert skipped.success is False and "legal said no" in skipped.error
    assert done.content == "after"


def _confirm_workflow(store, log: Log) -> Workflow:
    return Workflow(name="Approve", db=store,
                    steps=[log.step("draft"), Step("send", lambda si: log.calls.append("send") or "sent",
                                                   requires_confirmation=True), log.step("archive")])


def test_paused_run_continues_by_id_from_a_new_workflow_object(store):
    log = Log()
    out = _confirm_workflow(store, log).run("x")
    assert out.status == RunStatus.PAUSED
    assert store.get_run(out.run_id).status == "paused"

    approval = store.get_approval(out.run_id)
    assert approval is not None
    requirements = PausedRun.from_dict(approval["state"]).requirements
    assert [r.tool_name for r in requirements] == ["send"]
    requirements[0].confirm()

    fresh = _confirm_workflow(store, log)  # as in another process: a new object, same definition
    done = fresh.continue_run(out.run_id, requirements=requirements)
    assert done.status == RunStatus.COMPLETED, done.status_reason
    assert log.calls == ["draft", "send", "archive"]
    assert store.get_run(out.run_id).status == "completed"
    assert store.get_approval(out.run_id) is None

    with pytest.raises(NotFoundError):
        fresh.continue_run(out.run_id, requirements=requirements)
    assert log.calls == ["draft", "send", "archive"]

    events = store.get_events(out.run_id)
    seqs = [e["seq"] for e in events]
    assert seqs == list(range(len(events)))
    types = [e["type"] for e in events]
    assert types[0] == "RunStarted" and "RunPaused" in types and "RunContinued" in types
    assert types[-1] == "RunCompleted"
    assert types.index("RunPaused") < types.index("RunContinued")
    assert store.get_session(out.session_id).run_count == 1  # the continuation is the same run


def test_a_paused_run_goes_on_only_once(tmp_path):
    log = Log()
    wf = _confirm_workflow(DuckDBStore(tmp_path / "once.duckdb"), log)
    out = wf.run("x")
    out.requirements[0].confirm()
    assert wf.continue_run(out).status == RunStatus.COMPLETED
    with pytest.raises((ConfigurationError, NotFoundError)):
        wf.continue_run(out)
    with pytest.raises(NotFoundError):
        wf.continue_run(out.run_id, requirements=out.requirements)
    assert log.count("send") == 1


def test_confirmation_inside_a_construct_does_not_rerun_earlier_steps():
    log = Log()
    wf = Workflow(name="Nested confirm", steps=[Steps(log.step("a"), Step("b", lambda si: log.calls.append("b"),
                                                                          requires_confirmation=True),
                                                      name="grp")])
    out = wf.run("x")
    assert out.status == RunStatus.PAUSED and log.calls == ["a"]
    out.requirements[0].confirm()
    assert wf.continue_run(out).status == RunStatus.COMPLETED
    assert log.calls == ["a", "b"]


# --------------------------------------------------------------------------- checkpoints, resume


def test_every_top_level_step_is_checkpointed(store):
    log = Log()
    wf = Workflow(name="Checkpointed", db=store,
                  steps=[log.step("a"), Parallel(log.step("p1"), log.step("p2"), name="par"), log.step("b")])
    out = wf.run("x", session_state={"s": 1})
    assert out.status == RunStatus.COMPLETED
    checkpoints = store.load_checkpoints(out.run_id)
    assert [(c["step_index"], c["step_name"]) for c in checkpoints] == [(0, "a"), (1, "par"), (2, "b")]
    assert checkpoints[0]["output"]["content"] == "a<None>"
    assert checkpoints[1]["output"]["content"] == {"p1": "p1<a<None>>", "p2": "p2<a<None>>"}
    assert checkpoints[-1]["state"]["session_state"] == {"s": 1}
    assert set(checkpoints[-1]["state"]["outputs"]) == {"a", "p1", "p2", "par", "b"}


CRASH_SCRIPT = '''
import os
import sys

from agno_nb.storage.duckdb import DuckDBStore
from agno_nb.workflow import Parallel, Step, Workflow

HERE = os.path.dirname(os.path.abspath(__file__))


def mark(name):
    with open(os.path.join(HERE, "ran-" + name), "a") as handle:
        handle.write("x")


def one(si):
    mark("one")
    si.session_state["from_one"] = 1
    return "ONE"


async def p1(si):
    mark("p1")
    return "P1"


async def p2(si):
    mark("p2")
    si.session_state["from_p2"] = 2
    return "P2"


def two(si):
    mark("two")
    flag = os.path.join(HERE, "crashed-once")
    if not os.path.exists(flag):
        open(flag, "w").close()
        os._exit(1)  # the process dies mid-step: no finally, no flush
    return "TWO:" + si.get_step_content("one")


def three(si):
    mark("three")
    return si.previous_step_content + "+" + str(sorted(si.session_state.items()))


workflow = Workflow(name="Crashy", db=DuckDBStore(os.path.join(HERE, "crash.duckdb")),
                    steps=[Step("one", one), Parallel(Step("p1", p1), Step("p2", p2), name="par"),
                           Step("two", two), Step("three", three)])

if __name__ == "__main__":
    workflow.run("go", session_id="crash-session")
    print("NOT REACHED")
'''


def _crash(tmp_path):
    """Run the crash script in a real process that dies in step ``two``; return (module, store, run_id)."""
    script = tmp_path / "crashy.py"
    script.write_text(textwrap.dedent(CRASH_SCRIPT))
    env = {**os.environ, "PYTHONPATH": REPO + os.pathsep + os.environ.get("PYTHONPATH", "")}
    env.pop("AGNO_NB_DB", None)
    proc = subprocess.run([sys.executable, str(script)], cwd=str(tmp_path), env=env, capture_output=True,
                          text=True, timeout=60, check=False)
    assert proc.returncode == 1, (proc.returncode, proc.stdout, proc.stderr)
    assert "NOT REACHED" not in proc.stdout
    assert (tmp_path / "crashed-once").exists()

    spec = importlib.util.spec_from_file_location(f"crashy_{abs(hash(str(tmp_path)))}", script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    store = module.workflow.store()
    running = store.sql("SELECT run_id FROM runs WHERE component_type = 'workflow' AND status = 'running'")
    assert len(running) == 1
    return module, store, running["run_id"][0]


def ran(tmp_path, name: str) -> int:
    path = tmp_path / f"ran-{name}"
    return len(path.read_text()) if path.exists() else 0


def test_a_killed_process_resumes_from_the_last_checkpoint(tmp_path):
    module, store, run_id = _crash(tmp_path)
    try:
        assert [c["step_name"] for c in store.load_checkpoints(run_id)] == ["one", "par"]
        before = store.get_events(run_id)
        assert before and before[0]["type"] == "RunStarted"
        assert [ran(tmp_path, n) for n in ("one", "p1", "p2", "two", "three")] == [1, 1, 1, 1, 0]

        out = module.workflow.resume(run_id)

        assert out.status == RunStatus.COMPLETED, out.status_reason
        assert out.run_id == run_id and out.session_id == "crash-session"
        # steps before the crash did not run again; the crashed step and the rest did
        assert [ran(tmp_path, n) for n in ("one", "p1", "p2", "two", "three")] == [1, 1, 1, 2, 1]
        assert out.content == "TWO:ONE+[('from_one', 1), ('from_p2', 2)]"
        assert store.get_run(run_id).status == "completed"
        assert len(store.sql("SELECT run_id FROM runs WHERE status = 'running'")) == 0
        assert [(c["step_index"], c["step_name"]) for c in store.load_checkpoints(run_id)] == \
               [(0, "one"), (1, "par"), (2, "two"), (3, "three")]

        events = store.get_events(run_id)
        assert [e["seq"] for e in events] == list(range(len(events)))  # increasing, no gaps, no duplicates
        assert events[:len(before)] == before  # the first part's rows were kept as they were
        types = [e["type"] for e in events]
        assert types.count("RunStarted") == 1 and types.count("RunContinued") == 1 and types[-1] == "RunCompleted"
        names = [(e["type"], e["payload"].get("step_name")) for e in events if e["type"].startswith("Step")]
        for name in ("one", "par", "p1", "p2", "two", "three"):
            assert names.count(("StepStarted", name)) == 1, name
            assert names.count(("StepCompleted", name)) == 1, name

        trail = module.workflow.audit_trail(run_id)
        assert type(trail).__name__ == "DataFrame"
        assert list(trail["seq"]) == list(range(len(events)))
        rows = [(t, payload_of(p).get("step_name")) for t, p in zip(trail["type"], trail["payload"])]
        for name in ("one", "par", "p1", "p2", "two", "three"):
            assert ("StepStarted", name) in rows and ("StepCompleted", name) in rows, name

        with pytest.raises(ConfigurationError, match="nothing to resume"):
            module.workflow.resume(run_id)
        assert ran(tmp_path, "three") == 1
    finally:
        store.close()


def test_resume_in_a_second_process(tmp_path):
    _module, store, run_id = _crash(tmp_path)
    store.close()
    code = textwrap.dedent(f'''
        import importlib.util, sys
        spec = importlib.util.spec_from_file_location("crashy", {str(tmp_path / "crashy.py")!r})
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        out = module.workflow.resume({run_id!r})
        print("STATUS", out.status, out.content)
    ''')
    env = {**os.environ, "PYTHONPATH": REPO + os.pathsep + os.environ.get("PYTHONPATH", "")}
    proc = subprocess.run([sys.executable, "-c", code], cwd=str(tmp_path), env=env, capture_output=True, text=True,
                          timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr
    assert "STATUS completed TWO:ONE" in proc.stdout
    assert [ran(tmp_path, n) for n in ("one", "p1", "p2", "two", "three")] == [1, 1, 1, 2, 1]


def test_a_resumed_run_counts_once_in_its_session(tmp_path):
    module, store, run_id = _crash(tmp_path)
    try:
        out = module.workflow.resume(run_id)
        assert out.status == RunStatus.COMPLETED
        session = store.get_session("crash-session")
        assert session is not None and session.state == {"from_one": 1, "from_p2": 2}
        assert session.run_count == 1
    finally:
        store.close()


def test_resumed_steps_hang_off_the_original_run_span(tmp_path):
    module, store, run_id = _crash(tmp_path)
    try:
        module.workflow.resume(run_id)
        events = store.get_events(run_id)
        root = one([e for e in events if e["type"] == "RunStarted"])["span_id"]
        top = [e for e in events if e["type"] == "StepStarted" and e["payload"]["step_name"] in
               ("one", "par", "two", "three")]
        assert [e["parent_span_id"] for e in top] == [root] * 4
        assert one([e for e in events if e["type"] == "RunCompleted"])["span_id"] == root
    finally:
        store.close()


def test_resume_errors_are_clear(store):
    log = Log()
    wf = Workflow(name="Resumable", db=store, steps=[log.step("a")])
    with pytest.raises(NotFoundError, match="no-such-run"):
        wf.resume("no-such-run")

    done = wf.run("x")
    with pytest.raises(ConfigurationError, match="nothing to resume"):
        wf.resume(done.run_id)

    other = Workflow(name="Other", db=store, steps=[log.step("b")])
    with pytest.raises(NotFoundError):
        other.resume(done.run_id)  # a run of another workflow

    paused = Workflow(name="Resumable", db=store,
                      steps=[Step("c", lambda si: "c", requires_confirmation=True)]).run("x")
    with pytest.raises(ConfigurationError, match="continue_run"):
        wf.resume(paused.run_id)
    assert log.calls == ["a"]

    with pytest.raises(ConfigurationError, match="db="):
        Workflow(name="No store", steps=[log.step("z")]).resume("anything")
    with pytest.raises(NotFoundError):
        wf.continue_run("no-such-run", requirements=[])


def test_a_failed_run_leaves_status_error_and_no_running_row(store):
    def boom(si):
        raise RuntimeError("disk on fire")

    wf = Workflow(name="Fails", db=store, steps=[Step("ok", lambda si: "ok"), Step("boom", boom)])
    out = wf.run("x")
    assert out.status == RunStatus.ERROR
    record = store.get_run(out.run_id)
    assert record.status == "error" and "disk on fire" in record.error
    assert len(store.sql("SELECT run_id FROM runs WHERE status = 'running'")) == 0
    assert [c["step_name"] for c in store.load_checkpoints(out.run_id)] == ["ok"]
    types = [e["type"] for e in store.get_events(out.run_id)]
    assert types[0] == "RunStarted" and types[-1] == "RunError"
    assert [e["seq"] for e in store.get_events(out.run_id)] == list(range(len(types)))
    assert store.get_session(out.session_id).run_count == 1


# ------------------------------------------------------------------------------- events, trace


def test_every_construct_has_started_and_completed_events_nested_under_its_span():
    agent, _ = echo_agent("Summarizer")

    async def fetch(si):
        await asyncio.sleep(0.01)
        return "data"

    wf = Workflow(name="Everything", steps=[
        Steps(Step("prep", lambda si: "prepped"), name="setup"),
        Parallel(Step("f1", fetch), Step("f2", fetch), name="fetch all"),
        Loop(Step("refine", lambda si: "refined"), name="refine loop", max_iterations=2),
        Condition(True, [Step("check", lambda si: "checked")], name="maybe"),
        Router(lambda si: "Summarizer", [agent, Step("skip", lambda si: "s")], name="pick"),
    ])
    out = wf.run("x")
    assert out.status == RunStatus.COMPLETED, out.status_reason

    root = one(own(out, RunStarted)).span_id
    by_name = {}
    for e in own(out, StepStarted):
        by_name.setdefault(e.step_name, e)
    kinds = {n: by_name[n].kind for n in ("setup", "fetch all", "refine loop", "maybe", "pick")}
    assert kinds == {"setup": "steps", "fetch all": "parallel", "refine loop": "loop", "maybe": "condition",
                     "pick": "router"}
    for construct, children in {"setup": ["prep"], "fetch all": ["f1", "f2"], "refine loop": ["refine"],
                                "maybe": ["check"], "pick": ["Summarizer"]}.items():
        assert by_name[construct].parent_span_id == root
        for child in children:
            assert all(e.parent_span_id == by_name[construct].span_id for e in started(out, child)), child
        done = one(completed(out, construct))
        assert done.span_id == by_name[construct].span_id and done.success and done.kind == kinds[construct]
    assert_spans_closed(out)
    assert len(started(out, "refine")) == 2

    step_span = one(started(out, "Summarizer")).span_id
    member_start = one([e for e in out.events if isinstance(e, RunStarted) and e.run_id != out.run_id])
    assert member_start.parent_span_id == step_span and member_start.parent_run_id == out.run_id
    member_end = one([e for e in out.events if isinstance(e, RunCompleted) and e.run_id != out.run_id])
    assert member_end.parent_span_id == step_span
    assert out.content == 'Summarizer got: checked'


def test_trace_tree_of_a_workflow():
    agent, _ = echo_agent("Writer")

    async def a(si):
        return "A"

    async def b(si):
        return "B"

    wf = Workflow(name="Traced", steps=[Parallel(Step("a", a), Step("b", b), name="par"),
                                        Router(lambda si: "Writer", [agent, Step("other", lambda si: "o")],
                                               name="route")])
    out = wf.run("x")
    tree = TraceView.from_events(out.events).to_json()

    assert tree["status"] == "completed" and tree["run_id"] == out.run_id
    root = tree["root"]
    assert (root["kind"], root["name"]) == ("run", "Traced")
    assert [(c["kind"], c["name"], c["status"]) for c in root["children"]] == [("parallel", "par", "ok"),
                                                                               ("router", "route", "ok")]
    par, route = root["children"]
    assert sorted((c["kind"], c["name"], c["status"]) for c in par["children"]) == [("step", "a", "ok"),
                                                                                    ("step", "b", "ok")]
    assert route["attrs"]["selected"] == ["Writer"]
    chosen = one(route["children"])
    assert (chosen["kind"], chosen["name"], chosen["attrs"]["work"]) == ("step", "Writer", "agent")
    member = one(chosen["children"])
    assert member["kind"] == "member" and member["name"] == "Writer" and member["status"] == "completed"
    assert [c["kind"] for c in member["children"]] == ["model"]
    assert tree["answer"] == 'Writer got: {"a": "A", "b": "B"}'


def test_trace_of_a_failed_step_shows_the_error():
    calls = []
    out = Workflow(name="Trace err", steps=[Step("flaky", flaky(5, calls), max_retries=1)]).run("x")
    tree = TraceView.from_events(out.events).to_json()
    assert tree["status"] == "error" and "flake 2" in tree["error"]
    last = tree["root"]["children"][-1]
    assert (last["name"], last["status"]) == ("flaky", "error")
    assert last["attrs"]["error"] == "ConnectionError: flake 2"


def _all_spans(span):
    yield span
    for child in span["children"]:
        yield from _all_spans(child)


def test_trace_of_a_retried_step_has_no_span_left_running():
    calls = []
    out = Workflow(name="Trace retry", steps=[Step("flaky", flaky(2, calls), max_retries=2)]).run("x")
    assert out.status == RunStatus.COMPLETED
    tree = TraceView.from_events(out.events).to_json()
    spans = list(_all_spans(tree["root"]))
    assert [s["name"] for s in spans if s["status"] == "running"] == []
    retries = [r for s in spans if s["name"] == "flaky" for r in s["attrs"].get("retries", [])]
    assert retries == ["ConnectionError: flake 1", "ConnectionError: flake 2"]


def test_a_loop_stopped_by_its_step_still_completes_its_span():
    stop = Step("s", lambda si: StepOutput("x", stop=True))
    out = Workflow(name="Loop stop", steps=[Loop(stop, name="loop")]).run("x")
    assert out.status == RunStatus.COMPLETED
    assert_spans_closed(out)


def test_constructs_close_their_span_when_a_child_fails():
    def boom(si):
        raise ValueError("x")

    out = Workflow(name="Fail in group", steps=[Steps(Parallel(Step("ok", lambda si: 1), Step("bad", boom)),
                                                      name="grp")]).run("x")
    assert out.status == RunStatus.ERROR
    assert_spans_closed(out)
    tree = TraceView.from_events(out.events).to_json()
    grp = one(tree["root"]["children"])
    assert grp["status"] == "error"


def test_parallel_inside_a_loop_reports_each_iterations_outputs():
    counter = {"n": 0}

    def count(si):
        counter["n"] += 1
        return counter["n"]

    seen = []
    wf = Workflow(name="Loop par", steps=[Loop(Parallel(Step("count", count), name="par"),
                                               Step("read", lambda si: seen.append(si.get_step_content("count"))),
                                               max_iterations=3)])
    out = wf.run("x")
    assert out.status == RunStatus.COMPLETED
    assert counter["n"] == 3
    assert seen == [1, 2, 3]


# ------------------------------------------------------------------------------------- storage


def test_workflow_and_agent_step_runs_are_stored(store):
    agent, _ = echo_agent("Helper")
    wf = Workflow(name="Stored", db=store, steps=[Step("a", lambda si: "A"), agent])
    out = wf.run("x", user_id="u1")
    assert out.status == RunStatus.COMPLETED

    record = store.get_run(out.run_id)
    assert (record.component_type, record.component_id, record.component_name) == ("workflow", "stored", "Stored")
    assert record.status == "completed" and record.content == "Helper got: A" and record.user_id == "u1"
    assert record.parent_run_id is None
    runs = store.list_runs(session_id=out.session_id)
    agent_runs = [r for r in runs if r.component_type == "agent"]
    assert len(runs) == 2 and one(agent_runs).parent_run_id == out.run_id
    assert one(agent_runs).component_id == "helper"
    assert store.get_session(out.session_id).run_count == 1  # the agent step's run does not count on its own

    second = wf.run("y", session_id=out.session_id, user_id="u1")
    assert second.status == RunStatus.COMPLETED
    assert store.get_session(out.session_id).run_count == 2
    assert len([r for r in store.list_runs(session_id=out.session_id) if r.component_type == "workflow"]) == 2


def test_a_workflow_session_without_agent_steps_is_a_workflow_session(store):
    out = Workflow(name="Plain", db=store, steps=[Step("a", lambda si: "A")]).run("x")
    session = store.get_session(out.session_id)
    assert (session.session_type, session.component_id, session.run_count) == ("workflow", "plain", 1)


def test_a_workflow_session_with_an_agent_step_belongs_to_the_workflow(store):
    agent, _ = echo_agent("Helper")
    out = Workflow(name="Stored", db=store, steps=[Step("a", lambda si: "A"), agent]).run("x")
    assert out.status == RunStatus.COMPLETED
    session = store.get_session(out.session_id)
    assert (session.session_type, session.component_id) == ("workflow", "stored")
    assert [s.session_id for s in store.list_sessions(component_id="stored")] == [out.session_id]


def test_continue_does_not_double_count_the_session(store):
    log = Log()
    wf = _confirm_workflow(store, log)
    out = wf.run("x")
    assert store.get_session(out.session_id).run_count == 1
    out.requirements[0].confirm()
    wf.continue_run(out)
    assert store.get_session(out.session_id).run_count == 1
    assert len(store.list_runs(session_id=out.session_id)) == 1


def test_nested_workflow_runs_are_stored(tmp_path):
    store = DuckDBStore(tmp_path / "nested.duckdb")
    try:
        agent, _ = echo_agent("Deep")
        inner = Workflow(name="Inner", steps=[agent])
        out = Workflow(name="Outer", db=store, steps=[Step("inner", workflow=inner)]).run("x")
        assert out.status == RunStatus.COMPLETED
        ids = {r.run_id for r in store.list_runs()}
        for r in store.list_runs():
            assert r.parent_run_id is None or r.parent_run_id in ids, (r.component_id, r.parent_run_id)
    finally:
        store.close()


# ------------------------------------------------------------------------------------ streaming


def test_run_stream_yields_the_events_as_they_happen():
    agent, _ = echo_agent("Streamer")
    wf = Workflow(name="Streamed", steps=[Step("a", lambda si: "A"), agent])
    events = list(wf.run("x", stream=True))
    assert isinstance(events[0], RunStarted) and isinstance(events[-1], RunCompleted)
    assert events[-1].content == "Streamer got: A"
    assert [e.step_name for e in events if isinstance(e, StepCompleted)] == ["a", "Streamer"]
    assert len({e.run_id for e in events}) == 2  # the workflow run and the agent's nested run
    batch = wf.run("x")
    assert [type(e).__name__ for e in batch.events] == [type(e).__name__ for e in events]


async def test_arun_stream_and_await():
    async def slow(si):
        await asyncio.sleep(0.01)
        return f"slow({si.input})"

    wf = Workflow(name="Async", steps=[Parallel(Step("s1", slow), Step("s2", slow), name="par"),
                                       Step("join", lambda si: "+".join(sorted(si.previous_step_content.values())))])
    types = []
    last = None
    async for event in wf.arun("q", stream=True):
        types.append(event.type)
        last = event
    assert types[0] == "RunStarted" and types[-1] == "RunCompleted"
    assert types.count("StepStarted") == 4 and types.count("StepCompleted") == 4
    assert last.content == "slow(q)+slow(q)"

    out = await wf.arun("r")
    assert out.status == RunStatus.COMPLETED and out.content == "slow(r)+slow(r)"


def test_streamed_run_is_stored(store):
    wf = Workflow(name="Stream store", db=store, steps=[Step("a", lambda si: "A"), Step("b", lambda si: "B")])
    events = list(wf.run("x", stream=True))
    run_id = events[0].run_id
    assert store.get_run(run_id).status == "completed"
    assert [e["type"] for e in store.get_events(run_id)] == [e.type for e in events]


# ------------------------------------------------------------------------------------ bad input


def test_empty_steps_are_refused():
    with pytest.raises(ConfigurationError, match="at least one step"):
        Workflow(name="Empty", steps=[])
    for construct in (Steps, Parallel):
        with pytest.raises(ConfigurationError, match="at least one step"):
            construct()
    with pytest.raises(ConfigurationError, match="at least one step"):
        Loop()
    with pytest.raises(ConfigurationError, match="at least one step"):
        Condition(True, [])
    with pytest.raises(ConfigurationError, match="at least one step"):
        Router(lambda si: None, [])


def test_duplicate_step_names_are_refused_also_when_nested():
    def a(si):
        return "a"

    with pytest.raises(ConfigurationError, match=r"repeated: \['x'\]"):
        Workflow(name="Dup", steps=[Step("x", a), Step("x", a)])
    with pytest.raises(ConfigurationError, match=r"repeated: \['x'\]"):
        Workflow(name="Dup nested", steps=[Step("x", a), Parallel(Step("y", a), Steps(Step("x", a)))])
    with pytest.raises(ConfigurationError, match=r"repeated: \['z'\]"):
        Workflow(name="Dup else", steps=[Condition(True, [Step("z", a)], else_steps=[Step("z", a)])])
    with pytest.raises(ConfigurationError, match=r"repeated: \['q'\]"):
        Workflow(name="Dup loop", steps=[Loop(Step("q", a), name="q")])
    # a nested workflow keeps its own outputs, so its step names may repeat the parent's
    inner = Workflow(name="Inner", steps=[Step("x", lambda si: f"inner {si.input}")])
    out = Workflow(name="Own names", steps=[Step("x", lambda si: "outer"), Step("sub", workflow=inner)]).run("q")
    assert out.status == RunStatus.COMPLETED and out.content == "inner outer"


def test_a_workflow_that_contains_itself_is_refused():
    a = Workflow(name="A", steps=[Step("a1", lambda si: 1)])
    b = Workflow(name="B", steps=[Step("to_a", workflow=a)])
    a.steps.append(Step("to_b", workflow=b))  # A -> B -> A, made by mutation after construction
    with pytest.raises(ConfigurationError, match="Workflow cycle"):
        Workflow(name="Top", steps=[Step("top", workflow=a)])
    selfish = Workflow(name="Self", steps=[Step("s1", lambda si: 1)])
    selfish.steps.append(Step("me", workflow=selfish))
    with pytest.raises(ConfigurationError, match="Workflow cycle: Parent -> Self -> Self"):
        Workflow(name="Parent", steps=[Step("p", workflow=selfish)])


def test_running_a_workflow_that_contains_itself_fails_clearly():
    selfish = Workflow(name="Self", steps=[Step("s1", lambda si: 1)])
    selfish.steps.append(Step("me", workflow=selfish))
    # Checked again when a run starts (like any configuration error: before the first event).
    with pytest.raises(ConfigurationError, match="cycle") as info:
        selfish.run("x")
    assert len(str(info.value)) < 500


def test_other_bad_definitions_are_refused():
    with pytest.raises(ConfigurationError, match="not a step"):
        Workflow(name="Junk", steps=[42])
    with pytest.raises(ConfigurationError, match="not a step"):
        Parallel(Step("ok", lambda si: 1), "not callable")
    with pytest.raises(ConfigurationError, match="on_error must be one of"):
        Step("x", lambda si: 1, on_error="ignore")
    with pytest.raises(ConfigurationError, match="max_iterations must be at least 1"):
        Loop(Step("x", lambda si: 1), max_iterations=0)
    with pytest.raises(ConfigurationError, match="needs something to run"):
        Step("nothing")
