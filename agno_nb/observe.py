"""Run observers: per-run sinks of the event stream (the notebook's live trace view is one).

A factory registered here is asked, when a run is planned (in the caller's thread, so a notebook
display can be created in the right cell), for an observer of that run; the observer then receives
every event. With no factory registered a run pays one empty-list check.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, Callable

if TYPE_CHECKING:
    from .run_events import Event, RunRef

__all__ = ["add_run_observer", "remove_run_observer", "observers_for", "notify"]

Observer = Callable[["Event"], None]
Factory = Callable[[Any, "RunRef"], "Observer | None"]

_factories: list[Factory] = []
_log = logging.getLogger("agno_nb")


def add_run_observer(factory: Factory) -> None:
    """Register ``factory(agent, ref) -> observer | None``, called once per run."""
    if factory not in _factories:
        _factories.append(factory)


def remove_run_observer(factory: Factory) -> None:
    if factory in _factories:
        _factories.remove(factory)


def observers_for(agent: Any, ref: "RunRef") -> list[Observer]:
    if not _factories or getattr(agent, "_internal", False):
        return []
    found = []
    for factory in list(_factories):
        try:
            observer = factory(agent, ref)
        except Exception as exc:  # an observer must never stop a run
            _log.warning("agno_nb run observer failed to start: %s", exc)
            continue
        if observer is not None:
            found.append(observer)
    return found


def notify(observers: list[Observer], event: "Event") -> None:
    for observer in observers:
        try:
            observer(event)
        except Exception as exc:  # a broken display must not break the run
            _log.warning("agno_nb run observer failed: %s", exc)
