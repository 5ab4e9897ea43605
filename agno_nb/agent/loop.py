"""The agent run loop: one async generator of events for streaming and non-streaming runs alike.

model request -> (tool calls -> model request)* -> answer. Transient model errors are retried with
exponential backoff; the loop stops hard at ``tool_call_limit``; structured output gets one repair
attempt. Every failure ends in a ``RunError`` event rather than an exception escaping the stream, so
every sink sees a complete trace.
"""

from __future__ import annotations

import asyncio
import time
from contextlib import aclosing
from typing import TYPE_CHECKING, Any, AsyncIterator

from ..errors import ModelError, OutputValidationError
from ..run_events import (Event, ModelRequestCompleted, ModelRequestFailed, ModelRequestStarted,
                      OutputValidationFailed, ReasoningContentDelta, RunCancelled, RunCompleted, RunContentDelta,
                      RunError,
                      RunRef, RunStarted, RunStatus, new_span_id)
from ..models.base import Model, ModelResponse
from ..tools.function import serialize_result
from .context import RunContext
from .structured import parse_structured
from .tool_calls import ToolOutcome, run_tool_calls

if TYPE_CHECKING:
    from .agent import Agent

__all__ = ["RunPlan", "run_loop"]

_now = time.perf_counter


class RunPlan:
    """Everything one run needs, resolved before the first event (so bad configuration raises early)."""

    __slots__ = ("agent", "model", "messages", "tools", "response_format", "ctx", "ref", "stream", "input",
                 "native_schema", "store", "session", "run_state", "own_from")

    def __init__(self, agent: "Agent", model: Model, tools: list[dict[str, Any]] | None,
                 response_format: dict[str, Any] | None, ctx: RunContext, ref: RunRef, stream: bool, input: Any,
                 native_schema: bool, store: Any, run_state: dict[str, Any] | None):
        self.agent = agent
        self.model = model
        #: filled by ``Agent._prepare``: system prompt, history, then this run's input
        self.messages: list[dict[str, Any]] = []
        self.tools = tools
        self.response_format = response_format
        self.ctx = ctx
        self.ref = ref
        self.stream = stream
        self.input = input
        self.native_schema = native_schema
        self.store = store
        #: the stored session as it was when the run started (``None``: new, or no store)
        self.session: Any = None
        #: the session_state values passed to this run (they win over stored ones)
        self.run_state = run_state
        #: index in ``messages`` where this run's own messages start (after system and history)
        self.own_from = 0


