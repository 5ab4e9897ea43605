"""The store's tables and their versioned, forward-only migrations.

A store opened on an older schema is migrated forward automatically, in one transaction per step;
a store written by newer code is refused (never downgraded), since older code could not know what
the newer columns mean.

The same DDL serves DuckDB and PostgreSQL; ``{json}`` is the JSON column type of each.
"""

from __future__ import annotations

from typing import Callable

__all__ = ["Migration", "MIGRATIONS", "SCHEMA_VERSION", "TABLES"]


class Migration:
    """Step ``version``: the statements that take a store from ``version - 1`` to ``version``."""

    __slots__ = ("version", "description", "statements")

    def __init__(self, version: int, description: str, statements: Callable[[str], list[str]]):
        self.version = version
        self.description = description
        self.statements = statements


def _v1(json: str) -> list[str]:
    return [
        f"""CREATE TABLE sessions (
            session_id TEXT PRIMARY KEY, session_type TEXT NOT NULL, component_id TEXT, user_id TEXT,
            name TEXT, state {json}, summary TEXT, created_at DOUBLE PRECISION NOT NULL,
            updated_at DOUBLE PRECISION NOT NULL, run_count INTEGER NOT NULL DEFAULT 0)""",
        "CREATE INDEX sessions_user ON sessions (user_id)",
        "CREATE INDEX sessions_component ON sessions (component_id)",
        f"""CREATE TABLE runs (
            run_id TEXT PRIMARY KEY, session_id TEXT, parent_run_id TEXT, component_type TEXT,
            component_id TEXT, component_name TEXT, user_id TEXT, status TEXT NOT NULL, input {json},
            content {json}, messages {json}, metrics {json}, error TEXT,
            created_at DOUBLE PRECISION NOT NULL, updated_at DOUBLE PRECISION NOT NULL)""",
        # (session, time): the last N runs of a session are an index range, not a scan of the session.
        "CREATE INDEX runs_session ON runs (session_id, created_at)",
        "CREATE INDEX runs_user ON runs (user_id)",
        f"""CREATE TABLE events (
            run_id TEXT NOT NULL, seq INTEGER NOT NULL, type TEXT NOT NULL, span_id TEXT,
            parent_span_id TEXT, ts DOUBLE PRECISION, payload {json})""",
        "CREATE INDEX events_run ON events (run_id)",
        f"""CREATE TABLE memories (
            memory_id TEXT PRIMARY KEY, user_id TEXT NOT NULL, memory TEXT NOT NULL, topics {json},
            agent_id TEXT, created_at DOUBLE PRECISION NOT NULL, updated_at DOUBLE PRECISION NOT NULL)""",
        "CREATE INDEX memories_user ON memories (user_id)",
        f"""CREATE TABLE approvals (
            run_id TEXT PRIMARY KEY, session_id TEXT, user_id TEXT, component_id TEXT,
            requirements {json}, state {json}, created_at DOUBLE PRECISION NOT NULL)""",
        f"""CREATE TABLE checkpoints (
            run_id TEXT NOT NULL, step_index INTEGER NOT NULL, step_name TEXT, user_id TEXT,
            output {json}, state {json}, created_at DOUBLE PRECISION NOT NULL,
            PRIMARY KEY (run_id, step_index))""",
    ]


def _v2(json: str) -> list[str]:
    return [
        # who writes a running run and when it last showed life: an interrupted run is told from a live one
        "ALTER TABLE runs ADD COLUMN owner TEXT",
        "ALTER TABLE runs ADD COLUMN heartbeat_at DOUBLE PRECISION",
        # a paused run being continued is claimed, not deleted, so a claimant that dies releases it
        "ALTER TABLE approvals ADD COLUMN claimed_by TEXT",
        "ALTER TABLE approvals ADD COLUMN claimed_at DOUBLE PRECISION",
    ]


def _v3(json: str) -> list[str]:
    # The ids of a session's last completed runs, newest last: history is then a lookup of a few primary
    # keys, whatever the session's length (DuckDB cannot read "the last N by time" off an index).
    list_type = "TEXT[]" if json == "JSONB" else "VARCHAR[]"
    return [f"ALTER TABLE sessions ADD COLUMN recent_runs {list_type}"]


def _v4(json: str) -> list[str]:
    """The served runtime's tables (agno_nb.serve): API keys, the audit log, and run controls.

    API keys keep only a SHA-256 of their secret. The audit log holds who called which route, with
    what status and how long it took; never bodies, tokens or query strings. A run control is a
    request (``cancel``) for the replica that runs a run, which may not be the one that was asked.
    """
    return [
        f"""CREATE TABLE api_keys (
            key_id TEXT PRIMARY KEY, name TEXT, secret_sha256 TEXT NOT NULL, user_id TEXT NOT NULL,
            scopes {json}, created_at DOUBLE PRECISION NOT NULL, expires_at DOUBLE PRECISION,
            revoked_at DOUBLE PRECISION, last_used_at DOUBLE PRECISION)""",
        """CREATE TABLE audit_log (
            ts DOUBLE PRECISION NOT NULL, request_id TEXT, user_id TEXT, credential TEXT, method TEXT,
            route TEXT, path TEXT, status INTEGER, duration_ms DOUBLE PRECISION, client TEXT)""",
        "CREATE INDEX audit_log_ts ON audit_log (ts)",
        "CREATE INDEX audit_log_user ON audit_log (user_id, ts)",
        """CREATE TABLE run_controls (
            run_id TEXT PRIMARY KEY, action TEXT NOT NULL, reason TEXT,
            requested_at DOUBLE PRECISION NOT NULL)""",
    ]


# Applied by number, whichever are missing: a store that got one version before an earlier number existed
# still gets that one when it arrives.
def _v5(json: str) -> list[str]:
    # how far each run journal (storage/journal.py, DuckDB) has been applied: an entry is applied once
    return ["CREATE TABLE journal_applied (journal TEXT PRIMARY KEY, seq INTEGER NOT NULL)"]


MIGRATIONS: list[Migration] = [
    Migration(1, "sessions, runs, events, memories, approvals, checkpoints", _v1),
    Migration(2, "run writers and heartbeats; claims of paused runs", _v2),
    Migration(3, "the last runs of each session, for flat history reads", _v3),
    Migration(4, "served runtime: api_keys, audit_log, run_controls", _v4),
    Migration(5, "run journals applied so far", _v5),
]

#: the version this code writes
SCHEMA_VERSION = MIGRATIONS[-1].version

#: every table that holds user data, with the column naming its user (used by export and delete)
TABLES = ("sessions", "runs", "events", "memories", "approvals", "checkpoints")
