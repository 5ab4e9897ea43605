"""Where an agent meets its store: loading a session before a run, saving the run after it.

Store calls are blocking (DuckDB is embedded; psycopg is used synchronously), so from the async run
they go through ``asyncio.to_thread``: a write never stalls other runs on the same loop.
"""

from __future__ import annotations

import asyncio
import copy
import time
from typing import TYPE_CHECKING

from ..errors import ConfigurationError
from ..run_events import (Event, ReasoningContentDelta, RunCompleted, RunContentDelta, RunError, RunOutput,
                          RunStarted, RunStatus)
from ..memory.history import history_messages
from ..memory.manager import memories_prompt, search_memories
from ..memory.summary import summary_prompt
from ..storage.records import RunRecord, SessionRecord, to_json

if TYPE_CHECKING:
    from ..storage.base import Store
    from .agent import Agent
    from .loop import RunPlan

__all__ = ["load_session", "save_run", "event_rows"]


async def load_session(agent: "Agent", plan: "RunPlan", store: "Store") -> tuple[list[dict], list[str]]:
    """Merge the stored session into the plan; return (history messages, extra system sections)."""
    ctx = plan.ctx
    session = await asyncio.to_thread(store.get_session, ctx.session_id)
    if session is not None and session.user_id and ctx.user_id and session.user_id != ctx.user_id:
        raise ConfigurationError(
            f"Session {ctx.session_id!r} belongs to another user; use a session id of user {ctx.user_id!r} "
            f"or start a new session.")
    plan.session = session
    if session is not None and session.state and not plan.nested:
        # The agent's defaults fill gaps, the stored state wins over them, the run's own values win last.
        merged = {**copy.deepcopy(agent.session_state or {}), **session.state, **(plan.run_state or {})}
        ctx.session_state.clear()
        ctx.session_state.update(merged)
    history: list[dict] = []
    if agent.add_history_to_context and ctx.session_id:
        runs = await asyncio.to_thread(store.last_runs, ctx.session_id, agent.num_history_runs)
        from ..media import describe_refs

        history = describe_refs(history_messages(runs, agent.num_history_messages))
    sections: list[str] = []
    if agent.add_memories_to_context and ctx.user_id:
        memories = await asyncio.to_thread(store.list_memories, ctx.user_id, limit=500)
        query = plan.input if isinstance(plan.input, str) else None
        sections.append(memories_prompt(search_memories(memories, query, limit=agent.num_memories_in_context)))
    if agent.add_session_summary_to_context and session is not None:
        sections.append(summary_prompt(session.summary))
    return history, [s for s in sections if s]


def event_rows(out: RunOutput, first_seq: int = 0) -> list[tuple]:
    """One row per event: (run_id, seq, type, span_id, parent_span_id, wall-clock ts, payload JSON)."""
    if not out.events:
        return []
    # perf_counter times, anchored to the wall clock once per run
    wall0, t0 = time.time(), out.events[-1].ts
    started = next((e for e in out.events if isinstance(e, RunStarted)), None)
    if started is not None:
        wall0, t0 = started.started_at, started.ts
    # A nested run's events (a team member's) are stored with that run, not again with this one.
    rows: list[tuple] = []
    pending: list[Event] = []  # consecutive text deltas of one span: stored as one row

    def flush() -> None:
        if pending:
            first = pending[0]
            text = "".join(e.content for e in pending)
            rows.append((out.run_id, first_seq + len(rows), first.type, first.span_id, first.parent_span_id,
                         wall0 + (first.ts - t0), to_json({"content": text, "deltas": len(pending)})))
            pending.clear()

    for e in out.events:
        if e.ref.run_id != out.run_id:
            continue
        if isinstance(e, (RunContentDelta, ReasoningContentDelta)):
            if pending and (type(pending[0]) is not type(e) or pending[0].span_id != e.span_id):
                flush()
            pending.append(e)
            continue
        flush()
        rows.append((out.run_id, first_seq + len(rows), e.type, e.span_id, e.parent_span_id, wall0 + (e.ts - t0),
                     _payload_json(e)))
    flush()
    return rows


def _payload_json(event: Event) -> str:
    payload = event.payload()
    if isinstance(event, RunCompleted):
        payload.pop("messages", None)  # stored once, on the run row
    elif isinstance(event, RunError):
        payload = {"error": event.error, "error_type": event.error_type}
    return to_json(payload) or "{}"


async def save_run(agent: "Agent", plan: "RunPlan", out: RunOutput, store: "Store") -> None:
    """Write the run, its events and its session in one transaction; then start background work.

    A paused run also gets an ``approvals`` row (what it waits for, and everything needed to go on),
    so any process can continue it by id. A continued run appends its events to the run's earlier ones.
    """
    ctx = plan.ctx
    status = out.status if out.status != RunStatus.RUNNING else RunStatus.CANCELLED
    from ..media import strip_media

    own_messages = strip_media(plan.messages[plan.own_from:], plan.media)
    continuing = plan.resumed_from is not None
    run = RunRecord(out.run_id, ctx.session_id, parent_run_id=plan.ref.parent_run_id,
                    component_type=agent._kind, component_id=agent.id,
                    component_name=agent.name, user_id=ctx.user_id, status=status, input=plan.input,
                    content=out.content, messages=own_messages, metrics=out.metrics.to_dict(),
                    error=out.status_reason if status not in (RunStatus.COMPLETED, RunStatus.PAUSED) else None,
                    created_at=plan.resumed_from.created_at if continuing else None)
    previous = plan.session
    session = SessionRecord(ctx.session_id, agent._kind, agent.id, ctx.user_id, None, ctx.session_state, None,
                            previous.created_at if previous else None, None,
                            previous.run_count if previous else 0)
    first_seq = plan.resumed_from.event_count if continuing else 0
    rows = event_rows(out, first_seq)

    def write() -> None:
        # A member's run belongs to its parent's session row: the parent writes it (state, count, type).
        nested = plan.ref.parent_run_id is not None
        store.save_run(run, rows, None if nested else session, replace=continuing, count_run=not continuing)
        if status == RunStatus.PAUSED and out.paused is not None:
            out.paused.metrics = out.metrics.to_dict()
            out.paused.event_count = first_seq + len(rows)
            out.paused.created_at = run.created_at
            store.save_approval(out.run_id, session_id=ctx.session_id, user_id=ctx.user_id,
                                component_id=agent.id, requirements=[r.to_dict() for r in out.requirements],
                                state=out.paused.to_dict())
        elif continuing:
            store.delete_approval(out.run_id)

    await asyncio.to_thread(write)
    if status == RunStatus.COMPLETED:
        _start_background_work(agent, plan, store, own_messages, previous)


def _start_background_work(agent: "Agent", plan: "RunPlan", store: "Store", own_messages: list[dict],
                           previous: SessionRecord | None) -> None:
    from .. import background

    ctx = plan.ctx
    if agent.enable_user_memories and ctx.user_id:
        user_text = "\n".join(m["content"] for m in own_messages
                              if m.get("role") == "user" and isinstance(m.get("content"), str))
        if user_text:
            background.submit(agent.memory_manager.aupdate(store, ctx.user_id, f"The user said:\n{user_text}",
                                                           model=plan.model, agent_id=agent.id),
                              what=f"memories of user {ctx.user_id}")
    if agent.enable_session_summaries and ctx.session_id:
        background.submit(agent.session_summary_manager.aupdate(
            store, ctx.session_id, previous.summary if previous else None, own_messages, model=plan.model),
            what=f"summary of session {ctx.session_id}")