async def run_loop(plan: RunPlan) -> AsyncIterator[Event]:
    """Run the plan, yielding its events; the last event is ``RunCompleted`` or ``RunError``."""
    ref, agent, messages = plan.ref, plan.agent, plan.messages
    run_span = new_span_id()
    yield RunStarted(ref, run_span, None, plan.model.id, plan.input)
    tool_calls_made = 0
    limit = agent.tool_call_limit
    repaired = False
    shown: list[str] = []
    try:
        while True:
            response: ModelResponse | None = None
            async with aclosing(_model_request(plan, run_span)) as request:
                async for event in request:
                    if type(event) is ModelResponse:
                        response = event
                    else:
                        yield event
            assert response is not None
            messages.append(response.to_message())

            if not response.tool_calls:
                content: Any = response.content
                if agent.output_schema is not None:
                    content, problem = parse_structured(content, agent.output_schema)
                    if problem is not None:
                        yield OutputValidationFailed(ref, new_span_id(), run_span, problem, not repaired)
                        if repaired:
                            raise OutputValidationError(
                                f"The model's answer does not match {agent.output_schema.__name__} "
                                f"even after a repair attempt: {problem}")
                        repaired = True
                        messages.append({"role": "user", "content": (
                            f"Your answer is not valid: {problem}\nReply again with only a JSON object "
                            f"that matches the schema.")})
                        continue
                elif shown:
                    content = "\n\n".join([*shown, content] if content else shown)
                yield _completed(plan, run_span, content, RunStatus.COMPLETED, None)
                return

            calls = response.tool_calls
            reason = None
            if limit is not None and tool_calls_made + len(calls) > limit:
                # Hard limit: run what the budget allows, then stop without asking the model again.
                allowed = max(0, limit - tool_calls_made)
                reason = (f"tool_call_limit={limit} reached: the model asked for {tool_calls_made + len(calls)} "
                          f"tool calls; {len(calls) - allowed} were not run.")
                for call in calls[allowed:]:
                    messages.append({"role": "tool", "tool_call_id": call.id,
                                     "content": "Not run: the tool call limit of this run was reached."})
                calls = calls[:allowed]
            outcomes: list[ToolOutcome] = []
            if calls:
                async with aclosing(run_tool_calls(calls, agent.functions, plan.ctx, ref, run_span,
                                                   outcomes)) as executions:
                    async for event in executions:
                        yield event
            tool_calls_made += len(calls)
            # Tool messages go right after the assistant message, in the order the model asked.
            insert_at = len(messages) - (len(response.tool_calls) - len(calls))
            messages[insert_at:insert_at] = [o.message for o in outcomes]
            if reason is not None:
                yield _completed(plan, run_span, response.content, RunStatus.LIMIT_REACHED, reason)
                return
            stops = [o for o in outcomes if o.error is None and o.function.stop_after_tool_call]
            shown.extend(serialize_result(o.result) for o in outcomes
                         if o.error is None and o.function.show_result and not o.function.stop_after_tool_call)
            if stops:
                content = "\n\n".join([*shown, *(serialize_result(o.result) for o in stops)])
                yield _completed(plan, run_span, content, RunStatus.COMPLETED,
                                 f"stopped after tool {stops[0].call.name}")
                return
    except asyncio.CancelledError:
        # Tell the sinks the run ended, then let the cancellation proceed.
        yield RunCancelled(ref, run_span, None, "the run was cancelled")
        raise
    except Exception as exc:
        yield RunError(ref, run_span, None, exc, messages)


def _completed(plan: RunPlan, run_span: str, content: Any, status: str, reason: str | None) -> RunCompleted:
    return RunCompleted(plan.ref, run_span, None, content, status, reason, plan.messages, plan.ctx.session_state)


async def _model_request(plan: RunPlan, run_span: str) -> AsyncIterator[Any]:
    """One model call with retries. Yields events and, last, the ``ModelResponse``."""
    model, ref, stream = plan.model, plan.ref, plan.stream
    retries = plan.agent.retries if plan.agent.retries is not None else model.max_retries
    attempt = 0
    while True:
        attempt += 1
        span = new_span_id()
        yield ModelRequestStarted(ref, span, run_span, model.id, model.transport, attempt)
        started = _now()
        first_token: float | None = None
        response: ModelResponse | None = None
        try:
            async with aclosing(model.respond(plan.messages, tools=plan.tools, response_format=plan.response_format,
                                              stream=stream)) as chunks:
                async for item in chunks:
                    if type(item) is ModelResponse:
                        response = item
                        continue
                    if first_token is None:
                        first_token = _now() - started
                    if type(item) is str:
                        yield RunContentDelta(ref, span, run_span, item)
                    else:
                        yield ReasoningContentDelta(ref, span, run_span, str(item))
        except ModelError as exc:
            if exc.retryable and attempt <= retries:
                wait = model.retry_backoff * (2 ** (attempt - 1))
                yield ModelRequestFailed(ref, span, run_span, model.id, exc, attempt, wait)
                await asyncio.sleep(wait)
                continue
            yield ModelRequestFailed(ref, span, run_span, model.id, exc, attempt, None)
            raise
        if response is None:
            raise ModelError(f"{model.id}: the provider closed the response without an answer.", model=model.id)
        latency = _now() - started
        if not stream and response.reasoning:
            yield ReasoningContentDelta(ref, span, run_span, response.reasoning)
        yield ModelRequestCompleted(ref, span, run_span, model.id, response.input_tokens, response.output_tokens,
                                    latency, first_token if first_token is not None else latency, response.cost,
                                    response.finish_reason)
        yield response
        return
