"""The one event loop that owns every MCP connection, on a thread of its own.

An MCP session (its anyio task group, its subprocess pipes or HTTP streams) is bound to the loop that
opened it. agno_nb runs tools on many loops: a script's private per-thread loop, the background loop
of sync calls inside Jupyter, the notebook's own loop for ``await agent.arun()``, throwaway loops of
nested sync runs. A session opened on one of those would die with it, or deadlock the moment that
loop is blocked waiting for a sync call. So sessions live on a dedicated loop that runs no user code
and is never blocked; callers on any loop (or none) hand it coroutines and wait for the result.
The loop stops at process (or kernel) exit, after closing the connections still open.
"""

from __future__ import annotations

import asyncio
import atexit
import concurrent.futures
import threading
from typing import Any, Awaitable, Callable, Coroutine, TypeVar

T = TypeVar("T")

__all__ = ["mcp_loop", "call_on_mcp_loop", "wait_on_mcp_loop", "on_shutdown"]

_loop: asyncio.AbstractEventLoop | None = None
_thread: threading.Thread | None = None
_lock = threading.Lock()
#: closers run at exit, on the MCP loop (each connection registers its own)
_closers: dict[int, Callable[[], Awaitable[None]]] = {}
#: how long exit waits for servers to stop (stdio: close stdin, then terminate; see the SDK)
_EXIT_BUDGET = 8.0


def mcp_loop() -> asyncio.AbstractEventLoop:
    """The MCP loop, started on first use."""
    global _loop, _thread
    with _lock:
        if _loop is None or _loop.is_closed():
            loop = asyncio.new_event_loop()
            thread = threading.Thread(target=loop.run_forever, name="agno_nb-mcp", daemon=True)
            thread.start()
            _loop, _thread = loop, thread
        return _loop


def _on_mcp_thread() -> bool:
    return _thread is not None and threading.current_thread() is _thread


async def call_on_mcp_loop(coro: Coroutine[Any, Any, T], *, timeout: float | None) -> T:
    """Await ``coro`` run on the MCP loop, from any other loop.

    Cancelling the caller cancels the work there. ``timeout`` is a last guard for a wedged MCP loop:
    the connections apply their own, tighter timeouts inside.
    """
    if _on_mcp_thread():  # agno_nb's own code on the MCP loop: no hop needed
        return await coro
    future = asyncio.run_coroutine_threadsafe(coro, mcp_loop())
    wrapped = asyncio.wrap_future(future)
    if timeout is None:
        return await wrapped
    try:
        return await asyncio.wait_for(wrapped, timeout)
    except asyncio.TimeoutError:
        future.cancel()
        raise


def wait_on_mcp_loop(coro: Coroutine[Any, Any, T], *, timeout: float | None) -> T:
    """Block until ``coro`` has run on the MCP loop (sync callers, including Jupyter cells)."""
    if _on_mcp_thread():
        coro.close()
        raise RuntimeError("agno_nb: a blocking MCP call was made on the MCP loop itself; await it instead.")
    future = asyncio.run_coroutine_threadsafe(coro, mcp_loop())
    try:
        return future.result(timeout)
    except concurrent.futures.TimeoutError:
        future.cancel()
        raise TimeoutError(f"the MCP operation did not finish within {timeout}s") from None
    except BaseException:
        future.cancel()
        raise


def on_shutdown(key: int, closer: Callable[[], Awaitable[None]] | None) -> None:
    """Register (or, with ``None``, forget) a coroutine function that closes a connection at exit."""
    if closer is None:
        _closers.pop(key, None)
    else:
        _closers[key] = closer


@atexit.register
def _shutdown() -> None:
    loop = _loop
    if loop is None or loop.is_closed() or not loop.is_running():
        return

    async def close_all() -> None:
        closers = list(_closers.values())
        _closers.clear()
        if closers:
            await asyncio.wait([asyncio.ensure_future(c()) for c in closers], timeout=_EXIT_BUDGET)

    try:
        asyncio.run_coroutine_threadsafe(close_all(), loop).result(_EXIT_BUDGET + 1)
    except Exception:  # exiting anyway: servers still running get EOF on stdin when we are gone
        pass
    loop.call_soon_threadsafe(loop.stop)
    if _thread is not None:
        _thread.join(2)
