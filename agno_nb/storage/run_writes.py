"""A run's final save as data (``RunWrite``), and group commit: many runs' saves in one transaction.

An embedded database pays per statement and per commit (DuckDB: about a millisecond each), so a server
finishing many runs at once would spend its time committing one run at a time. Instead each store has
one committer thread: a run hands over its ``RunWrite`` and waits; the committer writes everything that
is waiting in one transaction, with multi-row statements (runs, events, sessions), and wakes every run
it wrote. A lone run (a notebook) is written alone, at once, as before. If a batch fails, its runs are
written one by one, so one bad run never fails another.
"""

from __future__ import annotations

import concurrent.futures
import threading
from typing import TYPE_CHECKING, Any

from ..jsonsafe import dumps
from .records import RunRecord, SessionRecord, from_json, to_json

if TYPE_CHECKING:
    from .base import Store

__all__ = ["RunWrite", "write_runs", "GroupCommitter", "RUN_COLUMNS"]

RUN_COLUMNS = RunRecord.__slots__
_SESSION_INSERT = ("INSERT INTO sessions (session_id, session_type, component_id, user_id, name, state, summary, "
                   "created_at, updated_at, run_count, recent_runs) VALUES ")
_SESSION_VALUES = "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"


class RunWrite:
    """Everything a run's final save writes: its row, its remaining events, its session, its approval."""

    __slots__ = ("run", "events", "session", "replace", "count_run", "state_base", "approval", "delete_approval",
                 "_row")

    def __init__(self, run: RunRecord, events: list[tuple] = (), session: SessionRecord | None = None, *,
                 replace: bool = False, count_run: bool = True, state_base: dict[str, str] | None = None,
                 approval: dict[str, Any] | None = None, delete_approval: bool = False):
        self.run = run
        self.events = list(events)
        #: the session row to update (``None``: a member's run, whose parent writes the session)
        self.session = session
        #: the run row is already stored (recorded while running, or a paused run that went on)
        self.replace = replace
        self.count_run = count_run
        #: key -> JSON of the state as the run found it: the session update is a per-key merge
        self.state_base = state_base
        #: ``save_approval`` keyword arguments for a paused run
        self.approval = approval
        #: a continued run: its approval row goes
        self.delete_approval = delete_approval
        self._row: list[Any] | None = None

    def row(self) -> list[Any]:
        if self._row is None:
            run = self.run
            self._row = [run.run_id, run.session_id, run.parent_run_id, run.component_type, run.component_id,
                         run.component_name, run.user_id, run.status, to_json(run.input), to_json(run.content),
                         to_json(run.messages), to_json(run.metrics), run.error, run.created_at, run.updated_at,
                         run.owner, run.heartbeat_at]
        return self._row

    def to_payload(self) -> dict[str, Any]:
        """Plain data (for ``jsonsafe.dumps``): what the journal keeps until the database has the write."""
        return {"run": self.run.to_dict(), "events": [list(e) for e in self.events],
                "session": self.session.to_dict() if self.session is not None else None,
                "replace": self.replace, "count_run": self.count_run, "state_base": self.state_base,
                "approval": self.approval, "delete_approval": self.delete_approval}

    @classmethod
    def from_payload(cls, data: dict[str, Any]) -> "RunWrite":
        run = dict(data["run"])
        session = data.get("session")
        return cls(RunRecord(run.pop("run_id"), run.pop("session_id"), **run), [tuple(e) for e in data["events"]],
                   SessionRecord(**session) if session else None, replace=data["replace"],
                   count_run=data["count_run"], state_base=data.get("state_base"), approval=data.get("approval"),
                   delete_approval=data.get("delete_approval", False))

    def state_changed(self) -> bool:
        changed, removed = _changes(self) if self.session is not None else ({}, [])
        return bool(changed or removed)

    @property
    def recent(self) -> str | None:
        """The run id to list among the session's recent runs (completed top-level runs only)."""
        run = self.run
        return run.run_id if self.session is not None and run.status == "completed" and run.parent_run_id is None \
            else None


def write_runs(store: "Store", cur: Any, writes: list[RunWrite]) -> list[tuple[RunWrite, str | None]]:
    """Write ``writes`` inside the caller's transaction; return (write, state JSON written or None) for the
    session cache."""
    insert = f"INSERT INTO runs ({', '.join(RUN_COLUMNS)}) VALUES "
    one = "(" + ", ".join("?" * len(RUN_COLUMNS)) + ")"
    plain = [w for w in writes if not w.replace]
    for start in range(0, len(plain), 100):
        chunk = plain[start:start + 100]
        cur.execute(insert + ", ".join([one] * len(chunk)), [v for w in chunk for v in w.row()])
    for w in writes:
        if w.replace:
            cur.execute(insert + one + " ON CONFLICT (run_id) DO UPDATE SET status = excluded.status, "
                        "input = excluded.input, content = excluded.content, messages = excluded.messages, "
                        "metrics = excluded.metrics, error = excluded.error, updated_at = excluded.updated_at, "
                        "heartbeat_at = excluded.heartbeat_at", w.row())
            if w.events:  # a re-save of the same events replaces them instead of doubling them
                cur.execute("DELETE FROM events WHERE run_id = ? AND seq >= ?",
                            [w.run.run_id, min(e[1] for e in w.events)])
    events = [e for w in writes for e in w.events]
    if events:
        store._insert_rows(cur, "events", ("run_id", "seq", "type", "span_id", "parent_span_id", "ts", "payload"),
                           events)
    written = _write_sessions(store, cur, [w for w in writes if w.session is not None])
    for w in writes:
        if w.approval is not None:
            store._save_approval(cur, w.run.run_id, **w.approval)
        elif w.delete_approval:
            cur.execute("DELETE FROM approvals WHERE run_id = ?", [w.run.run_id])
    return written


