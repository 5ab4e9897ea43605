"""The typed events every run emits, and ``RunOutput``: the fold of that stream.

A run is an async generator of events (design.md section 1). The trace view, the store, the served
app and ``RunOutput`` are all sinks of the same stream, so there is exactly one run loop.

Events are plain ``__slots__`` classes: a run emits one per delta when streaming, so construction cost
is on the hot path. The identity of the run that emits (run id, session, emitter) lives in one shared
``RunRef`` object rather than being copied into every event.
"""

from __future__ import annotations

import random as _random
import re
import time
import uuid
import weakref
from typing import Any

# The output classes live in run_output; re-exported here because an event stream and its fold go together.
from .run_output import RunMetrics, RunOutput, RunStatus, ToolExecution, _short

__all__ = [
    "RunRef", "Event", "RunStarted", "RunContentDelta", "ReasoningContentDelta", "RunCompleted",
    "RunError", "RunSaveFailed", "RunCancelled", "ModelRequestStarted", "ModelRequestCompleted", "ModelRequestFailed",
    "ToolCallStarted", "ToolCallCompleted", "ToolCallError", "OutputValidationFailed",
    "ToolCallPaused", "RunPaused", "RunContinued", "ToolCallRejected", "GuardrailTripped", "ReasoningStep",
    "KnowledgeSearched",
    "RunStatus", "RunMetrics", "ToolExecution", "RunOutput", "new_run_id", "new_span_id", "slug_id",
]

_now = time.perf_counter


def new_run_id() -> str:
    return str(uuid.uuid4())


def slug_id(name: str, fallback: str) -> str:
    """A stable id from a display name: ``"Sales Analyst"`` -> ``"sales-analyst"``."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or fallback


def new_span_id() -> str:
    """A random 64-bit span id, as OpenTelemetry uses. From ``random`` (seeded once, reseeded after a fork):
    a span id must be unique, not secret, and ``os.urandom`` costs ~50 µs a call in sandboxed kernels."""
    return "%016x" % _random.getrandbits(64)


class RunRef:
    """Who emits: the identity shared by all events of one run."""

    __slots__ = ("run_id", "parent_run_id", "session_id", "user_id", "emitter_type", "emitter_name",
                 "emitter_id")

    def __init__(self, run_id: str, session_id: str | None, user_id: str | None, emitter_type: str,
                 emitter_name: str | None, emitter_id: str, parent_run_id: str | None = None):
        self.run_id = run_id
        self.parent_run_id = parent_run_id
        self.session_id = session_id
        self.user_id = user_id
        self.emitter_type = emitter_type
        self.emitter_name = emitter_name
        self.emitter_id = emitter_id


class Event:
    """Base of all events: which run, which span, when (``time.perf_counter()`` seconds)."""

    __slots__ = ("ref", "span_id", "parent_span_id", "ts", "seq", "end")
    type = "Event"
    #: text of the answer carried by the event: the deltas and the end have it, others ``None`` (so Agno's
    #: ``if chunk.content:`` loops read any event)
    content: Any = None

    def __init__(self, ref: RunRef, span_id: str, parent_span_id: str | None):
        self.ref = ref
        self.span_id = span_id
        self.parent_span_id = parent_span_id
        self.ts = _now()
        #: where the event is stored (``storage.recorder``): its row in the run's events, and for a text
        #: delta the offset in that row's text where the delta ends; ``None`` for runs without a store
        self.seq: int | None = None
        self.end: int | None = None

    @property
    def run_id(self) -> str:
        return self.ref.run_id

    @property
    def event(self) -> str:
        """The event's type name (Agno reads ``chunk.event``; ``agno_nb.run.agent.RunEvent`` names them)."""
        return self.type

    @property
    def parent_run_id(self) -> str | None:
        return self.ref.parent_run_id

    @property
    def session_id(self) -> str | None:
        return self.ref.session_id

    def payload(self) -> dict[str, Any]:
        """The event's own fields (everything but the header)."""
        return {name: getattr(self, name) for name in _payload_slots(type(self))}

    def to_dict(self) -> dict[str, Any]:
        """A JSON-friendly dict: the header, then the payload."""
        ref = self.ref
        return {
            "type": self.type, "run_id": ref.run_id, "parent_run_id": ref.parent_run_id,
            "span_id": self.span_id, "parent_span_id": self.parent_span_id,
            "emitter_type": ref.emitter_type, "emitter_name": ref.emitter_name,
            "emitter_id": ref.emitter_id, "session_id": ref.session_id, "ts": self.ts,
            **self.payload(),
        }

    def fold_into(self, out: "RunOutput") -> None:
        """Apply this event to ``out``. Most events change nothing but the event list."""

    def fold_nested(self, out: "RunOutput") -> None:
        """Apply an event of a nested run (a team member's) to the enclosing run's ``out``."""

    def __repr__(self) -> str:
        fields = ", ".join(f"{k}={_short(v)}" for k, v in self.payload().items())
        return f"{self.type}({fields})"


