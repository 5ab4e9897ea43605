"""The trace fold (``TraceView``) as the notebook shows it live, for a finished run and for a stored run:
one fold for all three, so totals match the tree; paused, approved and rejected calls are one span each;
model spans show what was sent and what came back (issue 9, items 4, 8 and 9)."""

from __future__ import annotations

import json

import pytest

from agno_nb import Agent, ScriptedModel, Team, Workflow, tool
from agno_nb.models.scripts import text, tool_call
from agno_nb.traces.html import render_html
from agno_nb.traces.stored import trace_from_store
from agno_nb.traces.fold import MIME_TYPE, TraceView
from agno_nb.storage.duckdb import DuckDBStore


@pytest.fixture
def store(tmp_path):
    store = DuckDBStore(tmp_path / "trace.duckdb")
    yield store
    store.close()


def spans(node):
    for child in node["children"]:
        yield child
        yield from spans(child)


def live(out) -> dict:
    return TraceView.from_events(out.events).to_json()


def stored(out, store) -> dict:
    return trace_from_store(out.run_id, store)[MIME_TYPE]


def search(query: str) -> str:
    """Search the web.

    Args:
        query: what to look for
    """
    return f"results for {query}"


# ----------------------------------------------------------------------------- totals = tree


def test_a_teams_header_counts_every_tool_call_in_its_tree_live_and_stored(store):
    member = Agent(name="Researcher", model=ScriptedModel([tool_call("search", query="duckdb"), "found it"]),
                   tools=[search])
    team = Team(name="Crew", members=[member], mode="coordinate", db=store, model=ScriptedModel(
        [tool_call("delegate_task_to_member", member_id="researcher", task="look up duckdb"), "done"]))
    out = team.run("research duckdb")
    assert out.ok, out.status_reason
    for trace in (live(out), stored(out, store)):
        tools = [s for s in spans(trace["root"]) if s["kind"] == "tool"]
        assert sorted(s["name"] for s in tools) == ["delegate_task_to_member", "search"]
        assert trace["totals"]["tool_calls"] == len(tools) == 2
        models = [s for s in spans(trace["root"]) if s["kind"] == "model" and s["status"] == "ok"]
        assert trace["totals"]["model_requests"] == len(models) == 4
        member_span = next(s for s in spans(trace["root"]) if s["kind"] == "member")
        assert "search" in [c["name"] for c in member_span["children"]]  # nested under the member
    assert live(out)["totals"]["input_tokens"] == stored(out, store)["totals"]["input_tokens"]


def test_a_workflows_header_counts_the_tool_call_of_its_agent_step(store):
    researcher = Agent(name="Researcher", model=ScriptedModel([tool_call("search", query="x"), "found"]),
                       tools=[search])
    flow = Workflow(name="Flow", steps=[researcher], db=store)
    out = flow.run("go")
    assert out.status == "completed", out
    for trace in (live(out), stored(out, store)):
        tools = [s for s in spans(trace["root"]) if s["kind"] == "tool"]
        assert [s["name"] for s in tools] == ["search"] and trace["totals"]["tool_calls"] == 1
        assert "1 tool call(s)" in render_html(trace)


# -------------------------------------------------------------------------- paused, decided


@pytest.fixture
def deployer(store):
    ran = []

    @tool(requires_confirmation=True)
    def deploy(env: str) -> str:
        """Deploy."""
        ran.append(env)
        return f"deployed {env}"

    def respond(messages, tools):
        last = messages[-1]
        return text(f"outcome: {last['content']}") if last["role"] == "tool" else tool_call("deploy", env="prod")

    return Agent(name="ops", model=ScriptedModel(respond), tools=[deploy], db=store), ran


def test_the_stored_trace_of_a_paused_run_shows_the_call_once_as_paused(deployer, store):
    agent, _ = deployer
    out = agent.run("ship it")
    trace = stored(out, store)
    assert trace["status"] == "paused"
    [call] = [s for s in spans(trace["root"]) if s["kind"] == "tool"]
    assert (call["name"], call["status"], call["attrs"]["awaiting"]) == ("deploy", "paused", "confirmation")
    assert call["duration"] is not None
    html = render_html(trace)
    assert "running" not in html
    assert trace["requirements"][0]["tool_name"] == "deploy"


