"""Agno's ``pprint_run_response``: print a finished run, or a stream of its events as they come.

It draws with the same printers as ``print_response`` (Markdown in a notebook, a rich panel in a terminal,
plain text otherwise).
"""

from __future__ import annotations

from typing import Any, Iterable

from ..agent.printing import _printer
from ..run_events import RunOutput

__all__ = ["pprint_run_response"]


def pprint_run_response(run_response: "RunOutput | Iterable[Any]", markdown: bool = False,
                        show_time: bool = False, console: Any = None) -> None:
    """Print ``run_response``: a ``RunOutput``, or the iterator a ``stream=True`` run returns.

    ``show_time`` is accepted for Agno's signature; the elapsed time is in the run's metrics and trace."""
    finished = isinstance(run_response, RunOutput)
    printer = _printer(None, not finished, markdown, True, False, console)
    if finished:
        printer.finish(run_response)
        return
    out: RunOutput | None = None
    for item in run_response:
        if isinstance(item, RunOutput):
            out = item
        else:
            out = printer.feed(out, item)
    printer.finish(out)
