"""The trace of a run as a tree of spans, built incrementally from its events.

``TraceView.add(event)`` is O(1) per event (a model span copies only the messages added since the
previous request), so a run with thousands of events stays cheap; rendering (``bundle()``) happens only
as often as the live display asks. One fold serves the live view, a finished ``RunOutput`` and a
stored run (``traces/stored.py`` turns rows back into events), so the header's totals and the tree
always agree. The bundle carries three forms: ``application/vnd.agno-nb.trace+json`` for the
JupyterLab extension, a self-contained ``text/html`` that renders anywhere without a kernel, and a
short ``text/plain``.
"""

from __future__ import annotations

import json
from typing import Any, Iterable

from .. import run_events as ev

__all__ = ["TraceView", "Span", "MIME_TYPE", "knowledge_attrs"]

MIME_TYPE = "application/vnd.agno-nb.trace+json"
_PREVIEW = 600  # characters of a tool argument or result shown in the view
_MESSAGE_PREVIEW = 4000  # characters of one message shown on a model span


class Span:
    __slots__ = ("id", "kind", "name", "start", "end", "status", "attrs", "children")

    def __init__(self, id: str, kind: str, name: str, start: float, attrs: dict[str, Any] | None = None):
        self.id = id
        self.kind = kind
        self.name = name
        self.start = start
        self.end: float | None = None
        self.status = "running"
        self.attrs = attrs or {}
        self.children: list[Span] = []

    def to_json(self, t0: float) -> dict[str, Any]:
        return {"id": self.id, "kind": self.kind, "name": self.name, "status": self.status,
                "start": round(self.start - t0, 6),
                "duration": round(self.end - self.start, 6) if self.end is not None else None,
                "attrs": self.attrs, "children": [c.to_json(t0) for c in self.children]}


