"""The live trace display in a real IPython shell: one display per run, a live widget while it works
(updates throttled with a trailing edge, so what runs now is on screen), static HTML once it ends,
approval controls that continue the run in the same display, and ``_`` as IPython sets it.

The same behaviour in a real JupyterLab page is in test_browser.py.
"""

from __future__ import annotations

import json
import os
import signal
import threading
import time

import pytest
from IPython.utils.capture import capture_output

from agno_nb import Agent, ScriptedModel, tool
from agno_nb.models.scripts import text, tool_call
from agno_nb.notebook import live
from agno_nb.traces.fold import MIME_TYPE
from agno_nb.run_events import RunContentDelta, RunOutput
from test_notebook import WIDGET_MIME, button, cell, live_outputs, shell, walk, widgets_in  # noqa: F401

ipywidgets = pytest.importorskip("ipywidgets")
pytest.importorskip("anywidget")

STATIC = {MIME_TYPE, "text/html", "text/plain"}


def add(a: int, b: int = 1) -> int:
    """Add two numbers.

    Args:
        a: first
        b: second
    """
    return a + b


def _one_display(captured) -> list:
    outputs = live_outputs(captured)
    assert len({o.transient["display_id"] for o in outputs}) == 1, outputs
    assert len(outputs) == len(captured.outputs)  # nothing else is displayed
    return outputs


# ------------------------------------------------------------------------------------ live runs


@pytest.mark.parametrize("options", ["", " --no-stream"])
def test_a_run_is_one_display_live_widget_first_static_trace_last(shell, options):
    shell.push({"m": ScriptedModel([tool_call("add", a=1), "done"]), "add": add})
    cell(shell, "%%agent helper --model m --tools add\nhi")
    captured = cell(shell, f"%%ask helper{options}\ngo")
    first, *_, last = _one_display(captured)
    assert first.update is False and last.update is True
    assert WIDGET_MIME in first.data and "text/html" in first.data  # live: the widget, static HTML as fallback
    assert set(last.data) == STATIC  # what the notebook saves: no widget
    assert last.data["text/plain"].startswith("[completed] helper: 2 model request(s), 1 tool call(s)")
    assert last.data[MIME_TYPE]["answer"] == "done"
    assert first.data[WIDGET_MIME]["model_id"] not in ipywidgets.widgets.widget._instances  # closed at the end


def test_updates_are_throttled_and_the_last_state_always_shows(shell, monkeypatch):
    answer = " ".join(f"w{i}" for i in range(2000))
    shell.push({"m": ScriptedModel([text(answer)])})
    cell(shell, "%%agent helper --model m\nhi")
    traces = []
    original = live.LiveTrace.__init__

    def keep(self, *args, **kwargs):
        original(self, *args, **kwargs)
        traces.append(self)

    monkeypatch.setattr(live.LiveTrace, "__init__", keep)
    captured = cell(shell, "%%ask helper -o res\nTalk a lot.")
    out = shell.user_ns["res"]
    assert len(list(out.iter_events(RunContentDelta))) == 2000
    [trace] = traces
    assert 1 <= trace.updates < 100
    final = live_outputs(captured)[-1].data
    assert final[MIME_TYPE]["status"] == "completed" and final[MIME_TYPE]["answer"] == answer
    assert final[MIME_TYPE]["events"] == len(out.events) and "w1999" in final["text/html"]


def test_a_tool_call_in_flight_is_on_screen_within_the_interval(shell):
    """The tool starts right after the model's answer (well inside one interval), then works for a
    while: the trailing update must show it running before it returns."""
    seen: list[str] = []

    def slow(run_context) -> str:
        """Take a while."""
        trace = live._live[run_context.run_id]
        time.sleep(trace.interval * 3)
        seen.append(trace._widget.html)
        return "finished"

    shell.push({"m": ScriptedModel([tool_call("slow"), "ok"]), "slow": slow})
    cell(shell, "%%agent helper --model m --tools slow\nhi")
    cell(shell, "%ask helper go")
    [html] = seen
    assert "⚙ <b>slow</b>" in html and ">running<" in html and "running…" in html


