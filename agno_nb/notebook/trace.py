"""How a run shows itself in a notebook: its trace bundle, unless the live view already shows it.

The fold and the renderers live one floor down, in ``agno_nb.traces``, so the served app and the Lab
server extension draw the same trace without importing the notebook.
"""

from __future__ import annotations

from typing import Any

from ..traces.fold import MIME_TYPE, TraceView

__all__ = ["TraceView", "MIME_TYPE", "output_bundle"]


def output_bundle(output: Any) -> dict[str, Any]:
    """How a ``RunOutput`` displays itself (registered with ``run_output.register_display``): its trace,
    unless its live view is already on screen."""
    from .live import shown_live

    if shown_live(output.run_id):
        return {"text/plain": repr(output)}
    return TraceView.from_events(output.events).bundle()
