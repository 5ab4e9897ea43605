"""Agno's ``agno.run.workflow``: a workflow run's output is a ``RunOutput`` (its steps in ``step_results``).

Agno has workflow-level event classes (``WorkflowStartedEvent``, ``WorkflowCompletedEvent``, ...); agno_nb
has one ``RunStarted`` / ``RunCompleted`` for agents, teams and workflows alike, told apart by who emitted
them. The workflow names here are classes for ``isinstance`` checks that match only a workflow's own events,
so ``isinstance(event, WorkflowCompletedEvent)`` is not fooled by a step agent's ``RunCompleted``.
"""

from __future__ import annotations

import enum
from typing import Any

from ..run_events import Event, RunCancelled, RunCompleted, RunError, RunOutput, RunStarted
from ..workflow.events import StepCompleted, StepStarted

__all__ = ["WorkflowRunOutput", "WorkflowRunEvent", "WorkflowRunOutputEvent", "BaseWorkflowRunOutputEvent",
           "WorkflowStartedEvent", "WorkflowCompletedEvent", "WorkflowErrorEvent", "WorkflowCancelledEvent",
           "StepStartedEvent", "StepCompletedEvent"]

WorkflowRunOutput = RunOutput
WorkflowRunOutputEvent = BaseWorkflowRunOutputEvent = Event
StepStartedEvent = StepStarted
StepCompletedEvent = StepCompleted


class WorkflowRunEvent(str, enum.Enum):
    """A workflow's event types, under Agno's member names (values: agno_nb's ``Event.type``)."""

    workflow_started = "RunStarted"
    workflow_completed = "RunCompleted"
    workflow_error = "RunError"
    workflow_cancelled = "RunCancelled"
    step_started = "StepStarted"
    step_completed = "StepCompleted"
    # agno_nb's own
    step_retrying = "StepRetrying"
    loop_iteration = "LoopIteration"
    condition_evaluated = "ConditionEvaluated"
    router_selected = "RouterSelected"

    def __str__(self) -> str:
        return self.value


class _WorkflowOwnEvent(type):
    """``isinstance(e, cls)``: ``e`` is a ``cls.event`` emitted by a workflow run itself."""

    event: type[Event]

    def __instancecheck__(cls, obj: Any) -> bool:
        return isinstance(obj, cls.event) and obj.ref.emitter_type == "workflow"


class WorkflowStartedEvent(metaclass=_WorkflowOwnEvent):
    event = RunStarted


class WorkflowCompletedEvent(metaclass=_WorkflowOwnEvent):
    event = RunCompleted


class WorkflowErrorEvent(metaclass=_WorkflowOwnEvent):
    event = RunError


class WorkflowCancelledEvent(metaclass=_WorkflowOwnEvent):
    event = RunCancelled
