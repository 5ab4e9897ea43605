"""Traces of stored runs: the ``events`` rows turned back into events and folded by the same
``TraceView`` as a live run, so a stored trace looks (and counts) exactly like the live one.

A team's members and a workflow's agents are runs of their own (``parent_run_id``); their rows are
folded in too, so the stored tree nests them as the live one did.
"""

from __future__ import annotations

from typing import Any

from .. import run_events as ev
from ..errors import ConfigurationError
from ..workflow import events as wf
from .fold import MIME_TYPE, TraceView

__all__ = ["trace_from_store", "events_from_rows"]

_CLASSES: dict[str, type] = {
    cls.type: cls for module in (ev, wf) for cls in vars(module).values()
    if isinstance(cls, type) and issubclass(cls, ev.Event) and cls is not ev.Event}
_MAX_NESTED = 500  # runs folded into one stored trace (members, steps), a guard against cycles


def trace_from_store(run_id: str, store: Any = None) -> dict[str, Any]:
    """The trace bundle of a stored run (any process, any time)."""
    from ..storage import default_store, open_store
    from ..storage.base import NotFoundError

    store = open_store(store) if store is not None else default_store()
    if store is None:
        raise ConfigurationError("No store configured: pass store=... or set a default store.")
    run = store.get_run(run_id)
    if run is None:
        raise NotFoundError(f"No run {run_id!r} in {store.location}.")
    view = TraceView()
    rows: list[tuple[dict[str, Any], Any]] = []
    for record in [run, *_nested_runs(store, run_id)]:
        view.stored_messages[record.run_id] = record.messages or []
        rows += [(row, record) for row in store.get_events(record.run_id)]
    rows.sort(key=lambda pair: (pair[0]["ts"] or 0.0, pair[1].run_id != run_id, pair[0]["seq"]))
    for event in events_from_rows(rows):
        view.add(event)
    if view.root is None:  # a run stored without events (written by hand, say): its row alone
        view.run_id, view.agent = run_id, run.component_name or run.component_id
    bundle = view.bundle()
    bundle[MIME_TYPE]["stored"] = True
    bundle["text/plain"] = f"[{view.status if view.root else run.status}] run {run_id}\n{bundle['text/plain']}"
    return bundle


def events_from_rows(rows: list[tuple[dict[str, Any], Any]]) -> list[ev.Event]:
    """Events rebuilt from stored rows (``(row, run record)`` pairs): enough for a trace, not for a run."""
    refs: dict[str, ev.RunRef] = {}
    events = []
    for row, record in rows:
        cls = _CLASSES.get(row["type"])
        if cls is None:
            continue
        ref = refs.get(record.run_id)
        if ref is None:
            ref = refs[record.run_id] = ev.RunRef(record.run_id, record.session_id, record.user_id,
                                                  record.component_type or "agent", record.component_name,
                                                  record.component_id or "agent", record.parent_run_id)
        event = cls.__new__(cls)
        event.ref, event.span_id, event.parent_span_id, event.ts = ref, row["span_id"], row["parent_span_id"], row["ts"]
        for name in ev._payload_slots(cls):
            setattr(event, name, None)
        for name, value in (row["payload"] or {}).items():
            if name in cls.__slots__ or any(name in getattr(k, "__slots__", ()) for k in cls.__mro__):
                setattr(event, name, value)
        if isinstance(event, ev.RunPaused):
            event.requirements = event.requirements or []
        events.append(event)
    return events


def _nested_runs(store: Any, run_id: str) -> list[Any]:
    """The runs started inside this one (members, workflow agents), and theirs, breadth first."""
    found, frontier, seen = [], [run_id], {run_id}
    while frontier and len(found) < _MAX_NESTED:
        with store.transaction() as cur:
            marks = ", ".join("?" * len(frontier))
            cur.execute(f"SELECT run_id FROM runs WHERE parent_run_id IN ({marks}) ORDER BY created_at", frontier)
            children = [row[0] for row in cur.fetchall() if row[0] not in seen]
        seen.update(children)
        found += [record for record in (store.get_run(child) for child in children) if record is not None]
        frontier = children
    return found
