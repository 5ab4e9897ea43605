"""The session side of an agent: read, rename, fork and delete its stored sessions and memories.

Every method takes ``session_id`` (default: the agent's current session, the one its last run without a
session id used) and ``user_id`` (default: the agent's ``user_id``, else the user of its last run). A session created by a user is that
user's alone: another ``user_id``, or none, is refused (``AccessDeniedError``), as in a run. Memories
without a user go to the user ``"default"``, as in Agno.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..errors import ConfigurationError

if TYPE_CHECKING:
    from ..storage.base import Store
    from ..storage.records import MemoryRecord, RunRecord, SessionRecord

__all__ = ["AgentSessions", "DEFAULT_USER", "SessionSummary"]


class SessionSummary(str):
    """A session's summary: the text itself, with Agno's ``.summary`` and ``.topics`` views."""

    __slots__ = ()

    @property
    def summary(self) -> str:
        return str(self)

    @property
    def topics(self) -> list[str]:
        return []

#: whose memories they are when no user id is given (Agno's convention)
DEFAULT_USER = "default"


class AgentSessions:
    """Mixed into ``Agent`` (and ``Team``); every method works on the agent's store."""

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
            raise ConfigurationError("Which session? This agent has not run yet: pass session_id=... (or set it on "
                                     "the Agent).")
        return session_id

    def _owned_session(self, session_id: str | None, user_id: str | None) -> "SessionRecord":
        """The stored session, checked to be ``user_id``'s (or open to anyone)."""
        from ..storage.access import check_session_access
        from ..storage.base import NotFoundError

        session_id = self._session_id(session_id)
        store = self._require_store()
        session = store.get_session(session_id)
        if session is None:
            raise NotFoundError(f"No session {session_id!r} in {store.location}.")
        user = user_id or self.user_id or getattr(self, "_last_user_id", None)  # type: ignore[attr-defined]
        check_session_access(session, user, session_id)
        return session

    def get_session(self, session_id: str | None = None, *, user_id: str | None = None) -> "SessionRecord":
        """The stored session (state, summary, name, run count)."""
        return self._owned_session(session_id, user_id)

    def get_session_state(self, session_id: str | None = None, *, user_id: str | None = None) -> dict[str, Any]:
        return self._owned_session(session_id, user_id).state

    def get_session_summary(self, session_id: str | None = None, *,
                            user_id: str | None = None) -> "SessionSummary | None":
        """The session's running summary (``enable_session_summaries``), or ``None``: a string that also
        reads like Agno's (``.summary``, ``.topics``)."""
        summary = self._owned_session(session_id, user_id).summary
        return SessionSummary(summary) if summary is not None else None

    def get_session_runs(self, session_id: str | None = None, *, user_id: str | None = None,
                         limit: int = 1000) -> list["RunRecord"]:
        """The session's runs, oldest first."""
        session = self._owned_session(session_id, user_id)
        runs = self._require_store().list_runs(session_id=session.session_id, limit=limit)
        return list(reversed(runs))

    def get_session_messages(self, session_id: str | None = None, *, user_id: str | None = None) -> list[Any]:
        """Every message of the session, in order (without system prompts): dicts that also read as objects
        (``m.role``, ``m.content``)."""
        from ..run_output import Message

        return [Message(m) for run in self.get_session_runs(session_id, user_id=user_id) for m in (run.messages or ())
                if m.get("role") != "system" and run.parent_run_id is None]

    def rename_session(self, name: str, session_id: str | None = None, *, user_id: str | None = None) -> None:
        session = self._owned_session(session_id, user_id)
        self._require_store().rename_session(session.session_id, name)

    def delete_session(self, session_id: str | None = None, *, user_id: str | None = None) -> None:
        """Delete a session with all its runs and events."""
        session = self._owned_session(session_id, user_id)
        self._require_store().delete_session(session.session_id)

    def fork_session(self, session_id: str | None = None, *, new_session_id: str | None = None,
                     upto_run_id: str | None = None, user_id: str | None = None) -> str:
        """Copy a session (up to and including ``upto_run_id``) and return the new session's id."""
        from ..run_events import new_run_id

        session = self._owned_session(session_id, user_id)
        new_session_id = new_session_id or new_run_id()
        self._require_store().fork_session(session.session_id, new_session_id, upto_run_id=upto_run_id)
        return new_session_id

    def get_user_memories(self, user_id: str | None = None) -> list["MemoryRecord"]:
        """The user's memories, newest first (``user_id``: the agent's, else ``"default"``)."""
        user = user_id or self.user_id or getattr(self, "_last_user_id", None) or DEFAULT_USER  # type: ignore[attr-defined]
        return self._require_store().list_memories(user)
