"""The live trace view: one display per run, live while the run works, static HTML once it ends.

The display is created when the run is planned, in the caller's thread, so it lands in the cell that
started the run even though the run executes on agno_nb's background loop. While the run works, the
display shows a ``TraceWidget`` whose HTML the kernel updates (throttled to one update per ``interval``
with a trailing edge, so the latest state, such as a tool call in flight, is always on screen within
``interval``). When the run ends, the display is replaced (``update_display_data`` by display id,
which JupyterLab and Notebook 7 apply from any thread and from a button's callback) by the static
trace bundle: a saved notebook shows the outcome, no widget placeholder, no kernel needed.

In JupyterLab with agno_nb's extension (its server extension tells the kernels it starts, see
``notebook/lab.py``) the live view is the trace bundle itself, replaced by display id at the same pace:
the extension's renderer keeps what the reader opened across updates, so no widget is needed.

A paused run's display shows the trace with approval controls. Continue run goes on in the same
display, and the ``RunOutput`` the cell returned is brought up to date. A paused run continued from
code in another cell is shown there instead, and its first display settles as a static view.
"""

from __future__ import annotations

import collections
import threading
import time
from typing import Any

from ..run_events import Event, RunCancelled, RunCompleted, RunContinued, RunError, RunOutput, RunPaused
from .lab import renderer_present
from .trace import TraceView

__all__ = ["LiveTrace", "live_trace_factory", "shown_live"]

_TERMINAL = (RunCompleted, RunError, RunCancelled)
_shown: collections.deque[str] = collections.deque(maxlen=512)
#: run id -> its live display, kept so a continuation can go on in it (bounded: oldest dropped)
_live: "collections.OrderedDict[str, LiveTrace]" = collections.OrderedDict()
_LIVE_KEPT = 256
#: the run id whose Continue button is being handled: its continuation reuses the run's display
_continuing_here: str | None = None


def shown_live(run_id: str) -> bool:
    """Whether this run's trace is already on screen (so its ``RunOutput`` need not show it again)."""
    return run_id in _shown


def _widgets() -> Any:
    try:
        from . import widgets
    except ImportError:  # ipywidgets or anywidget missing: static updates by display id still work
        return None
    return widgets


