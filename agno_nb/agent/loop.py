"""The agent run loop: one async generator of events for streaming and non-streaming runs alike.

input hooks -> [reasoning] -> model request -> (tool calls -> model request)* -> output hooks -> answer.

Transient model errors are retried (``model_call``); the loop stops hard at ``tool_call_limit``;
structured output gets one repair attempt; a tool that needs a person pauses the run, and
``run_loop(plan, decisions=...)`` continues it. Every ending is an event (``RunCompleted``,
``RunPaused``, ``RunError``, ``RunCancelled``): no exception escapes the stream, so every sink sees a
complete trace.
"""

from __future__ import annotations

import asyncio
import time
from contextlib import aclosing
from typing import Any, AsyncIterator

from ..errors import OutputValidationError
from ..models.base import ModelResponse, ToolCall
from ..run_events import (Event, GuardrailTripped, OutputValidationFailed, RunCancelled, RunCompleted,
                          RunContinued, RunError, RunPaused, RunStarted, RunStatus, ToolCallPaused, ToolCallRejected,
                          new_span_id)
from ..tools.function import serialize_result
from ..tools.result import media_message
from .hitl import PausedRun, Requirement, requirement_for
from .hooks import GuardrailTripped as Tripped
from .hooks import run_post_hooks, run_pre_hooks
from .model_call import model_request
from .plan import LoopState, RunPlan
from .structured import parse_structured
from .tool_calls import ToolOutcome, run_tool_calls

__all__ = ["RunPlan", "run_loop"]


async def run_loop(plan: RunPlan, decisions: list[Requirement] | None = None,
                   state: LoopState | None = None) -> AsyncIterator[Event]:
    """Run the plan, yielding its events. With ``decisions``, continue a paused run from ``state``."""
    ref, messages = plan.ref, plan.messages
    state = state or LoopState(new_span_id())
    run_span = state.run_span
    plan.ctx.ref, plan.ctx.run_span = ref, run_span
    try:
        if decisions is None:
            # Input hooks first, so RunStarted (traced, stored) carries the input as the hooks left it:
            # masked or withheld when a guardrail trips, never the raw text.
            early: BaseException | None = None
            try:
                await run_pre_hooks(plan)
            except Exception as exc:
                early = exc
            yield RunStarted(ref, run_span, plan.parent_span, plan.model.id, plan.input)
            if early is not None:
                raise early
            if plan.agent.add_knowledge_to_context:  # classic RAG: search with the input as the hooks left it
                from .knowledge_use import add_knowledge_context

                async with aclosing(add_knowledge_context(plan)) as searched:
                    async for event in searched:
                        yield event
            if plan.agent.reasoning:
                from .reasoning import reasoning_pass

                async with aclosing(reasoning_pass(plan, run_span)) as steps:
                    async for event in steps:
                        yield event
        else:
            yield RunContinued(ref, new_span_id(), run_span, [d.to_dict() for d in decisions])
            async with aclosing(_apply_decisions(plan, state, decisions)) as applied:
                async for event in applied:
                    yield event
                    if isinstance(event, (RunCompleted, RunPaused)) and event.ref is ref:
                        return
        async with aclosing(_turns(plan, state)) as turns:
            async for event in turns:
                yield event
    except Tripped as trip:
        yield GuardrailTripped(ref, new_span_id(), run_span, trip.guardrail, trip.reason, trip.stage)
        # The answer is the guardrail's message (what the user is told, as in Agno); nothing of the blocked
        # input or output is in it.
        yield _completed(plan, run_span, trip.reason, RunStatus.BLOCKED, f"{trip.guardrail}: {trip.reason}")
    except (asyncio.CancelledError, KeyboardInterrupt) as cancel:
        # Tell the sinks the run ended (Stop, Ctrl-C, a server's cancel with its reason: task.cancel(msg)),
        # then let the cancellation proceed. Tools still running in threads see run_context.cancelled.
        plan.ctx.cancelled = True
        yield RunCancelled(ref, run_span, plan.parent_span, cancel_reason(cancel))
        raise
    except Exception as exc:
        yield RunError(ref, run_span, plan.parent_span, exc, messages)