@pytest.mark.parametrize("decision", ["approve", "reject"])
def test_a_decided_call_is_one_span_live_and_stored_and_ttft_stays_within_the_run(deployer, store, decision):
    agent, ran = deployer
    out = agent.run("ship it")
    req = out.requirements[0]
    req.confirm() if decision == "approve" else req.reject("not on a Friday")
    done = agent.continue_run(out)
    assert done.ok
    for trace in (TraceView.from_events(out.events + done.events).to_json(), stored(out, store)):
        [call] = [s for s in spans(trace["root"]) if s["kind"] == "tool"]
        if decision == "approve":
            assert (call["status"], call["attrs"]["decision"], call["attrs"]["result"]) == (
                "ok", "confirmed", "deployed prod")
        else:
            assert (call["status"], call["attrs"]["reason"]) == ("rejected", "not on a Friday")
            assert "result" not in call["attrs"]
        assert trace["status"] == "completed" and trace["answer"].startswith("outcome:")
        totals = trace["totals"]
        assert 0 <= totals["ttft"] <= totals["duration"], totals
        assert "running" not in render_html(trace)
    assert ran == (["prod"] if decision == "approve" else [])
    assert done.metrics.ttft <= done.metrics.duration  # the RunOutput's metrics agree


# ------------------------------------------------------------------------------ model input/output


def test_model_spans_show_what_was_sent_and_what_came_back(store):
    agent = Agent(name="calc", instructions="You add numbers carefully.", db=store, tools=[search],
                  model=ScriptedModel([tool_call("search", query="2+2"), "It is 4."]))
    out = agent.run("what is 2+2?", session_id="s1")
    first, _, second = live(out)["root"]["children"]
    assert [m["role"] for m in first["attrs"]["sent"]] == ["system", "user"]
    assert "You add numbers carefully." in first["attrs"]["sent"][0]["text"]
    assert first["attrs"]["sent"][1]["text"] == "what is 2+2?" and first["attrs"]["earlier"] == 0
    assert first["attrs"]["reply"]["tool_calls"] == ['search({"query": "2+2"})']
    # the second request: only what is new since the first (the assistant's call, the tool result)
    assert [m["role"] for m in second["attrs"]["sent"]] == ["assistant", "tool"]
    assert second["attrs"]["sent"][1]["text"] == "results for 2+2" and second["attrs"]["earlier"] == 2
    assert second["attrs"]["reply"] == {"role": "assistant", "text": "It is 4."}

    # stored: the run row keeps this run's messages once; the system prompt is not stored with the run
    first_s, _, second_s = stored(out, store)["root"]["children"]
    assert [m["role"] for m in first_s["attrs"]["sent"]] == ["user"] and first_s["attrs"]["not_stored"] == 1
    assert first_s["attrs"]["reply"]["tool_calls"] == ['search({"query": "2+2"})']
    assert second_s["attrs"]["sent"] == second["attrs"]["sent"] and second_s["attrs"]["reply"] == second["attrs"]["reply"]
    html = render_html(live(out))
    assert "You add numbers carefully." in html and "results for 2+2" in html and "search({&quot;query" in html
    assert "prompt</span> what is 2+2?" in html

    # the next run of the session: history counts as sent before, not repeated on every span
    out2 = Agent(name="calc", instructions="You add numbers carefully.", db=store, add_history_to_context=True,
                 model=ScriptedModel(["Still 4."])).run("and now?", session_id="s1")
    [only] = live(out2)["root"]["children"]
    assert [m["role"] for m in only["attrs"]["sent"]] == ["system", "user", "assistant", "tool", "assistant", "user"]
    assert stored(out2, store)["root"]["children"][0]["attrs"]["not_stored"] == 5


def test_event_rows_keep_message_positions_not_copies(store):
    agent = Agent(name="big", db=store, model=ScriptedModel(["ok"]),
                  instructions="x" * 5000)
    out = agent.run("hi")
    rows = store.get_events(out.run_id)
    started = next(r for r in rows if r["type"] == "ModelRequestStarted")
    assert started["payload"]["message_count"] == 2 and started["payload"]["own_from"] == 1
    assert max(len(json.dumps(r["payload"])) for r in rows) < 400  # the 5,000-character prompt is not copied
