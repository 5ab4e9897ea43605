"""``DuckDBStore``: the embedded default, one file next to the notebook.

DuckDB lets one process open a file for writing. Two ways to live with that:

- default: the store keeps its connection; a second process that opens the same file gets a
  ``StoreLockedError`` naming the process that holds it and what to do, never a deep traceback;
- ``shared=True`` (the notebook's default store): the store keeps its connection while it is in use
  and lets go when another process asks or when it has been idle for ``idle_release`` seconds, so a
  notebook kernel, a second kernel and ``agno-nb serve`` take turns on one file. A process that finds
  the file locked leaves a ``<file>.wait`` note and retries (up to ``lock_timeout``); the holder looks
  for that note after each transaction and every ``_WATCH`` seconds while idle, and closes its
  connection, so the other side writes within a fraction of a second. Opening a connection costs
  ~15 ms and closing one (a checkpoint) ~8 ms, which is why the connection is not opened per
  operation. Every commit is in DuckDB's write-ahead log before ``transaction()`` returns, so a run
  is on disk when ``run()`` returns, held connection or not. PostgreSQL is the answer for many writers.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import re
import threading
import time
import weakref
from typing import TYPE_CHECKING, Any, Iterable, Iterator

from .journal import RunJournal
from .session_cache import SessionCache
from .base import RECENT_RUNS, Store, StoreConnectionError, StoreError, StoreLockedError, StoreSchemaError

if TYPE_CHECKING:
    import pandas

__all__ = ["DuckDBStore"]

_log = logging.getLogger("agno_nb")

_PID = re.compile(r"PID (\d+)")
#: how often an idle shared store looks for another process waiting for the file (seconds)
_WATCH = 0.1


class DuckDBStore(Store):
    """Sessions, runs, events and memories in a DuckDB file (``":memory:"`` for a throwaway store)."""

    json_type = "JSON"

    def __init__(self, path: str | os.PathLike[str] = "agno.duckdb", *, shared: bool = False,
                 lock_timeout: float = 10.0, idle_release: float = 30.0, journal: bool = True):
        super().__init__()
        self.path = str(path)
        self.location = self.path
        self.shared = shared and self.path != ":memory:"
        self.lock_timeout = lock_timeout
        #: shared stores: close the connection after this long unused, even if nobody asked for the file
        self.idle_release = idle_release
        self._con: Any = None
        self._migrated = False
        self._wait_note = self.path + ".wait"
        self._last_used = 0.0
        self._watcher: threading.Thread | None = None
        #: set in a thread while it reads past the journal (``load_session`` of a session it holds nothing of)
        self._past_journal = threading.local()
        #: connections opened so far (tests and the benchmark read it)
        self.connects = 0
        # One cache per file, shared by every store object on it in this process: a write through any of
        # them keeps it true (the file has one writer process at a time; see ``session_cache``).
        self.session_cache = _cache_for(self.path)
        #: runs' saves go to a synced journal first and reach the file in batches (``storage.journal``)
        self.journal = _journal_for(self) if journal and self.path != ":memory:" else None
        if self.journal is not None:
            _journaled.add(self)
        _stores.add(self)

    # ------------------------------------------------------------------------------ connection

    def _connect(self) -> Any:
        import duckdb

        deadline = time.monotonic() + (self.lock_timeout if self.shared else 0.0)
        delay = 0.005
        waiting = False
        folder = os.path.dirname(self.path)
        if self.path != ":memory:" and folder and not os.path.isdir(folder):
            os.makedirs(folder, exist_ok=True)  # DuckDBStore("tmp/chat.duckdb") with no tmp/ yet, as in Agno
        try:
            while True:
                try:
                    con = duckdb.connect(self.path)
                    break
                except duckdb.Error as exc:
                    error = self._translate(exc)
                    if isinstance(error, StoreLockedError) and time.monotonic() < deadline:
                        self._ask_for_the_file()  # the holder lets go when it sees the note
                        waiting = True
                        time.sleep(delay)
                        delay = min(delay * 2, 0.05)
                        continue
                    raise error from None
        finally:
            if waiting:
                with contextlib.suppress(OSError):
                    os.remove(self._wait_note)
        self.connects += 1
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

    def _connection(self) -> Any:
        """The open connection (the caller holds ``_lock``); opening one also replays the journals of
        processes that died before their runs reached the file."""
        con = self._con
        if con is not None:
            if self.session_cache is not None:
                self.session_cache.on_transaction(False)
            return con
        con = self._con = self._connect()
        if self.shared:
            self._watch()
        if self.session_cache is not None:
            self.session_cache.on_transaction(True)
        if self.journal is not None:
            import duckdb

            try:
                recovered = self.journal.recover(con)
            except duckdb.Error as exc:
                raise self._translate(exc) from None
            if recovered:
                _log.info("agno_nb: %s: applied %d saved run(s) from the journal of a process that stopped",
                          self.path, recovered)
        return con

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Any]:
        import duckdb

        with self._lock:
            con = self._connection()
            try:
                if self.journal is not None and self.journal.pending \
                        and not getattr(self._past_journal, "on", False):
                    self.journal.apply(con)  # every run saved before is in the file before this reads
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
                    self._last_used = time.monotonic()
                    if self._someone_waits():
                        self._release()

    def commit(self, write: Any) -> Any:
        """A run's save: synced to the journal now (durable), applied to the file in the background."""
        if self.journal is None:
            return super().commit(write)
        future = self.journal.commit(write)
        state = _state_json(write)
        # the cache says what the file will say: only once the write is durable
        future.add_done_callback(lambda done: done.exception() is None and self._cache_saved([(write, state)]))
        return future

    def load_session(self, session_id: str, history: int = 0, *, new_run_id: str | None = None) -> Any:
        """A run's first read (see ``Store.load_session``): it waits for the journal only when the journal
        holds a write of this session or of ``new_run_id``; nothing else can change what it reads."""
        journal = self.journal
        if journal is None or journal.touches(session_id, new_run_id):
            return super().load_session(session_id, history, new_run_id=new_run_id)
        self._past_journal.on = True
        try:
            return super().load_session(session_id, history, new_run_id=new_run_id)
        finally:
            self._past_journal.on = False

    def flush_journal(self) -> None:
        """Apply the journal to the file now (the journal's thread does it on its own)."""
        import duckdb

        if self.journal is None or not self.journal.pending:
            return
        with self._keeping_cache(), self._lock:  # these writes are in the cache already
            if not self.journal.pending:  # applied meanwhile (by a read, or before the file was let go)
                return
            try:
                self.journal.apply(self._connection())
            except duckdb.Error as exc:
                raise self._translate(exc) from None

    def close(self) -> None:
        with self._lock:
            if self.journal is not None:
                with contextlib.suppress(Exception):
                    self.flush_journal()
                self.journal.close()
            self._release()
            self._migrated = False  # a reopened ":memory:" store is a new, empty database

    # ------------------------------------------------------------------- taking turns (shared)

    def _release(self) -> None:
        with self._lock:
            if self._con is None:
                return
            if self.journal is not None and self.journal.pending:
                with contextlib.suppress(Exception):  # what stays pending is applied when we are back
                    self.journal.apply(self._con)
            con, self._con = self._con, None
            with contextlib.suppress(Exception):
                con.close()

    def _ask_for_the_file(self) -> None:
        with contextlib.suppress(OSError):
            with open(self._wait_note, "w") as note:
                note.write(str(os.getpid()))

    def _someone_waits(self) -> bool:
        """A fresh ``.wait`` note from another process (waiters refresh it on every retry)."""
        try:
            stat = os.stat(self._wait_note)
        except OSError:
            return False
        return time.time() - stat.st_mtime < 2.0

    def _watch(self) -> None:
        """While the connection is held, a daemon thread lets go of it when asked or after idling."""
        if self._watcher is None or not self._watcher.is_alive():
            self._watcher = threading.Thread(target=self._watch_loop, name="agno_nb-duckdb-turns", daemon=True)
            self._watcher.start()

    def _watch_loop(self) -> None:
        while not _exiting:
            time.sleep(_WATCH)
            if not self._lock.acquire(blocking=False):
                continue  # a transaction is running; it checks for waiters when it ends
            try:
                if self._con is None:
                    return
                if self._someone_waits() or time.monotonic() - self._last_used >= self.idle_release:
                    self._release()
                    return
            finally:
                self._lock.release()

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


