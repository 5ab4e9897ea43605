"""Runs in flight on this replica: started, watched, cancelled, timed out, drained at shutdown.

Every run the app starts gets a ``LiveRun``: its task and the events it has emitted so far. The events
arrive through a run observer (``agno_nb.observe``), the core's hook for sinks, so streaming and
non-streaming runs are watched the same way and nothing is copied: an event is appended to a list,
and encoded for SSE only if someone streams it.

A client that drops an SSE stream leaves the run going (it is a task of its own, not the request's),
so the client can come back for the rest. A run on another replica is cancelled through the store's
``run_controls`` table, which every replica with runs in flight reads a few times a second.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from typing import TYPE_CHECKING, Any, AsyncIterator, Callable

from ..run_events import Event, RunOutput, RunRef
from .sse import PING, TERMINAL, WHOLE, Position, encode_event

if TYPE_CHECKING:
    from ..storage.base import Store
    from .components import Component
    from .metrics import Metrics

__all__ = ["LiveRun", "RunManager"]

_log = logging.getLogger("agno_nb.serve")
#: seconds between sweeps for runs whose replica died
REAP_INTERVAL = 30.0


class LiveRun:
    """One run of this replica: its task, its events so far, and who waits for more."""

    __slots__ = (
        "run_id",
        "component",
        "user_id",
        "session_id",
        "task",
        "events",
        "frames",
        "keys",
        "done",
        "error",
        "cancel_reason",
        "started",
        "ended",
        "retain",
        "result",
        "base",
        "_changed",
        "_timer",
    )

    def __init__(
        self, run_id: str, component: "Component", user_id: str | None, session_id: str | None, retain: bool
    ):
        self.run_id = run_id
        self.component = component
        self.user_id = user_id
        self.session_id = session_id
        self.task: asyncio.Task | None = None
        self.events: list[Event] = []
        #: SSE frames of ``events``, encoded on first demand and shared by every stream of the run
        self.frames: list[bytes] = []
        #: each event's position (``Position.key``), labelled in order on first demand
        self.keys: list[tuple[int, int, int]] = []
        #: the first stored row of this stretch of the run (a continued run goes on from its pause)
        self.base = 0
        self.done = False
        #: an exception that ended the run before its stream began (bad session, store down)
        self.error: BaseException | None = None
        self.cancel_reason: str | None = None
        self.started = time.perf_counter()
        self.ended: float | None = None
        #: keep the run's events in memory for a while after it ends (streamed and background runs)
        self.retain = retain
        #: the ``RunOutput`` of a non-streaming run, when it returned one
        self.result: RunOutput | None = None
        self._changed: asyncio.Future | None = None
        self._timer: asyncio.TimerHandle | None = None

    # ---------------------------------------------------------------------------- producing side

    def observe(self, event: Event) -> None:
        """The run observer: called for every event of the run, in order."""
        events = self.events
        if not events and event.seq is not None:
            self.base = event.seq  # a continued run's first event goes on from its earlier rows
        events.append(event)
        self._wake()

    def _wake(self) -> None:
        changed = self._changed
        if changed is not None:
            self._changed = None
            if not changed.done():
                changed.set_result(None)

    def cancel(self, reason: str) -> bool:
        """Cancel the run (its stream ends with ``RunCancelled``, with ``reason``); ``False`` if it ended."""
        if self.task is None or self.task.done():
            return False
        self.cancel_reason = self.cancel_reason or reason
        self.task.cancel(reason)
        return True

    # ---------------------------------------------------------------------------- consuming side

    @property
    def status(self) -> str:
        for event in reversed(self.events):
            if event.ref.run_id == self.run_id and isinstance(event, TERMINAL):
                return (
                    getattr(event, "status", None)
                    or {"RunError": "error", "RunCancelled": "cancelled", "RunPaused": "paused"}[event.type]
                )
        if self.done:
            return "error" if self.error is not None else "cancelled"
        return "running"

    @property
    def ended_with_event(self) -> bool:
        """Did the run's stream end with its own terminal event (completed, error, cancelled, paused)?"""
        last = self.events[-1] if self.events else None
        return last is not None and last.ref.run_id == self.run_id and isinstance(last, TERMINAL)

    def output(self) -> RunOutput:
        """The run as a ``RunOutput`` (the one returned, else the fold of the events seen)."""
        if self.result is not None:
            return self.result
        first = (
            self.events[0].ref
            if self.events
            else RunRef(
                self.run_id,
                self.session_id,
                self.user_id,
                self.component.kind,
                self.component.name,
                self.component.id,
            )
        )
        out = RunOutput(first)
        for event in self.events:
            out.apply(event)
        if out.status == "running" and self.done:
            out.status = "cancelled" if self.error is None else "error"
            out.status_reason = self.cancel_reason or (str(self.error) if self.error else None)
        return out

    async def started_or_done(self) -> None:
        """Wait for the first event, or for the run to end without one."""
        while not self.events and not self.done:
            await self._next_change(None)

    async def _next_change(self, timeout: float | None) -> bool:
        if self._changed is None:
            self._changed = asyncio.get_running_loop().create_future()
        done, _ = await asyncio.wait((self._changed,), timeout=timeout)
        return bool(done)

    def _label(self, upto: int) -> None:
        """Give events ``[len(keys), upto)`` their positions (see ``sse.Position``)."""
        keys, events = self.keys, self.events
        last = keys[-1] if keys else (self.base - 1, WHOLE, 0)
        for index in range(len(keys), upto):
            event = events[index]
            if event.seq is None:  # a run without a store: positions in this replica's memory
                last = (self.base + index, WHOLE, 0)
            elif event.ref.run_id == self.run_id:
                last = (event.seq, event.end if event.end is not None else WHOLE, 0)
            else:  # a nested run's event: after the last own one
                last = (last[0], last[1], last[2] + 1)
            keys.append(last)

    def frame(self, index: int) -> bytes:
        frames = self.frames
        if len(frames) <= index:
            self._label(index + 1)
        while len(frames) <= index:
            position = len(frames)
            event = self.events[position]
            metrics = None
            if event.ref.run_id == self.run_id and isinstance(event, TERMINAL):
                metrics = self.output().metrics.to_dict()
            seq, end, nested = self.keys[position]
            frames.append(encode_event(event, str(Position(seq, end, nested)), metrics))
        return frames[index]

    def index_after(self, position: Position | None) -> int | None:
        """The first buffered event after ``position``; ``None`` if this buffer does not reach back there."""
        if position is None:
            return 0 if self.base == 0 else None
        if position.seq < self.base - 1:
            return None
        self._label(len(self.events))
        key = position.key
        return next((i for i, k in enumerate(self.keys) if k > key), len(self.keys))

    async def batches(
        self, start: int, ping_interval: float, closing: Callable[[], bool]
    ) -> AsyncIterator[tuple[int, int] | None]:
        """Ranges ``(first, end)`` of event indexes from ``start`` on, live until the run ends; ``None``
        when nothing happened for ``ping_interval`` seconds (time for a keep-alive)."""
        index = start
        while True:
            count = len(self.events)
            if index < count:
                yield index, count
                index = count
                continue
            if self.done or closing():
                return
            if not await self._next_change(ping_interval):
                yield None

    async def stream(
        self, start: int, ping_interval: float, closing: Callable[[], bool]
    ) -> AsyncIterator[bytes]:
        """SSE frames of the events from index ``start`` on, live until the run ends."""
        async for batch in self.batches(start, ping_interval, closing):
            yield PING if batch is None else b"".join(self.frame(i) for i in range(*batch))


