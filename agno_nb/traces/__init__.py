"""Traces: a run's events folded into a tree of spans, rendered as a MIME bundle.

One floor above the core (it reads ``run_events`` and the workflow's event classes) and below every
surface that shows a trace: the notebook's live view, the served app's ``/traces/{run_id}`` route, the
Jupyter server extension behind the Lab sidebar. None of them has to import another to draw a trace.

- ``fold``: ``TraceView``, the O(1)-per-event fold, and the JSON form the labextension renders;
- ``html``: the self-contained HTML fallback (inline styles, no scripts);
- ``stored``: a stored run's rows turned back into events and folded the same way.
"""

from .fold import MIME_TYPE, TraceView

__all__ = ["MIME_TYPE", "TraceView"]
