"""Session summaries: a model keeps a running summary of a session, stored on the session row."""

from __future__ import annotations

import asyncio
import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..models.base import Model
    from ..storage.base import Store

__all__ = ["SessionSummaryManager", "summary_prompt"]

_INSTRUCTIONS = """Summarize the conversation so far for the assistant's future reference: the user's goals,
decisions made, facts established and open questions. At most 8 short bullet points. Reply with the
summary only."""


class SessionSummaryManager:
    """Writes ``sessions.summary`` after runs (``model=None``: the calling agent's model)."""

    def __init__(self, model: "str | Model | None" = None, *, instructions: str | None = None):
        self.model = model
        self.instructions = instructions or _INSTRUCTIONS

    async def aupdate(self, store: "Store", session_id: str, previous: str | None,
                      new_messages: list[dict[str, Any]], *, model: "str | Model | None" = None) -> str | None:
        """Fold ``new_messages`` into the ``previous`` summary, store it, and return it."""
        from .curator import internal_agent

        transcript = "\n".join(f"{m.get('role')}: {_text(m)}" for m in new_messages if m.get("role") != "system")
        prompt = (f"Summary so far:\n{previous or '(none)'}\n\nNew messages:\n{transcript}\n\n"
                  f"Write the updated summary.")
        writer = internal_agent(name="session-summary", model=model if self.model is None else self.model,
                                instructions=self.instructions.replace("{", "{{").replace("}", "}}"))
        out = await writer.arun(prompt, session_id=session_id)
        if not out.ok or not isinstance(out.content, str) or not out.content.strip():
            raise RuntimeError(f"the summary model gave no summary ({out.status}: {out.status_reason})")
        await asyncio.to_thread(store.set_session_summary, session_id, out.content.strip())
        return out.content.strip()


def summary_prompt(summary: str | None) -> str:
    return f"<summary_of_earlier_conversation>\n{summary}\n</summary_of_earlier_conversation>" if summary else ""


def _text(message: dict[str, Any]) -> str:
    content = message.get("content")
    if isinstance(content, str):
        return content
    if message.get("tool_calls"):
        return "calls " + ", ".join(c["function"]["name"] for c in message["tool_calls"])
    return json.dumps(content, default=str)