def _write_sessions(store: "Store", cur: Any, writes: list[RunWrite]) -> list[tuple[RunWrite, str | None]]:
    """Untouched states: one multi-row upsert (per round of distinct sessions); changed states: a per-key
    merge each (read the stored state, apply this run's changes, write)."""
    written: list[tuple[RunWrite, str | None]] = []
    simple: list[RunWrite] = []
    for w in writes:
        changed, removed = _changes(w)
        if w.state_base is not None and not changed and not removed:
            simple.append(w)
        else:
            written.append((w, _merge_session(store, cur, w, changed, removed)))
    while simple:  # an upsert cannot touch one row twice: sessions repeated in the batch go in later rounds
        seen: set[str] = set()
        round_, rest = [], []
        for w in simple:
            (rest if w.session.session_id in seen else round_).append(w)  # type: ignore[union-attr]
            seen.add(w.session.session_id)  # type: ignore[union-attr]
        cur.execute(_SESSION_INSERT + ", ".join([_SESSION_VALUES] * len(round_)) + " ON CONFLICT (session_id) DO "
                    f"UPDATE SET updated_at = excluded.updated_at, run_count = sessions.run_count + "
                    f"excluded.run_count, recent_runs = {store.append_recent}",
                    [v for w in round_ for v in _session_values(w, to_json(w.session.state))])  # type: ignore[union-attr]
        written += [(w, None) for w in round_]
        simple = rest
    return written


def _changes(w: RunWrite) -> tuple[dict[str, Any], list[str]]:
    if w.state_base is None:
        return dict(w.session.state), []  # type: ignore[union-attr]
    state, base = w.session.state, w.state_base  # type: ignore[union-attr]
    return ({k: v for k, v in state.items() if dumps(v) != base.get(k)}, [k for k in base if k not in state])


def _merge_session(store: "Store", cur: Any, w: RunWrite, changed: dict[str, Any], removed: list[str]) -> str:
    s = w.session
    state = s.state  # type: ignore[union-attr]
    if w.state_base is not None:
        # A new session is created with this run's state; an existing one is locked, read, and merged into.
        # (Creating first closes the race of two processes both finding no row and both writing theirs.)
        cur.execute(_SESSION_INSERT + _SESSION_VALUES + " ON CONFLICT (session_id) DO NOTHING RETURNING session_id",
                    _session_values(w, to_json(state)))
        if cur.fetchall():
            return to_json(state)  # type: ignore[return-value]
        cur.execute(f"SELECT state FROM sessions WHERE session_id = ?{store.for_update}", [s.session_id])  # type: ignore[union-attr]
        rows = cur.fetchall()
        current = (from_json(rows[0][0]) if rows else None) or {}
        current.update(changed)
        for key in removed:
            current.pop(key, None)
        state = current
    state_json = to_json(state)
    cur.execute(_SESSION_INSERT + _SESSION_VALUES + " ON CONFLICT (session_id) DO UPDATE SET updated_at = "
                "excluded.updated_at, run_count = sessions.run_count + excluded.run_count, state = excluded.state, "
                f"recent_runs = {store.append_recent}", _session_values(w, state_json))
    return state_json  # type: ignore[return-value]


def _session_values(w: RunWrite, state_json: str | None) -> list[Any]:
    s = w.session
    recent = w.recent
    return [s.session_id, s.session_type, s.component_id, s.user_id, s.name, state_json, s.summary,  # type: ignore[union-attr]
            s.created_at, s.updated_at, 1 if w.count_run else 0, [recent] if recent else None]  # type: ignore[union-attr]


class GroupCommitter:
    """One thread per store that writes waiting runs' saves together (see the module docstring)."""

    def __init__(self, store: "Store"):
        self._store = store
        self._queue: list[tuple[RunWrite, concurrent.futures.Future]] = []
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None

    def submit(self, write: RunWrite) -> concurrent.futures.Future:
        future: concurrent.futures.Future = concurrent.futures.Future()
        with self._cond:
            self._queue.append((write, future))
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._loop, name="agno_nb-commit", daemon=True)
                self._thread.start()
            self._cond.notify()
        return future

    def _loop(self) -> None:
        while True:
            with self._cond:
                while not self._queue:
                    if not self._cond.wait(30.0) and not self._queue:
                        self._thread = None  # idle: retire (a new one starts with the next write)
                        return
                batch, self._queue = self._queue, []
            self._commit(batch)

    def _commit(self, batch: list[tuple[RunWrite, concurrent.futures.Future]]) -> None:
        try:
            self._store.save_run_writes([w for w, _ in batch])
        except BaseException as exc:
            if len(batch) == 1:
                batch[0][1].set_exception(exc)
                return
            for item in batch:  # one bad run must not fail the others
                self._commit([item])
            return
        for _, future in batch:
            future.set_result(None)
