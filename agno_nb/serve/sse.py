"""Server-sent events: a run's events as ``event: <Type>`` / ``id: <seq>`` / ``data: <json>`` frames.

``id`` is the event's position in the run's stream (``Position``: the stored row, and for text the
offset in it), so a client that lost the connection reconnects, to any replica, with
``Last-Event-ID: <id>`` (or ``?after=<id>``) and gets what follows, nothing twice. A stream that
goes quiet gets a comment line every few seconds, which keeps proxies from closing it and lets the
server notice a client that went away.
"""

from __future__ import annotations

import time
from typing import Any

from ..run_events import Event, RunCancelled, RunCompleted, RunError, RunPaused
from ..jsonsafe import dumps
from .errors import HTTPError

__all__ = [
    "encode_event",
    "encode_frame",
    "event_dict",
    "Position",
    "TERMINAL",
    "PING",
    "MEDIA_TYPE",
    "SSE_HEADERS",
]

MEDIA_TYPE = "text/event-stream"
#: no caching, and no buffering by nginx-style proxies (they would hold back every delta)
SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
PING = b": ping\n\n"
#: the events that end a run's stream
TERMINAL = (RunCompleted, RunError, RunCancelled, RunPaused)

# Events carry perf_counter times (cheap, monotonic); clients get wall-clock times.
_WALL_OFFSET = time.time() - time.perf_counter()


def event_dict(event: Event, metrics: dict[str, Any] | None = None) -> dict[str, Any]:
    """The event as clients see it: header and payload, a wall-clock ``created_at``, no full message list."""
    data = event.to_dict()
    data["created_at"] = round(data.pop("ts") + _WALL_OFFSET, 6)
    data.pop("messages", None)  # the whole conversation: stored with the run, too big for every stream
    if metrics is not None:
        data["metrics"] = metrics
    return data


def encode_frame(kind: str, label: str | None, data: Any) -> bytes:
    head = f"event: {kind}\nid: {label}\n" if label is not None else f"event: {kind}\n"
    text = data if isinstance(data, str) else dumps(data)
    return f"{head}data: {text}\n\n".encode()


def encode_event(event: Event, label: str, metrics: dict[str, Any] | None = None) -> bytes:
    return encode_frame(event.type, label, event_dict(event, metrics))


#: "everything in the row": the end of a row that is not a run of text deltas
WHOLE = 1 << 62


class Position:
    """Where a client is in a run's stream, as the ``id:`` of the last event it got.

    A run's own events are numbered like its stored rows (``storage.recorder``): ``"12"`` is row 12;
    ``"12.52"`` is 52 characters into row 12, a run of text deltas stored as one row, so a stream resumed
    there goes on with the rest of that text. Events of nested runs (a team's members) carry the position
    of the last own event and a count, ``"12+3"``: they are replayed from this replica's memory, not from
    the store, which keeps them with their own runs. ``?after=12`` means "after row 12".
    """

    __slots__ = ("seq", "end", "nested")

    def __init__(self, seq: int, end: int = WHOLE, nested: int = 0):
        self.seq = seq
        self.end = end
        self.nested = nested

    @property
    def key(self) -> tuple[int, int, int]:
        return self.seq, self.end, self.nested

    @classmethod
    def parse(cls, text: str | None) -> "Position | None":
        """A client's ``Last-Event-ID`` or ``after``; ``None`` (from the start) when empty."""
        if text is None or not text.strip():
            return None
        raw = text.strip()
        try:
            head, _, nested = raw.partition("+")
            seq, _, end = head.partition(".")
            position = cls(int(seq), int(end) if end else WHOLE, int(nested) if nested else 0)
        except ValueError:
            position = None
        if position is None or position.seq < -1 or position.end < 0 or position.nested < 0:
            raise HTTPError(
                422,
                f"Event position {raw[:40]!r} is not one this server gave: use the id: of the last "
                f"event you received (like 12, 12.52 or 12+3), or an event number for after=.",
            )
        return position

    def __str__(self) -> str:
        text = str(self.seq) if self.end == WHOLE else f"{self.seq}.{self.end}"
        return f"{text}+{self.nested}" if self.nested else text
