"""Events of workflow constructs, so the trace shows a workflow as a tree and the store keeps an audit trail."""

from __future__ import annotations

from typing import Any

from ..run_events import Event

__all__ = ["StepStarted", "StepCompleted", "StepRetrying", "LoopIteration", "ConditionEvaluated", "RouterSelected"]


class StepStarted(Event):
    """A step or construct (``kind``: step, steps, parallel, loop, condition, router) began."""

    __slots__ = ("step_name", "kind", "work", "attempt")
    type = "StepStarted"

    def __init__(self, ref, span_id, parent_span_id, step_name: str, kind: str, work: str | None, attempt: int = 1):
        super().__init__(ref, span_id, parent_span_id)
        self.step_name = step_name
        self.kind = kind
        self.work = work
        self.attempt = attempt


class StepCompleted(Event):
    """A step or construct ended; ``success`` false when it failed or was skipped (``error`` says why)."""

    __slots__ = ("step_name", "kind", "success", "content", "error", "duration")
    type = "StepCompleted"

    def __init__(self, ref, span_id, parent_span_id, step_name: str, kind: str, success: bool, content: Any,
                 error: str | None, duration: float):
        super().__init__(ref, span_id, parent_span_id)
        self.step_name = step_name
        self.kind = kind
        self.success = success
        self.content = content
        self.error = error
        self.duration = duration


class StepRetrying(Event):
    __slots__ = ("step_name", "error", "attempt")
    type = "StepRetrying"

    def __init__(self, ref, span_id, parent_span_id, step_name: str, error: str, attempt: int):
        super().__init__(ref, span_id, parent_span_id)
        self.step_name = step_name
        self.error = error
        self.attempt = attempt


class LoopIteration(Event):
    __slots__ = ("loop_name", "iteration")
    type = "LoopIteration"

    def __init__(self, ref, span_id, parent_span_id, loop_name: str, iteration: int):
        super().__init__(ref, span_id, parent_span_id)
        self.loop_name = loop_name
        self.iteration = iteration


class ConditionEvaluated(Event):
    __slots__ = ("condition_name", "result")
    type = "ConditionEvaluated"

    def __init__(self, ref, span_id, parent_span_id, condition_name: str, result: bool):
        super().__init__(ref, span_id, parent_span_id)
        self.condition_name = condition_name
        self.result = result


class RouterSelected(Event):
    __slots__ = ("router_name", "selected")
    type = "RouterSelected"

    def __init__(self, ref, span_id, parent_span_id, router_name: str, selected: list[str]):
        super().__init__(ref, span_id, parent_span_id)
        self.router_name = router_name
        self.selected = selected
