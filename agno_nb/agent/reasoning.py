"""``reasoning=True``: a bounded pass of explicit reasoning steps before the answer.

Each step is one structured model call (title, reasoning, action, result, confidence, next action),
emitted as a ``ReasoningStep`` event. The pass ends when the model says it is ready to answer (after
at least ``reasoning_min_steps``) or at ``reasoning_max_steps``; the steps then go into the context of
the answering call.
"""

from __future__ import annotations

from typing import Any, AsyncIterator, Literal

from pydantic import BaseModel, Field

from ..errors import ModelError
from ..run_events import Event, ModelRequestCompleted, ReasoningStep, new_span_id
from .plan import RunPlan

__all__ = ["reasoning_pass", "Step"]

_INSTRUCTIONS = """You reason step by step about the user's task before anyone answers it.
Give exactly one next step: a short title, your reasoning, the action you would take, its result,
your confidence (0 to 1), and next_action: "continue" for another step, "validate" to check your work,
or "final_answer" once the reasoning is complete. Do not write the final answer itself."""


class Step(BaseModel):
    title: str
    reasoning: str
    action: str | None = None
    result: str | None = None
    confidence: float = Field(0.5, ge=0.0, le=1.0)
    next_action: Literal["continue", "validate", "final_answer"] = "continue"


async def reasoning_pass(plan: RunPlan, run_span: str) -> AsyncIterator[Event]:
    from .agent import Agent

    agent = plan.agent
    if agent.reasoning == "model":
        async for event in _reasoning_model_pass(plan, run_span):
            yield event
        return
    thinker = Agent(name=f"{agent.name or 'agent'}-reasoning", model=agent.reasoning_model or plan.model,
                    instructions=_INSTRUCTIONS, output_schema=Step, retries=agent.retries)
    thinker._internal = True
    task = _text(plan.messages[-1])
    steps: list[Step] = []
    for number in range(1, agent.reasoning_max_steps + 1):
        so_far = "\n".join(f"{i}. {s.title}: {s.reasoning} -> {s.result or ''}" for i, s in enumerate(steps, 1))
        out = await thinker.arun(f"Task:\n{task}\n\nSteps so far:\n{so_far or '(none)'}\n\nGive step {number}.")
        for event in out.iter_events(ModelRequestCompleted):  # the pass's tokens count toward the run
            yield ModelRequestCompleted(plan.ref, event.span_id, run_span, event.model, event.input_tokens,
                                        event.output_tokens, event.latency, event.ttft, event.cost,
                                        event.finish_reason)
        if not out.ok:
            raise ModelError(f"The reasoning pass failed at step {number}: {out.status_reason}")
        step: Step = out.content
        steps.append(step)
        yield ReasoningStep(plan.ref, new_span_id(), run_span, step.title, step.reasoning, step.action,
                            step.result, step.confidence)
        if step.next_action == "final_answer" and number >= agent.reasoning_min_steps:
            break
    notes = "\n".join(f"{i}. {s.title}: {s.reasoning}" + (f" Result: {s.result}" if s.result else "")
                      for i, s in enumerate(steps, 1))
    plan.messages.insert(len(plan.messages) - 1, {
        "role": "system", "content": f"<reasoning>\n{notes}\n</reasoning>\nUse this reasoning to answer."})


async def _reasoning_model_pass(plan: RunPlan, run_span: str) -> AsyncIterator[Event]:
    """A reasoning model thinks about the conversation once; what it says (or its native reasoning) is the
    reasoning the answering call sees, and the run's ``reasoning_content`` (Agno's ``reasoning_model``)."""
    from ..run_events import ReasoningContentDelta
    from .agent import Agent

    agent = plan.agent
    thinker = Agent(name=f"{agent.name or 'agent'}-reasoning", model=agent.reasoning_model, retries=agent.retries,
                    instructions="Think through the user's task step by step. Write your reasoning, not the "
                                 "final answer.")
    thinker._internal = True
    out = await thinker.arun(f"Task:\n{_text(plan.messages[-1])}")
    for event in out.iter_events(ModelRequestCompleted):  # the pass's tokens count toward the run
        yield ModelRequestCompleted(plan.ref, event.span_id, run_span, event.model, event.input_tokens,
                                    event.output_tokens, event.latency, event.ttft, event.cost, event.finish_reason)
    if not out.ok:
        raise ModelError(f"The reasoning model failed: {out.status_reason}")
    text = (out.reasoning_content or "") + ("\n" if out.reasoning_content and out.content else "") + \
        (out.content if isinstance(out.content, str) else "")
    span = new_span_id()
    yield ReasoningContentDelta(plan.ref, span, run_span, text)
    yield ReasoningStep(plan.ref, new_span_id(), run_span, "Reasoning", text)
    plan.messages.insert(len(plan.messages) - 1, {
        "role": "system", "content": f"<reasoning>\n{text}\n</reasoning>\nUse this reasoning to answer."})


def _text(message: dict[str, Any]) -> str:
    content = message.get("content")
    if isinstance(content, list):
        return " ".join(p.get("text", "") for p in content if p.get("type") == "text")
    return str(content)
