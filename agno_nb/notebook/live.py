"""The live trace view: one display per run, updated in place (throttled) while events arrive.

The display is created when the run is planned, in the caller's thread, so it lands in the cell that
started the run even though the run itself may execute on agno_nb's background loop. Updates go by
display id. A paused run also gets Approve / Reject / Edit controls (ipywidgets) that continue it.
"""

from __future__ import annotations

import collections
import json
import time
from typing import Any

from ..run_events import Event, RunCancelled, RunCompleted, RunError, RunPaused
from .trace import TraceView

__all__ = ["LiveTrace", "live_trace_factory", "shown_live", "approval_controls"]

_TERMINAL = (RunCompleted, RunError, RunCancelled, RunPaused)
_shown: collections.deque[str] = collections.deque(maxlen=512)


def shown_live(run_id: str) -> bool:
    """Whether this run's trace is already on screen (so its ``RunOutput`` need not show it again)."""
    return run_id in _shown


class LiveTrace:
    """An observer that renders a run's trace into one notebook display, at most every ``interval`` s."""

    def __init__(self, agent: Any, run_id: str, interval: float = 0.2):
        from IPython.display import display

        self.agent = agent
        self.view = TraceView()
        self.interval = interval
        self.updates = 0
        self._last = 0.0
        self._handle = display({"text/plain": f"agno_nb: starting run {run_id}"}, raw=True, display_id=True)
        _shown.append(run_id)

    def __call__(self, event: Event) -> None:
        self.view.add(event)
        terminal = isinstance(event, _TERMINAL)
        now = time.perf_counter()
        if terminal or now - self._last >= self.interval:
            self._last = now
            self.updates += 1
            self._handle.update(self.view.bundle(), raw=True)
        if isinstance(event, RunPaused):
            approval_controls(self.agent, event)


def live_trace_factory(agent: Any, ref: Any) -> LiveTrace | None:
    """Run observer factory: a live view for runs started from a notebook cell."""
    from IPython import get_ipython

    if get_ipython() is None:  # a script or a worker thread's plain Python: nothing to display into
        return None
    return LiveTrace(agent, ref.run_id)


def approval_controls(agent: Any, event: RunPaused) -> Any:
    """Approve / Reject (with a reason) / Edit-arguments controls that continue the paused run."""
    import ipywidgets as w
    from IPython.display import display

    requirements = event.requirements
    output = w.Output()
    go = w.Button(description="Continue run", button_style="primary", disabled=True)
    rows = []

    def refresh() -> None:
        go.disabled = not all(r.resolved for r in requirements)

    for req in requirements:
        status = w.HTML(f"<i>{req.needs}</i>")
        reason = w.Text(placeholder="reason for rejecting (the model sees it)", layout=w.Layout(width="340px"))
        if req.kind == "external_execution":
            field = w.Textarea(placeholder="result of running the tool yourself", layout=w.Layout(width="520px"))
        elif req.kind == "user_input":
            field = w.Textarea(value=json.dumps({f: "" for f in req.user_input_fields}, indent=1),
                               layout=w.Layout(width="520px"))
        else:
            field = w.Textarea(value=json.dumps(req.arguments, indent=1), layout=w.Layout(width="520px"))
        approve = w.Button(description="Approve" if req.kind != "external_execution" else "Submit result",
                           button_style="success")
        reject = w.Button(description="Reject", button_style="danger")

        def on_approve(_: Any, req=req, field=field, status=status) -> None:
            try:
                if req.kind == "external_execution":
                    req.set_result(field.value)
                elif req.kind == "user_input":
                    req.provide(**json.loads(field.value or "{}"))
                else:
                    req.confirm(**json.loads(field.value or "{}"))
                status.value = f"<b style='color:#1a7f37'>{req.decision}</b>"
            except (ValueError, TypeError) as exc:
                status.value = f"<b style='color:#cf222e'>{exc}</b>"
            refresh()

        def on_reject(_: Any, req=req, reason=reason, status=status) -> None:
            req.reject(reason.value or None)
            status.value = "<b style='color:#cf222e'>rejected</b>"
            refresh()

        approve.on_click(on_approve)
        reject.on_click(on_reject)
        header = w.HTML(f"⏸ <b>{req.tool_name}</b> waits for {req.kind.replace('_', ' ')}")
        rows.append(w.VBox([header, field, w.HBox([approve, reject, reason]), status]))

    def on_go(_: Any) -> None:
        from IPython import get_ipython

        go.disabled = True
        with output:
            result = agent.continue_run(event.paused, requirements=requirements)
        shell = get_ipython()
        if shell is not None:  # the continued run's output, where the notebook looks for the latest one
            shell.user_ns["_"] = result

    go.on_click(on_go)
    box = w.VBox([*rows, go, output])
    display(box)
    return box
