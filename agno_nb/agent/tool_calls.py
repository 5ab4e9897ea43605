"""Running the tool calls of one model turn.

All calls of a turn run concurrently (a lone call runs inline, which is cheaper). A failing tool never
fails the run: its error, an invalid argument or an unknown tool name becomes the tool message the
model sees, and a ``ToolCallError`` event in the trace.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any, AsyncIterator

from ..errors import RetryAgentRun, StopAgentRun
from ..run_events import Event, RunRef, ToolCallCompleted, ToolCallError, ToolCallStarted, new_span_id
from ..models.base import ToolCall
from ..tools.function import Function, ToolArgumentsError, ToolTimeoutError, serialize_result
from .context import RunContext

__all__ = ["ToolOutcome", "run_tool_calls"]


class ToolOutcome:
    """What one call produced, in the order the model asked."""

    __slots__ = ("call", "function", "arguments", "result", "error", "message", "stop")

    def __init__(self, call: ToolCall, function: Function | None, arguments: Any = None):
        self.call = call
        self.function = function
        self.arguments = _parse_arguments(call.arguments) if arguments is None else arguments
        self.result: Any = None
        self.error: str | None = None
        self.message: dict[str, Any] | None = None
        #: the tool ended the run (``StopAgentRun``): its message is the answer
        self.stop = False


async def run_tool_calls(calls: list[ToolCall], functions: dict[str, Function], ctx: RunContext,
                         ref: RunRef, parent_span: str, outcomes: list[ToolOutcome], *,
                         arguments: dict[str, dict[str, Any]] | None = None) -> AsyncIterator[Event]:
    """Execute ``calls``, yielding their events; fill ``outcomes`` (with tool messages) in call order.

    ``arguments`` (by call id) replaces what the model sent: edits and inputs from a person.
    """
    spans = []
    for call in calls:
        outcome = ToolOutcome(call, functions.get(call.name), (arguments or {}).get(call.id))
        outcomes.append(outcome)
        span = new_span_id()
        spans.append(span)
        yield ToolCallStarted(ref, span, parent_span, call.name, call.id, outcome.arguments)
    first = len(outcomes) - len(calls)
    if any(o.function is not None and o.function.emits_events for o in outcomes[first:]):
        async for event in _execute_streaming(outcomes[first:], ctx, ref, spans, parent_span):
            yield event
        return
    if len(calls) == 1:
        yield await _execute(outcomes[-1], ctx, ref, spans[0], parent_span, in_thread=False)
        return
    tasks = [asyncio.ensure_future(_execute(outcomes[first + i], ctx, ref, spans[i], parent_span, in_thread=True))
             for i in range(len(calls))]
    try:
        for finished in asyncio.as_completed(tasks):
            yield await finished
    finally:
        for task in tasks:
            task.cancel()


async def _execute_streaming(outcomes: list[ToolOutcome], ctx: RunContext, ref: RunRef, spans: list[str],
                             parent_span: str) -> AsyncIterator[Event]:
    """Run calls whose tools stream events (delegations), passing those events on as they happen."""
    queue: asyncio.Queue = asyncio.Queue()
    ctx.live = queue
    pending = {asyncio.ensure_future(_execute(o, ctx, ref, span, parent_span, in_thread=len(outcomes) > 1))
               for o, span in zip(outcomes, spans)}
    getter: asyncio.Future | None = None
    try:
        while pending:
            if getter is None:
                getter = asyncio.ensure_future(queue.get())
            done, _ = await asyncio.wait(pending | {getter}, return_when=asyncio.FIRST_COMPLETED)
            if getter in done:
                yield getter.result()
                getter = None
            for task in done:
                if task is not getter and task in pending:
                    pending.discard(task)
                    while not queue.empty():  # the tool's own events come before its completion
                        yield queue.get_nowait()
                    yield task.result()
        while not queue.empty():
            yield queue.get_nowait()
    finally:
        ctx.live = None
        if getter is not None:
            getter.cancel()
        for task in pending:
            task.cancel()


async def _execute(outcome: ToolOutcome, ctx: RunContext, ref: RunRef, span: str, parent_span: str,
                   *, in_thread: bool) -> Event:
    call, fn = outcome.call, outcome.function
    started = time.perf_counter()
    cached = False
    try:
        if fn is None and not call.name:  # small models emit these; the model is told, the trace shows it
            known = ", ".join(sorted(ctx.agent.functions)) or "none"
            raise ToolArgumentsError(f"malformed tool call: it names no tool (arguments: "
                                     f"{call.arguments[:200]}); call one of: {known}")
        if fn is None:
            known = ", ".join(sorted(ctx.agent.functions)) or "none"
            raise ToolArgumentsError(f"there is no tool named {call.name!r}; available tools: {known}")
        kwargs = fn.validate(outcome.arguments)
        for name in fn.injected_parameters:
            kwargs[name] = span if name == "tool_span" else _injected(name, ctx)
        hooks = ctx.agent.tool_hooks
        if hooks:
            from .hooks import call_through_tool_hooks

            outcome.result, cached = await call_through_tool_hooks(hooks, fn, kwargs, ctx, in_thread)
        else:
            outcome.result, cached = await fn.acall(kwargs, in_thread=in_thread)
    except ToolTimeoutError as exc:
        outcome.error = str(exc)
        error_type = "ToolTimeout"
    except ToolArgumentsError as exc:
        outcome.error = str(exc)
        error_type = "ToolArgumentsError"
    except StopAgentRun as exc:
        outcome.result, outcome.stop = exc.message, True
    except RetryAgentRun as exc:
        outcome.error = exc.message or "try again"
        error_type = "RetryAgentRun"
    except Exception as exc:  # the tool's own failure: report it, keep the run going
        outcome.error = f"{type(exc).__name__}: {exc}"
        error_type = type(exc).__name__
    duration = time.perf_counter() - started
    if outcome.error is not None:
        outcome.message = {"role": "tool", "tool_call_id": call.id, "content": f"Error: {outcome.error}"}
        return ToolCallError(ref, span, parent_span, call.name, call.id, outcome.error, error_type, duration)
    outcome.message = {"role": "tool", "tool_call_id": call.id, "content": serialize_result(outcome.result)}
    return ToolCallCompleted(ref, span, parent_span, call.name, call.id, outcome.result, duration, cached)


def _injected(name: str, ctx: RunContext) -> Any:
    if name == "session_state":
        return ctx.session_state
    if name == "agent":
        return ctx.agent
    if name == "team":
        return None
    return ctx


def _parse_arguments(arguments: str) -> Any:
    """The arguments as JSON; invalid JSON stays text, and ``Function.validate`` reports why."""
    try:
        return json.loads(arguments) if arguments else {}
    except ValueError:
        return arguments