class LiveTrace:
    """An observer that keeps one notebook display showing a run's trace."""

    def __init__(self, agent: Any, run_id: str, interval: float = 0.2, view: TraceView | None = None):
        from IPython.display import display

        self.agent = agent
        self.run_id = run_id
        self.view = view or TraceView()
        self.interval = interval
        #: renders sent while the run was live (tests and the benchmark read it)
        self.updates = 0
        self._lock = threading.RLock()
        self._last = 0.0
        self._scheduled = False
        self._final = False
        self._controls: Any = None
        self._box: Any = None
        self._paused: RunPaused | None = None
        widgets = _widgets()
        #: the page renders the trace bundle (JupyterLab with agno_nb's extension): update it by display id
        self._renderer = renderer_present()
        self._widget = widgets.TraceWidget(html=self.view.to_html()) \
            if widgets is not None and not self._renderer else None
        self._handle = display(self._live_bundle(), raw=True, display_id=True)
        _shown.append(run_id)
        _live[run_id] = self
        while len(_live) > _LIVE_KEPT:
            _live.popitem(last=False)

    # ------------------------------------------------------------------------------ events

    def __call__(self, event: Event) -> None:
        with self._lock:
            self.view.add(event)
        if self.view._nested(event):  # a member's or step's run: part of this tree, never its ending
            self._touch()
        elif isinstance(event, _TERMINAL):
            self._finish()
        elif isinstance(event, RunPaused):
            self._pause(event)
        elif isinstance(event, RunContinued):
            self._resume()
        else:
            self._touch()

    def _touch(self) -> None:
        """Render now, or at the end of the current interval (trailing edge): never drop the last state."""
        with self._lock:
            if self._final or self._scheduled:
                return
            wait = self._last + self.interval - time.perf_counter()
            if wait > 0:
                self._scheduled = True
                _flusher.schedule(self, wait)
                return
        self.flush()

    def flush(self) -> None:
        """Show the current state (called by the event thread or the flusher thread)."""
        with self._lock:
            self._scheduled = False
            if self._final:
                return
            self._last = time.perf_counter()
            self.updates += 1
            if self._widget is not None:
                self._widget.html = self.view.to_html()
                return
            bundle = self.view.bundle(now=time.perf_counter())
        self._handle.update(bundle, raw=True)

    def _live_bundle(self) -> dict[str, Any]:
        if self._widget is None:
            return self.view.bundle(now=time.perf_counter())
        from .widgets import widget_bundle

        return widget_bundle(self._widget, self.view.to_html(), self.view.to_text())

    # ------------------------------------------------------------------------- run endings

    def _static(self, note: str | None = None) -> dict[str, Any]:
        opened = self._widget.open_spans() if self._widget is not None else ()
        with self._lock:
            bundle = self.view.bundle(open_spans=opened)
        if note:
            bundle["text/html"] += f"<div style='opacity:.72;font-size:12px'>{note}</div>"
        return bundle

    def _finish(self) -> None:
        """The run ended: the display becomes the static trace, which is what the notebook saves."""
        with self._lock:
            self._final = True
            self.updates += 1
        self._handle.update(self._static(), raw=True)
        self._close_widgets()
        _live.pop(self.run_id, None)

    def _pause(self, event: RunPaused) -> None:
        """The run waits for people: the trace and, under it, the approval controls."""
        widgets = _widgets()
        self._paused = event
        with self._lock:
            self._final = True  # nothing moves until someone continues the run
            self.updates += 1
        if widgets is None or (self._widget is None and not self._renderer):
            self._handle.update(self._static("Continue it with agent.continue_run(out) after deciding each "
                                             "of out.requirements (install ipywidgets and anywidget for "
                                             "buttons)."), raw=True)
            return
        import ipywidgets

        if self._widget is not None:
            self._widget.html = self.view.to_html()
            trace = self._widget
        else:  # the extension's renderer shows the trace, in an Output widget above the controls
            trace = ipywidgets.Output()
            trace.outputs = ({"output_type": "display_data", "data": self._static(), "metadata": {}},)
        self._controls = widgets.ApprovalControls(list(event.requirements), self._continue_here)
        box = self._box = ipywidgets.VBox([trace, self._controls.box])
        self._handle.update(widgets.widget_bundle(box, self.view.to_html(), self.view.to_text()), raw=True)

    def _resume(self) -> None:
        """Continued (from this display's controls): live again, in the same place."""
        with self._lock:
            self._final = False
        if self._widget is not None:
            self._widget.html = self.view.to_html()
            self._handle.update(self._live_bundle(), raw=True)
        else:
            self.flush()

    def _continue_here(self, requirements: list[Any]) -> None:
        """The Continue button: go on in this display; bring the cell's ``RunOutput`` up to date."""
        global _continuing_here
        event = self._paused
        assert event is not None
        original = event.output() if event.output is not None else None
        _continuing_here = self.run_id
        try:
            result = self.agent.continue_run(event.paused, requirements=requirements)
        finally:
            _continuing_here = None
        if isinstance(original, RunOutput):
            _absorb(original, result)

    def retire(self, note: str) -> None:
        """Another cell took this run over: leave a static view here, with a note, and no controls."""
        with self._lock:
            self._final = True
        self._handle.update(self._static(note), raw=True)
        self._close_widgets()

    def _close_widgets(self) -> None:
        if self._controls is not None:
            self._controls.close()
            self._controls = None
        if self._box is not None:
            self._box.close()
            self._box = None
        if self._widget is not None:
            self._widget.close()
            self._widget = None


def _absorb(original: RunOutput, continued: RunOutput) -> None:
    """Make the paused ``RunOutput`` the whole run's output: the continuation's answer, status and totals
    (which already include the part before the pause), and every event and tool call of both parts."""
    events, tools, steps = original.events + continued.events, original.tools + continued.tools, \
        original.reasoning_steps + continued.reasoning_steps
    for name in RunOutput.__slots__:
        if name != "__weakref__":
            setattr(original, name, getattr(continued, name))
    original.events, original.tools, original.reasoning_steps = events, tools, steps


def live_trace_factory(agent: Any, ref: Any) -> LiveTrace | None:
    """Run observer factory: a live view for runs started from a notebook cell."""
    from IPython import get_ipython

    if get_ipython() is None:  # a script or a worker thread's plain Python: nothing to display into
        return None
    earlier = _live.get(ref.run_id)
    if earlier is not None:  # a paused run goes on
        if _continuing_here == ref.run_id:
            return earlier
        earlier.retire("continued in a later cell: the rest of this run is shown there")
        return LiveTrace(agent, ref.run_id, view=earlier.view)
    return LiveTrace(agent, ref.run_id)


class _Flusher:
    """One daemon thread that renders live views whose trailing update is due (no thread per update)."""

    def __init__(self) -> None:
        self._due: dict[LiveTrace, float] = {}
        self._wake = threading.Condition()
        self._thread: threading.Thread | None = None

    def schedule(self, trace: LiveTrace, delay: float) -> None:
        with self._wake:
            self._due[trace] = time.monotonic() + delay
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="agno_nb-live-trace", daemon=True)
                self._thread.start()
            self._wake.notify()

    def _run(self) -> None:
        while True:
            with self._wake:
                while not self._due:
                    self._wake.wait()
                now = time.monotonic()
                ready = [t for t, at in self._due.items() if at <= now]
                if not ready:
                    self._wake.wait(min(self._due.values()) - now)
                    continue
                for trace in ready:
                    del self._due[trace]
            for trace in ready:
                try:
                    trace.flush()
                except Exception:  # a broken display must not stop the others
                    pass


_flusher = _Flusher()