def test_run_output_shows_nothing_twice_when_its_trace_was_live(shell):
    shell.push({"m": ScriptedModel(["done"])})
    cell(shell, "%%agent helper --model m\nhi")
    cell(shell, "%%ask helper -o res\ngo")
    out = shell.user_ns["res"]
    data, _ = shell.display_formatter.format(out)
    assert data == {"text/plain": repr(out)}


def test_run_output_renders_its_trace_when_made_without_the_extension():
    from agno_nb.observe import _factories

    assert live.live_trace_factory not in _factories
    out = Agent(name="plain", model=ScriptedModel(["**done**"])).run("go")
    bundle = out._repr_mimebundle_()
    assert set(bundle) == STATIC
    assert bundle[MIME_TYPE]["run_id"] == out.run_id and "<strong>done</strong>" in bundle["text/html"]


def test_underscore_is_the_last_cells_result_as_ipython_sets_it(shell):
    shell.push({"m": ScriptedModel(["done"], cycle=True)})
    cell(shell, "%%agent helper --model m\nhi")
    cell(shell, "%ask helper go", history=True)
    out = shell.user_ns["_"]
    assert isinstance(out, RunOutput)
    cell(shell, "40 + 2", history=True)
    assert shell.user_ns["_"] == 42 and shell.user_ns["__"] is out
    cell(shell, "%ask helper again", history=True)
    assert isinstance(shell.user_ns["_"], RunOutput) and shell.user_ns["__"] == 42


# ------------------------------------------------------------------------------ approvals


@pytest.fixture
def janitor(shell):
    """An agent whose tool needs confirmation, and its paused run's display."""
    ran: list[str] = []

    @tool(requires_confirmation=True)
    def delete(path: str, note: str = "") -> str:
        """Delete a file."""
        ran.append(path)
        return f"deleted {path}"

    def respond(messages, tools):
        seen.append([dict(m) for m in messages])
        if messages[-1]["role"] == "tool":
            return text(f"done: {messages[-1]['content']}")
        return tool_call("delete", path="/tmp/x", note="line one\nline two")

    seen: list[list[dict]] = []
    shell.push({"m": ScriptedModel(respond), "delete": delete})
    cell(shell, "%%agent janitor --model m --tools delete\nClean up.")
    captured = cell(shell, "%%ask janitor -o res\nDelete /tmp/x")
    assert shell.user_ns["res"].status == "paused"
    outputs = _one_display(captured)
    paused = outputs[-1].data
    assert paused["text/plain"].startswith("[paused] janitor") and WIDGET_MIME in paused
    [box] = widgets_in(captured)[-1:]
    return box, ran, seen, outputs[0].transient["display_id"]


def test_approve_and_continue_finish_in_the_same_display_and_update_the_output(shell, janitor):
    box, ran, seen, display_id = janitor
    go = button(box, "Continue run")
    assert go.disabled
    [args] = [w for w in walk(box) if isinstance(w, ipywidgets.Textarea)]
    assert json.loads(args.value) == {"path": "/tmp/x", "note": "line one\nline two"}
    assert args.rows >= 4  # sized to its content
    assert not [w for w in walk(box) if isinstance(w, ipywidgets.HTML) and "confirm()" in w.value]
    button(box, "Approve").click()
    assert not go.disabled
    assert any(isinstance(w, ipywidgets.HTML) and "approved" in w.value for w in walk(box))
    with capture_output() as captured:
        go.click()
    assert ran == ["/tmp/x"]
    updates = captured.outputs
    assert updates and all(o.update and o.transient["display_id"] == display_id for o in updates)
    final = updates[-1].data
    assert set(final) == STATIC
    trace = final[MIME_TYPE]
    assert trace["status"] == "completed" and trace["answer"] == "done: deleted /tmp/x"
    [call] = [c for c in trace["root"]["children"] if c["kind"] == "tool"]
    assert (call["status"], call["attrs"]["decision"], call["attrs"]["result"]) == ("ok", "confirmed",
                                                                                  "deleted /tmp/x")
    assert "line one\nline two" in final["text/html"]  # multi-line arguments keep their lines
    res = shell.user_ns["res"]  # the cell's RunOutput is now the whole run's
    assert res.status == "completed" and res.content == "done: deleted /tmp/x"
    assert [t.tool_name for t in res.tools] == ["delete"] and res.tools[0].result == "deleted /tmp/x"
    run = shell.user_ns["janitor"].store().get_run(res.run_id)
    assert run.status == "completed" and run.content == "done: deleted /tmp/x"
    assert box.comm is None  # the controls are closed: no kernel state left behind


