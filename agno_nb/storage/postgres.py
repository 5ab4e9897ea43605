"""``PostgresStore``: the store for served deployments (many replicas, one database), on psycopg 3.

Tables live in their own schema (``agno`` by default) so they never collide with an application's.
A dropped connection is replaced on the next operation; an unreachable server gives one clear error
with the DSN minus its password.
"""

from __future__ import annotations

import contextlib
import re
from typing import TYPE_CHECKING, Any, Iterable, Iterator

from .base import RECENT_RUNS, Store, StoreConnectionError, StoreError

if TYPE_CHECKING:
    import pandas

__all__ = ["PostgresStore", "redact_dsn"]

_SCHEMA_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")


def redact_dsn(dsn: str) -> str:
    """The DSN with any password replaced by ``***`` (URL and key=value forms)."""
    # up to the LAST @ of the authority: a password may hold an unencoded @
    dsn = re.sub(r"(://[^:/@]+:)[^/]*(@)", r"\1***\2", dsn)
    return re.sub(r"(password\s*=\s*)('[^']*'|\S+)", r"\1***", dsn, flags=re.IGNORECASE)


_QUOTED = re.compile(r"('(?:[^']|'')*'|\"(?:[^\"]|\"\")*\")")


def _placeholders(query: str) -> str:
    """``?`` -> ``%s`` and ``%`` -> ``%%``, outside quoted literals and identifiers only."""
    parts = _QUOTED.split(query)
    for i in range(0, len(parts), 2):  # even parts are outside quotes
        parts[i] = parts[i].replace("%", "%%").replace("?", "%s")
    for i in range(1, len(parts), 2):
        parts[i] = parts[i].replace("%", "%%")
    return "".join(parts)


class _Cursor:
    """psycopg binds ``%s``; the shared queries use ``?``."""

    __slots__ = ("_cur",)

    def __init__(self, cur: Any):
        self._cur = cur

    def execute(self, query: str, params: Iterable[Any] | None = None) -> "_Cursor":
        self._cur.execute(_placeholders(query) if params else query, params or None)
        return self

    def fetchall(self) -> list[tuple]:
        return self._cur.fetchall()

    @property
    def description(self) -> Any:
        return self._cur.description

    @property
    def rowcount(self) -> int:
        return self._cur.rowcount

    def copy(self, statement: str) -> Any:
        return self._cur.copy(statement)


class PostgresStore(Store):
    """Sessions, runs, events and memories in PostgreSQL."""

    json_type = "JSONB"
    for_update = " FOR UPDATE"
    append_recent = (f"(COALESCE(sessions.recent_runs, ARRAY[]::text[]) || ?::text)"
                     f"[GREATEST(1, COALESCE(cardinality(sessions.recent_runs), 0) + 2 - {RECENT_RUNS}):]")

    def __init__(self, dsn: str, *, schema: str = "agno", connect_timeout: float = 5.0):
        super().__init__()
        if not _SCHEMA_NAME.match(schema):
            raise StoreError(f"schema must be a plain SQL identifier, got {schema!r}.")
        self.dsn = dsn
        self.schema = schema
        self.connect_timeout = connect_timeout
        self.location = redact_dsn(dsn)
        self._conn: Any = None

    def _connect(self) -> Any:
        import psycopg
        from psycopg.types.json import set_json_loads

        try:
            conn = psycopg.connect(self.dsn, connect_timeout=max(1, int(self.connect_timeout)))
        except psycopg.Error as exc:
            raise StoreConnectionError(
                f"Cannot connect to PostgreSQL at {self.location}: {str(exc).strip().splitlines()[0]}. "
                f"Check that the server runs and the DSN (host, port, user, database) is right.") from None
        # JSON comes back as text, as from DuckDB, so both stores decode it the same way.
        set_json_loads(lambda data: bytes(data).decode() if not isinstance(data, str) else data, conn)
        with conn.transaction():
            # Replicas may start together: one creates and migrates, the others wait and find it done.
            # The lock comes first: two concurrent CREATE SCHEMA IF NOT EXISTS can still collide.
            conn.execute("SELECT pg_advisory_xact_lock(hashtext('agno_nb_schema'))")
            conn.execute(f"CREATE SCHEMA IF NOT EXISTS {self.schema}")
            conn.execute(f"SET search_path TO {self.schema}")
            self._migrate(_Cursor(conn.cursor()))
        return conn

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Any]:
        import psycopg

        with self._lock:
            if self._conn is None or self._conn.closed:
                self._conn = self._connect()
            conn = self._conn
            try:
                with conn.transaction():
                    yield _Cursor(conn.cursor())
            except psycopg.OperationalError as exc:
                # The server went away or the connection broke: start afresh next time.
                with contextlib.suppress(Exception):
                    conn.close()
                self._conn = None
                raise StoreConnectionError(f"Lost the connection to PostgreSQL at {self.location}: {exc}") from None
            except psycopg.Error as exc:
                raise StoreError(f"PostgreSQL error at {self.location}: {exc}") from None

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def _bulk_insert(self, cur: Any, table: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
        with cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)

    def sql(self, query: str, params: Iterable[Any] | None = None) -> "pandas.DataFrame":
        import pandas

        with self.transaction() as cur:
            cur.execute(query, list(params or ()))
            if cur.description is None:  # UPDATE / INSERT / DDL: no rows, report how many changed
                return pandas.DataFrame({"Count": [cur.rowcount]})
            names = [column.name for column in cur.description]
            return pandas.DataFrame(cur.fetchall(), columns=names)
