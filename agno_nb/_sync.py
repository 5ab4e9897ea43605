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
import threading
from typing import AsyncIterator, Awaitable, Iterator, TypeVar

T = TypeVar("T")

_local = threading.local()
_background: asyncio.AbstractEventLoop | None = None
_background_lock = threading.Lock()


def _thread_loop() -> asyncio.AbstractEventLoop:
    loop = getattr(_local, "loop", None)
    if loop is None or loop.is_closed():
        loop = asyncio.new_event_loop()
        _local.loop = loop
    return loop


def _background_loop() -> asyncio.AbstractEventLoop:
    global _background
    with _background_lock:
        if _background is None:
            loop = asyncio.new_event_loop()
            thread = threading.Thread(target=loop.run_forever, name="agno_nb-loop", daemon=True)
            thread.start()
            _background = loop
        return _background


def _loop_running_here() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def run_sync(awaitable: Awaitable[T]) -> T:
    """Wait for ``awaitable`` from synchronous code, whether or not an event loop is running here."""
    if _loop_running_here():
        future = asyncio.run_coroutine_threadsafe(_as_coroutine(awaitable), _background_loop())
        return future.result()
    return _thread_loop().run_until_complete(awaitable)


async def _as_coroutine(awaitable: Awaitable[T]) -> T:
    return await awaitable


def iterate_sync(stream: AsyncIterator[T]) -> Iterator[T]:
    """Iterate an async iterator from synchronous code (see ``run_sync``)."""
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

