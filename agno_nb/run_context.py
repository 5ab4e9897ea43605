"""``RunContext``: the per-run state a tool can ask for by declaring a ``run_context`` parameter.

Agents are immutable configuration shared by every run (and every request of a served app); all that
changes during a run lives here. It sits on the lowest floor, next to the events, because tools
(``ReasoningTools``) declare it and tools sit below agents.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .agent.agent import Agent

__all__ = ["RunContext"]


class RunContext:
    """What a run knows about itself: ids, the merged context values and the mutable session_state."""

    __slots__ = ("run_id", "session_id", "user_id", "session_state", "context", "agent", "metadata", "events",
                 "ref", "run_span", "live", "store", "cancelled", "knowledge_filters")

    def __init__(self, run_id: str, session_id: str | None, user_id: str | None,
                 session_state: dict[str, Any], context: dict[str, Any], agent: "Agent",
                 metadata: dict[str, Any] | None = None):
        self.run_id = run_id
        self.session_id = session_id
        self.user_id = user_id
        #: shared with tools that declare ``session_state``; its final value lands on ``RunOutput``
        self.session_state = session_state
        self.context = context
        self.agent = agent
        self.metadata = metadata or {}
        #: events a tool wants in the trace (e.g. reasoning steps); the loop emits them after the tool
        self.events: list = []
        self.ref: Any = None
        self.run_span: str | None = None
        #: while tools that stream events run, the queue their events go through (see ``emit``)
        self.live: Any = None
        #: the store this run writes to (a nested run may use its parent's)
        self.store: Any = None
        #: set when the run is cancelled (Ctrl-C, the notebook's Stop button). A sync tool cannot be
        #: killed once it runs; a long one can opt in to stopping early by checking this flag
        self.cancelled = False
        #: this run's knowledge filters (``run(..., knowledge_filters=)`` over the agent's), ``None``: the agent's
        self.knowledge_filters: dict[str, Any] | None = None

    def emit(self, event: Any) -> None:
        """Put an event into the run's stream now (when the loop streams it live), else after the tool."""
        if self.live is not None:
            self.live.put_nowait(event)
        else:
            self.events.append(event)

    def emit_reasoning_step(self, title: str, reasoning: str, action: str | None = None,
                            result: str | None = None, confidence: float | None = None) -> None:
        """Queue a ``ReasoningStep`` event for the trace (used by ``ReasoningTools``)."""
        from .run_events import ReasoningStep, new_span_id

        self.events.append(ReasoningStep(self.ref, new_span_id(), self.run_span, title, reasoning, action, result,
                                         confidence))

    def __repr__(self) -> str:
        return f"RunContext(run_id={self.run_id!r}, session_id={self.session_id!r}, user_id={self.user_id!r})"