async def _turns(plan: RunPlan, state: LoopState) -> AsyncIterator[Event]:
    """Model turns until an answer, a pause, a stop or the tool call limit."""
    agent, messages, run_span = plan.agent, plan.messages, state.run_span
    while True:
        response: ModelResponse | None = None
        async with aclosing(model_request(plan, run_span)) as request:
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
                    yield OutputValidationFailed(plan.ref, new_span_id(), run_span, problem, not state.repaired)
                    if state.repaired:
                        raise OutputValidationError(
                            f"The model's answer does not fit output_schema even after a repair attempt: {problem}")
                    state.repaired = True
                    messages.append({"role": "user", "content": (
                        f"Your answer is not valid: {problem}\nReply again with only a JSON object "
                        f"that matches the schema.")})
                    continue
            elif state.shown:
                content = "\n\n".join([*state.shown, content] if content else state.shown)
            content = await run_post_hooks(plan, content)
            yield _completed(plan, run_span, content, RunStatus.COMPLETED, None)
            return

        async with aclosing(_tool_turn(plan, state, response)) as turn:
            async for event in turn:
                yield event
                # this run's own ending (a team member's nested run ends inside a tool call)
                if isinstance(event, (RunCompleted, RunPaused)) and event.ref is plan.ref:
                    return


async def _tool_turn(plan: RunPlan, state: LoopState, response: ModelResponse) -> AsyncIterator[Event]:
    """Run one turn's tool calls: the hard limit, the calls that need nobody, then a pause if any need a person."""
    agent, messages, run_span = plan.agent, plan.messages, state.run_span
    calls = response.tool_calls
    limit, reason = agent.tool_call_limit, None
    if limit is not None and state.tool_calls_made + len(calls) > limit:
        # Hard limit: run what the budget allows, then stop without asking the model again.
        allowed = max(0, limit - state.tool_calls_made)
        reason = (f"tool_call_limit={limit} reached: the model asked for {state.tool_calls_made + len(calls)} "
                  f"tool calls; {len(calls) - allowed} were not run.")
        for call in calls[allowed:]:
            messages.append({"role": "tool", "tool_call_id": call.id,
                             "content": "Not run: the tool call limit of this run was reached."})
        calls = calls[:allowed]
    functions = agent.functions
    held = [c for c in calls if c.name in functions and functions[c.name].needs_human]
    free = [c for c in calls if c not in held]
    outcomes: list[ToolOutcome] = []
    if free:
        async with aclosing(run_tool_calls(free, functions, plan.ctx, plan.ref, run_span, outcomes)) as runs:
            async for event in runs:
                yield event
    state.tool_calls_made += len(calls)
    # Tool messages go right after the assistant message, in the order the model asked.
    insert_at = len(messages) - (len(response.tool_calls) - len(calls))
    messages[insert_at:insert_at] = [o.message for o in outcomes]
    if not held:  # images from tools (MCP) follow the turn's tool messages
        _show_media(plan, outcomes)
    async for event in _drain_context_events(plan):
        yield event
    stop = _stop_after(outcomes, state)
    if reason is not None and not held:
        yield _completed(plan, run_span, response.content, RunStatus.LIMIT_REACHED, reason)
        return
    if held:
        # What this turn already decided (a stop, the limit) holds once the paused calls are resolved.
        state.limit_reason = reason
        state.pending_stop = list(stop) if stop is not None else None
        requirements = []
        for call in held:
            outcome = ToolOutcome(call, functions[call.name])
            requirement = requirement_for(call.id, functions[call.name], outcome.arguments)
            requirements.append(requirement)
            yield ToolCallPaused(plan.ref, new_span_id(), run_span, call.name, call.id, requirement.arguments,
                                 requirement.kind, requirement.user_input_fields)
        yield _paused(plan, state, requirements)
        return
    if stop is not None:
        yield _completed(plan, run_span, *stop)