class TraceView:
    """Folds events into spans: run -> model requests, tool calls, reasoning, guardrails, members, steps."""

    def __init__(self) -> None:
        self.root: Span | None = None
        self.spans: dict[str, Span] = {}
        self.answer_parts: list[str] = []
        self.answer: Any = None
        self.totals = {"input_tokens": 0, "output_tokens": 0, "model_requests": 0, "tool_calls": 0,
                       "cost": None, "ttft": None, "duration": None, "waited": None}
        self.requirements: list[dict[str, Any]] = []
        self.error: str | None = None
        #: why the run could not be saved (``RunSaveFailed``): shown until ``retry_save()`` works
        self.save_error: str | None = None
        self.events = 0
        self.run_id: str | None = None
        self.agent: str | None = None
        self.component_type: str | None = None
        #: per run id: the stored conversation (a run row's messages) for events that carry none
        self.stored_messages: dict[str, list[dict]] = {}
        self._t0 = 0.0
        self._paused_at: float | None = None
        self._waited = 0.0
        self._calls: dict[str, Span] = {}  # tool_call_id -> span, so a paused call stays one span
        self._sent: dict[str, int] = {}  # run id -> messages the previous model request of that run sent
        self._first: dict[str, int] = {}  # run id -> where the current request's new messages begin

    @classmethod
    def from_events(cls, events: Iterable[ev.Event]) -> "TraceView":
        view = cls()
        for event in events:
            view.add(event)
        return view

    # ------------------------------------------------------------------------------- folding

    def add(self, event: ev.Event) -> None:
        self.events += 1
        handler = _HANDLERS.get(type(event))
        if handler is not None:
            handler(self, event)

    def _child(self, event: ev.Event, kind: str, name: str, attrs: dict[str, Any]) -> Span:
        span = Span(event.span_id, kind, name, event.ts, attrs)
        parent = self.spans.get(event.parent_span_id or "") or self.root
        if parent is not None and parent is not span:
            parent.children.append(span)
        self.spans[span.id] = span
        return span

    def _nested(self, e: ev.Event) -> bool:
        """Whether the event belongs to a run nested in this one (a team member's, a workflow step's)."""
        return self.run_id is not None and e.run_id != self.run_id

    def _active(self, ts: float) -> float:
        """Seconds the run has been working at ``ts``: from its start, less the time it waited for people."""
        waiting = ts - self._paused_at if self._paused_at is not None else 0.0
        return ts - self._t0 - self._waited - waiting

    def _run_started(self, e: ev.RunStarted) -> None:
        if self.root is not None and self._nested(e):  # a member's run, under the delegating tool call
            self._child(e, "member", e.ref.emitter_name or e.ref.emitter_id, {"input": _preview(e.input),
                                                                               "run_id": e.run_id})
            return
        if self.root is not None:  # a continued run: keep the tree, reopen the root
            self.root.status = "running"
            return
        self.run_id, self.agent, self._t0 = e.run_id, e.ref.emitter_name or e.ref.emitter_id, e.ts
        self.component_type = e.ref.emitter_type
        self.root = Span(e.span_id, "run", self.agent or "agent", e.ts,
                         {"model": e.model, "input": _preview(e.input, _MESSAGE_PREVIEW),
                          "session_id": e.session_id})
        self.spans[e.span_id] = self.root

    def _model_started(self, e: ev.ModelRequestStarted) -> None:
        attrs: dict[str, Any] = {"attempt": e.attempt, "transport": e.transport}
        count = getattr(e, "message_count", None)
        if count is not None:
            attrs.update(self._sent_messages(e, count))
        self._child(e, "model", e.model, attrs)

    def _sent_messages(self, e: ev.ModelRequestStarted, count: int) -> dict[str, Any]:
        """What this request sent that the previous request of the run did not (a retry sends the same)."""
        if e.attempt == 1:
            first = self._first[e.run_id] = self._sent.get(e.run_id, 0)
            self._sent[e.run_id] = count
        else:
            first = self._first.get(e.run_id, 0)
        messages, offset = e.messages, 0
        if messages is None:  # a stored event: the run row keeps the conversation from own_from on
            messages, offset = self.stored_messages.get(e.run_id), e.own_from or 0
        shown, missing = [], 0
        for index in range(first, count):
            if messages is None or index < offset or index - offset >= len(messages):
                missing += 1
            else:
                shown.append(_message(messages[index - offset]))
        attrs: dict[str, Any] = {"sent": shown, "earlier": first, "message_count": count}
        if missing:
            attrs["not_stored"] = missing
        if messages is not None and e.messages is None and 0 <= count - offset < len(messages):
            attrs["reply"] = _message(messages[count - offset])  # stored: the next message is the reply
        return attrs

    def _model_completed(self, e: ev.ModelRequestCompleted) -> None:
        span = self.spans.get(e.span_id) or self._child(e, "model", e.model, {})
        span.end, span.status = e.ts, "ok"
        span.attrs.update(input_tokens=e.input_tokens, output_tokens=e.output_tokens, latency=round(e.latency, 6),
                          ttft=round(e.ttft, 6) if e.ttft is not None else None, cost=e.cost,
                          finish_reason=e.finish_reason)
        reply = getattr(e, "reply", None)
        if reply is not None:
            span.attrs["reply"] = _message(reply)
        t = self.totals
        t["input_tokens"] += e.input_tokens
        t["output_tokens"] += e.output_tokens
        t["model_requests"] += 1
        if e.cost is not None:
            t["cost"] = (t["cost"] or 0.0) + e.cost
        if t["ttft"] is None and e.ttft is not None:
            t["ttft"] = round(max(0.0, self._active(e.ts) - e.latency + e.ttft), 6)

    def _model_failed(self, e: ev.ModelRequestFailed) -> None:
        span = self.spans.get(e.span_id)
        if span is not None:
            span.end, span.status = e.ts, "error"
            span.attrs.update(error=e.error, retry_in=e.retry_in)

    def _delta(self, e: ev.RunContentDelta) -> None:
        if not self._nested(e):
            self.answer_parts.append(e.content)

    def _reasoning_delta(self, e: ev.ReasoningContentDelta) -> None:
        span = self.spans.get(e.span_id)
        if span is not None:
            span.attrs["reasoning"] = span.attrs.get("reasoning", "") + e.content

    def _tool_started(self, e: ev.ToolCallStarted) -> None:
        span = self._calls.get(e.tool_call_id)
        if span is not None and span.status in ("paused", "decided"):  # an approved call now runs
            span.status, span.start, span.end = "running", e.ts, None
            span.attrs["arguments"] = _preview(e.arguments)
            return
        span = self._child(e, "tool", e.tool_name, {"arguments": _preview(e.arguments),
                                                     "tool_call_id": e.tool_call_id})
        self._calls[e.tool_call_id] = span

    def _tool_completed(self, e: ev.ToolCallCompleted) -> None:
        span = self.spans.get(e.span_id) or self._calls.get(e.tool_call_id) or self._child(e, "tool", e.tool_name, {})
        span.end, span.status = e.ts, "ok"
        span.attrs.update(result=_preview(e.result), cached=e.cached)
        self.totals["tool_calls"] += 1

    def _tool_error(self, e: ev.ToolCallError) -> None:
        span = self.spans.get(e.span_id) or self._calls.get(e.tool_call_id) or self._child(e, "tool", e.tool_name, {})
        span.end, span.status = e.ts, "error"
        span.attrs.update(error=e.error, error_type=e.error_type)
        self.totals["tool_calls"] += 1

    def _tool_paused(self, e: ev.ToolCallPaused) -> None:
        span = self._child(e, "tool", e.tool_name, {"arguments": _preview(e.arguments), "awaiting": e.kind,
                                                    "tool_call_id": e.tool_call_id})
        span.status = "paused"
        self._calls[e.tool_call_id] = span

    def _tool_rejected(self, e: ev.ToolCallRejected) -> None:
        span = self._calls.get(e.tool_call_id)
        if span is None:
            span = self._child(e, "tool", e.tool_name, {"arguments": _preview(e.arguments)})
        span.start, span.end, span.status = e.ts, e.ts, "rejected"
        span.attrs.pop("awaiting", None)
        span.attrs.update(decision="rejected", reason=e.reason or "no reason given")

    def _paused(self, e: ev.RunPaused) -> None:
        self.requirements = [r if isinstance(r, dict) else r.to_dict() for r in e.requirements]
        if self._nested(e):
            return
        if self.root is not None:
            self.root.status = "paused"
            self.root.end = e.ts
        self._paused_at = e.ts
        for span in self.spans.values():  # the pending calls wait for a decision made elsewhere
            if span.status == "paused":
                span.end = e.ts
        self.totals["duration"] = round(self._active(e.ts), 6)

    def _continued(self, e: ev.RunContinued) -> None:
        self.requirements = []
        if self.root is None:  # the view of a continuation alone: the run span is the parent span
            self.run_id, self.agent, self._t0 = e.run_id, e.ref.emitter_name or e.ref.emitter_id, e.ts
            self.root = Span(e.parent_span_id or e.span_id, "run", self.agent or "agent", e.ts,
                             {"continued": True, "session_id": e.session_id})
            self.spans[self.root.id] = self.root
        self.root.status, self.root.end = "running", None
        if self._paused_at is not None:
            self._waited += e.ts - self._paused_at
            self._paused_at = None
            self.totals["waited"] = round(self._waited, 6)
        for decision in e.decisions or ():
            span = self._calls.get(decision.get("tool_call_id") or "")
            if span is not None and span.status == "paused":
                span.status = "decided"
                span.attrs.pop("awaiting", None)
                span.attrs["decision"] = decision.get("decision")
        for span in self.spans.values():
            if span.status == "paused":
                span.status = "decided"

    def _reasoning_step(self, e: ev.ReasoningStep) -> None:
        span = self._child(e, "reasoning", e.title, {"reasoning": e.reasoning, "action": e.action,
                                                     "result": e.result, "confidence": e.confidence})
        span.end, span.status = e.ts, "ok"

    def _guardrail(self, e: ev.GuardrailTripped) -> None:
        span = self._child(e, "guardrail", e.guardrail, {"reason": e.reason, "stage": e.stage})
        span.end, span.status = e.ts, "blocked"

    def _step_started(self, e: Any) -> None:
        span = self.spans.get(e.span_id)
        if span is not None:  # a retry: same span, next attempt
            span.status, span.attrs["attempt"] = "running", e.attempt
            return
        self._child(e, e.kind, e.step_name, {"work": e.work} if e.work else {})

    def _step_completed(self, e: Any) -> None:
        span = self.spans.get(e.span_id) or self._child(e, e.kind, e.step_name, {})
        span.end, span.status = e.ts, "ok" if e.success else "error"
        span.attrs.update({k: _preview(v) for k, v in (("result", e.content), ("error", e.error)) if v is not None})

    def _step_note(self, e: Any) -> None:
        parent = self.spans.get(e.parent_span_id or "")
        if parent is None:
            return
        if e.type == "LoopIteration":
            parent.attrs["iterations"] = e.iteration
        elif e.type == "ConditionEvaluated":
            parent.attrs["condition"] = e.result
        elif e.type == "RouterSelected":
            parent.attrs["selected"] = e.selected
        elif e.type == "StepRetrying":
            span = self.spans.get(e.span_id)
            if span is not None:
                span.attrs.setdefault("retries", []).append(e.error)

    def _knowledge(self, e: ev.KnowledgeSearched) -> None:
        span = self._child(e, "knowledge", f"{e.knowledge}: {e.query}", knowledge_attrs(e.payload()))
        span.start, span.end, span.status = e.ts - e.duration, e.ts, "error" if e.error else "ok"

    def _validation(self, e: ev.OutputValidationFailed) -> None:
        span = self._child(e, "validation", "output validation", {"error": e.error, "repairing": e.repairing})
        span.end, span.status = e.ts, "error"

    def _end(self, e: ev.Event, status: str, answer: Any = None, error: str | None = None) -> None:
        if self._nested(e):  # a member's run ended: close its span, the team run goes on
            span = self.spans.get(e.span_id)
            if span is not None:
                span.end, span.status = e.ts, status
                span.attrs.update(answer=_preview(answer) if answer is not None else None, error=error)
            return
        if self.root is not None:
            self.root.end, self.root.status = e.ts, status
        for span in self.spans.values():  # what was still open when the run ended did not finish
            if span.status == "running" and span is not self.root:
                span.end, span.status = e.ts, status if status in ("cancelled", "error") else "unfinished"
        self.totals["duration"] = round(self._active(e.ts), 6)
        if answer is not None:
            self.answer = answer
        self.error = error

    def _completed(self, e: ev.RunCompleted) -> None:
        self._end(e, e.status, e.content, e.reason if e.status != "completed" else None)

    def _error(self, e: ev.RunError) -> None:
        self._end(e, "error", None, f"{e.error_type}: {e.error}")

    def _cancelled(self, e: ev.RunCancelled) -> None:
        self._end(e, "cancelled", None, e.reason)

    def _save_failed(self, e: ev.RunSaveFailed) -> None:
        if not self._nested(e):
            self.save_error = f"NOT SAVED: {e.error} (out.retry_save() tries again)"

    # ----------------------------------------------------------------------------- rendering

    @property
    def status(self) -> str:
        return self.root.status if self.root is not None else "pending"

    def answer_text(self) -> str:
        if self.answer is None:
            return "".join(self.answer_parts)
        if isinstance(self.answer, str):
            return self.answer
        dump = getattr(self.answer, "model_dump_json", None)
        return dump(indent=2) if dump else json.dumps(self.answer, default=str, indent=2)

    def to_json(self, *, now: float | None = None) -> dict[str, Any]:
        """The ``application/vnd.agno-nb.trace+json`` bundle (format ``version`` 1; fields are only ever
        added, and readers ignore what they do not know). ``now`` (``time.perf_counter()``, live views
        only) adds ``elapsed``: the active seconds so far, so open spans can be drawn up to it."""
        data = {"version": 1, "run_id": self.run_id, "agent": self.agent, "component_type": self.component_type,
                "status": self.status, "totals": self.totals, "answer": self.answer_text(), "error": self.error,
                "requirements": self.requirements, "events": self.events,
                "root": self.root.to_json(self._t0) if self.root is not None else None}
        if self.save_error:
            data["save_error"] = self.save_error
        if now is not None and self.root is not None:
            data["elapsed"] = round(max(0.0, self._active(now)), 6)
        return data

    def to_text(self) -> str:
        t = self.totals
        head = (f"[{self.status}] {self.agent or 'agent'}: {t['model_requests']} model request(s), "
                f"{t['tool_calls']} tool call(s), {t['input_tokens']}+{t['output_tokens']} tokens"
                + (f", {t['duration']:.3f}s" if t["duration"] is not None else ""))
        body = self.error or self.answer_text()
        if self.save_error:
            body = f"{self.save_error}\n{body}" if body else self.save_error
        return f"{head}\n{body}" if body else head

    def to_html(self, *, open_spans: Iterable[str] = ()) -> str:
        from .html import render_html

        return render_html(self.to_json(), open_spans=open_spans)

    def bundle(self, *, open_spans: Iterable[str] = (), now: float | None = None) -> dict[str, Any]:
        from .html import render_html

        data = self.to_json(now=now)
        return {MIME_TYPE: data, "text/html": render_html(data, open_spans=open_spans), "text/plain": self.to_text()}


