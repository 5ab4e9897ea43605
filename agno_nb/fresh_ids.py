"""Ids this process minted for a run or a session that has not started yet.

A served request that starts a new session gets its session id and its run id from ``mint()``. The run's
first read (its session and history, and the check that its chosen run id is unused) then knows the
answer without asking the store: nothing can have been stored under an id that was made here a moment
ago. On an embedded DuckDB store that read is most of what a short run costs. An id is fresh once:
taking it forgets it, so a second run of that session reads as usual.
"""

from __future__ import annotations

import threading
import uuid

__all__ = ["mint", "take"]

_LIMIT = 10_000  # ids minted but never used (a request refused later) are forgotten, oldest first
_fresh: dict[str, None] = {}
_lock = threading.Lock()


def mint() -> str:
    """A new version-4 UUID, remembered as fresh until ``take`` or until 10,000 newer ones were minted.

    From the OS's randomness (``uuid4``), never the ``random`` module: a test framework that seeds
    ``random`` (hypothesis does) or a forked worker would otherwise mint the same ids again."""
    value = str(uuid.uuid4())
    with _lock:
        _fresh[value] = None
        if len(_fresh) > _LIMIT:
            del _fresh[next(iter(_fresh))]
    return value


def take(value: str | None) -> bool:
    """Whether ``value`` was minted here and not used yet (it is not fresh after this call)."""
    if value is None:
        return False
    with _lock:
        return _fresh.pop(value, 1) is None
