"""``Store``: sessions, runs, events, memories, approvals and checkpoints in one SQL database.

All queries live here, written once; DuckDB and PostgreSQL differ only in how they connect, bind
parameters, bulk-insert and report errors (``duckdb.py``, ``postgres.py``).

Cost model (design.md section 5): a run is one row plus one row per event, written in one
transaction; a run stores only the messages it added, so writing the 1,000th run of a session costs
what the first did, and history is the last N runs' rows, never the whole session.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import json
import threading
import time
from typing import TYPE_CHECKING, Any, Iterable, Iterator

from ..errors import AgnoNBError
from .liveness import claim_alive, effective_status, owner_token
from .records import MemoryRecord, RunRecord, SessionRecord, from_json, to_json
from .schema import MIGRATIONS, SCHEMA_VERSION, TABLES
from .run_writes import GroupCommitter, RunWrite, write_runs
from .session_cache import SessionCache

if TYPE_CHECKING:
    import pandas

__all__ = ["Store", "StoreError", "StoreLockedError", "StoreSchemaError", "StoreConnectionError",
           "NotFoundError", "EVENT_COLUMNS"]

EVENT_COLUMNS = ("run_id", "seq", "type", "span_id", "parent_span_id", "ts", "payload")
_SESSION_COLUMNS = SessionRecord.__slots__
_RUN_COLUMNS = RunRecord.__slots__
_MEMORY_COLUMNS = MemoryRecord.__slots__
_APPROVAL_COLUMNS = ("run_id", "session_id", "user_id", "component_id", "requirements", "state", "created_at",
                     "claimed_by", "claimed_at")
#: how many of a session's last completed runs the session row lists (history beyond that is a scan)
RECENT_RUNS = 32
INTERRUPTED_REASON = "interrupted: the process running it stopped (killed, crashed or restarted) before it ended"


class StoreError(AgnoNBError):
    """The store cannot do what was asked; the message says why and what to do."""


class StoreLockedError(StoreError):
    """Another process holds the DuckDB file for writing."""


class StoreSchemaError(StoreError):
    """The store was written by a newer agno_nb, or its schema is damaged."""


class StoreConnectionError(StoreError):
    """The database cannot be reached (PostgreSQL down, wrong DSN, unreadable file)."""


class NotFoundError(StoreError, KeyError):
    """No session / run with that id."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class Store:
    """Base of the SQL stores. Thread-safe; every public method is one transaction."""

    #: the JSON column type of the dialect
    json_type = "JSON"
    #: seconds after its start before a run's row is written; runs shorter than that are written once,
    #: at their end (``storage.recorder``). A served app sets 0, so a run is visible at once.
    record_after = 0.1
    #: seconds between batches of a running run's events (how far behind another process tails them)
    flush_interval = 0.25
    #: how a dialect locks a row it reads in order to update it (PostgreSQL: ``FOR UPDATE``)
    for_update = ""
    #: SQL for ``sessions.recent_runs`` with the upserted row's run ids (``excluded.recent_runs``, or
    #: none) appended, keeping the last ``RECENT_RUNS``
    append_recent = (f"list_slice(list_concat(COALESCE(sessions.recent_runs, []::VARCHAR[]), "
                     f"COALESCE(excluded.recent_runs, []::VARCHAR[])), -{RECENT_RUNS}, -1)")
    #: a short description for messages (path or DSN without password)
    location = ""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._committer: GroupCommitter | None = None
        #: sessions kept between runs (``session_cache``); only stores with one writer process use one
        self.session_cache: SessionCache | None = None

    def _keeping_cache(self) -> Any:
        return self.session_cache.keeping() if self.session_cache is not None else contextlib.nullcontext()

    # ----------------------------------------------------------------- dialect hooks (subclasses)

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Any]:
        """A cursor with ``execute(sql, params)`` / ``fetchall()``; commits on success."""
        raise NotImplementedError  # pragma: no cover - each dialect provides it

    def _bulk_insert(self, cur: Any, table: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
        raise NotImplementedError  # pragma: no cover

    def sql(self, query: str, params: Iterable[Any] | None = None) -> "pandas.DataFrame":
        """Run any SQL over the store and get a pandas DataFrame (``?`` placeholders)."""
        raise NotImplementedError  # pragma: no cover

    def close(self) -> None:
        """Release the connection (a closed store reconnects on next use)."""

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.location!r})"

    # ---------------------------------------------------------------------------------- schema

    def _migrate(self, cur: Any) -> None:
        """Bring the schema to ``SCHEMA_VERSION`` (called by subclasses when they connect)."""
        cur.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL, "
                    "applied_at DOUBLE PRECISION NOT NULL, description TEXT)")
        cur.execute("SELECT version FROM schema_version")
        applied = {row[0] for row in cur.fetchall()}
        current = max(applied, default=0)
        if current > SCHEMA_VERSION:
            raise StoreSchemaError(
                f"{self.location} was written by a newer agno_nb (schema version {current}; this version "
                f"knows up to {SCHEMA_VERSION}). Upgrade agno_nb (pip install -U agno_nb); the store was "
                f"left untouched.")
        for migration in MIGRATIONS:
            if migration.version not in applied:  # by number: one that landed late still applies
                try:
                    for statement in migration.statements(self.json_type):
                        cur.execute(statement)
                except StoreError:
                    raise
                except Exception as exc:  # the driver's own error: say which step failed; nothing is kept
                    raise StoreSchemaError(
                        f"Migrating {self.location} to schema version {migration.version} "
                        f"({migration.description}) failed: {exc}. The store was left at version {current}.") from None
                cur.execute("INSERT INTO schema_version VALUES (?, ?, ?)",
                            [migration.version, time.time(), migration.description])

    def schema_version(self) -> int:
        with self.transaction() as cur:
            cur.execute("SELECT max(version) FROM schema_version")
            return cur.fetchall()[0][0] or 0

    # -------------------------------------------------------------------------------- sessions

    def get_session(self, session_id: str, *, user_id: str | None = None) -> SessionRecord | None:
        """The session, or ``None``. With ``user_id``, another user's session is ``None`` too."""
        with self.transaction() as cur:
            return self._get_session(cur, session_id, user_id)

    def _get_session(self, cur: Any, session_id: str, user_id: str | None) -> SessionRecord | None:
        row = self._session_row(cur, session_id)
        if row is None:
            return None
        record = _session_record(row)
        if user_id is not None and record.user_id not in (None, user_id):
            return None
        return record

    def _session_row(self, cur: Any, session_id: str) -> list[Any] | None:
        cur.execute(f"SELECT {', '.join(_SESSION_COLUMNS)} FROM sessions WHERE session_id = ?", [session_id])
        rows = cur.fetchall()
        return list(rows[0]) if rows else None

    def save_session(self, session: SessionRecord) -> None:
        """Insert or update a session. ``None`` name/summary keep what is stored."""
        with self.transaction() as cur:
            self._save_session(cur, session)

    def _save_session(self, cur: Any, s: SessionRecord) -> None:
        cur.execute(
            "INSERT INTO sessions (session_id, session_type, component_id, user_id, name, state, summary, "
            "created_at, updated_at, run_count) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (session_id) DO UPDATE SET component_id = excluded.component_id, "
            "name = COALESCE(excluded.name, sessions.name), state = excluded.state, "
            "summary = COALESCE(excluded.summary, sessions.summary), updated_at = excluded.updated_at, "
            "run_count = excluded.run_count",
            [s.session_id, s.session_type, s.component_id, s.user_id, s.name, to_json(s.state), s.summary,
             s.created_at, s.updated_at, s.run_count])

    def set_session_summary(self, session_id: str, summary: str) -> None:
        """Store a session's summary without touching anything else (summaries are written in the background)."""
        with self.transaction() as cur:
            cur.execute("UPDATE sessions SET summary = ? WHERE session_id = ?", [summary, session_id])

    def list_sessions(self, *, component_id: str | None = None, user_id: str | None = None,
                      session_type: str | None = None, limit: int = 1000, offset: int = 0) -> list[SessionRecord]:
        """Sessions, most recently updated first (``offset`` pages through them)."""
        where, params = _filters(component_id=component_id, user_id=user_id, session_type=session_type)
        with self.transaction() as cur:
            cur.execute(f"SELECT {', '.join(_SESSION_COLUMNS)} FROM sessions{where} "
                        f"ORDER BY updated_at DESC, session_id LIMIT {int(limit)} OFFSET {int(offset)}", params)
            records = [SessionRecord(**dict(zip(_SESSION_COLUMNS, row))) for row in cur.fetchall()]
        for record in records:
            record.state = from_json(record.state) or {}
        return records

    def rename_session(self, session_id: str, name: str) -> None:
        with self.transaction() as cur:
            cur.execute("UPDATE sessions SET name = ?, updated_at = ? WHERE session_id = ? RETURNING session_id",
                        [name, time.time(), session_id])
            if not cur.fetchall():
                raise NotFoundError(f"No session {session_id!r} in {self.location}.")

    def delete_session(self, session_id: str) -> None:
        """Delete a session with its runs, events, approvals and checkpoints."""
        with self.transaction() as cur:
            cur.execute("SELECT 1 FROM sessions WHERE session_id = ?", [session_id])
            if not cur.fetchall():
                raise NotFoundError(f"No session {session_id!r} in {self.location}.")
            for table in ("events", "approvals", "checkpoints"):
                cur.execute(f"DELETE FROM {table} WHERE run_id IN (SELECT run_id FROM runs WHERE session_id = ?)",
                            [session_id])
            cur.execute("DELETE FROM runs WHERE session_id = ?", [session_id])
            cur.execute("DELETE FROM sessions WHERE session_id = ?", [session_id])

    def fork_session(self, session_id: str, new_session_id: str, *, upto_run_id: str | None = None) -> SessionRecord:
        """Copy a session (optionally only up to and including one run) under a new id."""
        with self.transaction() as cur:
            source = self._get_session(cur, session_id, None)
            if source is None:
                raise NotFoundError(f"No session {session_id!r} in {self.location}.")
            if self._get_session(cur, new_session_id, None) is not None:
                raise StoreError(f"Session {new_session_id!r} already exists; pick another id for the fork.")
            cur.execute(f"SELECT {', '.join(_RUN_COLUMNS)} FROM runs WHERE session_id = ? ORDER BY created_at",
                        [session_id])
            runs = [dict(zip(_RUN_COLUMNS, row)) for row in cur.fetchall()]
            if upto_run_id is not None:
                ids = [r["run_id"] for r in runs]
                if upto_run_id not in ids:
                    raise NotFoundError(f"Run {upto_run_id!r} is not in session {session_id!r}.")
                runs = runs[: ids.index(upto_run_id) + 1]
            state, summary = source.state, source.summary
            if upto_run_id is not None:
                summary = None  # the summary covers later runs too
                # the state as that run left it: its RunCompleted event keeps it
                cur.execute("SELECT payload FROM events WHERE run_id = ? AND type = 'RunCompleted' "
                            "ORDER BY seq DESC LIMIT 1", [upto_run_id])
                rows = cur.fetchall()
                if rows:
                    state = (from_json(rows[0][0]) or {}).get("session_state") or {}
            now = time.time()
            fork = SessionRecord(new_session_id, source.session_type, source.component_id, source.user_id,
                                 f"{source.name or session_id} (fork)", state, summary, now, now,
                                 len(runs))
            self._save_session(cur, fork)
            renamed = {run["run_id"]: f"{run['run_id']}:{new_session_id}" for run in runs}
            for run in runs:
                old_id = run["run_id"]
                run["run_id"] = renamed[old_id]
                run["session_id"] = new_session_id
                # member runs point at the forked parent, never back into the source session
                run["parent_run_id"] = renamed.get(run["parent_run_id"], run["parent_run_id"])
                cur.execute(f"INSERT INTO runs ({', '.join(_RUN_COLUMNS)}) VALUES "
                            f"({', '.join('?' * len(_RUN_COLUMNS))})", [run[c] for c in _RUN_COLUMNS])
                cur.execute("INSERT INTO events SELECT ?, seq, type, span_id, parent_span_id, ts, payload "
                            "FROM events WHERE run_id = ?", [run["run_id"], old_id])
            return fork

    # ------------------------------------------------------------------------------------ runs

    def save_run(self, run: RunRecord, events: list[tuple] = (), session: SessionRecord | None = None, *,
                 replace: bool = False, count_run: bool = True, state_base: dict[str, str] | None = None) -> None:
        """Write a run, its events and its session in one transaction.

        ``replace=True`` updates a run saved before (one recorded while running, or a paused run that
        went on: its new events are appended); otherwise the run is new, which takes the cheapest path,
        one plain insert. With ``session``, the session row is updated (or created), and with
        ``count_run`` its run counter goes up. ``state_base`` (key -> JSON of the value as the run found
        it) makes the state update a per-key merge: only the keys this run changed are written, so
        overlapping runs of one session do not undo each other's updates.
        """
        self.save_run_writes([RunWrite(run, events, session, replace=replace, count_run=count_run,
                                       state_base=state_base)])

    def save_run_writes(self, writes: list[RunWrite]) -> None:
        """Several runs' final saves in one transaction (see ``run_writes``)."""
        with self._keeping_cache(), self.transaction() as cur:
            written = write_runs(self, cur, writes)
        self._cache_saved(written)

    def _cache_saved(self, written: list[tuple[RunWrite, str | None]]) -> None:
        """Bring the session cache up to date with saved runs (state JSON written, or ``None``: unchanged)."""
        if self.session_cache is None:
            return
        for write, state_json in written:
            if write.session is None:
                continue
            recent = write.recent
            self.session_cache.saved(write.session.session_id, state_json, write.session.updated_at,
                                     1 if write.count_run else 0, tuple(write.row()) if recent else None)

    def commit(self, write: RunWrite) -> "concurrent.futures.Future[None]":
        """Save a run through the store's group committer (shared with other runs finishing now); the
        future is done when the run is durably written."""
        committer = self._committer
        if committer is None:
            with self._lock:
                if self._committer is None:
                    self._committer = GroupCommitter(self)
                committer = self._committer
        return committer.submit(write)

    @staticmethod
    def _run_row(run: RunRecord) -> list[Any]:
        return RunWrite(run).row()

    def record_run_start(self, run: RunRecord, events: list[tuple] = (),
                         session: SessionRecord | None = None) -> None:
        """Put a running run on record: its row (status ``running``, writer, heartbeat), its events so far,
        and its session if the session is new. A stored run (a paused one going on) is marked running."""
        row = self._run_row(run)
        with self.transaction() as cur:
            cur.execute(f"INSERT INTO runs ({', '.join(_RUN_COLUMNS)}) VALUES ({', '.join('?' * len(_RUN_COLUMNS))}) "
                        "ON CONFLICT (run_id) DO UPDATE SET status = excluded.status, owner = excluded.owner, "
                        "input = COALESCE(excluded.input, runs.input), heartbeat_at = excluded.heartbeat_at, "
                        "updated_at = excluded.updated_at", row)
            if events:
                self._insert_rows(cur, "events", EVENT_COLUMNS, events)
            if session is not None:
                self._create_session(cur, session)

    def append_events(self, run_id: str, events: list[tuple], *, heartbeat_at: float) -> None:
        """Add a running run's next events and note that its writer is alive."""
        with self.transaction() as cur:
            if events:
                self._insert_rows(cur, "events", EVENT_COLUMNS, events)
            cur.execute("UPDATE runs SET heartbeat_at = ? WHERE run_id = ?", [heartbeat_at, run_id])

    def heartbeat(self, run_ids: list[str]) -> None:
        """Note that the writer of these running runs is alive."""
        if not run_ids:
            return
        with self.transaction() as cur:
            cur.execute(f"UPDATE runs SET heartbeat_at = ? WHERE status = 'running' AND run_id IN "
                        f"({', '.join('?' * len(run_ids))})", [time.time(), *run_ids])

    def reap_interrupted(self) -> list[str]:
        """Mark ``running`` runs whose writer is gone as ``interrupted`` (in the store, not only when
        read); return their ids. A served app calls this when it starts and now and then."""
        with self.transaction() as cur:
            cur.execute("SELECT run_id, owner, heartbeat_at FROM runs WHERE status = 'running'")
            rows = cur.fetchall()
            now = time.time()
            dead = [run_id for run_id, owner, beat in rows if effective_status("running", owner, beat, now)
                    == "interrupted"]
            if dead:
                cur.execute(f"UPDATE runs SET status = 'interrupted', error = ?, updated_at = ? WHERE status = "
                            f"'running' AND run_id IN ({', '.join('?' * len(dead))})",
                            [INTERRUPTED_REASON, now, *dead])
        return dead

    def _create_session(self, cur: Any, s: SessionRecord) -> None:
        cur.execute(
            "INSERT INTO sessions (session_id, session_type, component_id, user_id, name, state, summary, "
            "created_at, updated_at, run_count) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0) "
            "ON CONFLICT (session_id) DO NOTHING",
            [s.session_id, s.session_type, s.component_id, s.user_id, s.name, to_json(s.state), s.summary,
             s.created_at, s.updated_at])

    #: batches up to this size go in one multi-row INSERT; larger ones take the dialect's bulk path
    small_batch = 200

    def _insert_rows(self, cur: Any, table: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
        if len(rows) > self.small_batch:
            self._bulk_insert(cur, table, columns, rows)
            return
        one = "(" + ", ".join("?" * len(columns)) + ")"
        cur.execute(f"INSERT INTO {table} ({', '.join(columns)}) VALUES " + ", ".join([one] * len(rows)),
                    [value for row in rows for value in row])

    def get_run(self, run_id: str) -> RunRecord | None:
        with self.transaction() as cur:
            cur.execute(f"SELECT {', '.join(_RUN_COLUMNS)} FROM runs WHERE run_id = ?", [run_id])
            rows = cur.fetchall()
        return _run_record(rows[0]) if rows else None

    def last_runs(self, session_id: str, n: int, *, statuses: tuple[str, ...] = ("completed",)) -> list[RunRecord]:
        """The last ``n`` top-level runs of a session (oldest first), reading only those rows."""
        with self.transaction() as cur:
            session = self._get_session(cur, session_id, None) if statuses == ("completed",) else None
            return self._last_runs(cur, session_id, n, statuses, session)

    def load_session(self, session_id: str, history: int = 0, *,
                     new_run_id: str | None = None) -> tuple[SessionRecord | None, list[RunRecord]]:
        """A session and its last ``history`` completed runs, in one transaction (what a run reads first);
        from ``session_cache`` when this process saved them last. ``new_run_id``: a run id the caller chose,
        refused (``ConfigurationError``) if a run already has it, so the run is stopped before it starts
        rather than found unsaveable after."""
        cache = self.session_cache
        if cache is not None:
            hit = cache.get(session_id, history)
            if hit is not None:
                if new_run_id is not None:
                    with self._keeping_cache(), self.transaction() as cur:
                        self._check_new_run_id(cur, new_run_id)
                return _session_record(hit[0]), [_run_record(row) for row in hit[1]]
        with self._keeping_cache(), self.transaction() as cur:
            if new_run_id is not None:
                self._check_new_run_id(cur, new_run_id)
            row = self._session_row(cur, session_id)
            session = _session_record(row) if row is not None else None
            runs = self._last_runs(cur, session_id, max(history, RECENT_RUNS if cache else 0), ("completed",),
                                   session, raw=True) if session is not None and (history or cache) else []
        if cache is not None and row is not None:
            cache.put(session_id, row, runs)
        return session, [_run_record(r) for r in runs[-history:]] if history else []

    def _check_new_run_id(self, cur: Any, run_id: str) -> None:
        cur.execute("SELECT 1 FROM runs WHERE run_id = ?", [run_id])
        if cur.fetchall():
            from ..errors import ConfigurationError

            raise ConfigurationError(f"run_id {run_id!r} is already used by a run in {self.location}; pass a new "
                                     f"run_id (or none: one is made for you).")

    def _last_runs(self, cur: Any, session_id: str, n: int, statuses: tuple[str, ...],
                   session: SessionRecord | None, raw: bool = False) -> list[Any]:
        """The last ``n`` runs, oldest first (``raw``: as stored rows)."""
        if n <= 0:
            return []
        decode = (lambda row: row) if raw else _run_record
        recent = session.recent_runs if session is not None else []
        if recent and (len(recent) >= n or len(recent) >= session.run_count):  # type: ignore[union-attr]
            ids = recent[-n:]
            cur.execute(f"SELECT {', '.join(_RUN_COLUMNS)} FROM runs WHERE run_id IN ({', '.join('?' * len(ids))})",
                        ids)
            found = {row[0]: row for row in cur.fetchall()}
            if len(found) == len(ids):  # (a run deleted since: read the slow way)
                return [decode(found[i]) for i in ids]
        marks = ", ".join("?" * len(statuses))
        cur.execute(f"SELECT {', '.join(_RUN_COLUMNS)} FROM runs WHERE session_id = ? AND parent_run_id IS NULL "
                    f"AND status IN ({marks}) ORDER BY created_at DESC LIMIT {int(n)}", [session_id, *statuses])
        rows = cur.fetchall()
        return [decode(row) for row in reversed(rows)]

    def list_runs(self, *, session_id: str | None = None, user_id: str | None = None,
                  limit: int = 1000, offset: int = 0, oldest_first: bool = False) -> list[RunRecord]:
        """Runs, newest first (or oldest first); ``offset`` pages through them."""
        where, params = _filters(session_id=session_id, user_id=user_id)
        order = "ASC" if oldest_first else "DESC"
        with self.transaction() as cur:
            cur.execute(f"SELECT {', '.join(_RUN_COLUMNS)} FROM runs{where} ORDER BY created_at {order}, run_id "
                        f"{order} LIMIT {int(limit)} OFFSET {int(offset)}", params)
            return [_run_record(row) for row in cur.fetchall()]

    def get_events(self, run_id: str, *, from_seq: int = 0) -> list[dict[str, Any]]:
        """The run's events in order (from row ``from_seq`` on), as dicts (``payload`` decoded)."""
        with self.transaction() as cur:
            cur.execute(f"SELECT {', '.join(EVENT_COLUMNS)} FROM events WHERE run_id = ? AND seq >= ? ORDER BY seq",
                        [run_id, from_seq])
            rows = cur.fetchall()
        return [{**dict(zip(EVENT_COLUMNS, row)), "payload": from_json(row[6])} for row in rows]

    # -------------------------------------------------------------------------------- memories

    def save_memory(self, memory: MemoryRecord) -> None:
        with self.transaction() as cur:
            cur.execute(
                f"INSERT INTO memories ({', '.join(_MEMORY_COLUMNS)}) VALUES (?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (memory_id) DO UPDATE SET memory = excluded.memory, topics = excluded.topics, "
                "updated_at = excluded.updated_at WHERE memories.user_id = excluded.user_id",
                [memory.memory_id, memory.user_id, memory.memory, to_json(memory.topics), memory.agent_id,
                 memory.created_at, memory.updated_at])

    def list_memories(self, user_id: str, *, limit: int | None = None) -> list[MemoryRecord]:
        """One user's memories, most recently updated first. ``user_id`` is required: no cross-user reads."""
        if not user_id:
            raise StoreError("Memories belong to a user: pass user_id.")
        with self.transaction() as cur:
            cur.execute(f"SELECT {', '.join(_MEMORY_COLUMNS)} FROM memories WHERE user_id = ? "
                        f"ORDER BY updated_at DESC" + (f" LIMIT {int(limit)}" if limit is not None else ""),
                        [user_id])
            rows = cur.fetchall()
        records = [MemoryRecord(**dict(zip(_MEMORY_COLUMNS, row))) for row in rows]
        for record in records:
            record.topics = from_json(record.topics) or []
        return records

    def delete_memory(self, user_id: str, memory_id: str) -> bool:
        with self.transaction() as cur:
            cur.execute("DELETE FROM memories WHERE user_id = ? AND memory_id = ? RETURNING memory_id",
                        [user_id, memory_id])
            return bool(cur.fetchall())

    # ------------------------------------------------------------------- approvals, checkpoints

    def save_approval(self, run_id: str, *, session_id: str | None, user_id: str | None,
                      component_id: str | None, requirements: Any, state: Any) -> None:
        with self.transaction() as cur:
            self._save_approval(cur, run_id, session_id=session_id, user_id=user_id, component_id=component_id,
                                requirements=requirements, state=state)

    def _save_approval(self, cur: Any, run_id: str, *, session_id: str | None, user_id: str | None,
                       component_id: str | None, requirements: Any, state: Any) -> None:
        cur.execute(f"INSERT INTO approvals ({', '.join(_APPROVAL_COLUMNS)}) VALUES (?, ?, ?, ?, ?, ?, ?, NULL, NULL) "
                    "ON CONFLICT (run_id) DO UPDATE SET requirements = excluded.requirements, "
                    "state = excluded.state, claimed_by = NULL, claimed_at = NULL",
                    [run_id, session_id, user_id, component_id, to_json(requirements), to_json(state),
                     time.time()])

    def get_approval(self, run_id: str) -> dict[str, Any] | None:
        """The approval row of a paused run (what it waits for, and its state), or ``None``."""
        with self.transaction() as cur:
            return self._approval(cur, run_id)

    def take_approval(self, run_id: str) -> dict[str, Any] | None:
        """Claim a paused run for continuing; ``None`` if there is none or another live process holds it.

        Two processes can never both continue (and both run the approved tools of) one paused run. The
        claim lasts as long as its claimant: if the process continuing the run dies (kill -9), the run
        row shows it interrupted and the next ``continue_run`` may claim the run again. The row itself is
        removed when the continuation is saved.
        """
        with self.transaction() as cur:
            approval = self._approval(cur, run_id, lock=True)
            if approval is None:
                return None
            if approval["claimed_by"]:
                cur.execute("SELECT heartbeat_at FROM runs WHERE run_id = ?", [run_id])
                rows = cur.fetchall()
                last_sign = max(approval["claimed_at"] or 0.0, (rows[0][0] if rows else None) or 0.0)
                if claim_alive(approval["claimed_by"], last_sign):
                    return None
            approval["claimed_by"], approval["claimed_at"] = owner_token(), time.time()
            cur.execute("UPDATE approvals SET claimed_by = ?, claimed_at = ? WHERE run_id = ?",
                        [approval["claimed_by"], approval["claimed_at"], run_id])
            return approval

    def release_approval(self, run_id: str) -> None:
        """Give up a claim (a continuation that failed before doing anything)."""
        with self.transaction() as cur:
            cur.execute("UPDATE approvals SET claimed_by = NULL, claimed_at = NULL WHERE run_id = ?", [run_id])

    def _approval(self, cur: Any, run_id: str, lock: bool = False) -> dict[str, Any] | None:
        cur.execute(f"SELECT {', '.join(_APPROVAL_COLUMNS)} FROM approvals WHERE run_id = ?"
                    f"{self.for_update if lock else ''}", [run_id])
        rows = cur.fetchall()
        if not rows:
            return None
        row = dict(zip(_APPROVAL_COLUMNS, rows[0]))
        row["requirements"], row["state"] = from_json(row["requirements"]), from_json(row["state"])
        return row

    def delete_approval(self, run_id: str) -> None:
        with self.transaction() as cur:
            cur.execute("DELETE FROM approvals WHERE run_id = ?", [run_id])

    def save_checkpoint(self, run_id: str, step_index: int, step_name: str, *, output: Any, state: Any,
                        user_id: str | None = None) -> None:
        with self.transaction() as cur:
            cur.execute("INSERT INTO checkpoints VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (run_id, step_index) "
                        "DO UPDATE SET output = excluded.output, state = excluded.state",
                        [run_id, step_index, step_name, user_id, to_json(output), to_json(state), time.time()])

    def load_checkpoints(self, run_id: str) -> list[dict[str, Any]]:
        columns = ("step_index", "step_name", "output", "state", "created_at")
        with self.transaction() as cur:
            cur.execute(f"SELECT {', '.join(columns)} FROM checkpoints WHERE run_id = ? ORDER BY step_index",
                        [run_id])
            rows = cur.fetchall()
        return [{**dict(zip(columns, row)), "output": from_json(row[2]), "state": from_json(row[3])} for row in rows]

    # ------------------------------------------------------------------------------ user data

    def export_user(self, user_id: str) -> Iterator[dict[str, Any]]:
        """Every row that belongs to ``user_id``, as ``{"table": ..., "row": {...}}`` dicts."""
        for table, query in _user_queries("SELECT *"):
            with self.transaction() as cur:
                cur.execute(query, [user_id] * query.count("?"))
                names = [d[0] for d in cur.description]
                rows = cur.fetchall()
            for row in rows:
                yield {"table": table, "row": {n: _plain(v) for n, v in zip(names, row)}}

    def export_user_jsonl(self, user_id: str, path: str) -> int:
        """Write ``export_user`` to a JSON Lines file; return the number of rows written."""
        count = 0
        with open(path, "w", encoding="utf-8") as handle:
            for item in self.export_user(user_id):
                handle.write(json.dumps(item, default=str, ensure_ascii=False) + "\n")
                count += 1
        return count

    def delete_user(self, user_id: str) -> dict[str, int]:
        """Delete everything of ``user_id`` in every table, in one transaction; return counts per table."""
        counts: dict[str, int] = {}
        with self.transaction() as cur:
            # shared sessions stop listing the user's runs as recent (they are read the slow way from now)
            cur.execute("UPDATE sessions SET recent_runs = NULL WHERE session_id IN "
                        "(SELECT session_id FROM runs WHERE user_id = ?)", [user_id])
            for table, query in _user_queries("SELECT count(*)"):
                cur.execute(query, [user_id] * query.count("?"))
                counts[table] = cur.fetchall()[0][0]
            for table, query in _user_queries("DELETE"):
                cur.execute(query, [user_id] * query.count("?"))
        return counts


def _user_queries(verb: str) -> list[tuple[str, str]]:
    """Per table, a ``verb`` query over the rows of one user (every ``?`` is that user's id).

    Children come first (events, approvals and checkpoints hang off runs; runs off sessions), so the
    same order serves deletion.
    """
    user_runs = "SELECT run_id FROM runs WHERE user_id = ? OR session_id IN " \
                "(SELECT session_id FROM sessions WHERE user_id = ?)"
    queries = [
        ("events", f"{verb} FROM events WHERE run_id IN ({user_runs})"),
        ("approvals", f"{verb} FROM approvals WHERE user_id = ? OR run_id IN ({user_runs})"),
        ("checkpoints", f"{verb} FROM checkpoints WHERE user_id = ? OR run_id IN ({user_runs})"),
        ("runs", f"{verb} FROM runs WHERE user_id = ? OR session_id IN "
                 "(SELECT session_id FROM sessions WHERE user_id = ?)"),
        ("memories", f"{verb} FROM memories WHERE user_id = ?"),
        ("sessions", f"{verb} FROM sessions WHERE user_id = ?"),
    ]
    assert {table for table, _ in queries} == set(TABLES)
    return queries


def _filters(**columns: Any) -> tuple[str, list[Any]]:
    clauses = [f"{name} = ?" for name, value in columns.items() if value is not None]
    params = [value for value in columns.values() if value is not None]
    return (" WHERE " + " AND ".join(clauses) if clauses else ""), params


def _session_record(row: list[Any]) -> SessionRecord:
    record = SessionRecord(**dict(zip(_SESSION_COLUMNS, row)))
    record.recent_runs = list(record.recent_runs or ())
    record.state = from_json(record.state) or {}
    return record


def _run_record(row: tuple) -> RunRecord:
    data = dict(zip(_RUN_COLUMNS, row))
    for key in ("input", "content", "messages", "metrics"):
        data[key] = from_json(data[key])
    if data["status"] == "running":
        data["status"] = effective_status("running", data["owner"], data["heartbeat_at"])
        if data["status"] == "interrupted" and not data["error"]:
            data["error"] = INTERRUPTED_REASON
    return RunRecord(**data)


def _plain(value: Any) -> Any:
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)
