"""Who may use a session: the user it belongs to, and nobody else.

A session created with a ``user_id`` is that user's: running in it, continuing its paused runs, reading,
forking, renaming, exporting or deleting it all need the same ``user_id``. A session created without a
user is open to whoever knows its id. The check lives in one place so every entry point (the Python API,
the notebook, the served routes) applies the same rule; an admin path (the analyst tables,
``store.sql``, a served ``admin`` scope) reads the store directly.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..errors import AccessDeniedError

if TYPE_CHECKING:
    from .records import SessionRecord

__all__ = ["AccessDeniedError", "check_session_access", "check_owner"]


def check_owner(owner: str | None, user_id: str | None, what: str) -> None:
    """Raise ``AccessDeniedError`` unless ``user_id`` may use something owned by ``owner``."""
    if owner is None or owner == user_id:
        return
    if not user_id:
        raise AccessDeniedError(f"{what} belongs to a user: pass that user's user_id=... to use it (sessions are "
                                f"private to the user who created them).")
    raise AccessDeniedError(f"{what} belongs to another user than {user_id!r}; use one of {user_id!r}'s sessions "
                            f"or start a new one.")


def check_session_access(session: "SessionRecord | None", user_id: str | None, session_id: str | None) -> None:
    """Raise ``AccessDeniedError`` unless ``user_id`` may use ``session`` (``None``: a new session)."""
    if session is not None:
        check_owner(session.user_id, user_id, f"Session {session_id!r}")
