"""A run's event stream read from the store: for a client that reconnects to a replica that is not the
one running the run (or that restarted), from any position, live while the run goes on elsewhere.

The running replica's recorder appends the run's events every ``Store.flush_interval`` seconds; this
reads the rows after the client's position, then polls for more until the run ends. A run whose
replica died ends with ``RunInterrupted`` (its status is computed from its writer's liveness), and a
workflow can then be resumed from its checkpoint on any replica.

The store keeps a run's own events; events of nested runs (a team's members) stay with their own
runs (``/runs/{member_run_id}/events``) and are not interleaved here.
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Any, AsyncIterator, Callable

from .sse import PING, WHOLE, Position, encode_frame

if TYPE_CHECKING:
    from ..storage.base import Store
    from ..storage.records import RunRecord

__all__ = ["tail_store", "STREAM_CLOSED"]

_TERMINAL = {"RunCompleted", "RunError", "RunCancelled", "RunPaused"}
_DELTAS = {"RunContentDelta", "ReasoningContentDelta"}
#: sent when this replica stops while a client follows a run it is not running: reconnect elsewhere
STREAM_CLOSED = "StreamClosed"


async def tail_store(
    store: "Store",
    record: "RunRecord",
    position: Position | None,
    *,
    poll: float,
    ping_interval: float,
    closing: Callable[[], bool],
) -> AsyncIterator[bytes]:
    """SSE frames of the run's stored events after ``position``, then new ones until the run ends."""
    key = position.key if position is not None else (-1, WHOLE, WHOLE)
    last_activity = time.monotonic()
    while True:
        rows = await asyncio.to_thread(store.get_events, record.run_id, from_seq=max(key[0], 0))
        frames, key, ended = _frames(record, rows, key)
        if frames:
            last_activity = time.monotonic()
            yield frames
        if ended:
            return
        current = await asyncio.to_thread(store.get_run, record.run_id)
        if current is None:  # deleted while followed
            yield encode_frame(
                "RunError",
                None,
                {"type": "RunError", "run_id": record.run_id, "error": "the run was deleted"},
            )
            return
        if current.status != "running":
            # Its last rows were written with its final status: read them once more, then say how it ended.
            rows = await asyncio.to_thread(store.get_events, record.run_id, from_seq=max(key[0], 0))
            frames, key, ended = _frames(current, rows, key)
            if frames:
                yield frames
            if not ended:
                kind = _ending_type(current.status)
                yield encode_frame(
                    kind,
                    None,
                    {
                        "type": kind,
                        "run_id": current.run_id,
                        "status": current.status,
                        "reason": current.error,
                    },
                )
            return
        if closing():
            yield encode_frame(
                STREAM_CLOSED,
                None,
                {
                    "run_id": record.run_id,
                    "reason": "this replica is shutting down; reconnect with Last-Event-ID",
                    "last_event_id": str(Position(*key)) if key[0] >= 0 else None,
                },
            )
            return
        await asyncio.sleep(poll)
        if time.monotonic() - last_activity >= ping_interval:
            last_activity = time.monotonic()
            yield PING


def _frames(
    record: "RunRecord", rows: list[dict[str, Any]], key: tuple[int, int, int]
) -> tuple[bytes, tuple[int, int, int], bool]:
    frames: list[bytes] = []
    ended = False
    for row in rows:
        frame, key, ended = _frame(record, row, key)  # the stream ends with the run's last row, if terminal
        if frame is not None:
            frames.append(frame)
    return b"".join(frames), key, ended


def _ending_type(status: str) -> str:
    return {
        "interrupted": "RunInterrupted",
        "error": "RunError",
        "cancelled": "RunCancelled",
        "paused": "RunPaused",
    }.get(status, "RunCompleted")


def _frame(
    record: "RunRecord", row: dict[str, Any], key: tuple[int, int, int]
) -> tuple[bytes | None, tuple[int, int, int], bool]:
    """The frame for a stored row after ``key`` (``None`` if the client has it), and the new position."""
    seq, kind = row["seq"], row["type"]
    payload = dict(row["payload"] or {})
    if kind in _DELTAS:
        text = payload.get("content") or ""
        start = 0
        if seq < key[0] or (seq == key[0] and key[1] >= len(text)):
            return None, key, False  # the client has it
        if seq == key[0]:
            start = key[1]
        payload = {"content": text[start:]}
        new_key = (seq, len(text), 0)
        label = str(Position(seq, len(text)))
    else:
        if (seq, WHOLE, 0) <= key:
            return None, key, kind in _TERMINAL  # the client has it
        new_key = (seq, WHOLE, 0)
        label = str(seq)
    data = {
        "type": kind,
        "run_id": record.run_id,
        "parent_run_id": record.parent_run_id,
        "span_id": row["span_id"],
        "parent_span_id": row["parent_span_id"],
        "emitter_type": record.component_type,
        "emitter_name": record.component_name,
        "emitter_id": record.component_id,
        "session_id": record.session_id,
        **payload,
        "created_at": row["ts"],
    }
    terminal = kind in _TERMINAL
    if terminal and record.metrics:
        data["metrics"] = record.metrics
    return encode_frame(kind, label, data), new_key, terminal
