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


MIGRATIONS: list[Migration] = [
    Migration(1, "sessions, runs, events, memories, approvals, checkpoints", _v1),
    Migration(2, "run writers and heartbeats; claims of paused runs", _v2),
    Migration(3, "the last runs of each session, for flat history reads", _v3),
]

#: the version this code writes
SCHEMA_VERSION = MIGRATIONS[-1].version

#: every table that holds user data, with the column naming its user (used by export and delete)
TABLES = ("sessions", "runs", "events", "memories", "approvals", "checkpoints")