def _message(message: dict[str, Any]) -> dict[str, Any]:
    """A conversation message as the trace shows it: role, text (long ones cut), tool calls requested."""
    content = message.get("content")
    if isinstance(content, list):  # text and media parts
        content = "\n".join(p.get("text", "") if p.get("type") == "text" else f"[{p.get('type')}]" for p in content)
    view: dict[str, Any] = {"role": message.get("role")}
    if content is not None:
        text = content if isinstance(content, str) else json.dumps(content, default=str, ensure_ascii=False)
        view["text"] = text if len(text) <= _MESSAGE_PREVIEW else \
            text[:_MESSAGE_PREVIEW] + f"... ({len(text):,} characters)"
    calls = message.get("tool_calls")
    if calls:
        view["tool_calls"] = [f"{c['function']['name']}({_short_arguments(c['function'].get('arguments'))})"
                              for c in calls]
    if message.get("tool_call_id"):
        view["tool_call_id"] = message["tool_call_id"]
    return view


def _short_arguments(arguments: Any) -> str:
    text = arguments if isinstance(arguments, str) else json.dumps(arguments, default=str, ensure_ascii=False)
    return text if len(text) <= _PREVIEW else text[:_PREVIEW] + "..."


def knowledge_attrs(payload: dict[str, Any]) -> dict[str, Any]:
    """What a knowledge search shows: the query, how it searched and each retrieved chunk (shortened)."""
    results = [{"source": r.get("source"), "score": r.get("score"), "search": r.get("search_type"),
                "chunk": _preview(r.get("content"), 240)} for r in payload.get("results") or ()]
    attrs = {"query": payload.get("query"), "search_type": payload.get("search_type"),
             "origin": payload.get("origin"), "results": results}
    if payload.get("filters"):
        attrs["filters"] = payload["filters"]
    if payload.get("error"):
        attrs["error"] = payload["error"]
    return attrs


