"""Server-sent events: a run's events as ``event: <Type>`` / ``id: <seq>`` / ``data: <json>`` frames.

``id`` is the event's position in the run's stream, so a client that lost the connection reconnects
with ``Last-Event-ID: <id>`` (or ``?after=<id>``) and gets what follows, nothing twice. A stream that
goes quiet gets a comment line every few seconds, which keeps proxies from closing it and lets the
server notice a client that went away.
"""

from __future__ import annotations

import json
import time
from typing import Any

from ..run_events import Event, RunCancelled, RunCompleted, RunError, RunPaused
from ..storage.records import to_json

__all__ = ["encode_event", "encode_frame", "event_dict", "TERMINAL", "PING", "MEDIA_TYPE", "SSE_HEADERS"]

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


def encode_frame(kind: str, seq: int | None, data: Any) -> bytes:
    head = f"event: {kind}\nid: {seq}\n" if seq is not None else f"event: {kind}\n"
    text = data if isinstance(data, str) else _json(data)
    return f"{head}data: {text}\n\n".encode()


def encode_event(event: Event, seq: int, metrics: dict[str, Any] | None = None) -> bytes:
    return encode_frame(event.type, seq, event_dict(event, metrics))


def _json(value: Any) -> str:
    try:
        return json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    except (TypeError, ValueError):  # a tool result or state that is not plain JSON
        return to_json(value) or "null"
