"""Stopping runs: the notebook's Stop button (SIGINT while a cell waits on a run), Ctrl-C in scripts,
and tool threads that outlive their run (a timeout, a cancellation) without keeping the process alive."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time

import pytest

from agno_nb import Agent, ScriptedModel
from agno_nb._sync import RunInterrupted
from agno_nb.models.scripts import text, tool_call
from agno_nb.run_events import RunCancelled
from agno_nb.storage.duckdb import DuckDBStore

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _interrupt_when(condition, timeout: float = 10.0) -> threading.Thread:
    """SIGINT to this process once ``condition()`` holds: what the kernel does on Stop."""
    def watch() -> None:
        end = time.monotonic() + timeout
        while not condition() and time.monotonic() < end:
            time.sleep(0.005)
        os.kill(os.getpid(), signal.SIGINT)

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    return thread


def test_stop_in_a_notebook_ends_the_run_at_once_as_cancelled(tmp_path):
    """As in a cell: the calling thread runs an event loop, so the run goes to agno_nb's background loop
    and the cell waits for it; Stop interrupts that wait."""
    started, finished, model_calls, seen_cancel = threading.Event(), threading.Event(), [], []

    def slow(run_context, seconds: float) -> str:
        """Work for a while."""
        started.set()
        for _ in range(int(seconds / 0.01)):
            if run_context.cancelled:  # the opt-in: a long tool can stop early
                seen_cancel.append(True)
                break
            time.sleep(0.01)
        finished.set()
        return "slept"

    def respond(messages, tools):
        model_calls.append(len(messages))
        return tool_call("slow", seconds=3.0) if messages[-1]["role"] != "tool" else text("done")

    store = DuckDBStore(tmp_path / "stop.duckdb")
    agent = Agent(name="sleeper", model=ScriptedModel(respond), tools=[slow], db=store)
    outcome = {}

    async def cell() -> None:
        _interrupt_when(started.is_set)
        try:
            agent.run("go", run_id="stopped-run", session_id="s")
        except RunInterrupted as exc:
            outcome["error"] = exc
        outcome["stored"] = store.get_run("stopped-run")  # right after the wait returned
        outcome["tool_done_at_return"] = finished.is_set()

    loop = asyncio.new_event_loop()
    try:
        loop.run_until_complete(cell())
    finally:
        loop.close()
    assert str(outcome["error"]) == "run cancelled" and isinstance(outcome["error"], KeyboardInterrupt)
    run = outcome["stored"]
    assert run is not None and run.status == "cancelled"
    types = [e["type"] for e in store.get_events("stopped-run")]
    assert types[-1] == "RunCancelled" and "ToolCallCompleted" not in types
    finished.wait(5)
    assert seen_cancel == [True]  # the tool saw the flag and stopped early
    time.sleep(0.1)
    assert len(model_calls) == 1  # no model call after the stop
    assert store.get_run("stopped-run").status == "cancelled"
    store.close()


def test_ctrl_c_in_a_script_cancels_the_run_and_stores_it():
    calls = []

    def respond(messages, tools):
        calls.append(1)
        if len(calls) == 1:
            _interrupt_when(lambda: True)
            return text("never seen", delay=2.0)
        return text("again")

    store = DuckDBStore(":memory:")
    agent = Agent(model=ScriptedModel(respond), db=store)
    with pytest.raises(KeyboardInterrupt):
        agent.run("go", run_id="script-run")
    assert store.get_run("script-run").status == "cancelled"
    assert calls == [1]
    events = [e["type"] for e in store.get_events("script-run")]
    assert events[0] == "RunStarted" and events[-1] == "RunCancelled"


_SCRIPT = """
import sys, time
sys.path.insert(0, {root!r})
from agno_nb import Agent, ScriptedModel, tool
from agno_nb.models.scripts import text, tool_call

@tool(timeout=0.2)
def stuck() -> str:
    \"\"\"Never returns in time.\"\"\"
    print("tool started", flush=True)
    time.sleep(60)
    return "late"

agent = Agent(model=ScriptedModel([tool_call("stuck"), text("gave up")]), tools=[stuck])
out = agent.run("go")
print(out.status, out.tools[0].error, flush=True)
{tail}
"""


def _python(tail: str) -> subprocess.Popen:
    code = textwrap.dedent(_SCRIPT).format(root=ROOT, tail=tail)
    return subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, start_new_session=True)


def _wait_or_kill(proc: subprocess.Popen, seconds: float) -> tuple[str, str]:
    try:
        return proc.communicate(timeout=seconds)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        pytest.fail(f"the process did not exit (the tool thread sleeps 60 s):\n{out}\n{err}")


def test_a_timed_out_tool_thread_does_not_keep_the_interpreter_alive():
    proc = _python("print('exiting', flush=True)")
    out, err = _wait_or_kill(proc, 30)
    assert proc.returncode == 0, err
    assert "completed the tool stuck timed out after 0.2s" in out and "exiting" in out


def test_ctrl_c_while_a_timed_tool_runs_leaves_a_process_that_exits():
    # a second run whose tool (timeout 30 s) sleeps 60 s: Ctrl-C while it runs
    proc = _python("agent2 = Agent(model=ScriptedModel([tool_call('stuck'), text('x')]), "
                   "tools=[stuck.replace(timeout=30)])\nagent2.run('again')")
    lines = []
    while len(lines) < 3:  # tool started, the first run's status, tool started again
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(line)
    os.killpg(proc.pid, signal.SIGINT)
    out, err = _wait_or_kill(proc, 30)
    assert "RunInterrupted: run cancelled" in err or "KeyboardInterrupt" in err, err
    assert proc.returncode != 0
