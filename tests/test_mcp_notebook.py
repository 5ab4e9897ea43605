"""The notebook's MCP options in a real IPython shell: ``%%agent --mcp`` and ``%agno mcp list``."""

from __future__ import annotations

import atexit

import pytest
from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell
from IPython.utils.capture import capture_output
from mcp_servers import fault_command
from traitlets.config import Config

from agno_nb import ScriptedModel
from agno_nb.models.scripts import text, tool_call


@pytest.fixture
def shell(tmp_path, monkeypatch):
    import sys

    from agno_nb import storage

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("AGNO_NB_DB", raising=False)
    monkeypatch.setattr(storage, "_default", None)
    monkeypatch.setitem(sys.modules, "__main__", sys.modules["__main__"])
    config = Config()
    config.HistoryManager.enabled = False
    InteractiveShell.clear_instance()
    sh = InteractiveShell.instance(config=config)
    atexit.unregister(sh.atexit_operations)
    assert sh.run_cell("%load_ext agno_nb").success
    try:
        yield sh
    finally:
        from agno_nb.notebook.live import live_trace_factory
        from agno_nb.observe import remove_run_observer

        remove_run_observer(live_trace_factory)
        store, storage._default = storage._default, None
        if store is not None:
            store.close()
        InteractiveShell.clear_instance()


def run(sh, code):
    with capture_output() as captured:
        result = sh.run_cell(code)
    return result, captured


def test_agent_magic_with_mcp_servers_and_mcp_list(shell):
    shell.push({"m": ScriptedModel([tool_call("echo", text="from a cell"), text("done")])})
    result, captured = run(shell, f'%%agent helper --model m --mcp "{fault_command()}"\nUse the fault server.')
    assert result.success, (result.error_in_exec, captured.stderr)
    agent = shell.user_ns["helper"]
    assert "echo" in agent.functions  # connected while the cell ran
    assert "echo(" in captured.outputs[0].data["text/plain"]  # the card lists the server's tools
    result, _ = run(shell, "%ask helper say it")
    assert result.success and shell.user_ns["_"].tools[0].result == "from a cell"
    result, _ = run(shell, "%agno mcp list helper")
    table = result.result
    assert set(table["kind"]) == {"tool", "tool (skipped)", "prompt", "resource"}
    assert table[table["kind"] == "prompt"]["name"].tolist() == ["greet"]
    assert "integr" in table[table["name"] == "malformed"]["description"].iloc[0]
    agent.tools[0].close()


@pytest.mark.parametrize(("code", "expected"), [
    ('%%agent a --model m --mcp "no-such-mcp-server"\nx', "'no-such-mcp-server' was not found on PATH"),
    ("%%agent a --model m --mcp http://127.0.0.1:9/mcp\nx", "connection refused"),
    ("%agno mcp list", "name an agent"),
    ("%agno mcp list plain", "has no MCP tools"),
    ("%agno mcp show plain", "%agno mcp list NAME"),
])
def test_bad_mcp_input_is_one_usage_error_line(shell, code, expected):
    shell.push({"m": ScriptedModel(["ok"], cycle=True)})
    assert run(shell, "%%agent plain --model m\nhi")[0].success
    result, captured = run(shell, code)
    assert isinstance(result.error_in_exec, UsageError), (result.error_in_exec, captured.stderr)
    assert expected in str(result.error_in_exec) and "Traceback" not in captured.stderr
    assert "a" not in shell.user_ns
