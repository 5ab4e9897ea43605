"""Run coroutines from synchronous code, including inside a notebook whose event loop is running.

Jupyter runs every cell inside an asyncio loop that is already running, so ``asyncio.run()`` fails
there and ``loop.run_until_complete()`` on that loop deadlocks. Rather than patch asyncio
(nest_asyncio), a sync call made while a loop runs in the current thread is handed to one background
thread that owns its own long-lived loop, and the caller blocks on the result. With no loop running,
the coroutine runs on a private loop kept per thread, which is the cheapest path for scripts and
benchmarks. Both loops live as long as the process, so connection pools created on them stay valid.
"""

from __future__ import annotations

import asyncio
import atexit
import contextvars
import queue
import threading
from typing import Any, AsyncIterator, Awaitable, Callable, Iterator, TypeVar

T = TypeVar("T")

__all__ = ["run_sync", "iterate_sync", "run_in_thread", "on_background_loop", "may_block_loop", "RunInterrupted"]

#: how long an interrupted run gets to wind down (emit RunCancelled, write its row) before the caller
#: gets control back; a second interrupt gives it back at once
WIND_DOWN = 10.0


class RunInterrupted(KeyboardInterrupt):
    """Ctrl-C or the notebook's Stop button ended a run: it was cancelled and stored as ``cancelled``.

    A ``KeyboardInterrupt``, so scripts stop as usual; the notebook shows it as one line.
    """

_local = threading.local()
_background: asyncio.AbstractEventLoop | None = None
_background_thread: threading.Thread | None = None
_background_lock = threading.Lock()
#: (thread, its private loop); loops of threads that have ended are closed when the next one is made
_thread_loops: list[tuple[threading.Thread, asyncio.AbstractEventLoop]] = []
_thread_loops_lock = threading.Lock()


def _thread_loop() -> asyncio.AbstractEventLoop:
    loop = getattr(_local, "loop", None)
    if loop is None or loop.is_closed():
        loop = asyncio.new_event_loop()
        _local.loop = loop
        with _thread_loops_lock:
            for thread, old in [pair for pair in _thread_loops if not pair[0].is_alive()]:
                _close_loop(old)
            _thread_loops[:] = [pair for pair in _thread_loops if pair[0].is_alive()]
            _thread_loops.append((threading.current_thread(), loop))
    return loop


def _close_loop(loop: asyncio.AbstractEventLoop) -> None:
    if not loop.is_closed() and not loop.is_running():
        try:
            loop.run_until_complete(_cancel_all())
        finally:
            loop.close()


def _background_loop() -> asyncio.AbstractEventLoop:
    global _background, _background_thread
    with _background_lock:
        if _background is None:
            loop = asyncio.new_event_loop()
            thread = threading.Thread(target=loop.run_forever, name="agno_nb-loop", daemon=True)
            thread.start()
            _background, _background_thread = loop, thread
        return _background


async def _cancel_all() -> None:
    tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    await asyncio.get_running_loop().shutdown_asyncgens()


@atexit.register
def _shutdown() -> None:
    """Close agno_nb's loops at exit: cancel what libraries left pending on them (LiteLLM's logging
    worker, say), so nothing is torn down half-suspended during interpreter finalization."""
    for _, loop in _thread_loops:
        _close_loop(loop)
    if _background is not None and not _background.is_closed():
        try:
            asyncio.run_coroutine_threadsafe(_cancel_all(), _background).result(5)
        except Exception:  # exiting anyway
            pass
        _background.call_soon_threadsafe(_background.stop)
        if _background_thread is not None:
            _background_thread.join(5)
        if not _background.is_running():
            _background.close()


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


def run_sync(awaitable: Awaitable[T]) -> T:
    """Wait for ``awaitable`` from synchronous code, whether or not an event loop is running here.

    Interrupting the wait (Ctrl-C, a notebook's stop button) cancels the work.
    """
    running = _running_loop()
    if running is None:
        loop = _thread_loop()
        task = loop.create_task(_as_coroutine(awaitable))
        try:
            return loop.run_until_complete(task)
        except BaseException as exc:
            # Ctrl-C: cancel the run now, rather than leave it pending on this thread's loop, where it
            # would quietly resume during the next run.
            if not task.done():
                task.cancel()
                try:
                    loop.run_until_complete(task)
                except BaseException:  # the cancellation itself, or what the run raised while ending
                    pass
            if isinstance(exc, KeyboardInterrupt) and not isinstance(exc, RunInterrupted):
                raise RunInterrupted("run cancelled") from None
            raise
    if running is _background:
        # A sync call from code already on the background loop (a sync tool calling agent.run()):
        # waiting there would block the loop it waits for, so this one call gets a thread of its own.
        return _run_in_new_thread(awaitable)
    loop = _background_loop()
    tasks: list[asyncio.Task] = []
    future = asyncio.run_coroutine_threadsafe(_tracked(awaitable, tasks), loop)
    try:
        return future.result()
    except KeyboardInterrupt:
        # The Stop button: cancel the run itself (a concurrent future that is running cannot be
        # cancelled, so the task is), and wait while it ends as cancelled and is stored as such.
        loop.call_soon_threadsafe(lambda: [t.cancel() for t in tasks])
        try:
            future.result(WIND_DOWN)
        except BaseException:  # the cancellation, a second interrupt, or the run's own last error
            pass
        raise RunInterrupted("run cancelled") from None


