"""``RunRecorder``: a run goes to its store while it happens, not only when it ends.

Three promises rest on this:

- **a run is on record from its start**: shortly after a run starts (``Store.record_after`` seconds,
  0.1 by default, 0 for a served app), its row is written with status ``running``, its writer
  (``liveness.owner_token``) and a heartbeat. A process killed mid-run leaves an *interrupted* run, not
  nothing. Runs shorter than the delay cost one write, as before;
- **events can be followed from another process**: while the run goes on, its events are appended in
  batches (every ``Store.flush_interval`` seconds), so another replica can tail them;
- **stable positions**: every event gets its place when it is emitted: ``event.seq`` is the row it is
  stored in and, for text deltas (stored as one row per run of deltas), ``event.end`` is where in that
  row's text the delta ends. A stream that resumes from a position ("row 12, 52 characters in") never
  repeats or skips text.

The writes that happen during a run are made by one background thread per process (``_Writer``), not
on the run's event loop, so a run blocked in a long synchronous tool still gets its start row and its
heartbeats. The final write (``finish``) is made by the run itself and is durable when it returns.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import TYPE_CHECKING, Any, Callable

from ..jsonsafe import dumps
from .liveness import HEARTBEAT, owner_token

if TYPE_CHECKING:
    from ..run_events import Event
    from .base import Store
    from .records import RunRecord, SessionRecord

__all__ = ["RunRecorder", "stop_writer"]

_log = logging.getLogger("agno_nb")
_DELTAS = ("RunContentDelta", "ReasoningContentDelta")


class _Row:
    """One stored event row in the making; a run of text deltas of one span shares a row."""

    __slots__ = ("seq", "event", "parts", "length")

    def __init__(self, seq: int, event: "Event"):
        self.seq = seq
        self.event = event
        self.parts: list[str] | None = None
        self.length = 0


class RunRecorder:
    """Places a run's events in rows as they come, and writes them (see the module docstring)."""

    def __init__(self, store: "Store", record: "RunRecord", *, first_seq: int = 0, on_record: bool = False,
                 session: "SessionRecord | None" = None):
        self.store = store
        #: the run row as written while running (status ``running``); ``finish`` writes the final one
        self.record = record
        record.owner = owner_token()
        #: the session row to create at the start if it does not exist yet
        self.session = session
        self._rows: list[_Row] = []
        self._open: _Row | None = None  # the delta row that further deltas of its span extend
        self._next_seq = first_seq
        self._flushed = 0  # rows[:flushed] are in the store
        self._lock = threading.Lock()  # guards rows and the open row (the run's thread vs the writer)
        self._write_lock = threading.Lock()  # one write at a time, in order
        self.on_record = on_record  # the run row exists in the store (started, or a continued run)
        self.finished = False
        self._wall0 = time.time()
        self._t0 = time.perf_counter()
        self._start_due = time.monotonic() + store.record_after
        self._last_flush = 0.0
        self._last_heartbeat = 0.0

    # ------------------------------------------------------------------------ the run's side

    def place(self, event: "Event") -> None:
        """Give ``event`` its stored position (``seq``, and ``end`` for a text delta)."""
        kind = event.type
        with self._lock:
            row = self._open
            if kind in _DELTAS:
                if row is not None and row.event.type == kind and row.event.span_id == event.span_id:
                    row.parts.append(event.content)  # type: ignore[union-attr]
                else:
                    row = self._new_row(event)
                    row.parts = [event.content]
                    self._open = row
                row.length += len(event.content)
                event.seq, event.end = row.seq, row.length
                return
            self._open = None
            event.seq = self._new_row(event).seq
        if kind == "RunStarted":  # the input as the input hooks left it (masked PII, never the raw text)
            self.record.input = event.input  # type: ignore[attr-defined]

    def _new_row(self, event: "Event") -> _Row:
        row = _Row(self._next_seq, event)
        self._next_seq += 1
        self._rows.append(row)
        return row

    @property
    def next_seq(self) -> int:
        """The seq the next row would get (what a continuation of this run starts from)."""
        return self._next_seq

    def start(self) -> None:
        """Hand the run to the background writer (its start row, batches, heartbeats)."""
        _writer.add(self)

    def seal(self) -> tuple[list[tuple], bool]:
        """The run ended: stop writing in the background and hand over the rows not yet stored, and whether
        the run row is already in the store (then the final write updates it in place)."""
        _writer.remove(self)
        with self._write_lock:  # waits for a background write of this run in progress, if any
            rows = self._take_rows()
            self.finished = True
        return rows, self.on_record

    def flush(self, extra: Callable[[Any], None] | None = None) -> None:
        """Write the run row (``running``) and the events so far now, with ``extra(store)`` after them
        (a workflow's checkpoint). Blocking; call it off the event loop."""
        with self._write_lock:
            if self.finished:
                return
            self._write_running(self._take_rows())
            if extra is not None:
                extra(self.store)

    # ---------------------------------------------------------------------- the writer's side

    def _take_rows(self) -> list[tuple]:
        """The rows not yet stored, as event-table tuples (closing the open delta row)."""
        with self._lock:
            rows = self._rows[self._flushed:]
            self._flushed = len(self._rows)
            self._open = None
        return [self._tuple(row) for row in rows]

    def _tuple(self, row: _Row) -> tuple:
        event = row.event
        ts = self._wall0 + (event.ts - self._t0)
        if row.parts is not None:
            payload = dumps({"content": "".join(row.parts), "deltas": len(row.parts)})
        else:
            payload = _payload_json(event)
        return (self.record.run_id, row.seq, event.type, event.span_id, event.parent_span_id, ts, payload)

    def _write_running(self, rows: list[tuple]) -> None:
        now = time.time()
        self.record.heartbeat_at = now
        if not self.on_record:
            self.store.record_run_start(self.record, rows, self.session)
            self.on_record = True
        else:
            self.store.append_events(self.record.run_id, rows, heartbeat_at=now)
        self._last_heartbeat = self._last_flush = time.monotonic()

    def _tick(self, now: float) -> float:
        """Do what is due; return when to come back (monotonic seconds)."""
        if not self._write_lock.acquire(blocking=False):
            return now + 0.05  # the run is writing right now
        try:
            if self.finished:
                return float("inf")
            if not self.on_record:
                if now < self._start_due:
                    return self._start_due
                self._write_running(self._take_rows())
            else:
                pending = len(self._rows) > self._flushed
                interval = self.store.flush_interval
                if pending and now - self._last_flush >= interval:
                    self._write_running(self._take_rows())
                elif now - self._last_heartbeat >= HEARTBEAT:
                    self.store.heartbeat([self.record.run_id])
                    self._last_heartbeat = now
            return min(self._last_flush + self.store.flush_interval, self._last_heartbeat + HEARTBEAT)
        except Exception as exc:  # the store is busy or down: the final write will try again
            _log.debug("agno_nb: could not record run %s yet: %s", self.record.run_id, exc)
            return now + 1.0
        finally:
            self._write_lock.release()


