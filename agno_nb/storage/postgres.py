"""``PostgresStore``: the store for served deployments (many replicas, one database), on psycopg 3.

Tables live in their own schema (``agno`` by default) so they never collide with an application's.
Connections come from a ``psycopg_pool.ConnectionPool`` (``pool_min``..``pool_max``), so a served
replica runs as many store operations at once as the pool allows; a broken connection is dropped by
the pool and replaced. An unreachable server gives one clear error with the DSN minus its password.
"""

from __future__ import annotations

import contextlib
import os
import re
import select
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
    """A cursor over the shared queries: psycopg binds ``%s`` where they use ``?``.

    From the pool (``lease`` given), the connection is taken at the first statement, not before; if
    that first statement finds the connection dead (the server restarted since it was pooled), nothing
    of the transaction can have happened yet, so it is retried once, transparently, on a fresh one.
    """

    __slots__ = ("_cur", "_lease")

    def __init__(self, cur: Any = None, lease: "_Lease | None" = None):
        self._cur = cur
        self._lease = lease

    def execute(self, query: str, params: Iterable[Any] | None = None) -> "_Cursor":
        query = _placeholders(query) if params else query
        if self._cur is not None:
            self._cur.execute(query, params or None)
            return self
        import psycopg

        self._cur = self._lease.cursor()
        try:
            self._cur.execute(query, params or None)
        except psycopg.OperationalError:
            if not self._lease.broken():
                raise
            self._cur = self._lease.cursor(fresh=True)
            self._cur.execute(query, params or None)
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
        if self._cur is None:
            self._cur = self._lease.cursor()
        return self._cur.copy(statement)


class _Lease:
    """One pooled connection for one transaction, taken on first use and always given back.

    A pooled connection whose server restarted is noticed before use without a round trip: the old
    server sent a termination notice and closed it, so the idle socket is readable. Then every idle
    connection of the pool is checked at once (``pool.check()``), so a restart costs one pass, not one
    failure per stale connection.
    """

    __slots__ = ("pool", "conn", "store", "saw_outage")

    def __init__(self, pool: Any, store: "PostgresStore"):
        self.pool = pool
        self.conn: Any = None
        self.store = store
        #: the server was found down while taking a connection
        self.saw_outage = False

    def cursor(self, fresh: bool = False) -> Any:
        if fresh:
            self._discard()
        if self.conn is None:
            self.conn = self._take()
            if _closed_by_server(self.conn):
                self._discard()
                self.conn = self._take()
        return self.conn.cursor()

    def _take(self) -> Any:
        """A connection, waiting briefly first: a pool that cannot give one within ``connect_timeout`` has a
        server that is down (fail now, not after ``pool_timeout``), is stuck backing off after an outage
        (replace it), or is simply busy (then wait the rest of ``pool_timeout``)."""
        from psycopg_pool import PoolTimeout

        store = self.store
        first = min(store.pool_timeout, store.connect_timeout)
        try:
            return self.pool.getconn(timeout=first)
        except PoolTimeout:
            if not store._server_answers():
                self.saw_outage = True
                raise
            stats = self.pool.get_stats()
            if stats.get("pool_size", 0) >= store.pool_max:  # every connection is in use: wait for one
                return self.pool.getconn(timeout=max(0.0, store.pool_timeout - first))
            self.pool = store._replace_pool(self.pool)  # up again, but the pool still backs off: renew it
            return self.pool.getconn(timeout=first)

    def _discard(self) -> None:
        conn, self.conn = self.conn, None
        if conn is not None:
            with contextlib.suppress(Exception):
                conn.close()
            self.pool.putconn(conn)  # closed: the pool drops it and makes a new one
        with contextlib.suppress(Exception):
            self.pool.check()

    def broken(self) -> bool:
        return self.conn is not None and (self.conn.broken or self.conn.closed)

    def commit(self) -> None:
        if self.conn is not None:
            self.conn.commit()

    def release(self) -> None:
        """Back to the pool, which rolls back an open transaction and drops a broken connection."""
        if self.conn is not None:
            conn, self.conn = self.conn, None
            self.pool.putconn(conn)


def _closed_by_server(conn: Any) -> bool:
    """An idle connection has nothing to read, unless the server ended it (a notice, then EOF)."""
    if conn.closed or conn.broken:
        return True
    try:
        poller = select.poll()
        poller.register(conn.fileno(), select.POLLIN | select.POLLERR | select.POLLHUP)
        return bool(poller.poll(0))
    except (OSError, ValueError):
        return True


