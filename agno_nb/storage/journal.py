"""A write-ahead journal in front of a DuckDB file: a run's save costs a file append, not a transaction.

DuckDB is built for analysis: one small transaction costs about 3 ms here (0.7-0.9 ms per INSERT, more
for an upsert, then the commit), more than a whole agent run. So a finished run's save (its
``RunWrite``) is appended to a journal file next to the database and synced to disk (``fdatasync``,
0.2-2 ms depending on the disk) by the journal's sync thread, which writes every save waiting at that
moment with one sync (group commit): when ``run()`` returns, the run is on disk, as promised. A background thread then applies the
journal to the database in batches (one transaction for everything waiting) and notes, in the same
transaction, how far it got (``journal_applied``), so an entry is never applied twice.

- **Reads see every write**: before any other transaction on the store, whatever is waiting in the
  journal is applied first; so is everything before the file is handed to another process. The one
  read every run makes, its session's (``DuckDBStore.load_session``), waits only when the journal holds
  a write of that session (or of the run id it checks): a served app starting a new session per request
  then never waits for the other sessions' batch to be applied.
- **Batches**: the applier waits ``BATCH_DELAY`` after a write before it applies, so a burst of runs is
  one transaction (about 10 ms here however many runs it holds) instead of one each.
- **Crashes lose nothing**: each process has its own journal file (named by ``liveness.owner_token``).
  Whoever opens the database next applies the journals of processes that are gone, from where their
  ``journal_applied`` mark says they stopped; a torn last line (killed mid-append, before it was
  synced, so before ``run()`` returned) is ignored.
"""

from __future__ import annotations

import collections
import concurrent.futures
import glob
import json
import logging
import os
import threading
import time
from typing import TYPE_CHECKING, Any

from ..jsonsafe import dumps
from .liveness import owner_alive, owner_token
from .run_writes import RunWrite, write_runs

if TYPE_CHECKING:
    from .duckdb import DuckDBStore

__all__ = ["RunJournal"]

_log = logging.getLogger("agno_nb")
_SUFFIX = ".journal-"
#: seconds the applier waits after a write before applying, so that a burst of runs is one transaction
BATCH_DELAY = 0.02