def _payload_json(event: "Event") -> str:
    payload = event.payload()
    kind = event.type
    if kind == "RunCompleted":
        payload.pop("messages", None)  # stored once, on the run row
    elif kind == "RunError":
        payload = {"error": payload.get("error"), "error_type": payload.get("error_type")}
    return dumps(payload)


class _Writer:
    """One daemon thread per process that does the recorders' writes while their runs go on."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._recorders: dict[RunRecorder, float] = {}  # recorder -> when it next needs attention
        self._thread: threading.Thread | None = None
        self._idle_wait = True  # the thread waits without a timeout (so a new recorder must wake it)
        self._stopping = False

    def add(self, recorder: RunRecorder) -> None:
        with self._cond:
            self._recorders[recorder] = recorder._start_due
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._loop, name="agno_nb-recorder", daemon=True)
                self._thread.start()
            elif self._idle_wait:
                self._cond.notify()

    def remove(self, recorder: RunRecorder) -> None:
        with self._cond:
            self._recorders.pop(recorder, None)

    def stop(self) -> None:
        with self._cond:
            self._stopping = True
            self._cond.notify()
            thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(10)

    def _loop(self) -> None:
        last_busy = time.monotonic()
        while not self._stopping:
            with self._cond:
                now = time.monotonic()
                if self._recorders:
                    last_busy = now
                    timeout = min(1.0, max(0.0, min(self._recorders.values()) - now))
                elif now - last_busy < 2.0:
                    timeout = 0.05  # runs come in bursts: poll briefly rather than be woken for each
                else:
                    timeout = None
                self._idle_wait = timeout is None
                self._cond.wait(timeout)
                self._idle_wait = False
                if self._stopping:
                    return
                now = time.monotonic()
                due = [r for r, at in self._recorders.items() if at <= now]
            for recorder in due:
                again = recorder._tick(now)
                with self._cond:
                    if recorder in self._recorders:
                        self._recorders[recorder] = again


_writer = _Writer()


def stop_writer() -> None:
    """Stop the background writer (at exit, before the stores close)."""
    _writer.stop()