_PAYLOAD_CACHE: dict[type, tuple[str, ...]] = {}


def _payload_slots(cls: type) -> tuple[str, ...]:
    names = _PAYLOAD_CACHE.get(cls)
    if names is None:
        names = tuple(s for klass in reversed(cls.__mro__[:-2]) for s in klass.__dict__.get("__slots__", ()))
        _PAYLOAD_CACHE[cls] = names
    return names


# --------------------------------------------------------------------------------------------- run


class RunStarted(Event):
    __slots__ = ("model", "input", "started_at")
    type = "RunStarted"

    def __init__(self, ref, span_id, parent_span_id, model: str, input: Any):
        super().__init__(ref, span_id, parent_span_id)
        self.model = model
        self.input = input
        self.started_at = time.time()

    def fold_into(self, out):
        out.status = RunStatus.RUNNING
        out.model = self.model
        out._t0 = self.ts


class RunContentDelta(Event):
    """A piece of the answer text, as the model streams it."""

    __slots__ = ("content",)
    type = "RunContentDelta"

    def __init__(self, ref, span_id, parent_span_id, content: str):
        super().__init__(ref, span_id, parent_span_id)
        self.content = content


class ReasoningContentDelta(Event):
    """A piece of provider-native reasoning ("thinking") text."""

    __slots__ = ("content",)
    type = "ReasoningContentDelta"

    def __init__(self, ref, span_id, parent_span_id, content: str):
        super().__init__(ref, span_id, parent_span_id)
        self.content = content

    def fold_into(self, out):
        out.reasoning_content = (out.reasoning_content or "") + self.content


class RunCompleted(Event):
    """The run ended normally. ``status`` says how (completed, limit_reached)."""

    __slots__ = ("content", "status", "reason", "messages", "session_state")
    type = "RunCompleted"

    def __init__(self, ref, span_id, parent_span_id, content: Any, status: str, reason: str | None,
                 messages: list[dict], session_state: dict | None):
        super().__init__(ref, span_id, parent_span_id)
        self.content = content
        self.status = status
        self.reason = reason
        self.messages = messages
        self.session_state = session_state

    def fold_into(self, out):
        out.content = self.content
        out.status = self.status
        out.status_reason = self.reason
        out.messages = self.messages
        out.session_state = self.session_state
        out.metrics.duration = self.ts - out._t0


class RunError(Event):
    """The run failed. ``error_type`` is the exception class name; ``error`` its message."""

    __slots__ = ("error", "error_type", "messages", "exception")
    type = "RunError"

    def __init__(self, ref, span_id, parent_span_id, exception: BaseException, messages: list[dict]):
        super().__init__(ref, span_id, parent_span_id)
        from .redact import redact_exception

        self.exception = redact_exception(exception)  # a key a provider echoed is never shown or stored
        self.error = str(exception) or type(exception).__name__
        self.error_type = type(exception).__name__
        self.messages = messages

    def payload(self):
        return {"error": self.error, "error_type": self.error_type}

    def fold_into(self, out):
        out.status = RunStatus.ERROR
        out.error = self.exception
        out.status_reason = self.error
        out.messages = self.messages
        out.metrics.duration = self.ts - out._t0


class RunSaveFailed(Event):
    """The run ended but its store refused the final write (after retries): ``RunOutput.retry_save()``."""

    __slots__ = ("error", "error_type")
    type = "RunSaveFailed"

    def __init__(self, ref, error: BaseException):
        super().__init__(ref, new_span_id(), None)
        from .redact import redact

        self.error = redact(str(error) or type(error).__name__)
        self.error_type = type(error).__name__