class RunJournal:
    """This process's journal for one database file, shared by every store object on that file (so each
    of them reads what any of them saved). ``store`` is the one that applies it."""

    def __init__(self, store: "DuckDBStore"):
        self.store = store
        self.name = owner_token().replace(":", "_")
        self.path = store.path + _SUFFIX + self.name
        self._fd: int | None = None
        self._seq = 0
        #: writes waiting for the sync thread: (seq, write, line, future)
        self._queue: list[tuple[int, RunWrite, bytes, concurrent.futures.Future]] = []
        #: writes being appended and synced right now (the file must not be truncated meanwhile)
        self._unsynced = 0
        self._sync_wake = threading.Event()
        self._syncer: threading.Thread | None = None
        #: synced writes not yet applied to the database
        self._pending: list[tuple[int, RunWrite]] = []
        #: session ids and run ids of the writes not yet in the database (waiting or being applied)
        self._keys: collections.Counter[str] = collections.Counter()
        self._append_lock = threading.Lock()
        #: held while a batch is applied: a reader on any store object waits for it, then sees it
        self._apply_lock = threading.Lock()
        self._in_flight = False
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._stopping = False

    # ----------------------------------------------------------------------------- writing

    def commit(self, write: RunWrite) -> "concurrent.futures.Future[None]":
        """Queue ``write``; the future is done once it is appended and synced (durable). The database gets
        it shortly after. The sync happens on the journal's own thread, never the caller's (a served app's
        event loop must not wait for the disk), and runs finishing together share one ``fdatasync``."""
        line = (dumps({"seq": 0, "write": write.to_payload()}) + "\n").encode()
        future: concurrent.futures.Future = concurrent.futures.Future()
        with self._append_lock:
            self._seq += 1
            seq = self._seq
            self._queue.append((seq, write, line.replace(b'{"seq": 0,', b'{"seq": %d,' % seq, 1), future))
            self._keys.update(_keys(write))
            if self._syncer is None or not self._syncer.is_alive():
                self._syncer = threading.Thread(target=self._sync_loop, name="agno_nb-journal-sync", daemon=True)
                self._syncer.start()
        self._sync_wake.set()
        return future

    def _sync_loop(self) -> None:
        while True:
            # (checked before each wait: a stop() whose wake-up was cleared below is still seen here)
            if self._stopping and not self._queue:
                return
            self._sync_wake.wait(30.0)
            self._sync_wake.clear()
            with self._append_lock:
                batch, self._queue = self._queue, []
                self._unsynced += len(batch)
            if not batch:
                continue
            try:
                if self._fd is None:
                    self._fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
                os.write(self._fd, b"".join(line for _, _, line, _ in batch))
                os.fdatasync(self._fd)
            except OSError as exc:
                with self._append_lock:
                    self._unsynced -= len(batch)
                    for _, write, _, _ in batch:
                        self._keys.subtract(_keys(write))
                    self._keys = +self._keys
                for *_, future in batch:
                    future.set_exception(exc)
                continue
            with self._append_lock:
                self._pending.extend((seq, write) for seq, write, _, _ in batch)
                self._unsynced -= len(batch)
            for *_, future in batch:
                future.set_result(None)
            self._start_applier()
            self._wake.set()

    @property
    def pending(self) -> bool:
        """Writes not yet in the database, waiting or being applied right now."""
        return bool(self._pending) or self._in_flight

    def touches(self, *keys: str | None) -> bool:
        """Whether a write not yet in the database is of one of these session ids or run ids."""
        with self._append_lock:
            return any(key is not None and self._keys[key] > 0 for key in keys)

    # ----------------------------------------------------------------------------- applying

    def apply(self, con: Any) -> None:
        """Apply every waiting write in one transaction on ``con`` (the caller holds its store's lock);
        if another store object is applying right now, wait for it."""
        with self._apply_lock:
            with self._append_lock:
                batch, self._pending = self._pending, []
                self._in_flight = bool(batch)
            if not batch:
                return
            try:
                try:
                    self._apply(con, self.name, batch)
                except _constraint_errors():
                    self._apply_one_by_one(con, self.name, batch)
            except BaseException:
                with self._append_lock:  # keep them: the next read or flush tries again
                    self._pending[:0] = batch
                raise
            finally:
                self._in_flight = False
            with self._append_lock:
                for _, write in batch:
                    self._keys.subtract(_keys(write))
                self._keys = +self._keys  # drop the zeros
                if self._fd is not None and not (self._pending or self._queue or self._unsynced):
                    os.ftruncate(self._fd, 0)  # everything is in the database: start the file afresh

    def _apply_one_by_one(self, con: Any, name: str, batch: list[tuple[int, RunWrite]]) -> None:
        """A batch the database refused (a constraint): apply its writes one at a time, so one bad write
        cannot hold back the others (nor every read after them). A write refused on its own is set aside
        in ``<database>.rejected`` (one JSON line each, for a person to look at) and logged."""
        for seq, write in batch:
            try:
                self._apply(con, name, [(seq, write)])
            except _constraint_errors() as exc:
                _log.error("agno_nb: %s: the database refused the save of run %s (%s); it is kept in %s",
                           self.store.path, write.run.run_id, exc, self.store.path + ".rejected")
                with open(self.store.path + ".rejected", "a", encoding="utf-8") as sink:
                    sink.write(dumps({"error": str(exc), "write": write.to_payload()}) + "\n")
                con.execute("BEGIN TRANSACTION")  # it is dealt with: never applied again
                con.execute("INSERT INTO journal_applied VALUES (?, ?) ON CONFLICT (journal) DO UPDATE SET "
                            "seq = excluded.seq", [name, seq])
                con.execute("COMMIT")

    def _apply(self, con: Any, name: str, batch: list[tuple[int, RunWrite]]) -> None:
        con.execute("BEGIN TRANSACTION")
        try:
            rows = con.execute("SELECT seq FROM journal_applied WHERE journal = ?", [name]).fetchall()
            done = rows[0][0] if rows else 0
            todo = [w for seq, w in batch if seq > done]
            if todo:
                write_runs(self.store, con, todo)
            con.execute("INSERT INTO journal_applied VALUES (?, ?) ON CONFLICT (journal) DO UPDATE SET "
                        "seq = excluded.seq", [name, max(seq for seq, _ in batch)])
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise

    def _start_applier(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(target=self._loop, name="agno_nb-journal", daemon=True)
            self._thread.start()

    def _loop(self) -> None:
        # (_stopping is checked before each wait: a stop() whose wake-up was cleared below is still seen)
        while not self._stopping and self._wake.wait(30.0):
            time.sleep(BATCH_DELAY)  # let the burst's other writes join this batch
            self._wake.clear()
            try:
                self.store.flush_journal()
            except Exception as exc:  # the database is busy or gone: reads and close try again
                _log.debug("agno_nb: applying the run journal of %s failed: %s", self.store.path, exc)
        self._thread = None

    def stop(self) -> None:
        """Stop the sync and applier threads and wait for them (at exit: what is queued is synced first,
        and a thread inside DuckDB while the interpreter shuts down would abort the process)."""
        self._stopping = True
        self._sync_wake.set()
        self._wake.set()
        for thread in (self._syncer, self._thread):
            if thread is not None and thread is not threading.current_thread():
                thread.join(10)

    def close(self) -> None:
        """Everything applied (the caller flushed): remove the file."""
        with self._append_lock:
            if self._fd is not None and not (self._pending or self._queue or self._unsynced):
                os.close(self._fd)
                self._fd = None
                try:
                    os.remove(self.path)
                except OSError:
                    pass

    # ----------------------------------------------------------------------------- recovery

    def recover(self, con: Any) -> int:
        """Apply the journals of processes that are gone (killed before their writes reached the
        database); returns how many writes were applied."""
        applied = 0
        for path in glob.glob(glob.escape(self.store.path) + _SUFFIX + "*"):
            name = path[len(self.store.path) + len(_SUFFIX):]
            if name == self.name or _writer_alive(name):
                continue
            entries = _read(path)
            if entries:
                try:
                    self._apply(con, name, entries)
                except _constraint_errors():
                    self._apply_one_by_one(con, name, entries)
                applied += len(entries)
            try:
                os.remove(path)
            except OSError:
                pass
        return applied


def _constraint_errors() -> tuple[type[BaseException], ...]:
    import duckdb

    return (duckdb.ConstraintException,)


def _keys(write: RunWrite) -> list[str]:
    """What a read must wait for: the write's run id and session id."""
    run = write.run
    return [key for key in (run.run_id, run.session_id) if key]


def _writer_alive(name: str) -> bool:
    """Whether the process that owns a journal file is alive (another host: assume so; never steal)."""
    host_pid_start = name.rsplit("_", 2)
    if len(host_pid_start) != 3:
        return True
    alive = owner_alive(":".join(host_pid_start))
    return alive is not False


def _read(path: str) -> list[tuple[int, RunWrite]]:
    entries = []
    try:
        with open(path, "rb") as handle:
            lines = handle.read().split(b"\n")
    except OSError:
        return []
    for line in lines:
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except ValueError:  # a torn last line: killed mid-append, so before its run() returned
            continue
        entries.append((int(data["seq"]), RunWrite.from_payload(data["write"])))
    return entries
