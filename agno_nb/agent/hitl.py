"""Human in the loop: the pending tool calls of a paused run, and what a paused run keeps.

A run pauses when the model calls a tool that needs a person (``requires_confirmation``,
``requires_user_input``, ``external_execution``). Calls of the same turn that need nobody run at
once; the paused ones become ``Requirement`` objects on ``RunOutput.requirements``. Resolve each
(confirm, edit, reject with a reason, provide input, or set the result) and call
``agent.continue_run(out)``. ``PausedRun`` is plain JSON, so with a store the paused run survives the
process: a new kernel continues it by run id.
"""

from __future__ import annotations

from typing import Any

from ..errors import ConfigurationError
from ..tools.function import Function

__all__ = ["Requirement", "PausedRun", "requirement_for", "check_resolved"]

CONFIRMATION, USER_INPUT, EXTERNAL = "confirmation", "user_input", "external_execution"


class Requirement:
    """One paused tool call and the decision a person makes about it."""

    __slots__ = ("tool_call_id", "tool_name", "arguments", "kind", "user_input_fields", "decision", "reason",
                 "user_input", "result")

    def __init__(self, tool_call_id: str, tool_name: str, arguments: Any, kind: str,
                 user_input_fields: list[str] | None = None, decision: str | None = None,
                 reason: str | None = None, user_input: dict | None = None, result: Any = None):
        self.tool_call_id = tool_call_id
        self.tool_name = tool_name
        self.arguments = arguments if isinstance(arguments, dict) else {}
        self.kind = kind
        self.user_input_fields = list(user_input_fields or ())
        #: None until decided; then "confirmed", "rejected", "provided" or "executed"
        self.decision = decision
        self.reason = reason
        self.user_input = user_input or {}
        self.result = result

    # ---------------------------------------------------------------------------- decisions

    def confirm(self, **edited_arguments: Any) -> "Requirement":
        """Approve the call, optionally with some arguments changed."""
        self.arguments = {**self.arguments, **edited_arguments}
        self.decision = "confirmed"
        return self

    def edit(self, **arguments: Any) -> "Requirement":
        """Approve the call with edited arguments."""
        return self.confirm(**arguments)

    def reject(self, reason: str | None = None) -> "Requirement":
        """Refuse the call; the model is told, with ``reason``."""
        self.decision = "rejected"
        self.reason = reason
        return self

    def provide(self, **values: Any) -> "Requirement":
        """Supply the fields the tool asked a person for, and let it run."""
        missing = [f for f in self.user_input_fields if f not in values and f not in self.user_input]
        if missing:
            raise ConfigurationError(f"{self.tool_name} needs {missing} from you; pass them to provide(...).")
        self.user_input.update(values)
        self.decision = "provided"
        return self

    def set_result(self, result: Any) -> "Requirement":
        """Hand back the result of a tool you ran yourself (``external_execution``)."""
        self.result = result
        self.decision = "executed"
        return self

    @property
    def resolved(self) -> bool:
        if self.kind == EXTERNAL:
            return self.decision in ("executed", "rejected")
        if self.kind == USER_INPUT:
            return self.decision in ("provided", "rejected")
        return self.decision in ("confirmed", "rejected")

    @property
    def needs(self) -> str:
        """What is still expected of a person, in words."""
        return {CONFIRMATION: "confirm() or reject(reason)",
                USER_INPUT: f"provide({', '.join(f'{f}=...' for f in self.user_input_fields)}) or reject(reason)",
                EXTERNAL: "set_result(value) or reject(reason)"}[self.kind]

    def to_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__slots__}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Requirement":
        return cls(**{k: data.get(k) for k in cls.__slots__})

    def __repr__(self) -> str:
        state = self.decision or f"pending: {self.needs}"
        return f"Requirement({self.tool_name}({self.arguments}), {self.kind}, {state})"


def requirement_for(call_id: str, fn: Function, arguments: Any) -> Requirement:
    kind = EXTERNAL if fn.external_execution else USER_INPUT if fn.requires_user_input else CONFIRMATION
    return Requirement(call_id, fn.name, arguments, kind, fn.user_input_fields)


def check_resolved(requirements: list[Requirement], expected: list[Requirement]) -> list[Requirement]:
    """Match a caller's decisions to the pending calls; every pending call needs one."""
    by_id = {r.tool_call_id: r for r in requirements}
    unknown = [r.tool_call_id for r in requirements if r.tool_call_id not in {e.tool_call_id for e in expected}]
    if unknown:
        raise ConfigurationError(f"These tool calls are not pending in this run: {unknown}.")
    matched = [by_id.get(e.tool_call_id, e) for e in expected]
    open_ = [r for r in matched if not r.resolved]
    if open_:
        raise ConfigurationError(
            "Every paused tool call needs a decision before the run can go on: "
            + "; ".join(f"{r.tool_name} ({r.tool_call_id}): {r.needs}" for r in open_)
            + ". Decide on out.requirements (or on agent.get_run_requirements(run_id) in another process) and "
              "pass them: agent.continue_run(run, requirements=...).")
    return matched


class PausedRun:
    """What a paused run needs to go on; plain JSON so it can wait in the store."""

    __slots__ = ("run_id", "run_span", "session_id", "user_id", "messages", "own_from", "input", "session_state",
                 "context", "requirements", "tool_calls_made", "shown", "repaired", "metrics", "event_count",
                 "created_at", "limit_reason", "pending_stop", "continued")

    def __init__(self, run_id: str, run_span: str, session_id: str | None, user_id: str | None,
                 messages: list[dict], own_from: int, input: Any, session_state: dict, context: dict,
                 requirements: list[Requirement], tool_calls_made: int, shown: list[str], repaired: bool,
                 metrics: dict, event_count: int, created_at: float, limit_reason: str | None = None,
                 pending_stop: list | None = None):
        self.run_id = run_id
        self.run_span = run_span
        self.session_id = session_id
        self.user_id = user_id
        self.messages = messages
        self.own_from = own_from
        self.input = input
        self.session_state = session_state
        self.context = context
        self.requirements = requirements
        self.tool_calls_made = tool_calls_made
        self.shown = shown
        self.repaired = repaired
        self.metrics = metrics
        self.event_count = event_count
        self.created_at = created_at
        self.limit_reason = limit_reason
        self.pending_stop = pending_stop
        #: set when a continuation starts: a paused run goes on once (its approved tools must not run twice)
        self.continued = False

    def to_dict(self) -> dict[str, Any]:
        data = {name: getattr(self, name) for name in self.__slots__ if name != "continued"}
        data["requirements"] = [r.to_dict() for r in self.requirements]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "PausedRun":
        data = dict(data)
        data["requirements"] = [Requirement.from_dict(r) for r in data["requirements"]]
        return cls(**{k: data.get(k) for k in cls.__slots__ if k != "continued"})
