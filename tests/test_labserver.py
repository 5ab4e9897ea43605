"""The JupyterLab extension's Python side without a browser: what the server routes read from a notebook's
store (real DuckDB files, shared with a "kernel" store in this process and with another process), the
kernel channel's component list, and decisions sent from the sidebar continuing a paused run by id.
"""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from agno_nb import Agent, ScriptedModel, Team, tool
from agno_nb.errors import ConfigurationError
from agno_nb.labserver.store_view import notebook_store_path, pending_approvals, run_trace, summary
from agno_nb.models.scripts import text, tool_call, tool_calls
from agno_nb.notebook import lab
from agno_nb.storage import NotFoundError, StoreLockedError
from agno_nb.storage.duckdb import DuckDBStore


def _support(store, turns=None):
    @tool(requires_confirmation=True)
    def cancel_order(order_id: str) -> str:
        """Cancel an order."""
        return f"{order_id} cancelled"

    return Agent(name="support", tools=[cancel_order], db=store, model=ScriptedModel(turns or
        [tool_calls(("cancel_order", {"order_id": "A-1"}), ("cancel_order", {"order_id": "A-3"})),
         text("A-1 is cancelled; A-3 was not.")]))


def test_the_notebook_store_is_named_like_load_ext_names_it_and_stays_in_the_root(tmp_path):
    assert notebook_store_path(str(tmp_path), "work/q3.ipynb") == str(tmp_path / "work" / "q3.agno.duckdb")
    with pytest.raises(ConfigurationError, match="outside the server's root"):
        notebook_store_path(str(tmp_path), "../elsewhere.ipynb")
    with pytest.raises(ConfigurationError, match="not a notebook"):
        notebook_store_path(str(tmp_path), "data.csv")


def test_summary_lists_sessions_top_level_runs_and_pending_approvals(tmp_path):
    path = str(tmp_path / "nb.agno.duckdb")
    assert summary(path) == {"store": path, "exists": False, "sessions": [], "runs": [], "approvals": []}
    kernel = DuckDBStore(path, shared=True)  # the kernel's store, holding the file
    researcher = Agent(name="researcher", db=kernel, model=ScriptedModel([text("Paris is sunny.")]))
    desk = Team(name="desk", members=[researcher], db=kernel, model=ScriptedModel(
        [tool_call("delegate_task_to_member", member_id="researcher", task="Weather in Paris"), text("Sunny.")]))
    done = desk.run("Weather in Paris?", session_id="s1")
    paused = _support(kernel).run("Cancel A-1 and A-3", session_id="s2", user_id="ana")
    assert paused.status == "paused"

    found = summary(path)  # read while the kernel's store holds the file: it hands it over
    assert found["exists"] is True
    assert [r["run_id"] for r in found["runs"]] == [paused.run_id, done.run_id]  # the member's run is nested
    assert found["runs"][1]["component_name"] == "desk" and found["runs"][1]["status"] == "completed"
    assert found["runs"][1]["metrics"]["input_tokens"] > 0
    assert {s["session_id"] for s in found["sessions"]} == {"s1", "s2"}
    [approval] = found["approvals"]
    assert approval["run_id"] == paused.run_id and approval["component_name"] == "support"
    assert approval["user_id"] == "ana" and approval["input"] == "Cancel A-1 and A-3"
    assert [r["arguments"] for r in approval["requirements"]] == [{"order_id": "A-1"}, {"order_id": "A-3"}]
    assert pending_approvals(kernel) == found["approvals"]

    trace = run_trace(path, done.run_id)
    assert trace["agent"] == "desk" and trace["stored"] is True and trace["version"] == 1
    kinds = [c["kind"] for c in trace["root"]["children"]]
    assert "tool" in kinds
    with pytest.raises(NotFoundError):
        run_trace(path, "no-such-run")
    kernel.close()