def _state_json(write: Any) -> str | None:
    from .records import to_json

    return to_json(write.session.state) if write.session is not None and write.state_changed() else None


_journaled: "weakref.WeakSet[DuckDBStore]" = weakref.WeakSet()


@atexit.register
def _flush_at_exit() -> None:
    """Before the process ends: stop the threads that use DuckDB (one caught inside DuckDB while the
    interpreter shuts down aborts the process), then apply what the journals hold (safe there anyway)."""
    global _exiting
    _exiting = True
    from .recorder import stop_writer

    stop_writer()
    for store in list(_journaled):
        if store.journal is not None:
            store.journal.stop()
    for store in list(_stores):
        watcher = store._watcher
        if watcher is not None and watcher.is_alive():
            watcher.join(2 * _WATCH + 1)
        with contextlib.suppress(Exception):
            store.close()


_exiting = False
_stores: "weakref.WeakSet[DuckDBStore]" = weakref.WeakSet()


_caches_lock = threading.Lock()
_journals: dict[str, RunJournal] = {}


def _journal_for(store: "DuckDBStore") -> RunJournal:
    """One journal per file in this process, shared by every store object on it."""
    key = os.path.realpath(store.path)
    with _caches_lock:
        journal = _journals.get(key)
        if journal is None:
            journal = _journals[key] = RunJournal(store)
        return journal


_caches: dict[str, SessionCache] = {}

def _cache_for(path: str) -> SessionCache:
    if path == ":memory:":
        return SessionCache(RECENT_RUNS)
    key = os.path.realpath(path)
    with _caches_lock:
        cache = _caches.get(key)
        if cache is None:
            cache = _caches[key] = SessionCache(RECENT_RUNS)
        return cache


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