class RunManager:
    """The live runs of this replica, by id."""

    def __init__(
        self,
        metrics: "Metrics",
        *,
        run_timeout: float,
        max_runs: int,
        retention: float,
        store: "Store | None",
        control_poll_interval: float,
        max_retained: int = 2000,
    ):
        self.metrics = metrics
        self.run_timeout = run_timeout
        self.max_runs = max_runs
        self.retention = retention
        self.store = store
        self.control_poll_interval = control_poll_interval
        self.max_retained = max_retained
        self.live: dict[str, LiveRun] = {}
        self.finished: OrderedDict[str, LiveRun] = OrderedDict()
        self.in_flight = 0
        self.closing = False
        self._poller: asyncio.Task | None = None

    # ------------------------------------------------------------------------------ observing

    def observer_for(self, agent: Any, ref: RunRef) -> Callable[[Event], None] | None:
        """The run-observer factory registered with ``agno_nb.observe``: our runs get their ``LiveRun``."""
        live = self.live.get(ref.run_id)
        return live.observe if live is not None and ref.parent_run_id is None else None

    def find(self, run_id: str) -> LiveRun | None:
        return self.live.get(run_id) or self.finished.get(run_id)

    # -------------------------------------------------------------------------------- running

    def admit(self) -> None:
        """Refuse a new run when shutting down or at the concurrency limit (503, with Retry-After)."""
        from .errors import HTTPError

        if self.closing:
            raise HTTPError(
                503,
                "This replica is shutting down; retry (another replica will take it).",
                headers={"Retry-After": "1"},
            )
        if self.max_runs and self.in_flight >= self.max_runs:
            raise HTTPError(
                503,
                f"This replica runs {self.in_flight} runs already (max_concurrent_runs="
                f"{self.max_runs}); retry shortly or add replicas.",
                headers={"Retry-After": "1"},
            )

    def register(
        self,
        run_id: str,
        component: "Component",
        user_id: str | None,
        session_id: str | None,
        *,
        retain: bool,
    ) -> LiveRun:
        live = LiveRun(run_id, component, user_id, session_id, retain)
        self.live[run_id] = live
        self.in_flight += 1
        return live

    def launch(self, live: LiveRun, work: Any, *, stream: bool) -> asyncio.Task:
        """Run ``work`` (an awaitable output or an async iterator of events) as the run's own task."""
        loop = asyncio.get_running_loop()
        live.task = loop.create_task(self._drive(live, work, stream), name=f"agno_nb run {live.run_id}")
        if self.run_timeout:
            live._timer = loop.call_later(
                self.run_timeout,
                live.cancel,
                f"the run exceeded the server's run timeout of {self.run_timeout:g} s",
            )
        return live.task

    def abandon(self, live: LiveRun) -> None:
        """Forget a registered run that never started (its input was refused)."""
        if self.live.pop(live.run_id, None) is not None:
            self.in_flight -= 1

    async def _drive(self, live: LiveRun, work: Any, stream: bool) -> None:
        try:
            if stream:
                async for _ in work:
                    pass
            else:
                live.result = await work
        except asyncio.CancelledError:
            pass  # the run's stream already ended with RunCancelled; the run was saved as cancelled
        except Exception as exc:  # raised before the first event (bad session, store down), or a bug
            live.error = exc
            if live.events:
                _log.warning("agno_nb: run %s failed outside its stream: %r", live.run_id, exc)
        finally:
            self._finish(live)

    def _finish(self, live: LiveRun) -> None:
        live.done = True
        live.ended = time.perf_counter()
        if live._timer is not None:
            live._timer.cancel()
        live._wake()
        if self.live.pop(live.run_id, None) is not None:
            self.in_flight -= 1
        if live.events or live.result is not None:
            out = live.output()
            self.metrics.observe_run(
                live.component.kind, out.status, live.ended - live.started, out.metrics.to_dict()
            )
        if live.retain:
            self.finished[live.run_id] = live
            self.finished.move_to_end(live.run_id)
            while len(self.finished) > self.max_retained:
                self.finished.popitem(last=False)
            asyncio.get_running_loop().call_later(self.retention, self._forget, live)

    def _forget(self, live: LiveRun) -> None:
        if self.finished.get(live.run_id) is live:
            del self.finished[live.run_id]

    # ----------------------------------------------------------------------- cross-replica cancel

    def request_cancel(self, run_id: str, reason: str) -> None:
        """Ask the replica running ``run_id`` to cancel it (through the store)."""
        assert self.store is not None
        with self.store.transaction() as cur:
            cur.execute(
                "INSERT INTO run_controls (run_id, action, reason, requested_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (run_id) DO UPDATE SET action = excluded.action, reason = excluded.reason, "
                "requested_at = excluded.requested_at",
                [run_id, "cancel", reason, time.time()],
            )

    def start_polling(self) -> None:
        if self.store is not None:
            self._poller = asyncio.get_running_loop().create_task(
                self._poll_controls(), name="agno_nb run controls"
            )

    async def _poll_controls(self) -> None:
        """Cancel requests for our runs (every ``control_poll_interval``), and now and then mark the runs of
        dead replicas ``interrupted`` in the store (``Store.reap_interrupted``)."""
        next_reap = 0.0
        while True:
            if time.monotonic() >= next_reap:
                next_reap = time.monotonic() + REAP_INTERVAL
                try:
                    dead = await asyncio.to_thread(self.store.reap_interrupted)
                    if dead:
                        _log.info("agno_nb: %d run(s) of a dead process marked interrupted", len(dead))
                except Exception as exc:  # the store is down: try again later
                    _log.warning("agno_nb: cannot mark interrupted runs: %s", exc)
            await asyncio.sleep(self.control_poll_interval)
            if not self.live:
                continue
            try:
                controls = await asyncio.to_thread(_take_controls, self.store, list(self.live))
            except Exception as exc:  # the store is down: cancels wait, runs go on
                _log.warning("agno_nb: cannot read run controls: %s", exc)
                continue
            for run_id, action, reason in controls:
                live = self.live.get(run_id)
                if live is not None and action == "cancel":
                    live.cancel(reason or "cancelled on request")

    # -------------------------------------------------------------------------------- shutdown

    async def drain(self, grace: float) -> None:
        """Refuse new runs, give running ones ``grace`` seconds, then cancel the rest (their streams end
        with ``RunCancelled``; a cancelled workflow resumes from its checkpoint on another replica)."""
        self.closing = True
        tasks = [live.task for live in self.live.values() if live.task is not None]
        if tasks:
            _log.info("agno_nb: %d run(s) in flight; waiting up to %g s", len(tasks), grace)
            await asyncio.wait(tasks, timeout=grace)
        for live in list(self.live.values()):
            live.cancel("the server is shutting down")
        rest = [live.task for live in self.live.values() if live.task is not None]
        if rest:
            await asyncio.wait(rest, timeout=10)
        for live in list(self.finished.values()):
            live._wake()

    async def close(self) -> None:
        if self._poller is not None:
            self._poller.cancel()
            await asyncio.gather(self._poller, return_exceptions=True)


def _take_controls(store: "Store", run_ids: list[str]) -> list[tuple[str, str, str | None]]:
    found: list[tuple[str, str, str | None]] = []
    with store.transaction() as cur:
        for start in range(0, len(run_ids), 500):
            batch = run_ids[start : start + 500]
            marks = ", ".join("?" * len(batch))
            cur.execute(
                f"DELETE FROM run_controls WHERE run_id IN ({marks}) RETURNING run_id, action, reason", batch
            )
            found.extend(cur.fetchall())
    return found
