"""``RunOutput``: the result of a run, as the fold of its events (see ``run_events``), and its parts."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Iterator

if TYPE_CHECKING:
    from .run_events import Event, ReasoningStep, RunRef

__all__ = ["RunStatus", "RunMetrics", "ToolExecution", "RunOutput", "Message", "register_display"]

#: how a ``RunOutput`` shows itself in a notebook; filled from the floors above (this floor knows no
#: notebook): each renderer returns a MIME bundle, or ``None`` to let the next one try
_renderers: list[Callable[["RunOutput"], "dict[str, Any] | None"]] = []


def register_display(renderer: Callable[["RunOutput"], "dict[str, Any] | None"]) -> None:
    """Add a renderer for ``RunOutput._repr_mimebundle_`` (the notebook registers its trace view)."""
    if renderer not in _renderers:
        _renderers.append(renderer)


class RunStatus:
    """The states of a run. Plain strings so they compare, print and serialize as themselves."""

    RUNNING = "running"
    COMPLETED = "completed"
    ERROR = "error"
    CANCELLED = "cancelled"
    #: ``tool_call_limit`` was hit: the run ended without letting the model call more tools.
    LIMIT_REACHED = "limit_reached"
    #: waiting for a person: see ``RunOutput.requirements`` and ``Agent.continue_run``
    PAUSED = "paused"
    #: a guardrail stopped the run; nothing of the blocked input or output got through
    BLOCKED = "blocked"
    #: the process running it died before it ended (read from the store; ``Workflow.resume`` goes on)
    INTERRUPTED = "interrupted"

    # Agno's spellings (its enum members are lower case); a guardrail trip is ``blocked`` here, not ``error``
    running, completed, error, cancelled, paused, blocked = RUNNING, COMPLETED, ERROR, CANCELLED, PAUSED, BLOCKED
    pending = RUNNING


class Message(dict):
    """A chat message: the dict providers take, that also reads like Agno's objects (``m.role``)."""

    __slots__ = ()

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            if name in ("content", "name", "tool_calls", "tool_call_id", "reasoning_content"):
                return None
            raise AttributeError(name) from None


class RunMetrics:
    """Totals of one run. Times in seconds; ``cost`` in USD, ``None`` when no price is known."""

    __slots__ = ("input_tokens", "output_tokens", "ttft", "duration", "cost", "model_requests",
                 "tool_calls")

    def __init__(self) -> None:
        self.input_tokens = 0
        self.output_tokens = 0
        self.ttft: float | None = None
        self.duration: float | None = None
        self.cost: float | None = None
        self.model_requests = 0
        self.tool_calls = 0

    @property
    def total_tokens(self) -> int:
        return self.input_tokens + self.output_tokens

    def to_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__slots__} | {"total_tokens": self.total_tokens}

    def __repr__(self) -> str:
        return f"RunMetrics({', '.join(f'{k}={v!r}' for k, v in self.to_dict().items())})"


class ToolExecution:
    """One tool call of a run: what the model asked for and what came back."""

    __slots__ = ("tool_call_id", "tool_name", "arguments", "result", "error", "duration", "cached")

    def __init__(self, tool_call_id: str, tool_name: str, arguments: Any):
        self.tool_call_id = tool_call_id
        self.tool_name = tool_name
        self.arguments = arguments
        self.result: Any = None
        self.error: str | None = None
        self.duration: float | None = None
        self.cached = False

    def to_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__slots__}

    @property
    def tool_args(self) -> Any:
        """Agno's name for ``arguments``."""
        return self.arguments

    @property
    def tool_call_error(self) -> bool:
        return self.error is not None

    def __repr__(self) -> str:
        outcome = f"error={self.error!r}" if self.error else f"result={_short(self.result)}"
        return f"ToolExecution({self.tool_name}({_short(self.arguments)}), {outcome})"


