"""``RunPlan``: everything one run needs, and ``LoopState``: what the loop has done so far."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..models.base import Model
from ..run_events import RunRef
from .context import RunContext

if TYPE_CHECKING:
    from .agent import Agent

__all__ = ["RunPlan", "LoopState"]


class RunPlan:
    """Everything one run needs, resolved before the first event (so bad configuration raises early)."""

    __slots__ = ("agent", "model", "messages", "tools", "response_format", "ctx", "ref", "stream", "input",
                 "native_schema", "store", "session", "run_state", "own_from", "resumed_from", "media",
                 "observers", "parent_span", "nested", "state_base", "recorder", "deadline",
                 "chosen_run_id")

    def __init__(self, agent: "Agent", model: Model, tools: list[dict[str, Any]] | None,
                 response_format: dict[str, Any] | None, ctx: RunContext, ref: RunRef, stream: bool, input: Any,
                 native_schema: bool, store: Any, run_state: dict[str, Any] | None):
        self.agent = agent
        self.model = model
        #: filled by ``Agent._prepare``: system prompt, history, then this run's input
        self.messages: list[dict[str, Any]] = []
        self.tools = tools
        self.response_format = response_format
        self.ctx = ctx
        self.ref = ref
        self.stream = stream
        self.input = input
        self.native_schema = native_schema
        self.store = store
        #: the stored session as it was when the run started (``None``: new, or no store)
        self.session: Any = None
        #: the session_state values passed to this run (they win over stored ones)
        self.run_state = run_state
        #: index in ``messages`` where this run's own messages start (after system and history)
        self.own_from = 0
        #: the ``PausedRun`` this plan continues, if any
        self.resumed_from: Any = None
        #: images, audio, videos and files sent with the input (``agno_nb.media``)
        self.media: list[Any] = []
        #: per-run sinks of the events besides the output (the notebook's live trace); see ``observe``
        self.observers: list[Any] = []
        #: for a nested run (a team member's): the span it runs under, e.g. the delegating tool call
        self.parent_span: str | None = None
        #: a run inside another run, sharing its session_state object (the parent loaded and saves it)
        self.nested = False
        #: the session_state as the run found it (key -> JSON): saving writes only the keys it changed
        self.state_base: dict[str, str] | None = None
        #: writes the run to ``store`` while it goes on (``storage.recorder``); ``None`` without a store
        self.recorder: Any = None
        #: ``time.monotonic()`` by which the run must end (``Agent.run_timeout``), or ``None``
        self.deadline: float | None = None
        #: the run id the caller chose (checked to be unused before the run starts), else ``None``
        self.chosen_run_id: str | None = None


class LoopState:
    """The loop's counters; saved with a paused run so the continuation picks up where it stopped."""

    __slots__ = ("run_span", "tool_calls_made", "repaired", "shown", "limit_reason", "pending_stop")

    def __init__(self, run_span: str, tool_calls_made: int = 0, repaired: bool = False,
                 shown: list[str] | None = None, limit_reason: str | None = None,
                 pending_stop: list | None = None):
        self.run_span = run_span
        self.tool_calls_made = tool_calls_made
        self.repaired = repaired
        #: results of ``show_result`` tools, prepended to the answer
        self.shown = shown or []
        #: the turn that paused also hit ``tool_call_limit``: the continuation ends there
        self.limit_reason = limit_reason
        #: the turn that paused also ran a ``stop_after_tool_call`` tool: [content, reason]
        self.pending_stop = pending_stop
