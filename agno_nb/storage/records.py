"""The rows a store keeps, as plain classes (no ORM): sessions, runs, memories."""

from __future__ import annotations

import json
import time
from typing import Any

from ..jsonsafe import dumps
from ..redact import has_secrets, redact_known

__all__ = ["SessionRecord", "RunRecord", "MemoryRecord", "to_json", "from_json"]


def to_json(value: Any) -> str | None:
    """JSON text for a column: strict JSON that never fails (``jsonsafe.dumps``), with known secrets
    (API keys agno_nb sent) replaced, so a key a provider echoed never reaches the store."""
    if value is None:
        return None
    text = dumps(value)
    return redact_known(text) if has_secrets() else text


def from_json(text: Any) -> Any:
    if text is None or not isinstance(text, (str, bytes)):
        return text
    return json.loads(text)


class SessionRecord:
    """One conversation (of an agent, team or workflow) with its state, summary and name."""

    __slots__ = ("session_id", "session_type", "component_id", "user_id", "name", "state", "summary",
                 "created_at", "updated_at", "run_count", "recent_runs")

    def __init__(self, session_id: str, session_type: str = "agent", component_id: str | None = None,
                 user_id: str | None = None, name: str | None = None, state: dict | None = None,
                 summary: str | None = None, created_at: float | None = None, updated_at: float | None = None,
                 run_count: int = 0, recent_runs: list[str] | None = None):
        now = time.time()
        self.session_id = session_id
        self.session_type = session_type
        self.component_id = component_id
        self.user_id = user_id
        self.name = name
        self.state = state or {}
        self.summary = summary
        self.created_at = created_at or now
        self.updated_at = updated_at or now
        self.run_count = run_count
        #: ids of the session's last completed top-level runs, newest last (at most ``RECENT_RUNS``)
        self.recent_runs = list(recent_runs) if recent_runs else []

    def to_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__slots__}

    def __repr__(self) -> str:
        return f"SessionRecord({self.session_id!r}, user={self.user_id!r}, runs={self.run_count}, name={self.name!r})"


class RunRecord:
    """One run: its input, answer, status, metrics, and only the messages it added to the session."""

    __slots__ = ("run_id", "session_id", "parent_run_id", "component_type", "component_id", "component_name",
                 "user_id", "status", "input", "content", "messages", "metrics", "error", "created_at",
                 "updated_at", "owner", "heartbeat_at")

    def __init__(self, run_id: str, session_id: str | None, *, parent_run_id: str | None = None,
                 component_type: str = "agent", component_id: str | None = None,
                 component_name: str | None = None, user_id: str | None = None, status: str = "running",
                 input: Any = None, content: Any = None, messages: list[dict] | None = None,
                 metrics: dict | None = None, error: str | None = None, created_at: float | None = None,
                 updated_at: float | None = None, owner: str | None = None, heartbeat_at: float | None = None):
        now = time.time()
        self.run_id = run_id
        self.session_id = session_id
        self.parent_run_id = parent_run_id
        self.component_type = component_type
        self.component_id = component_id
        self.component_name = component_name
        self.user_id = user_id
        self.status = status
        self.input = input
        self.content = content
        self.messages = messages or []
        self.metrics = metrics or {}
        self.error = error
        self.created_at = created_at or now
        self.updated_at = updated_at or now
        #: the process writing a running run (``liveness.owner_token``) and its last sign of life
        self.owner = owner
        self.heartbeat_at = heartbeat_at

    def to_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__slots__}

    def __repr__(self) -> str:
        return f"RunRecord({self.run_id!r}, session={self.session_id!r}, status={self.status!r})"


class MemoryRecord:
    """A fact about a user, kept across sessions."""

    __slots__ = ("memory_id", "user_id", "memory", "topics", "agent_id", "created_at", "updated_at")

    def __init__(self, memory_id: str, user_id: str, memory: str, topics: list[str] | None = None,
                 agent_id: str | None = None, created_at: float | None = None, updated_at: float | None = None):
        now = time.time()
        self.memory_id = memory_id
        self.user_id = user_id
        self.memory = memory
        self.topics = topics or []
        self.agent_id = agent_id
        self.created_at = created_at or now
        self.updated_at = updated_at or now

    def to_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__slots__}

    def __repr__(self) -> str:
        return f"MemoryRecord({self.memory_id!r}, user={self.user_id!r}, {self.memory!r})"