class RunOutput:
    """The result of a run: the fold of its events.

    ``content`` is the answer text, or the validated ``output_schema`` object. ``events`` holds every
    event of the run in order, so the trace of a finished run is always at hand.
    """

    __slots__ = ("run_id", "session_id", "agent_name", "agent_id", "model", "content",
                 "reasoning_content", "reasoning_steps", "_messages", "_message_view", "tools", "status", "status_reason",
                 "error", "metrics", "events", "session_state", "requirements", "paused", "storage_error", "saved",
                 "_retry_save", "references", "_tools_by_id", "_t0", "__weakref__")

    def __init__(self, ref: RunRef):
        self.run_id = ref.run_id
        self.session_id = ref.session_id
        self.agent_name = ref.emitter_name
        self.agent_id = ref.emitter_id
        self.model: str | None = None
        self.content: Any = None
        self.reasoning_content: str | None = None
        self.reasoning_steps: list[ReasoningStep] = []
        self._messages: list[dict] = []
        self._message_view: list[Message] | None = None
        self.tools: list[ToolExecution] = []
        self.status = RunStatus.RUNNING
        self.status_reason: str | None = None
        self.error: BaseException | None = None
        self.metrics = RunMetrics()
        self.events: list[Event] = []
        self.session_state: dict | None = None
        #: the pending tool calls of a paused run: resolve each, then ``agent.continue_run(out)``
        self.requirements: list = []
        #: what a paused run needs to go on (``agno_nb.agent.hitl.PausedRun``)
        self.paused: Any = None
        #: set when the run finished but could not be written to the store (the output is still whole)
        self.storage_error: BaseException | None = None
        #: whether the run is in its store: ``True``, ``False`` (see ``storage_error``, ``retry_save()``),
        #: or ``None`` when it has no store
        self.saved: bool | None = None
        self._retry_save: Any = None
        #: what knowledge searches retrieved during the run (``KnowledgeSearched`` events): one dict per
        #: search with its query, search type and the chunks (content, source, score)
        self.references: list[dict] = []
        self._tools_by_id: dict[str, ToolExecution] = {}
        self._t0 = 0.0

    def apply(self, event: Event) -> None:
        """Fold one event into this output.

        Events of nested runs (a team member's run inside a team run) are kept in ``events`` for the
        trace, but only add to the totals: they never set this run's answer or status.
        """
        self.events.append(event)
        if event.ref.run_id == self.run_id:
            event.fold_into(self)
        else:
            event.fold_nested(self)

    @property
    def messages(self) -> list[Message]:
        """The conversation as sent to the model (system prompt, history, this run's messages)."""
        if self._message_view is None or len(self._message_view) != len(self._messages):
            self._message_view = [m if isinstance(m, Message) else Message(m) for m in self._messages]
        return self._message_view

    @messages.setter
    def messages(self, value: list[dict]) -> None:
        self._messages = value
        self._message_view = None

    # ------------------------------------------------------------------------- Agno's spellings

    @property
    def is_paused(self) -> bool:
        return self.status == RunStatus.PAUSED

    @property
    def active_requirements(self) -> list:
        """The paused calls still waiting for a decision."""
        return [r for r in self.requirements if not r.resolved]

    @property
    def member_responses(self) -> list["RunOutput"]:
        """A team run's member runs, each folded from its own events (in the order they started)."""
        outputs: dict[str, RunOutput] = {}
        for event in self.events:
            ref = event.ref
            if ref.run_id == self.run_id:
                continue
            out = outputs.get(ref.run_id)
            if out is None:
                if ref.parent_run_id != self.run_id:
                    continue  # a member's member: it is in that member's own responses
                out = outputs[ref.run_id] = RunOutput(ref)
            out.apply(event)
        nested = {e.ref.run_id for e in self.events if e.ref.parent_run_id in outputs}
        for out in outputs.values():  # their own members' events, so member_responses nests
            out.events.extend(e for e in self.events if e.ref.run_id in nested and e.ref.parent_run_id == out.run_id)
        return list(outputs.values())

    @property
    def step_results(self) -> list[Any]:
        """A workflow run's finished top-level steps, in order (``StepOutput``-like: step_name, content)."""
        from types import SimpleNamespace

        root = next((e.span_id for e in self.events if e.type == "RunStarted" and e.ref.run_id == self.run_id), None)
        results = []
        for e in self.events:
            if e.type == "StepCompleted" and e.ref.run_id == self.run_id and e.parent_span_id == root:
                results.append(SimpleNamespace(step_name=e.step_name, content=e.content,  # type: ignore[attr-defined]
                                               success=e.success, error=e.error, kind=e.kind))  # type: ignore[attr-defined]
        return results

    def get_content_as_string(self) -> str:
        """The answer as text (JSON for a structured answer), as Agno has it."""
        if isinstance(self.content, str):
            return self.content
        dump = getattr(self.content, "model_dump_json", None)
        if dump is not None:
            return dump()
        from .jsonsafe import dumps

        return "" if self.content is None else dumps(self.content)

    @property
    def ok(self) -> bool:
        return self.status == RunStatus.COMPLETED

    def raise_for_status(self) -> "RunOutput":
        """Raise the run's error if it failed; return self otherwise (handy in scripts and tests)."""
        if self.error is not None:
            raise self.error
        return self

    def retry_save(self) -> bool:
        """Try again to write a run whose save failed (``saved is False``); return whether it is saved now."""
        if self.saved is not False or self._retry_save is None:
            return bool(self.saved)
        try:
            self._retry_save()
        except Exception as exc:
            self.storage_error = exc
            return False
        self.saved, self.storage_error, self._retry_save = True, None, None
        return True

    def iter_events(self, *types: type[Event]) -> Iterator[Event]:
        """The run's events, optionally only those of the given types."""
        return (e for e in self.events if not types or isinstance(e, types))

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        """In a notebook: what a registered renderer makes of it (the trace view), else the repr."""
        for renderer in _renderers:
            bundle = renderer(self)
            if bundle is not None:
                return bundle
        return {"text/plain": repr(self)}

    def __repr__(self) -> str:
        unsaved = f", NOT SAVED: {self.storage_error}" if self.saved is False else ""
        return (f"RunOutput(status={self.status!r}, content={_short(self.content, 80)}, "
                f"tools={len(self.tools)}, tokens={self.metrics.total_tokens}{unsaved})")

    def __str__(self) -> str:
        if self.content is None:
            return f"[{self.status}] {self.status_reason or ''}".strip()
        return self.content if isinstance(self.content, str) else repr(self.content)


def _short(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
