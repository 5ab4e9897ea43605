"""The interactive parts of a run's display: the live trace widget and the approval controls.

Both exist only while a kernel is there to serve them. The display that holds them is replaced by
static HTML once the run ends (``live.py``), so a saved notebook never shows a widget placeholder.

``TraceWidget`` is an anywidget: the kernel sets its ``html`` (the same HTML as the static view) and a
few lines of JavaScript swap it in while keeping every ``<details>`` the user opened or closed, by
span id. Widget state reaches the page from any thread, including while the kernel is busy with the
cell or with a button's callback, which plain ``update_display_data`` inside an Output widget does not.
"""

from __future__ import annotations

import html
import json
from typing import Any, Callable

import anywidget
import ipywidgets as w
import traitlets

__all__ = ["TraceWidget", "ApprovalControls", "widget_bundle"]

_ESM = """
function render({ model, el }) {
  const root = document.createElement("div");
  el.appendChild(root);
  const remember = (id, open) => {
    const toggled = { ...(model.get("toggled") || {}) };
    if (toggled[id] === open) return;
    toggled[id] = open;
    model.set("toggled", toggled);
    model.save_changes();
  };
  const draw = () => {
    const toggled = model.get("toggled") || {};
    root.innerHTML = model.get("html");
    root.querySelectorAll("details[data-span]").forEach((d) => {
      const id = d.dataset.span;
      if (id in toggled) d.open = toggled[id];
      d.addEventListener("toggle", () => remember(id, d.open));
    });
  };
  draw();
  model.on("change:html", draw);
  return () => model.off("change:html", draw);
}
export default { render };
"""


class TraceWidget(anywidget.AnyWidget):
    """The live trace: ``html`` is set by the kernel; ``toggled`` remembers what the user opened."""

    _esm = _ESM
    html = traitlets.Unicode("").tag(sync=True)
    toggled = traitlets.Dict().tag(sync=True)

    def open_spans(self) -> list[str]:
        return [span for span, is_open in (self.toggled or {}).items() if is_open]


def widget_bundle(widget: Any, fallback_html: str, text: str) -> dict[str, Any]:
    """A display bundle showing ``widget``, with static HTML for front ends that cannot show widgets."""
    return {"application/vnd.jupyter.widget-view+json": {"model_id": widget.model_id, "version_major": 2,
                                                          "version_minor": 1},
            "text/html": fallback_html, "text/plain": text}


class ApprovalControls:
    """Approve / Reject (with a reason) / edit arguments for each paused call, and Continue run.

    ``on_continue(requirements)`` is called from the Continue button (the kernel's main thread); the
    controls lock while it runs and show its one-line error if it fails.
    """

    def __init__(self, requirements: list[Any], on_continue: Callable[[list[Any]], None]):
        self.requirements = requirements
        self._on_continue = on_continue
        self.go = w.Button(description="Continue run", button_style="primary", disabled=True,
                           tooltip="Run the approved calls, tell the model about the rejected ones")
        self.status = w.HTML("")
        self._buttons: list[Any] = [self.go]
        rows = [self._row(req) for req in requirements]
        self.go.on_click(self._continue)
        self.box = w.VBox([*rows, w.HBox([self.go, self.status])])

    def _row(self, req: Any) -> Any:
        kind = req.kind.replace("_", " ")
        header = w.HTML(f"⏸ <b>{html.escape(req.tool_name)}</b> waits for {html.escape(kind)}")
        if req.kind == "external_execution":
            value, hint = "", "the result of running the tool yourself"
        elif req.kind == "user_input":
            value, hint = json.dumps({f: "" for f in req.user_input_fields}, indent=2), "the values to fill in"
        else:
            value, hint = json.dumps(req.arguments, indent=2, ensure_ascii=False), "arguments (edit to change)"
        lines = max(3, min(16, value.count("\n") + 1 + sum(len(line) // 70 for line in value.splitlines())))
        field = w.Textarea(value=value, placeholder=hint, rows=lines, layout=w.Layout(width="560px"))
        state = w.HTML("<i>waiting for your decision</i>")
        approve = w.Button(description="Submit result" if req.kind == "external_execution" else "Approve",
                           button_style="success")
        reject = w.Button(description="Reject", button_style="danger")
        reason = w.Text(placeholder="reason for rejecting (the model sees it)", layout=w.Layout(width="340px"))
        self._buttons += [approve, reject]

        def on_approve(_: Any) -> None:
            try:
                if req.kind == "external_execution":
                    req.set_result(field.value)
                elif req.kind == "user_input":
                    req.provide(**json.loads(field.value or "{}"))
                else:
                    req.confirm(**json.loads(field.value or "{}"))
            except (ValueError, TypeError) as exc:
                state.value = f"<b style='color:#e5534b'>{html.escape(_one_line(exc))}</b>"
            else:
                state.value = f"<b style='color:#2da44e'>{html.escape(_decided(req))}</b>"
            self._refresh()

        def on_reject(_: Any) -> None:
            req.reject(reason.value.strip() or None)
            state.value = f"<b style='color:#e5534b'>{html.escape(_decided(req))}</b>"
            self._refresh()

        approve.on_click(on_approve)
        reject.on_click(on_reject)
        return w.VBox([header, w.HTML(f"<span style='opacity:.72'>{html.escape(hint)}</span>"), field,
                       w.HBox([approve, reject, reason]), state])

    def _refresh(self) -> None:
        self.go.disabled = not all(r.decision for r in self.requirements)

    def _continue(self, _: Any) -> None:
        for button in self._buttons:
            button.disabled = True
        self.status.value = "<i>continuing…</i>"
        try:
            self._on_continue(self.requirements)
        except Exception as exc:  # shown on the controls, one line; the run's own failures show in its trace
            self.status.value = f"<b style='color:#e5534b'>{html.escape(_one_line(exc))}</b>"
            return
        self.status.value = "<b style='color:#2da44e'>continued</b>"

    def close(self) -> None:
        for widget in _walk(self.box):
            widget.close()


def _decided(req: Any) -> str:
    if req.decision == "rejected":
        return f"rejected: {req.reason}" if req.reason else "rejected"
    return {"confirmed": "approved", "provided": "input provided", "executed": "result submitted"}.get(
        req.decision, req.decision or "")


def _one_line(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return text.splitlines()[0] if text else text


def _walk(widget: Any):
    yield widget
    for child in getattr(widget, "children", ()):
        yield from _walk(child)
