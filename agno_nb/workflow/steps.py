"""The building blocks of a workflow: ``Step`` and the constructs that combine steps.

A step's work is an Agent, a Team, a nested Workflow, or a function ``(StepInput) -> StepOutput | value``
(sync, async or generator). Constructs: ``Steps`` (in order), ``Parallel`` (concurrently), ``Loop``
(until an end condition or ``max_iterations``), ``Condition`` (if / else) and ``Router`` (a selector
picks among declared choices).
"""

from __future__ import annotations

import inspect
from typing import TYPE_CHECKING, Any, Callable, Sequence

from ..errors import ConfigurationError

if TYPE_CHECKING:
    from .workflow import Workflow

__all__ = ["StepInput", "StepOutput", "Step", "Steps", "Parallel", "Loop", "Condition", "Router", "as_step",
           "ON_ERROR"]

ON_ERROR = ("fail", "skip", "retry", "pause")


class StepInput:
    """What a step sees: the workflow input, the previous step's content, and every earlier output by name."""

    __slots__ = ("input", "previous_step_content", "previous_step_outputs", "session_state", "run_context")

    def __init__(self, input: Any, previous_step_content: Any, previous_step_outputs: dict[str, "StepOutput"],
                 session_state: dict[str, Any], run_context: Any = None):
        self.input = input
        self.previous_step_content = previous_step_content
        self.previous_step_outputs = previous_step_outputs
        self.session_state = session_state
        self.run_context = run_context

    def get_step_content(self, name: str) -> Any:
        """The content of an earlier step by name (``KeyError`` naming the known steps if absent)."""
        output = self.previous_step_outputs.get(name)
        if output is None:
            raise KeyError(f"No step named {name!r} has run yet; ran: {list(self.previous_step_outputs)}")
        return output.content

    # Agno's spellings
    def get_last_step_content(self) -> Any:
        return self.previous_step_content

    def get_all_previous_content(self) -> str:
        """Every earlier step's content, each under its step name (as Agno formats it)."""
        return "\n\n".join(f"=== {name} ===\n{output.content}" for name, output in self.previous_step_outputs.items())

    def get_input_as_string(self) -> str:
        from ..jsonsafe import dumps

        return self.input if isinstance(self.input, str) else dumps(self.input)

    def __repr__(self) -> str:
        return f"StepInput(input={self.input!r}, previous={list(self.previous_step_outputs)})"


class StepOutput:
    """What a step produced. ``stop=True`` ends the workflow after this step."""

    __slots__ = ("content", "step_name", "success", "stop", "error")

    def __init__(self, content: Any = None, *, step_name: str | None = None, success: bool = True,
                 stop: bool = False, error: str | None = None):
        self.content = content
        self.step_name = step_name
        self.success = success
        self.stop = stop
        self.error = error

    def to_dict(self) -> dict[str, Any]:
        content = self.content
        dump = getattr(content, "model_dump", None)
        return {"content": dump(mode="json") if dump else content, "step_name": self.step_name,
                "success": self.success, "stop": self.stop, "error": self.error}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "StepOutput":
        return cls(data.get("content"), step_name=data.get("step_name"), success=data.get("success", True),
                   stop=data.get("stop", False), error=data.get("error"))

    def __repr__(self) -> str:
        state = "ok" if self.success else f"failed: {self.error}"
        return f"StepOutput({self.step_name!r}, {state}, content={self.content!r})"


class Step:
    """One unit of work, with retries, what to do on error, and optional confirmation before it runs."""

    kind = "step"

    def __init__(self, name: str | None = None, work: Any = None, *, agent: Any = None, team: Any = None,
                 executor: Callable[..., Any] | None = None, workflow: "Workflow | None" = None,
                 description: str | None = None, max_retries: int = 0, on_error: str = "fail",
                 requires_confirmation: bool = False, skip_on_failure: bool = False):
        if skip_on_failure:  # Agno's spelling of on_error="skip"
            on_error = "skip"
        work = next((w for w in (work, agent, team, executor, workflow) if w is not None), None)
        if work is None:
            raise ConfigurationError(f"Step {name!r} needs something to run: an Agent, Team, Workflow or function.")
        if on_error not in ON_ERROR:
            raise ConfigurationError(f"Step {name!r}: on_error must be one of {ON_ERROR}, got {on_error!r}.")
        self.work = work
        self.name = name or getattr(work, "name", None) or getattr(work, "__name__", None) or "step"
        self.description = description
        self.max_retries = max(max_retries, 1 if on_error == "retry" else 0)
        self.on_error = on_error
        self.requires_confirmation = requires_confirmation

    @property
    def work_kind(self) -> str:
        from ..agent.agent import Agent
        from ..team.team import Team
        from .workflow import Workflow

        if isinstance(self.work, Agent):
            return "agent"
        if isinstance(self.work, Team):
            return "team"
        if isinstance(self.work, Workflow):
            return "workflow"
        if callable(self.work):
            return "function"
        raise ConfigurationError(f"Step {self.name!r}: cannot run {self.work!r}.")

    def children(self) -> list["Step"]:
        return []

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r})"


