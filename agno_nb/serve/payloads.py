"""What the routes answer: runs, stored runs, sessions and memories as plain JSON-ready dicts."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..run_events import RunOutput
    from ..storage.records import MemoryRecord, RunRecord, SessionRecord

__all__ = ["run_payload", "record_payload", "session_payload", "memory_payload", "plain"]


def plain(value: Any) -> Any:
    """A pydantic object (structured output) as JSON data; anything else as it is."""
    dump = getattr(value, "model_dump", None)
    return dump(mode="json") if dump is not None else value


def run_payload(out: "RunOutput", kind: str, user_id: str | None) -> dict[str, Any]:
    """A run that just ran (or is paused): its answer, status, metrics, tool calls and pending calls."""
    error = None
    if out.error is not None:
        error = {"type": type(out.error).__name__, "message": str(out.error) or type(out.error).__name__}
    return {
        "run_id": out.run_id,
        "session_id": out.session_id,
        "user_id": user_id,
        "type": kind,
        "component_id": out.agent_id,
        "component_name": out.agent_name,
        "status": out.status,
        "status_reason": out.status_reason,
        "content": plain(out.content),
        "model": out.model,
        "reasoning_content": out.reasoning_content,
        "metrics": out.metrics.to_dict(),
        "tools": [t.to_dict() for t in out.tools],
        "requirements": [r.to_dict() for r in out.requirements],
        "error": error,
    }


def record_payload(record: "RunRecord", *, messages: bool = True) -> dict[str, Any]:
    data = record.to_dict()
    data["type"] = data.pop("component_type")
    if not messages:
        data.pop("messages", None)
    return data


def session_payload(record: "SessionRecord") -> dict[str, Any]:
    data = record.to_dict()
    data["type"] = data.pop("session_type")
    return data


def memory_payload(record: "MemoryRecord") -> dict[str, Any]:
    return record.to_dict()