def _preview(value: Any, limit: int = _PREVIEW) -> Any:
    if isinstance(value, (int, float, bool)) or value is None:
        return value
    if isinstance(value, str):
        text = value
    else:
        dump = getattr(value, "model_dump_json", None)
        try:
            text = dump() if dump else json.dumps(value, default=str, ensure_ascii=False)
        except (TypeError, ValueError):
            text = str(value)
        if len(text) <= limit:  # small containers stay structured, as plain JSON values
            return json.loads(text) if isinstance(value, (dict, list, tuple)) else text
    return text if len(text) <= limit else text[:limit] + f"... ({len(text):,} characters)"


from ..workflow import events as wf  # noqa: E402  (light: event classes only)

_HANDLERS = {
    wf.StepStarted: TraceView._step_started, wf.StepCompleted: TraceView._step_completed,
    wf.StepRetrying: TraceView._step_note, wf.LoopIteration: TraceView._step_note,
    wf.ConditionEvaluated: TraceView._step_note, wf.RouterSelected: TraceView._step_note,
    ev.RunStarted: TraceView._run_started, ev.ModelRequestStarted: TraceView._model_started,
    ev.ModelRequestCompleted: TraceView._model_completed, ev.ModelRequestFailed: TraceView._model_failed,
    ev.RunContentDelta: TraceView._delta, ev.ReasoningContentDelta: TraceView._reasoning_delta,
    ev.ToolCallStarted: TraceView._tool_started, ev.ToolCallCompleted: TraceView._tool_completed,
    ev.ToolCallError: TraceView._tool_error, ev.ToolCallPaused: TraceView._tool_paused,
    ev.ToolCallRejected: TraceView._tool_rejected, ev.RunPaused: TraceView._paused,
    ev.RunContinued: TraceView._continued, ev.ReasoningStep: TraceView._reasoning_step,
    ev.GuardrailTripped: TraceView._guardrail, ev.OutputValidationFailed: TraceView._validation,
    ev.KnowledgeSearched: TraceView._knowledge,
    ev.RunCompleted: TraceView._completed, ev.RunError: TraceView._error, ev.RunCancelled: TraceView._cancelled,
    ev.RunSaveFailed: TraceView._save_failed,
}