class RunCancelled(Event):
    __slots__ = ("reason",)
    type = "RunCancelled"

    def __init__(self, ref, span_id, parent_span_id, reason: str):
        super().__init__(ref, span_id, parent_span_id)
        self.reason = reason

    def fold_into(self, out):
        out.status = RunStatus.CANCELLED
        out.status_reason = self.reason
        out.metrics.duration = self.ts - out._t0


# ------------------------------------------------------------------------------------------- model


class ModelRequestStarted(Event):
    """A model call starts. It sent the first ``message_count`` messages of the run's conversation.

    ``messages`` is that conversation itself (not a copy, and not stored): the trace shows what the model
    received from it. Stored, the counts place the call in the run row's messages, which hold the
    conversation from ``own_from`` on, so the store keeps each message once, not once per call.
    """

    __slots__ = ("model", "transport", "attempt", "message_count", "own_from", "messages")
    type = "ModelRequestStarted"

    def __init__(self, ref, span_id, parent_span_id, model: str, transport: str, attempt: int,
                 messages: list[dict] | None = None, own_from: int = 0):
        super().__init__(ref, span_id, parent_span_id)
        self.model = model
        self.transport = transport
        self.attempt = attempt
        self.messages = messages
        self.message_count = len(messages) if messages is not None else None
        self.own_from = own_from

    def payload(self):
        return {"model": self.model, "transport": self.transport, "attempt": self.attempt,
                "message_count": self.message_count, "own_from": self.own_from}


class ModelRequestCompleted(Event):
    """One model call finished. Latencies in seconds; ``cost`` in USD when the price is known."""

    __slots__ = ("model", "input_tokens", "output_tokens", "latency", "ttft", "cost", "finish_reason", "reply")
    type = "ModelRequestCompleted"

    def __init__(self, ref, span_id, parent_span_id, model: str, input_tokens: int, output_tokens: int,
                 latency: float, ttft: float | None, cost: float | None, finish_reason: str | None,
                 reply: dict | None = None):
        super().__init__(ref, span_id, parent_span_id)
        self.model = model
        self.input_tokens = input_tokens
        self.output_tokens = output_tokens
        self.latency = latency
        self.ttft = ttft
        self.cost = cost
        self.finish_reason = finish_reason
        #: the assistant message the model sent back (text and tool calls requested). Not stored: it is
        #: the message right after the request's ``message_count`` in the run row.
        self.reply = reply

    def payload(self):
        return {"model": self.model, "input_tokens": self.input_tokens, "output_tokens": self.output_tokens,
                "latency": self.latency, "ttft": self.ttft, "cost": self.cost, "finish_reason": self.finish_reason}

    def fold_into(self, out):
        self.fold_nested(out)
        m = out.metrics
        if m.ttft is None and self.ttft is not None:
            # Time to the first token of the run, not of this request.
            m.ttft = self.ts - out._t0 - self.latency + self.ttft

    def fold_nested(self, out):
        # A member's tokens and cost are part of what the team run cost.
        m = out.metrics
        m.model_requests += 1
        m.input_tokens += self.input_tokens
        m.output_tokens += self.output_tokens
        if self.cost is not None:
            m.cost = (m.cost or 0.0) + self.cost


class ModelRequestFailed(Event):
    """A model call failed. ``retry_in`` is set when the loop will try again after that many seconds."""

    __slots__ = ("model", "error", "error_type", "status_code", "attempt", "retry_in")
    type = "ModelRequestFailed"

    def __init__(self, ref, span_id, parent_span_id, model: str, error: BaseException, attempt: int,
                 retry_in: float | None):
        super().__init__(ref, span_id, parent_span_id)
        from .redact import redact_exception

        self.model = model
        self.error = str(redact_exception(error))
        self.error_type = type(error).__name__
        self.status_code = getattr(error, "status_code", None)
        self.attempt = attempt
        self.retry_in = retry_in


# -------------------------------------------------------------------------------------------- tools


