"""``DuckDBStore``: the embedded default, one file next to the notebook.

DuckDB lets one process open a file for writing. Two ways to live with that:

- default: the store keeps its connection; a second process that opens the same file gets a
  ``StoreLockedError`` naming the process that holds it and what to do, never a deep traceback;
- ``shared=True``: every operation opens and closes its own connection, retrying while another
  process holds the file, so a notebook kernel and ``agno-nb serve`` can take turns on one file.
  Slower per operation (an open costs milliseconds); PostgreSQL is the answer for many writers.
"""

from __future__ import annotations

import contextlib
import os
import re
import time
from typing import TYPE_CHECKING, Any, Iterable, Iterator

from .base import Store, StoreConnectionError, StoreError, StoreLockedError, StoreSchemaError

if TYPE_CHECKING:
    import pandas

__all__ = ["DuckDBStore"]

_PID = re.compile(r"PID (\d+)")


class DuckDBStore(Store):
    """Sessions, runs, events and memories in a DuckDB file (``":memory:"`` for a throwaway store)."""

    json_type = "JSON"

    def __init__(self, path: str | os.PathLike[str] = "agno.duckdb", *, shared: bool = False,
                 lock_timeout: float = 10.0):
        super().__init__()
        self.path = str(path)
        self.location = self.path
        self.shared = shared and self.path != ":memory:"
        self.lock_timeout = lock_timeout
        self._con: Any = None
        self._migrated = False

    # ------------------------------------------------------------------------------ connection

    def _connect(self) -> Any:
        import duckdb

        deadline = time.monotonic() + (self.lock_timeout if self.shared else 0.0)
        delay = 0.005
        while True:
            try:
                con = duckdb.connect(self.path)
                break
            except duckdb.Error as exc:
                error = self._translate(exc)
                if isinstance(error, StoreLockedError) and time.monotonic() < deadline:
                    time.sleep(delay)
                    delay = min(delay * 2, 0.2)
                    continue
                raise error from None
        if not self._migrated:
            try:
                con.execute("BEGIN TRANSACTION")
                self._migrate(con)
                con.execute("COMMIT")
            except BaseException:
                with contextlib.suppress(Exception):
                    con.execute("ROLLBACK")
                con.close()
                raise
            self._migrated = True
        return con

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Any]:
        import duckdb

        with self._lock:
            con = self._con
            if con is None:
                con = self._connect()
                if not self.shared:
                    self._con = con
            try:
                con.execute("BEGIN TRANSACTION")
                try:
                    yield con
                    con.execute("COMMIT")
                except BaseException:
                    with contextlib.suppress(Exception):
                        con.execute("ROLLBACK")
                    raise
            except duckdb.Error as exc:
                raise self._translate(exc) from None
            finally:
                if self.shared:
                    con.close()

    def close(self) -> None:
        with self._lock:
            if self._con is not None:
                self._con.close()
                self._con = None
            self._migrated = False  # a reopened ":memory:" store is a new, empty database

    # ------------------------------------------------------------------------------ operations

    def _bulk_insert(self, cur: Any, table: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
        # executemany costs ~1 ms a row in DuckDB; a registered DataFrame inserts 2,000 rows in ~6 ms.
        import pandas

        frame = pandas.DataFrame(rows, columns=list(columns))
        cur.register("_agno_nb_rows", frame)
        try:
            cur.execute(f"INSERT INTO {table} ({', '.join(columns)}) SELECT {', '.join(columns)} FROM _agno_nb_rows")
        finally:
            cur.unregister("_agno_nb_rows")

    def sql(self, query: str, params: Iterable[Any] | None = None) -> "pandas.DataFrame":
        with self.transaction() as cur:
            return cur.execute(query, list(params or ())).df()

    # ---------------------------------------------------------------------------------- errors

    def _translate(self, exc: Exception) -> StoreError:
        text = str(exc)
        if "Could not set lock" in text or "Conflicting lock" in text:
            pid = _PID.search(text)
            holder = f"process {pid.group(1)} ({_describe(int(pid.group(1)))})" if pid else "another process"
            return StoreLockedError(
                f"{self.path} is open for writing in {holder}. DuckDB allows one writing process per file: "
                f"close that kernel or server, or open the store with DuckDBStore(path, shared=True) in every "
                f"process (short-lived connections that take turns), or use PostgresStore for many writers.")
        if "not a valid DuckDB database" in text or "Wrong file format" in text or "not a DuckDB" in text:
            return StoreConnectionError(
                f"{self.path} is not a DuckDB database file; it was left untouched. Point the store at a new "
                f"path (it is created on first use) or at an agno_nb DuckDB file.")
        if "newer version" in text or "created with a newer" in text:
            return StoreSchemaError(f"{self.path} was written by a newer DuckDB; upgrade duckdb. ({text})")
        if isinstance(exc, StoreError):
            return exc
        return StoreError(f"DuckDB error on {self.path}: {text}")


def _describe(pid: int) -> str:
    """A human name for a process: 'a Jupyter kernel', 'agno-nb serve', or its command line."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            command = handle.read().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return "unknown command"
    if "ipykernel" in command:
        return f"a Jupyter kernel: {command[:80]}"
    if "agno-nb" in command and "serve" in command:
        return "agno-nb serve"
    return command[:120] or "unknown command"