def test_edited_arguments_are_used_when_approving(shell, janitor):
    box, ran, _, _ = janitor
    [args] = [w for w in walk(box) if isinstance(w, ipywidgets.Textarea)]
    args.value = json.dumps({"path": "/tmp/y"})
    button(box, "Approve").click()
    with capture_output():
        button(box, "Continue run").click()
    assert ran == ["/tmp/y"]


def test_reject_with_a_reason_reaches_the_model_and_the_final_trace(shell, janitor):
    box, ran, seen, display_id = janitor
    [reason] = [w for w in walk(box) if isinstance(w, ipywidgets.Text) and not isinstance(w, ipywidgets.Textarea)]
    reason.value = "too risky"
    button(box, "Reject").click()
    assert any(isinstance(w, ipywidgets.HTML) and "rejected: too risky" in w.value for w in walk(box))
    with capture_output() as captured:
        button(box, "Continue run").click()
    assert ran == []
    assert seen[-1][-1]["content"] == "The user rejected this tool call: too risky"
    final = captured.outputs[-1]
    assert final.transient["display_id"] == display_id and set(final.data) == STATIC
    [call] = [c for c in final.data[MIME_TYPE]["root"]["children"] if c["kind"] == "tool"]
    assert (call["status"], call["attrs"]["reason"]) == ("rejected", "too risky")
    assert shell.user_ns["res"].status == "completed"


def test_continuing_from_code_in_another_cell_settles_the_first_display(shell, janitor):
    box, ran, _, display_id = janitor
    shell.user_ns["res"].requirements[0].confirm()
    captured = cell(shell, "done = janitor.continue_run(res)")
    assert ran == ["/tmp/x"] and shell.user_ns["done"].ok
    retired = [o for o in captured.outputs if o.transient.get("display_id") == display_id]
    assert retired and set(retired[-1].data) == STATIC
    assert "continued in a later cell" in retired[-1].data["text/html"]
    assert box.comm is None  # no live-looking controls left
    here = [o for o in captured.outputs if o.transient.get("display_id") != display_id]
    final = here[-1].data[MIME_TYPE]
    assert final["status"] == "completed" and [c["kind"] for c in final["root"]["children"]] == [
        "model", "tool", "model"]  # the whole run, not just its continuation


def test_a_failing_continue_is_one_line_on_the_controls(shell, janitor):
    box, ran, _, _ = janitor
    button(box, "Approve").click()
    shell.user_ns["janitor"].continue_run(shell.user_ns["res"])  # continued elsewhere first
    with capture_output():
        button(box, "Continue run").click()
    statuses = [w.value for w in walk(box) if isinstance(w, ipywidgets.HTML) and "already" in w.value]
    assert ran == ["/tmp/x"]  # once
    assert statuses == [] or "\n" not in statuses[0]


# ------------------------------------------------------------------------------------ stop


def test_the_stop_button_is_one_line_and_the_run_is_stored_cancelled(shell):
    started = threading.Event()

    def slow() -> str:
        """Take long."""
        started.set()
        time.sleep(1.5)
        return "late"

    def stop_when_started() -> None:
        started.wait(10)
        os.kill(os.getpid(), signal.SIGINT)

    shell.push({"m": ScriptedModel([tool_call("slow"), "never"]), "slow": slow})
    cell(shell, "%%agent helper --model m --tools slow\nhi")
    threading.Thread(target=stop_when_started, daemon=True).start()
    with capture_output() as captured:
        result = shell.run_cell("%%ask helper -o res\ngo")
    assert isinstance(result.error_in_exec, KeyboardInterrupt)
    shown = (captured.stdout + captured.stderr).strip()
    assert "Traceback" not in shown and shown.count("\n") == 0 and "run cancelled" in shown, shown
    final = live_outputs(captured)[-1].data
    assert final[MIME_TYPE]["status"] == "cancelled"
    store = shell.user_ns["helper"].store()
    [run] = store.list_runs()
    assert run.status == "cancelled"