class _ToolView:
    """A tool event's call as Agno's ``ToolExecution`` reads: ``tool_name``, ``tool_args``, ``result``."""

    __slots__ = ("tool_name", "tool_args", "tool_call_id", "result", "tool_call_error")

    def __init__(self, event: Event):
        self.tool_name = getattr(event, "tool_name", None)
        self.tool_args = getattr(event, "arguments", None)
        self.tool_call_id = getattr(event, "tool_call_id", None)
        self.result = getattr(event, "result", None)
        self.tool_call_error = getattr(event, "error", None) is not None

    def __repr__(self) -> str:
        return f"ToolExecution({self.tool_name}({self.tool_args!r}), result={self.result!r})"


class _ToolEvent(Event):
    __slots__ = ()

    @property
    def tool(self) -> _ToolView:
        return _ToolView(self)


class ToolCallStarted(_ToolEvent):
    __slots__ = ("tool_name", "tool_call_id", "arguments")
    type = "ToolCallStarted"

    def __init__(self, ref, span_id, parent_span_id, tool_name: str, tool_call_id: str, arguments: Any):
        super().__init__(ref, span_id, parent_span_id)
        self.tool_name = tool_name
        self.tool_call_id = tool_call_id
        self.arguments = arguments

    def fold_into(self, out):
        execution = ToolExecution(self.tool_call_id, self.tool_name, self.arguments)
        out.tools.append(execution)
        out._tools_by_id[self.tool_call_id] = execution


class ToolCallCompleted(_ToolEvent):
    __slots__ = ("tool_name", "tool_call_id", "result", "duration", "cached")
    type = "ToolCallCompleted"

    def __init__(self, ref, span_id, parent_span_id, tool_name: str, tool_call_id: str, result: Any,
                 duration: float, cached: bool):
        super().__init__(ref, span_id, parent_span_id)
        self.tool_name = tool_name
        self.tool_call_id = tool_call_id
        self.result = result
        self.duration = duration
        self.cached = cached

    def fold_into(self, out):
        out.metrics.tool_calls += 1
        execution = out._tools_by_id.get(self.tool_call_id)
        if execution is not None:
            execution.result = self.result
            execution.duration = self.duration
            execution.cached = self.cached


class ToolCallError(_ToolEvent):
    """A tool call failed (raised, bad arguments, unknown tool, timeout). The model is told; the run goes on."""

    __slots__ = ("tool_name", "tool_call_id", "error", "error_type", "duration")
    type = "ToolCallError"

    def __init__(self, ref, span_id, parent_span_id, tool_name: str, tool_call_id: str, error: str,
                 error_type: str, duration: float):
        super().__init__(ref, span_id, parent_span_id)
        from .redact import redact

        self.tool_name = tool_name
        self.tool_call_id = tool_call_id
        self.error = redact(error)
        self.error_type = error_type
        self.duration = duration

    def fold_into(self, out):
        out.metrics.tool_calls += 1
        execution = out._tools_by_id.get(self.tool_call_id)
        if execution is not None:
            execution.error = self.error
            execution.duration = self.duration


class OutputValidationFailed(Event):
    """The answer did not fit ``output_schema``. ``repairing`` says whether the model gets another try."""

    __slots__ = ("error", "repairing")
    type = "OutputValidationFailed"

    def __init__(self, ref, span_id, parent_span_id, error: str, repairing: bool):
        super().__init__(ref, span_id, parent_span_id)
        self.error = error
        self.repairing = repairing


# ------------------------------------------------------------------------------ human in the loop


class ToolCallPaused(Event):
    """A tool call waits for a person: ``kind`` is confirmation, user_input or external_execution."""

    __slots__ = ("tool_name", "tool_call_id", "arguments", "kind", "user_input_fields")
    type = "ToolCallPaused"

    def __init__(self, ref, span_id, parent_span_id, tool_name: str, tool_call_id: str, arguments: Any,
                 kind: str, user_input_fields: list[str]):
        super().__init__(ref, span_id, parent_span_id)
        self.tool_name = tool_name
        self.tool_call_id = tool_call_id
        self.arguments = arguments
        self.kind = kind
        self.user_input_fields = user_input_fields


