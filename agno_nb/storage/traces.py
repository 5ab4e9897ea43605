"""The trace of a stored run, as the JSON the notebook's trace view renders, built from the ``events`` table.

Lives with the store rather than the notebook so that every floor can serve it: the notebook shows it
(``notebook/stored.py`` adds the HTML), the served app returns it from ``/traces/{run_id}``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .base import Store

__all__ = ["stored_trace"]


def stored_trace(store: "Store", run_id: str) -> dict[str, Any]:
    """The trace tree (spans with timings and attributes) and totals of a stored run."""
    from .base import NotFoundError

    run = store.get_run(run_id)
    if run is None:
        raise NotFoundError(f"No run {run_id!r} in {store.location}.")
    events = store.get_events(run_id)
    t0 = events[0]["ts"] if events else 0.0
    root = {
        "id": run_id,
        "kind": "run",
        "name": run.component_name or run.component_id or "agent",
        "status": run.status,
        "start": 0.0,
        "duration": None,
        "attrs": {"input": run.input},
        "children": [],
    }
    spans: dict[str, dict[str, Any]] = {}
    for row in events:
        payload = row["payload"] or {}
        kind = _KINDS.get(row["type"])
        if row["type"] == "RunStarted":
            root["id"] = row["span_id"]
            continue
        if kind is None:
            span = spans.get(row["span_id"])
            if span is not None:
                span["status"] = "error" if "Error" in row["type"] or "Failed" in row["type"] else "ok"
                span["duration"] = round(row["ts"] - t0 - span["start"], 6)
                span["attrs"].update({k: v for k, v in payload.items() if k in _KEEP})
            continue
        span = {
            "id": row["span_id"],
            "kind": kind,
            "name": payload.get("tool_name")
            or payload.get("model")
            or payload.get("title")
            or payload.get("guardrail")
            or row["type"],
            "status": "running",
            "start": round(row["ts"] - t0, 6),
            "duration": None,
            "attrs": {k: v for k, v in payload.items() if k in _KEEP},
            "children": [],
        }
        spans[row["span_id"]] = span
        parent = spans.get(row["parent_span_id"] or "")
        (parent["children"] if parent else root["children"]).append(span)
    metrics = run.metrics or {}
    trace = {
        "version": 1,
        "run_id": run_id,
        "agent": root["name"],
        "status": run.status,
        "totals": {
            k: metrics.get(k)
            for k in (
                "input_tokens",
                "output_tokens",
                "model_requests",
                "tool_calls",
                "cost",
                "ttft",
                "duration",
            )
        },
        "answer": run.content if isinstance(run.content, str) else None,
        "error": run.error,
        "requirements": [],
        "events": len(events),
        "root": root,
    }
    for key in ("input_tokens", "output_tokens", "model_requests", "tool_calls"):
        trace["totals"][key] = trace["totals"][key] or 0
    return trace


_KINDS = {
    "ModelRequestStarted": "model",
    "ToolCallStarted": "tool",
    "ToolCallPaused": "tool",
    "ToolCallRejected": "tool",
    "ReasoningStep": "reasoning",
    "GuardrailTripped": "guardrail",
}
_KEEP = (
    "arguments",
    "result",
    "error",
    "reason",
    "input_tokens",
    "output_tokens",
    "ttft",
    "latency",
    "reasoning",
    "kind",
    "stage",
    "cost",
)
