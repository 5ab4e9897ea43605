"""Work that runs after a run, off its hot path: memory extraction, session summaries.

Tasks run on agno_nb's background event loop (see ``_sync``), so they make progress whether the
caller is a script, a notebook cell or a server. ``wait()`` blocks until they are done (tests,
scripts about to exit); failures are logged, never raised into an unrelated later run.
"""

from __future__ import annotations

import concurrent.futures
import logging
import threading
from typing import Any, Coroutine

from ._sync import _background_loop

__all__ = ["submit", "wait", "pending"]

_log = logging.getLogger("agno_nb")
_pending: set[concurrent.futures.Future] = set()
_lock = threading.Lock()


def submit(coro: Coroutine[Any, Any, Any], *, what: str) -> concurrent.futures.Future:
    """Run ``coro`` in the background; ``what`` names it in the log if it fails."""
    import asyncio

    async def logged() -> Any:
        # Logged inside the task, so that by the time wait() sees it done, the failure is on record.
        try:
            return await coro
        except Exception as exc:
            _log.warning("agno_nb background task failed (%s): %s", what, exc)
            raise

    future = asyncio.run_coroutine_threadsafe(logged(), _background_loop())
    with _lock:
        _pending.add(future)

    def done(f: concurrent.futures.Future) -> None:
        with _lock:
            _pending.discard(f)

    future.add_done_callback(done)
    return future


def pending() -> int:
    with _lock:
        return len(_pending)


def wait(timeout: float | None = 60.0) -> None:
    """Wait until every background task submitted so far has finished."""
    with _lock:
        futures = list(_pending)
    if futures:
        concurrent.futures.wait(futures, timeout=timeout)
