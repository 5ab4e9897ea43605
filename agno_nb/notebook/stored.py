"""Traces of stored runs: rebuild the view from the ``events`` table."""

from __future__ import annotations

from typing import Any

from ..errors import ConfigurationError
from .trace import MIME_TYPE

__all__ = ["trace_from_store"]


def trace_from_store(run_id: str, store: Any = None) -> dict[str, Any]:
    """The trace bundle of a stored run (any process, any time)."""
    from ..storage import default_store, open_store
    from ..storage.base import NotFoundError
    from .render import render_html

    store = open_store(store) if store is not None else default_store()
    if store is None:
        raise ConfigurationError("No store configured: pass store=... or set a default store.")
    run = store.get_run(run_id)
    if run is None:
        raise NotFoundError(f"No run {run_id!r} in {store.location}.")
    events = store.get_events(run_id)
    t0 = events[0]["ts"] if events else 0.0
    root = {"id": run_id, "kind": "run", "name": run.component_name or run.component_id or "agent",
            "status": run.status, "start": 0.0, "duration": None, "attrs": {"input": run.input}, "children": []}
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
        span = {"id": row["span_id"], "kind": kind, "name": payload.get("tool_name") or payload.get("model")
                or payload.get("title") or payload.get("guardrail") or row["type"], "status": "running",
                "start": round(row["ts"] - t0, 6), "duration": None,
                "attrs": {k: v for k, v in payload.items() if k in _KEEP}, "children": []}
        spans[row["span_id"]] = span
        parent = spans.get(row["parent_span_id"] or "")
        (parent["children"] if parent else root["children"]).append(span)
    metrics = run.metrics or {}
    trace = {"version": 1, "run_id": run_id, "agent": root["name"], "status": run.status,
             "totals": {k: metrics.get(k) for k in ("input_tokens", "output_tokens", "model_requests", "tool_calls",
                                                     "cost", "ttft", "duration")},
             "answer": run.content if isinstance(run.content, str) else None, "error": run.error,
             "requirements": [], "events": len(events), "root": root}
    for key in ("input_tokens", "output_tokens", "model_requests", "tool_calls"):
        trace["totals"][key] = trace["totals"][key] or 0
    return {MIME_TYPE: trace, "text/html": render_html(trace), "text/plain": f"[{run.status}] run {run_id}"}


_KINDS = {"ModelRequestStarted": "model", "ToolCallStarted": "tool", "ToolCallPaused": "tool",
          "ToolCallRejected": "tool", "ReasoningStep": "reasoning", "GuardrailTripped": "guardrail"}
_KEEP = ("arguments", "result", "error", "reason", "input_tokens", "output_tokens", "ttft", "latency", "reasoning",
         "kind", "stage", "cost")
