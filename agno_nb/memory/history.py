"""Session history: the messages of earlier runs, put back into the context of a new run."""

from __future__ import annotations

from typing import Any, Iterable

from ..storage.records import RunRecord

__all__ = ["history_messages"]


def history_messages(runs: Iterable[RunRecord], max_messages: int | None = None) -> list[dict[str, Any]]:
    """The runs' own messages, oldest first, capped at the last ``max_messages``.

    A cut never starts in the middle of a tool exchange: it moves forward to the next user message,
    since a provider rejects tool results whose call is missing.
    """
    messages = [m for run in runs for m in (run.messages or ()) if m.get("role") != "system"]
    if max_messages is not None and len(messages) > max_messages:
        messages = messages[-max_messages:] if max_messages > 0 else []
        while messages and messages[0].get("role") != "user":
            messages.pop(0)
    return messages