async def _tracked(awaitable: Awaitable[T], tasks: list[asyncio.Task]) -> T:
    tasks.append(asyncio.current_task())  # type: ignore[arg-type]
    return await awaitable


def on_background_loop() -> bool:
    """Whether the caller runs on the background loop (work started from a notebook cell)."""
    return _background is not None and _running_loop() is _background


def may_block_loop() -> bool:
    """Whether sync work may run inline on the running loop: only on the private loop of a sync ``run()``
    in a script, where nothing else shares the loop. Anywhere else (a notebook's background loop, an async
    app, a served replica handling many requests) a blocking call would stall every other run on it."""
    running = _running_loop()
    return running is not None and running is getattr(_local, "loop", None)


# ------------------------------------------------------------------------------ daemon worker threads


class _DaemonPool:
    """Worker threads for sync tools. Daemon threads, unlike ``asyncio.to_thread``'s executor (whose
    threads the interpreter joins at exit): a tool that timed out, or whose run was cancelled, cannot be
    killed, but it never keeps the process from exiting. Idle workers wait for work, then retire."""

    def __init__(self, idle_timeout: float = 30.0):
        self._work: queue.SimpleQueue = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._idle = 0
        self._idle_timeout = idle_timeout

    def submit(self, fn: Callable[[], Any], done: Callable[[bool, Any], None]) -> None:
        with self._lock:
            self._work.put((fn, done))
            if self._idle:
                self._idle -= 1  # that idle worker is spoken for
                return
        threading.Thread(target=self._worker, name="agno_nb-tool", daemon=True).start()

    def _worker(self) -> None:
        while True:
            try:
                fn, done = self._work.get(timeout=self._idle_timeout)
            except queue.Empty:
                with self._lock:
                    if self._work.empty():  # nothing was handed to us meanwhile: retire
                        # (a worker may have taken the item another was started for; counts stay >= 0)
                        self._idle = max(0, self._idle - 1)
                        return
                continue
            try:
                done(True, fn())
            except BaseException as exc:  # handed to the awaiting run
                done(False, exc)
            with self._lock:
                self._idle += 1


_pool = _DaemonPool()


async def run_in_thread(fn: Callable[[], T]) -> T:
    """``asyncio.to_thread`` on daemon threads (see ``_DaemonPool``); context variables carry over."""
    loop = asyncio.get_running_loop()
    waiter = loop.create_future()
    call = contextvars.copy_context().run

    def settle(ok: bool, value: Any) -> None:
        if not waiter.done():
            waiter.set_result(value) if ok else waiter.set_exception(value)

    def done(ok: bool, value: Any) -> None:
        try:
            loop.call_soon_threadsafe(settle, ok, value)
        except RuntimeError:  # the loop closed while the tool ran (an abandoned, timed-out call)
            pass

    _pool.submit(lambda: call(fn), done)
    return await waiter


def _run_in_new_thread(awaitable: Awaitable[T]) -> T:
    outcome: list = []

    def target() -> None:
        loop = asyncio.new_event_loop()
        try:
            outcome.append((True, loop.run_until_complete(awaitable)))
        except BaseException as exc:  # handed to the waiting thread
            outcome.append((False, exc))
        finally:
            loop.run_until_complete(_cancel_all())
            loop.close()

    thread = threading.Thread(target=target, name="agno_nb-nested", daemon=True)
    thread.start()
    thread.join()
    ok, value = outcome[0]
    if not ok:
        raise value
    return value


async def _as_coroutine(awaitable: Awaitable[T]) -> T:
    return await awaitable


async def _drain(stream: AsyncIterator[T]) -> list[T]:
    return [item async for item in stream]


def iterate_sync(stream: AsyncIterator[T]) -> Iterator[T]:
    """Iterate an async iterator from synchronous code (see ``run_sync``)."""
    if _running_loop() is _background and _background is not None:
        # Called from code on the background loop: every step would get a throwaway loop of its own,
        # which ends the stream. Run the whole stream on one loop in one thread instead.
        yield from _run_in_new_thread(_drain(stream))
        return
    anext_ = stream.__anext__
    try:
        while True:
            try:
                yield run_sync(anext_())
            except StopAsyncIteration:
                return
    finally:
        aclose = getattr(stream, "aclose", None)
        if aclose is not None:
            run_sync(aclose())

