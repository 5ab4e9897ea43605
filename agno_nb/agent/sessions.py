"""The session side of an agent: read, rename, fork and delete its stored sessions and memories."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..errors import ConfigurationError
from ..run_events import new_run_id

if TYPE_CHECKING:
    from ..storage.base import Store
    from ..storage.records import MemoryRecord, RunRecord, SessionRecord

__all__ = ["AgentSessions"]


class AgentSessions:
    """Mixed into ``Agent``; every method works on the agent's store."""

    __slots__ = ()

    def _require_store(self) -> "Store":
        store = self.store()  # type: ignore[attr-defined]
        if store is None:
            raise ConfigurationError(
                "This agent has no store: pass db=DuckDBStore('agno.duckdb') (or a path / PostgreSQL DSN) to "
                "the Agent, or call agno_nb.storage.set_default_store(...).")
        return store

    def _session_id(self, session_id: str | None) -> str:
        session_id = session_id or self.session_id  # type: ignore[attr-defined]
        if not session_id:
            raise ConfigurationError("Which session? Pass session_id=... (or set it on the Agent).")
        return session_id

    def get_session(self, session_id: str | None = None) -> "SessionRecord":
        """The stored session (state, summary, name, run count)."""
        from ..storage.base import NotFoundError

        session_id = self._session_id(session_id)
        session = self._require_store().get_session(session_id)
        if session is None:
            raise NotFoundError(f"No session {session_id!r} in {self._require_store().location}.")
        return session

    def get_session_state(self, session_id: str | None = None) -> dict[str, Any]:
        return self.get_session(session_id).state

    def get_session_runs(self, session_id: str | None = None, *, limit: int = 1000) -> list["RunRecord"]:
        """The session's runs, oldest first."""
        self.get_session(session_id)  # unknown ids raise NotFoundError
        runs = self._require_store().list_runs(session_id=self._session_id(session_id), limit=limit)
        return list(reversed(runs))

    def get_session_messages(self, session_id: str | None = None) -> list[dict[str, Any]]:
        """Every message of the session, in order (without system prompts)."""
        return [m for run in self.get_session_runs(session_id) for m in (run.messages or ())
                if m.get("role") != "system"]

    def rename_session(self, name: str, session_id: str | None = None) -> None:
        self._require_store().rename_session(self._session_id(session_id), name)

    def delete_session(self, session_id: str | None = None) -> None:
        """Delete a session with all its runs and events."""
        self._require_store().delete_session(self._session_id(session_id))

    def fork_session(self, session_id: str | None = None, *, new_session_id: str | None = None,
                     upto_run_id: str | None = None) -> str:
        """Copy a session (up to and including ``upto_run_id``) and return the new session's id."""
        new_session_id = new_session_id or new_run_id()
        self._require_store().fork_session(self._session_id(session_id), new_session_id, upto_run_id=upto_run_id)
        return new_session_id

    def get_user_memories(self, user_id: str | None = None) -> list["MemoryRecord"]:
        user_id = user_id or self.user_id  # type: ignore[attr-defined]
        if not user_id:
            raise ConfigurationError("Whose memories? Pass user_id=... (or set it on the Agent).")
        return self._require_store().list_memories(user_id)