class RunPaused(Event):
    """The run stopped to wait for people; ``requirements`` lists every pending call."""

    __slots__ = ("requirements", "paused", "output")
    type = "RunPaused"

    def __init__(self, ref, span_id, parent_span_id, requirements: list, paused: Any):
        super().__init__(ref, span_id, parent_span_id)
        self.requirements = requirements
        self.paused = paused
        #: a weak reference to the ``RunOutput`` this pause was folded into, so approval controls can
        #: bring that very object up to date when they continue the run
        self.output: Any = None

    def payload(self):
        return {"requirements": [r.to_dict() for r in self.requirements]}

    def fold_into(self, out):
        self.output = weakref.ref(out)
        out.status = RunStatus.PAUSED
        out.requirements = self.requirements
        out.paused = self.paused
        self.paused.metrics = out.metrics.to_dict()  # the continuation starts from these totals
        out.messages = self.paused.messages
        out.session_state = self.paused.session_state
        out.status_reason = f"waiting for {len(self.requirements)} tool call(s)"
        out.metrics.duration = self.ts - out._t0


class RunContinued(Event):
    """A paused run goes on; ``decisions`` says what people decided for each pending call."""

    __slots__ = ("decisions",)
    type = "RunContinued"

    def __init__(self, ref, span_id, parent_span_id, decisions: list[dict]):
        super().__init__(ref, span_id, parent_span_id)
        self.decisions = decisions

    def fold_into(self, out):
        out.status = RunStatus.RUNNING
        out.requirements = []
        # Duration is active time: what ran before the pause plus what runs now, not the wait between.
        out._t0 = self.ts - (out.metrics.duration or 0.0)


class ToolCallRejected(Event):
    """A person rejected a tool call; the model is told, with the reason."""

    __slots__ = ("tool_name", "tool_call_id", "arguments", "reason")
    type = "ToolCallRejected"

    def __init__(self, ref, span_id, parent_span_id, tool_name: str, tool_call_id: str, arguments: Any,
                 reason: str | None):
        super().__init__(ref, span_id, parent_span_id)
        self.tool_name = tool_name
        self.tool_call_id = tool_call_id
        self.arguments = arguments
        self.reason = reason

    def fold_into(self, out):
        execution = ToolExecution(self.tool_call_id, self.tool_name, self.arguments)
        execution.error = f"rejected: {self.reason or 'no reason given'}"
        out.tools.append(execution)


class GuardrailTripped(Event):
    """A guardrail stopped the run (``stage``: input or output)."""

    __slots__ = ("guardrail", "reason", "stage")
    type = "GuardrailTripped"

    def __init__(self, ref, span_id, parent_span_id, guardrail: str, reason: str, stage: str):
        super().__init__(ref, span_id, parent_span_id)
        self.guardrail = guardrail
        self.reason = reason
        self.stage = stage


class ReasoningStep(Event):
    """One step of a reasoning pass or of ``ReasoningTools``."""

    __slots__ = ("title", "reasoning", "action", "result", "confidence")
    type = "ReasoningStep"

    def __init__(self, ref, span_id, parent_span_id, title: str, reasoning: str, action: str | None = None,
                 result: str | None = None, confidence: float | None = None):
        super().__init__(ref, span_id, parent_span_id)
        self.title = title
        self.reasoning = reasoning
        self.action = action
        self.result = result
        self.confidence = confidence

    def fold_into(self, out):
        out.reasoning_steps.append(self)


# ---------------------------------------------------------------------------------------- knowledge


class KnowledgeSearched(Event):
    """A knowledge base was searched, by the agent's tool or to build its context (``origin``).

    ``results`` are the references: one dict per chunk with its content, source, score, the search that
    produced the score and the other searches' scores. ``error`` is set when the search failed.
    """

    __slots__ = ("knowledge", "query", "search_type", "filters", "results", "duration", "origin", "error")
    type = "KnowledgeSearched"

    def __init__(self, ref, span_id, parent_span_id, knowledge: str, query: str, search_type: str,
                 filters: dict | None, results: list[dict], duration: float, origin: str,
                 error: str | None = None):
        super().__init__(ref, span_id, parent_span_id)
        self.knowledge = knowledge
        self.query = query
        self.search_type = search_type
        self.filters = filters
        self.results = results
        self.duration = duration
        self.origin = origin
        self.error = error

    def fold_into(self, out):
        out.references.append({"knowledge": self.knowledge, "query": self.query,
                               "search_type": self.search_type, "filters": self.filters,
                               "references": self.results, "time": self.duration, "origin": self.origin,
                               "error": self.error})