def test_a_store_held_by_a_process_that_does_not_share_is_one_message(tmp_path):
    path = tmp_path / "held.agno.duckdb"
    holder = subprocess.Popen([sys.executable, "-c", "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); "
                               "print('ready', flush=True); time.sleep(60)", str(path)],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "ready"
        started = time.monotonic()
        with pytest.raises(StoreLockedError) as caught:
            summary(str(path))
        message = str(caught.value)
        assert f"process {holder.pid}" in message and "shared=True" in message
        assert "\n" not in message
        assert time.monotonic() - started < 15
    finally:
        holder.kill()
        holder.wait(timeout=10)


def test_components_lists_agents_teams_and_workflows_by_type():
    from agno_nb import Workflow

    def lookup(city: str) -> str:
        """Look up."""
        return city

    analyst = Agent(name="analyst", tools=[lookup], model=ScriptedModel([text("ok")], id="scripted/a"))
    desk = Team(name="desk", members=[analyst], model=ScriptedModel([text("ok")]))
    flow = Workflow(name="flow", steps=[analyst])
    found = lab.components({"analyst": analyst, "desk": desk, "flow": flow, "_hidden": analyst, "x": 3,
                            "Agent": Agent})
    assert [(c["name"], c["kind"]) for c in found] == [("analyst", "agent"), ("desk", "team"), ("flow", "workflow")]
    assert found[0]["tools"] == ["lookup"] and found[0]["model"] == "scripted/a"
    assert found[1]["members"] == ["analyst"] and found[2]["steps"] == ["step:analyst"]


def test_decisions_from_the_sidebar_continue_a_run_paused_in_an_earlier_kernel(tmp_path):
    store = DuckDBStore(str(tmp_path / "nb.agno.duckdb"), shared=True)
    paused = _support(store).run("Cancel A-1 and A-3", user_id="ana")
    first, second = (r.tool_call_id for r in paused.requirements)
    # the notebook re-ran the cell defining it (a new kernel, say); its model picks up after the pause
    support = _support(store, [text("A-1 is cancelled; A-3 was not.")])
    namespace = {"support": support}
    assert [a["run_id"] for a in lab.approvals(namespace, store)["approvals"]] == [paused.run_id]

    with pytest.raises(ConfigurationError, match="Decide every waiting call"):
        lab.decide(namespace, paused.run_id, [{"tool_call_id": first, "action": "approve"}])
    with pytest.raises(ConfigurationError, match="No pending call"):
        lab.decide(namespace, paused.run_id, [{"tool_call_id": "nope", "action": "approve"}])
    with pytest.raises(ConfigurationError, match="not defined in this kernel"):
        lab.decide({"other": Agent(name="other", db=store, model=ScriptedModel([text("x")]))}, paused.run_id,
                   [{"tool_call_id": first, "action": "approve"}])

    status = lab.decide(namespace, paused.run_id, [
        {"tool_call_id": first, "action": "approve"},
        {"tool_call_id": second, "action": "reject", "reason": "already shipped"}])
    assert status == "completed"
    run = store.get_run(paused.run_id)
    assert run.status == "completed" and "A-1 is cancelled" in str(run.content)
    assert lab.approvals(namespace, store)["approvals"] == []
    with pytest.raises(ConfigurationError, match="not waiting for a decision"):
        lab.decide(namespace, paused.run_id, [{"tool_call_id": first, "action": "approve"}])
    store.close()


def test_the_renderer_flag_comes_from_the_server_that_started_the_kernel(monkeypatch):
    monkeypatch.delenv(lab.LAB_ENV, raising=False)
    assert lab.renderer_present() is False
    monkeypatch.setenv(lab.LAB_ENV, "1")
    assert lab.renderer_present() is True


def test_importing_the_server_extension_is_light():
    code = ("import sys, agno_nb.labserver as s; print(s._jupyter_server_extension_points()); "
            "heavy = [m for m in ('duckdb', 'pandas', 'litellm', 'tornado', 'jupyter_server') if m in sys.modules]; "
            "print(heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert out.stdout.splitlines() == ["[{'module': 'agno_nb.labserver'}]", "[]"]
