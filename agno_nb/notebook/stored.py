"""Traces of stored runs: rebuild the view from the ``events`` table."""

from __future__ import annotations

from typing import Any

from ..errors import ConfigurationError
from .trace import MIME_TYPE

__all__ = ["trace_from_store"]


def trace_from_store(run_id: str, store: Any = None) -> dict[str, Any]:
    """The trace bundle of a stored run (any process, any time)."""
    from ..storage import default_store, open_store
    from ..storage.traces import stored_trace
    from .render import render_html

    store = open_store(store) if store is not None else default_store()
    if store is None:
        raise ConfigurationError("No store configured: pass store=... or set a default store.")
    trace = stored_trace(store, run_id)
    return {MIME_TYPE: trace, "text/html": render_html(trace), "text/plain": f"[{trace['status']}] run {run_id}"}
