"""Agno's ``agno.run.agent``: ``RunOutput``, ``RunInput``, ``RunEvent`` and the event classes, as agno_nb's.

Agno code that streams events compares them against ``RunEvent``; the members here carry agno_nb's event
type names as values (``RunEvent.run_content == "RunContentDelta"``), so ``event.type == RunEvent.x`` holds
for agno_nb's events. Agno's events that agno_nb has no counterpart for (memory and summary updates,
hook start/end, parser and output models) have no member.
"""

from __future__ import annotations

import enum

from ..agent.hooks import RunInput
from ..run_events import (
    Event, ModelRequestCompleted, ModelRequestStarted, ReasoningContentDelta, ReasoningStep, RunCancelled,
    RunCompleted, RunContentDelta, RunContinued, RunError, RunOutput, RunPaused, RunStarted,
    ToolCallCompleted, ToolCallError, ToolCallStarted,
)
from ..run_output import RunStatus

__all__ = ["RunOutput", "RunInput", "RunStatus", "RunEvent", "RunOutputEvent", "RunStartedEvent",
           "RunContentEvent", "RunCompletedEvent", "RunErrorEvent", "RunCancelledEvent", "RunPausedEvent",
           "RunContinuedEvent", "ToolCallStartedEvent", "ToolCallCompletedEvent", "ToolCallErrorEvent",
           "ReasoningStepEvent", "ReasoningContentDeltaEvent", "ModelRequestStartedEvent",
           "ModelRequestCompletedEvent"]


class RunEvent(str, enum.Enum):
    """The event types of a run, under Agno's member names (values: agno_nb's ``Event.type``)."""

    run_started = "RunStarted"
    run_content = "RunContentDelta"
    run_completed = "RunCompleted"
    run_error = "RunError"
    run_cancelled = "RunCancelled"
    run_paused = "RunPaused"
    run_continued = "RunContinued"
    tool_call_started = "ToolCallStarted"
    tool_call_completed = "ToolCallCompleted"
    tool_call_error = "ToolCallError"
    reasoning_step = "ReasoningStep"
    reasoning_content_delta = "ReasoningContentDelta"
    # agno_nb's own (no Agno counterpart)
    model_request_started = "ModelRequestStarted"
    model_request_completed = "ModelRequestCompleted"
    tool_call_paused = "ToolCallPaused"
    tool_call_rejected = "ToolCallRejected"
    guardrail_tripped = "GuardrailTripped"

    def __str__(self) -> str:
        return self.value


#: the base class of every event a streamed run yields
RunOutputEvent = Event
RunStartedEvent = RunStarted
RunContentEvent = RunContentDelta
RunCompletedEvent = RunCompleted
RunErrorEvent = RunError
RunCancelledEvent = RunCancelled
RunPausedEvent = RunPaused
RunContinuedEvent = RunContinued
ToolCallStartedEvent = ToolCallStarted
ToolCallCompletedEvent = ToolCallCompleted
ToolCallErrorEvent = ToolCallError
ReasoningStepEvent = ReasoningStep
ReasoningContentDeltaEvent = ReasoningContentDelta
ModelRequestStartedEvent = ModelRequestStarted
ModelRequestCompletedEvent = ModelRequestCompleted
