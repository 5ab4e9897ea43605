"""Edge cases found in review: interrupts, nested sync streams, store failures, pauses at the limit."""

from __future__ import annotations

import _thread
import asyncio
import threading
import time

import pytest

from agno_nb import Agent, DuckDBStore, ScriptedModel, tool
from agno_nb.errors import ConfigurationError
from agno_nb.models.scripts import text, tool_call, tool_calls
from agno_nb.run_events import RunContentDelta, RunStatus


def test_ctrl_c_cancels_a_sync_run_instead_of_leaving_it_to_resume_later():
    ran = []

    async def slow_side_effect() -> str:
        """Slow."""
        await asyncio.sleep(0.5)
        ran.append("side effect")
        return "done"

    agent = Agent(model=ScriptedModel([tool_call("slow_side_effect"), text("ok")], cycle=True),
                  tools=[slow_side_effect])
    timer = threading.Timer(0.15, _thread.interrupt_main)
    timer.start()
    with pytest.raises(KeyboardInterrupt):
        agent.run("go")
    # The next runs on this thread must not finish the interrupted one.
    quick = Agent(model=ScriptedModel(["hi"], cycle=True))
    quick.run("a")
    quick.run("b")
    time.sleep(0.6)
    quick.run("c")
    assert ran == []


def test_a_sync_tool_can_stream_another_agent_from_the_background_loop():
    inner = Agent(name="inner", model=ScriptedModel(["one two three"], cycle=True))

    def ask_inner(question: str) -> str:
        """Ask the inner agent, streaming."""
        events = list(inner.run(question, stream=True))
        return "".join(e.content for e in events if isinstance(e, RunContentDelta)) + f" [{events[-1].type}]"

    outer = Agent(model=ScriptedModel([tool_call("ask_inner", question="q"), text("ok")], cycle=True),
                  tools=[ask_inner])

    async def cell():  # as in a notebook: the outer run goes to the background loop
        return outer.run("go")

    out = asyncio.run(cell())
    assert out.tools[0].result == "one two three [RunCompleted]"


def test_a_run_id_already_used_is_refused_before_the_run(tmp_path):
    store = DuckDBStore(tmp_path / "a.duckdb")
    model = ScriptedModel(["first", "second"])
    agent = Agent(model=model, db=store)
    agent.run("one", run_id="same-id")
    with pytest.raises(ConfigurationError, match="run_id 'same-id' is already used"):
        agent.run("two", run_id="same-id")  # the run row cannot be written twice: say so before running
    assert store.get_run("same-id").content == "first"


def test_thread_loops_of_finished_threads_are_closed():
    from agno_nb import _sync

    agent = Agent(model=ScriptedModel(["hi"], cycle=True))
    for _ in range(20):
        thread = threading.Thread(target=agent.run, args=("x",))
        thread.start()
        thread.join()
    agent.run("one more from this thread")
    threading.Thread(target=agent.run, args=("x",)).start()
    time.sleep(0.2)
    assert len(_sync._thread_loops) <= 3


def test_memory_store_works_again_after_close():
    store = DuckDBStore(":memory:")
    store.get_session("s")
    store.close()
    assert store.get_session("s") is None  # a fresh, migrated database


# ---------------------------------------------------------------------------------------- pauses


@tool(requires_confirmation=True)
def danger(x: str) -> str:
    """Needs a person."""
    return f"danger {x}"


@tool(show_result=True)
def shown(x: str) -> str:
    """Shown to the user."""
    return f"SHOWN {x}"


@tool(stop_after_tool_call=True)
def stopper(x: str) -> str:
    """Ends the run."""
    return f"STOP {x}"


def free(x: str) -> str:
    """Needs nobody."""
    return f"free {x}"


def test_a_pause_in_the_turn_that_hits_the_limit_ends_limit_reached():
    model = ScriptedModel([tool_calls(("danger", {"x": "1"}), ("free", {"x": "2"}), ("free", {"x": "3"})),
                           text("never asked")])
    agent = Agent(model=model, tools=[danger, free], tool_call_limit=2)
    out = agent.run("go")
    assert out.status == RunStatus.PAUSED
    out.requirements[0].confirm()
    done = agent.continue_run(out)
    assert done.status == RunStatus.LIMIT_REACHED
    assert done.metrics.model_requests == 1  # the model was not asked again


def test_show_result_and_stop_after_survive_a_pause_in_the_same_turn():
    agent = Agent(model=ScriptedModel([tool_calls(("danger", {"x": "1"}), ("shown", {"x": "2"})),
                                       text("final answer")]), tools=[danger, shown])
    out = agent.run("go")
    out.requirements[0].confirm()
    assert agent.continue_run(out).content == "SHOWN 2\n\nfinal answer"

    agent = Agent(model=ScriptedModel([tool_calls(("danger", {"x": "1"}), ("stopper", {"x": "2"})),
                                       text("never asked")]), tools=[danger, stopper])
    out = agent.run("go")
    out.requirements[0].confirm()
    done = agent.continue_run(out)
    assert done.content == "STOP 2" and done.status == RunStatus.COMPLETED


def test_continuing_keeps_state_other_runs_wrote_meanwhile(tmp_path):
    @tool(requires_confirmation=True)
    def count(session_state: dict) -> str:
        """Count."""
        session_state["danger_runs"] = session_state.get("danger_runs", 0) + 1
        return "counted"

    def remember(session_state: dict) -> str:
        """Remember."""
        session_state["x"] = 42
        return "ok"

    store = DuckDBStore(tmp_path / "s.duckdb")
    pausing = Agent(model=ScriptedModel([tool_call("count"), text("done")]), tools=[count], db=store)
    other = Agent(model=ScriptedModel([tool_call("remember"), text("ok")]), tools=[remember], db=store)
    out = pausing.run("go", session_id="s1")
    other.run("meanwhile", session_id="s1")
    out.requirements[0].confirm()
    pausing.continue_run(out)
    assert store.get_session("s1").state == {"x": 42, "danger_runs": 1}


def test_a_paused_run_is_claimed_once_by_id(tmp_path):
    store = DuckDBStore(tmp_path / "c.duckdb")
    agent = Agent(model=ScriptedModel([tool_call("danger", x="1"), text("done")]), tools=[danger], db=store)
    out = agent.run("go", session_id="s1")
    first = agent.get_run_requirements(out.run_id)
    second = agent.get_run_requirements(out.run_id)
    first[0].confirm()
    second[0].confirm()
    assert agent.continue_run(out.run_id, requirements=first).ok
    with pytest.raises((ConfigurationError, KeyError)):
        agent.continue_run(out.run_id, requirements=second)


def test_streamed_text_is_stored_as_one_row_per_model_request(tmp_path):
    store = DuckDBStore(tmp_path / "d.duckdb")
    agent = Agent(model=ScriptedModel([text(" ".join(f"w{i}" for i in range(300)))]), db=store)
    out = None
    events = list(agent.run("go", stream=True))
    out = events[-1].run_id
    rows = store.get_events(out)
    deltas = [r for r in rows if r["type"] == "RunContentDelta"]
    assert len(deltas) == 1 and deltas[0]["payload"]["deltas"] == 300
    assert deltas[0]["payload"]["content"].startswith("w0 w1") and [r["seq"] for r in rows] == list(range(len(rows)))
