"""Agno's ``agno.run.workflow``: a workflow run's output is a ``RunOutput`` (its steps in ``step_results``)."""

from __future__ import annotations

import enum

from ..run_events import Event, RunOutput

__all__ = ["WorkflowRunOutput", "WorkflowRunEvent", "WorkflowRunOutputEvent"]

WorkflowRunOutput = RunOutput
WorkflowRunOutputEvent = Event


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
