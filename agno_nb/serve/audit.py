"""The audit log: one row per request (who, route, status, duration), written in batches off the request path.

Rows hold no bodies, tokens or query strings. With a store they go to its ``audit_log`` table (a batch
every ``audit_flush_interval`` seconds, one multi-row INSERT); without one, to the ``agno_nb.audit``
logger as JSON lines. If the store is down, rows wait in memory (up to a bound) and go in later.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..storage.base import Store

__all__ = ["AuditLog", "AUDIT_COLUMNS", "read_audit"]

AUDIT_COLUMNS = (
    "ts",
    "request_id",
    "user_id",
    "credential",
    "method",
    "route",
    "path",
    "status",
    "duration_ms",
    "client",
)
_log = logging.getLogger("agno_nb.audit")
_BATCH = 200  # rows per INSERT statement
_MAX_PENDING = 100_000


class AuditLog:
    """Collects rows from requests; ``run()`` writes them until ``close()``."""

    def __init__(self, store: "Store | None", flush_interval: float):
        self.store = store
        self.flush_interval = flush_interval
        self._rows: list[tuple] = []
        self._wake: asyncio.Event | None = None
        self._task: asyncio.Task | None = None
        self.dropped = 0

    def record(self, row: tuple) -> None:
        """Queue one row (``AUDIT_COLUMNS`` order). Never blocks, never raises."""
        rows = self._rows
        rows.append(row)
        if len(rows) > _MAX_PENDING:
            del rows[: len(rows) - _MAX_PENDING]
            self.dropped += 1
        elif len(rows) >= 10 * _BATCH and self._wake is not None:
            self._wake.set()

    def start(self) -> None:
        self._wake = asyncio.Event()
        self._task = asyncio.get_running_loop().create_task(self._run(), name="agno_nb audit log")

    async def _run(self) -> None:
        assert self._wake is not None
        while True:
            try:
                await asyncio.wait_for(self._wake.wait(), self.flush_interval)
            except TimeoutError:
                pass
            self._wake.clear()
            await self.flush()

    async def flush(self) -> None:
        rows, self._rows = self._rows, []
        if not rows:
            return
        if self.store is None:
            if _log.isEnabledFor(logging.INFO):
                for row in rows:
                    _log.info("%s", json.dumps(dict(zip(AUDIT_COLUMNS, row)), default=str))
            return
        try:
            await asyncio.to_thread(_insert, self.store, rows)
        except Exception as exc:  # the store is down: keep the rows for the next try
            self._rows[:0] = rows
            _log.warning("agno_nb: %d audit rows wait for the store: %s", len(self._rows), exc)

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        await self.flush()


def _insert(store: "Store", rows: list[tuple]) -> None:
    one = "(" + ", ".join("?" * len(AUDIT_COLUMNS)) + ")"
    with store.transaction() as cur:
        for start in range(0, len(rows), _BATCH):
            batch = rows[start : start + _BATCH]
            cur.execute(
                f"INSERT INTO audit_log ({', '.join(AUDIT_COLUMNS)}) VALUES " + ", ".join([one] * len(batch)),
                [value for row in batch for value in row],
            )


def read_audit(
    store: "Store", *, user_id: str | None = None, since: float | None = None, limit: int = 1000
) -> list[dict[str, Any]]:
    """Audit rows, newest first (for ``agno-nb audit`` and tests)."""
    clauses, params = [], []
    if user_id is not None:
        clauses.append("user_id = ?")
        params.append(user_id)
    if since is not None:
        clauses.append("ts >= ?")
        params.append(since)
    where = " WHERE " + " AND ".join(clauses) if clauses else ""
    with store.transaction() as cur:
        cur.execute(
            f"SELECT {', '.join(AUDIT_COLUMNS)} FROM audit_log{where} ORDER BY ts DESC LIMIT {int(limit)}",
            params,
        )
        return [dict(zip(AUDIT_COLUMNS, row)) for row in cur.fetchall()]