async def _apply_decisions(plan: RunPlan, state: LoopState, decisions: list[Requirement]) -> AsyncIterator[Event]:
    """Carry out what people decided for the paused calls; their tool messages join the conversation."""
    functions, messages, run_span = plan.agent.functions, plan.messages, state.run_span
    to_run: list[ToolCall] = []
    overrides: dict[str, dict[str, Any]] = {}
    for decision in decisions:
        if decision.decision == "rejected":
            yield ToolCallRejected(plan.ref, new_span_id(), run_span, decision.tool_name, decision.tool_call_id,
                                   decision.arguments, decision.reason)
            note = f"The user rejected this tool call{': ' + decision.reason if decision.reason else '.'}"
            messages.append({"role": "tool", "tool_call_id": decision.tool_call_id, "content": note})
        elif decision.decision == "executed":
            messages.append({"role": "tool", "tool_call_id": decision.tool_call_id,
                             "content": serialize_result(decision.result)})
            for event in _external_result_events(plan, run_span, decision):
                yield event
        else:
            overrides[decision.tool_call_id] = {**decision.arguments, **decision.user_input}
            to_run.append(ToolCall(decision.tool_call_id, decision.tool_name, ""))
    outcomes: list[ToolOutcome] = []
    if to_run:
        async with aclosing(run_tool_calls(to_run, functions, plan.ctx, plan.ref, run_span, outcomes,
                                           arguments=overrides)) as runs:
            async for event in runs:
                yield event
        messages.extend(o.message for o in outcomes)
        _show_media(plan, outcomes)
    async for event in _drain_context_events(plan):
        yield event
    stop = _stop_after(outcomes, state) or (tuple(state.pending_stop) if state.pending_stop else None)
    if stop is not None:
        yield _completed(plan, run_span, *stop)
    elif state.limit_reason is not None:
        yield _completed(plan, run_span, None, RunStatus.LIMIT_REACHED, state.limit_reason)


def _external_result_events(plan: RunPlan, run_span: str, decision: Requirement) -> list[Event]:
    from ..run_events import ToolCallCompleted, ToolCallStarted

    span = new_span_id()
    return [ToolCallStarted(plan.ref, span, run_span, decision.tool_name, decision.tool_call_id, decision.arguments),
            ToolCallCompleted(plan.ref, span, run_span, decision.tool_name, decision.tool_call_id, decision.result,
                              0.0, False)]


def _stop_after(outcomes: list[ToolOutcome], state: LoopState) -> tuple[str, str, str] | None:
    ok = [o for o in outcomes if o.error is None]
    state.shown.extend(serialize_result(o.result) for o in ok
                       if o.function.show_result and not o.function.stop_after_tool_call and not o.stop)
    stops = [o for o in ok if o.function.stop_after_tool_call or o.stop]
    if not stops:
        return None
    content = "\n\n".join([*state.shown, *(serialize_result(o.result) for o in stops)])
    why = "stopped the run" if stops[0].stop else "stopped after tool"
    return content, RunStatus.COMPLETED, f"{why} {stops[0].call.name}"


def _show_media(plan: RunPlan, outcomes: list[ToolOutcome]) -> None:
    shown = media_message([o.result for o in outcomes], plan.model)
    if shown is not None:
        plan.messages.append(shown)


async def _drain_context_events(plan: RunPlan) -> AsyncIterator[Event]:
    """Events that tools queued on the run context (``ReasoningTools`` steps)."""
    queued = plan.ctx.events
    while queued:
        yield queued.pop(0)


def cancel_reason(cancel: BaseException) -> str:
    reason = cancel.args[0] if cancel.args else None
    return reason if isinstance(reason, str) and reason else "the run was cancelled"


def _completed(plan: RunPlan, run_span: str, content: Any, status: str, reason: str | None) -> RunCompleted:
    return RunCompleted(plan.ref, run_span, plan.parent_span, content, status, reason, plan.messages,
                        plan.ctx.session_state)


def _paused(plan: RunPlan, state: LoopState, requirements: list[Requirement]) -> RunPaused:
    ctx = plan.ctx
    paused = PausedRun(ctx.run_id, state.run_span, ctx.session_id, ctx.user_id, plan.messages, plan.own_from,
                       plan.input,
                       ctx.session_state, _plain_context(ctx.context), requirements, state.tool_calls_made,
                       state.shown, state.repaired, {}, 0, time.time(), state.limit_reason, state.pending_stop)
    return RunPaused(plan.ref, new_span_id(), state.run_span, requirements, paused)


def _plain_context(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if isinstance(v, (str, int, float, bool, type(None), list, dict))}
