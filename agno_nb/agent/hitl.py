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

__all__ = ["Requirement", "PausedRun", "UserInputField", "requirement_for", "check_resolved"]

CONFIRMATION, USER_INPUT, EXTERNAL = "confirmation", "user_input", "external_execution"


class Requirement:
    """One paused tool call and the decision a person makes about it."""

    __slots__ = ("tool_call_id", "tool_name", "arguments", "kind", "user_input_fields", "decision", "reason",
                 "user_input", "result", "user_input_info", "_schema")

    def __init__(self, tool_call_id: str, tool_name: str, arguments: Any, kind: str,
                 user_input_fields: list[str] | None = None, decision: str | None = None,
                 reason: str | None = None, user_input: dict | None = None, result: Any = None,
                 user_input_info: list | None = None, _schema: Any = None):
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
        #: [name, type name, description] of each field a person fills in (``user_input_schema``)
        self.user_input_info = [list(i) for i in user_input_info or ()] or [[f, "str", ""] for f in
                                                                          self.user_input_fields]
        self._schema: list[UserInputField] | None = None

    # ---------------------------------------------------------------------------- decisions

    def confirm(self, **edited_arguments: Any) -> "Requirement":
        """Approve the call, optionally with some arguments changed."""
        self.arguments = {**self.arguments, **edited_arguments}
        self.decision = "confirmed"
        return self

    def edit(self, **arguments: Any) -> "Requirement":
        """Approve the call with edited arguments."""
        return self.confirm(**arguments)

    def reject(self, reason: str | None = None, *, note: str | None = None) -> "Requirement":
        """Refuse the call; the model is told, with ``reason`` (Agno calls it ``note``)."""
        self.decision = "rejected"
        self.reason = reason if reason is not None else note
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
            if self.decision is None and self.user_input_fields and \
                    all(f in self.user_input for f in self.user_input_fields):
                self.decision = "provided"  # every field was set through user_input_schema
            return self.decision in ("provided", "rejected")
        return self.decision in ("confirmed", "rejected")

    @property
    def needs(self) -> str:
        """What is still expected of a person, in words."""
        return {CONFIRMATION: "confirm() or reject(reason)",
                USER_INPUT: f"provide({', '.join(f'{f}=...' for f in self.user_input_fields)}) or reject(reason)",
                EXTERNAL: "set_result(value) or reject(reason)"}[self.kind]

    def to_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__slots__ if name != "_schema"}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Requirement":
        return cls(**{k: data.get(k) for k in cls.__slots__ if k != "_schema"})

    # ------------------------------------------------------------------------- Agno's spellings

    @property
    def needs_confirmation(self) -> bool:
        return self.kind == CONFIRMATION and self.decision is None

    @property
    def needs_user_input(self) -> bool:
        return self.kind == USER_INPUT and not self.resolved

    @property
    def needs_external_execution(self) -> bool:
        return self.kind == EXTERNAL and self.decision is None

    @property
    def confirmation(self) -> bool | None:
        return {"confirmed": True, "rejected": False}.get(self.decision or "")

    @property
    def confirmation_note(self) -> str | None:
        return self.reason

    @property
    def tool_execution(self) -> "_ToolCallView":
        """The paused call as Agno shows it: ``tool_name``, ``tool_args`` (editable in place)."""
        return _ToolCallView(self)

    @property
    def user_input_schema(self) -> list["UserInputField"]:
        """The fields a person fills in; setting a field's ``value`` provides it."""
        if self._schema is None:
            self._schema = [UserInputField(self, name, kind, description)
                            for name, kind, description in self.user_input_info]
        return self._schema

    def provide_user_input(self, values: dict[str, Any]) -> "Requirement":
        return self.provide(**values)

    def set_external_execution_result(self, result: Any) -> "Requirement":
        return self.set_result(result)

    def __repr__(self) -> str:
        state = self.decision or f"pending: {self.needs}"
        return f"Requirement({self.tool_name}({self.arguments}), {self.kind}, {state})"


def requirement_for(call_id: str, fn: Function, arguments: Any) -> Requirement:
    kind = EXTERNAL if fn.external_execution else USER_INPUT if fn.requires_user_input else CONFIRMATION
    info = None
    if fn.user_input_fields:
        fn.schema  # noqa: B018 (builds the argument model)
        model_fields = getattr(getattr(fn, "_args_model", None), "model_fields", {})
        info = []
        for name in fn.user_input_fields:
            field = model_fields.get(name)
            annotation = getattr(field, "annotation", None)
            type_name = getattr(annotation, "__name__", None) or str(annotation or "str")
            info.append([name, type_name, (field.description if field is not None else None) or ""])
    return Requirement(call_id, fn.name, arguments, kind, fn.user_input_fields, user_input_info=info)


class UserInputField:
    """One field a person fills in for a paused call (Agno's ``UserInputField``): set ``value``."""

    __slots__ = ("_requirement", "name", "field_type", "description")

    def __init__(self, requirement: Requirement, name: str, field_type: str, description: str):
        self._requirement = requirement
        self.name = name
        self.field_type = field_type
        self.description = description

    @property
    def value(self) -> Any:
        return self._requirement.user_input.get(self.name)

    @value.setter
    def value(self, value: Any) -> None:
        self._requirement.user_input[self.name] = value

    def __repr__(self) -> str:
        return f"UserInputField({self.name!r}: {self.field_type}, value={self.value!r})"


class _ToolCallView:
    __slots__ = ("_requirement",)

    def __init__(self, requirement: Requirement):
        self._requirement = requirement

    @property
    def tool_name(self) -> str:
        return self._requirement.tool_name

    @property
    def tool_args(self) -> dict[str, Any]:
        return self._requirement.arguments

    @property
    def tool_call_id(self) -> str:
        return self._requirement.tool_call_id

    @property
    def requires_confirmation(self) -> bool:
        return self._requirement.kind == CONFIRMATION

    @property
    def requires_user_input(self) -> bool:
        return self._requirement.kind == USER_INPUT

    @property
    def external_execution_required(self) -> bool:
        return self._requirement.kind == EXTERNAL

    @property
    def result(self) -> Any:
        return self._requirement.result

    def __repr__(self) -> str:
        return f"ToolExecution({self.tool_name}({self.tool_args}))"


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