class _Group(Step):
    """A construct over child steps."""

    def __init__(self, steps: Sequence[Any], name: str | None, description: str | None = None):
        if not steps:
            raise ConfigurationError(f"{type(self).__name__} {name or ''} needs at least one step.")
        self.steps = [as_step(s) for s in steps]
        self.name = name or f"{self.kind}({', '.join(s.name for s in self.steps)})"
        self.description = description
        self.max_retries = 0
        self.on_error = "fail"
        self.requires_confirmation = False
        self.work = None

    def children(self) -> list[Step]:
        return self.steps


class Steps(_Group):
    """Steps run one after the other."""

    kind = "steps"

    def __init__(self, *steps: Any, name: str | None = None, description: str | None = None,
                 **agno: Any):
        super().__init__(_steps_of(type(self).__name__, steps, agno), name, description)


class Parallel(_Group):
    """Steps run at the same time (on asyncio). Each branch works on a snapshot of the session_state;
    when all are done their changes are merged key by key in declaration order (a later branch wins a
    key both changed), so no branch's update is lost to another's stale copy."""

    kind = "parallel"

    def __init__(self, *steps: Any, name: str | None = None, description: str | None = None,
                 **agno: Any):
        super().__init__(_steps_of(type(self).__name__, steps, agno), name, description)


class Loop(_Group):
    """Steps repeated until ``end_condition(outputs_of_this_iteration)`` is true or ``max_iterations``."""

    kind = "loop"

    def __init__(self, *steps: Any, name: str | None = None, max_iterations: int = 3,
                 end_condition: Callable[[list[StepOutput]], bool] | None = None, description: str | None = None,
                 **agno: Any):
        super().__init__(_steps_of("Loop", steps, agno), name, description)
        if max_iterations < 1:
            raise ConfigurationError(f"Loop {self.name}: max_iterations must be at least 1.")
        self.max_iterations = max_iterations
        self.end_condition = end_condition


class Condition(_Group):
    """``steps`` when ``evaluator(step_input)`` is true, else ``else_steps``."""

    kind = "condition"

    def __init__(self, evaluator: Callable[[StepInput], Any] | bool, steps: Sequence[Any], *,
                 else_steps: Sequence[Any] = (), name: str | None = None, description: str | None = None):
        super().__init__(steps, name, description)
        self.evaluator = evaluator
        self.else_steps = [as_step(s) for s in else_steps]

    def children(self) -> list[Step]:
        return [*self.steps, *self.else_steps]


class Router(_Group):
    """``selector(step_input)`` returns one of ``choices`` (a step, its name, or a list of them) to run."""

    kind = "router"

    def __init__(self, selector: Callable[[StepInput], Any], choices: Sequence[Any], *, name: str | None = None,
                 description: str | None = None):
        super().__init__(choices, name, description)
        self.selector = selector

    def select(self, picked: Any) -> list[Step]:
        picked = picked if isinstance(picked, (list, tuple)) else [picked]
        chosen = []
        for item in picked:
            match = next((s for s in self.steps if item is s or item is s.work or item == s.name), None)
            if match is None:
                raise ConfigurationError(f"Router {self.name}: the selector returned {item!r}, which is not one of "
                                         f"its choices {[s.name for s in self.steps]}.")
            chosen.append(match)
        return chosen


def _steps_of(kind: str, positional: tuple, agno: dict[str, Any]) -> Sequence[Any]:
    """The child steps, given positionally or as Agno's ``steps=[...]`` (not both)."""
    keyword = agno.pop("steps", None)
    if agno:
        raise ConfigurationError(f"{kind}() got unexpected arguments {sorted(agno)}.")
    if keyword is not None and positional:
        raise ConfigurationError(f"{kind}: give the steps either positionally or as steps=[...], not both.")
    return list(keyword) if keyword is not None else positional


def as_step(item: Any) -> Step:
    """Agents, teams, workflows and functions become ``Step`` objects; steps stay as they are."""
    if isinstance(item, Step):
        return item
    if callable(item) or hasattr(item, "arun"):
        return Step(work=item)
    raise ConfigurationError(f"{item!r} is not a step: use an Agent, Team, Workflow, function or Step.")


async def call_maybe_async(fn: Callable[..., Any], *args: Any) -> Any:
    result = fn(*args)
    if inspect.isawaitable(result):
        result = await result
    return result