class PostgresStore(Store):
    """Sessions, runs, events and memories in PostgreSQL."""

    json_type = "JSONB"
    for_update = " FOR UPDATE"
    append_recent = ("(COALESCE(sessions.recent_runs, ARRAY[]::text[]) || COALESCE(excluded.recent_runs, "
                     "ARRAY[]::text[]))[GREATEST(1, COALESCE(cardinality(sessions.recent_runs), 0) + "
                     f"COALESCE(cardinality(excluded.recent_runs), 0) + 1 - {RECENT_RUNS}):]")

    def __init__(self, dsn: str, *, schema: str = "agno", connect_timeout: float = 5.0,
                 pool_min: int = 1, pool_max: int | None = None, pool_timeout: float = 30.0):
        """``pool_max`` defaults to ``$AGNO_NB_PG_POOL_MAX`` or 10; ``pool_timeout`` is how long an
        operation waits for a free connection before failing with a clear error."""
        super().__init__()
        if not _SCHEMA_NAME.match(schema):
            raise StoreError(f"schema must be a plain SQL identifier, got {schema!r}.")
        self.dsn = dsn
        self.schema = schema
        self.connect_timeout = connect_timeout
        self.location = redact_dsn(dsn)
        self.pool_max = pool_max or int(os.environ.get("AGNO_NB_PG_POOL_MAX") or 10)
        self.pool_min = max(0, min(pool_min, self.pool_max))
        self.pool_timeout = pool_timeout
        self._pool: Any = None

    def _connect(self) -> Any:
        import psycopg

        try:
            conn = psycopg.connect(self.dsn, connect_timeout=max(1, int(self.connect_timeout)))
        except psycopg.Error as exc:
            raise StoreConnectionError(
                f"Cannot connect to PostgreSQL at {self.location}: {str(exc).strip().splitlines()[0]}. "
                f"Check that the server runs and the DSN (host, port, user, database) is right.") from None
        return conn

    def _configure(self, conn: Any) -> None:
        """Per connection: JSON comes back as text (as from DuckDB, so both decode it the same way) and
        the store's schema is on the search path."""
        from psycopg.types.json import set_json_loads

        set_json_loads(lambda data: bytes(data).decode() if not isinstance(data, str) else data, conn)
        conn.execute(f"SET search_path TO {self.schema}")
        conn.commit()

    def _open_pool(self) -> Any:
        from psycopg_pool import ConnectionPool

        with self._connect() as conn, conn.transaction():
            # Replicas may start together: one creates and migrates, the others wait and find it done.
            # The lock comes first: two concurrent CREATE SCHEMA IF NOT EXISTS can still collide.
            conn.execute("SELECT pg_advisory_xact_lock(hashtext('agno_nb_schema'))")
            conn.execute(f"CREATE SCHEMA IF NOT EXISTS {self.schema}")
            conn.execute(f"SET search_path TO {self.schema}")
            self._migrate(_Cursor(conn.cursor()))
        return ConnectionPool(self.dsn, min_size=self.pool_min, max_size=self.pool_max, open=True,
                              timeout=self.pool_timeout, configure=self._configure,
                              name=f"agno_nb {self.location}",
                              kwargs={"connect_timeout": max(1, int(self.connect_timeout))})

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Any]:
        import psycopg
        from psycopg_pool import PoolTimeout

        pool = self._pool
        if pool is None:
            with self._lock:
                if self._pool is None:
                    self._pool = self._open_pool()
                pool = self._pool
        lease = _Lease(pool, self)
        try:
            yield _Cursor(lease=lease)
            lease.commit()
        except PoolTimeout:
            if lease.saw_outage:
                raise StoreConnectionError(
                    f"Cannot reach PostgreSQL at {self.location}: the server is down or refuses connections. "
                    f"Check that it runs; the store reconnects by itself when it is back.") from None
            raise StoreConnectionError(
                f"No free PostgreSQL connection at {self.location} within {self.pool_timeout:g} s (pool_max="
                f"{self.pool_max}): raise pool_max (AGNO_NB_PG_POOL_MAX) or check that the server is up."
            ) from None
        except psycopg.OperationalError as exc:
            # Lost mid-transaction (or twice in a row): say so; the pool replaces the connection.
            raise StoreConnectionError(
                f"Lost the connection to PostgreSQL at {self.location}: {exc}") from None
        except psycopg.Error as exc:
            raise StoreError(f"PostgreSQL error at {self.location}: {exc}") from None
        finally:
            lease.release()

    def _server_answers(self) -> bool:
        try:
            self._connect().close()
        except StoreConnectionError:
            return False
        return True

    def _replace_pool(self, stale: Any) -> Any:
        """A new pool instead of one stuck backing off after an outage (psycopg_pool waits minutes)."""
        with self._lock:
            if self._pool is stale:
                self._pool = self._open_pool()
            fresh = self._pool
        with contextlib.suppress(Exception):
            stale.close(timeout=0)
        return fresh

    def pool_stats(self) -> dict[str, int]:
        """The pool's counters (``psycopg_pool`` names: pool_size, pool_available, requests_waiting, ...)."""
        return dict(self._pool.get_stats()) if self._pool is not None else {}

    def close(self) -> None:
        with self._lock:
            if self._pool is not None:
                self._pool.close()
                self._pool = None

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
