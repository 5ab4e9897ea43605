"""The sessions this process is talking in, kept between its runs, so the next run reads nothing.

A notebook conversation is run after run in one session, and the notebook's DuckDB file has one writer
at a time: this process. So what a run saved is exactly what the next run would read back: its
session row and its last runs. Keeping them here saves the next run its read transaction.

The cache is only as good as that "one writer" assumption, so it is emptied whenever it may not hold:
any write through the store other than a run's own load and save (a rename, a summary, ``store.sql``,
a workflow checkpoint), and a reconnect (another process may have had the file meanwhile). Rows are
kept as stored (JSON text) and decoded per load, so no run can change another run's objects.
PostgreSQL stores do not use it: there many replicas write.
"""

from __future__ import annotations

import contextlib
import threading
from typing import Any, Iterator

__all__ = ["SessionCache"]

#: sessions kept (a notebook talks in a handful)
_MAX_SESSIONS = 64


class SessionCache:
    """Session rows and their recent run rows, as of this process's last load or save."""

    def __init__(self, recent: int) -> None:
        self._recent = recent
        self._entries: dict[str, tuple[list[Any], list[tuple]]] = {}  # id -> (session row, run rows)
        self._lock = threading.Lock()
        self._keeping = threading.local()

    @contextlib.contextmanager
    def keeping(self) -> Iterator[None]:
        """Transactions in this block leave the cache alone (they keep it up to date themselves)."""
        self._keeping.on = True
        try:
            yield
        finally:
            self._keeping.on = False

    def on_transaction(self, reconnected: bool) -> None:
        """Called by the store as a transaction starts: any other write may change what is cached."""
        if reconnected or not getattr(self._keeping, "on", False):
            self.clear()

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def get(self, session_id: str, history: int) -> tuple[list[Any], list[tuple]] | None:
        """(session row, the last ``history`` run rows) or ``None`` when not known well enough."""
        with self._lock:
            entry = self._entries.get(session_id)
        if entry is None:
            return None
        row, runs = entry
        if history > len(runs) and len(runs) < row[9]:  # asks for more than is kept (row[9]: run_count)
            return None
        return list(row), runs[-history:] if history else []

    def put(self, session_id: str, row: list[Any], runs: list[tuple]) -> None:
        with self._lock:
            if len(self._entries) >= _MAX_SESSIONS and session_id not in self._entries:
                self._entries.pop(next(iter(self._entries)))
            self._entries[session_id] = (list(row), list(runs)[-self._recent:])

    def saved(self, session_id: str, state_json: str | None, updated_at: float, runs_counted: int,
              run_row: tuple | None) -> None:
        """A run's save committed: bring the cached session up to date (``run_row``: a completed run)."""
        with self._lock:
            entry = self._entries.get(session_id)
            if entry is None:
                return
            row, runs = entry
            row = list(row)
            if state_json is not None:
                row[5] = state_json
            row[8], row[9] = updated_at, row[9] + runs_counted  # updated_at, run_count
            if run_row is not None:
                row[10] = [*(row[10] or ()), run_row[0]][-self._recent:]
                runs = [*runs, run_row][-self._recent:]
            self._entries[session_id] = (row, runs)
