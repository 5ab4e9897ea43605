"""Where an agent meets its store: loading a session before a run, saving the run after it.

Store calls are blocking (DuckDB is embedded; psycopg is used synchronously), so from the async run
they go through ``asyncio.to_thread``: a write never stalls other runs on the same loop.
"""

from __future__ import annotations

import asyncio
import copy
import logging
import time
from typing import TYPE_CHECKING, Any

from .. import fresh_ids
from ..jsonsafe import dumps
from ..run_events import RunOutput, RunStatus
from ..memory.history import history_messages
from ..memory.manager import memories_prompt, search_memories
from ..memory.summary import summary_prompt
from ..storage.access import check_session_access
from ..storage.recorder import RunRecorder
from ..storage.run_writes import RunWrite
from ..storage.records import RunRecord, SessionRecord

if TYPE_CHECKING:
    from ..storage.base import Store
    from .agent import Agent
    from .loop import RunPlan

__all__ = ["load_session", "open_recorder", "save_run", "finish_recording", "snapshot_state"]

_log = logging.getLogger("agno_nb")


async def load_session(agent: "Agent", plan: "RunPlan", store: "Store") -> tuple[list[dict], list[str]]:
    """Merge the stored session into the plan; return (history messages, extra system sections)."""
    ctx = plan.ctx
    history_runs = agent.num_history_runs if agent.add_history_to_context and ctx.session_id else 0
    # Ids minted here a moment ago (a served request's new session) cannot be in the store: no read.
    chosen = None if fresh_ids.take(plan.chosen_run_id) else plan.chosen_run_id
    if fresh_ids.take(ctx.session_id) and chosen is None:
        session, runs = None, []
    else:
        session, runs = await asyncio.to_thread(store.load_session, ctx.session_id, history_runs,
                                                new_run_id=chosen)
    check_session_access(session, ctx.user_id, ctx.session_id)
    plan.session = session
    if not plan.nested:
        # The agent's defaults fill gaps, the stored state wins over them, the run's own values win last.
        # What the run found (before its own values) is what its changes are measured against on save.
        # (A new session is stored with the run's whole initial state, so there that is the base.)
        if session is None:
            plan.state_base = snapshot_state(ctx.session_state)
        else:
            # (The base is the stored state alone: defaults that fill its gaps are written too.)
            found = {**copy.deepcopy(agent.session_state or {}), **session.state}
            plan.state_base = snapshot_state(session.state)
            if session.state:
                ctx.session_state.clear()
                ctx.session_state.update({**found, **(plan.run_state or {})})
    history: list[dict] = []
    if runs:
        from ..media import describe_refs

        history = describe_refs(history_messages(runs, agent.num_history_messages))
    sections: list[str] = []
    if agent.add_memories_to_context:
        from .sessions import DEFAULT_USER

        user = ctx.user_id or agent.user_id or DEFAULT_USER
        memories = await asyncio.to_thread(memory_store(agent, store).list_memories, user, limit=500)
        query = plan.input if isinstance(plan.input, str) else None
        sections.append(memories_prompt(search_memories(memories, query, limit=agent.num_memories_in_context)))
    if agent.add_session_summary_to_context and session is not None:
        sections.append(summary_prompt(session.summary))
    return history, [s for s in sections if s]


def open_recorder(agent: "Agent", plan: "RunPlan") -> RunRecorder:
    """The recorder that writes this run while it goes on (see ``storage.recorder``); started here."""
    ctx = plan.ctx
    continuing = plan.resumed_from is not None
    record = RunRecord(ctx.run_id, ctx.session_id, parent_run_id=plan.ref.parent_run_id,
                       component_type=agent._kind, component_id=agent.id, component_name=agent.name,
                       user_id=ctx.user_id, status=RunStatus.RUNNING, input=plan.input if continuing else None,
                       created_at=plan.resumed_from.created_at if continuing else None)
    session = None
    if plan.session is None and plan.ref.parent_run_id is None and not continuing:
        session = SessionRecord(ctx.session_id, agent._kind, agent.id, ctx.user_id, None, ctx.session_state)
    recorder = RunRecorder(plan.store, record, first_seq=plan.resumed_from.event_count if continuing else 0,
                           session=session)
    recorder.start()
    return recorder


def snapshot_state(state: dict) -> dict[str, str]:
    """Each key's value as JSON text: what a run's changes are measured against when it is saved."""
    return {key: dumps(value) for key, value in state.items()}


async def save_run(agent: "Agent", plan: "RunPlan", out: RunOutput) -> None:
    """Write the run's final row, remaining events and session in one transaction (retrying transient
    store errors), then start background work. If the store still refuses, the output says so
    (``out.saved``, ``out.storage_error``, a ``RunSaveFailed`` event) and ``out.retry_save()`` tries again.

    A paused run also gets an ``approvals`` row (what it waits for, and everything needed to go on),
    so any process can continue it by id. A continued run appends its events to the run's earlier ones.
    """
    ctx, store, recorder = plan.ctx, plan.store, plan.recorder
    status = out.status if out.status != RunStatus.RUNNING else RunStatus.CANCELLED
    from ..media import strip_media

    own_messages = strip_media(plan.messages[plan.own_from:], plan.media)
    continuing = plan.resumed_from is not None
    run = recorder.record
    run.status, run.content, run.messages, run.metrics = status, out.content, own_messages, out.metrics.to_dict()
    run.error = out.status_reason if status not in (RunStatus.COMPLETED, RunStatus.PAUSED) else None
    run.input = plan.input
    run.updated_at = time.time()
    previous = plan.session
    session = SessionRecord(ctx.session_id, agent._kind, agent.id, ctx.user_id, None, ctx.session_state, None,
                            previous.created_at if previous else None, None, 0)
    # A member's run belongs to its parent's session row: the parent writes it (state, count, type).
    nested = plan.ref.parent_run_id is not None
    paused = out.paused if status == RunStatus.PAUSED else None
    if paused is not None:
        paused.metrics = out.metrics.to_dict()
        paused.created_at = run.created_at

    def build(rows: list[tuple], on_record: bool) -> RunWrite:
        approval = None
        if paused is not None:
            paused.event_count = recorder.next_seq
            approval = dict(session_id=ctx.session_id, user_id=ctx.user_id, component_id=agent.id,
                            requirements=[r.to_dict() for r in out.requirements], state=paused.to_dict())
        return RunWrite(run, rows, None if nested else session, replace=on_record or continuing,
                        count_run=not continuing, state_base=None if nested else plan.state_base,
                        approval=approval, delete_approval=continuing and paused is None)

    if await finish_recording(recorder, build, out, plan.ref):
        if status == RunStatus.COMPLETED:
            await _after_run(agent, plan, store, own_messages, previous)


async def finish_recording(recorder: RunRecorder, build: Any, out: RunOutput, ref: Any) -> bool:
    """The final write, through the store's group committer, retried over transient store errors (a
    locked DuckDB file, a PostgreSQL restart). On failure the output records it and keeps a way to try
    again; returns whether the run was saved."""
    from ..run_events import RunSaveFailed
    from ..storage.base import StoreConnectionError, StoreLockedError

    rows, on_record = recorder.seal()
    write = build(rows, on_record)
    store = recorder.store
    for delay in (0.05, 0.3, 1.0, None):
        try:
            await asyncio.wrap_future(store.commit(write))
            out.saved = True
            return True
        except (StoreConnectionError, StoreLockedError) as exc:
            error: BaseException = exc
            if delay is None:
                break
            await asyncio.sleep(delay)
        except Exception as exc:  # the run happened: keep its output, report that it was not saved
            error = exc
            break
    _log.warning("agno_nb: run %s finished but was NOT saved: %s (out.retry_save() tries again)", out.run_id, error)
    out.saved = False
    out.storage_error = error
    out._retry_save = lambda: store.commit(write).result()
    out.apply(RunSaveFailed(ref, error))
    return False


async def _after_run(agent: "Agent", plan: "RunPlan", store: "Store", own_messages: list[dict],
                     previous: SessionRecord | None) -> None:
    """Memories and the session summary, once the run is saved: awaited, so they are there when ``run()``
    returns (as in Agno), or on the background loop with ``Agent(background_memory=True)``. Failures are
    logged; they never change the run's outcome."""
    from .. import background
    from .sessions import DEFAULT_USER

    ctx = plan.ctx
    work: list[tuple[Any, str]] = []
    if agent.enable_user_memories:
        user = ctx.user_id or agent.user_id or DEFAULT_USER
        user_text = "\n".join(m["content"] for m in own_messages
                              if m.get("role") == "user" and isinstance(m.get("content"), str))
        if user_text:
            work.append((agent.memory_manager.aupdate(memory_store(agent, store), user, f"The user said:\n{user_text}",
                                                      model=plan.model, agent_id=agent.id), f"memories of user {user}"))
    if agent.enable_session_summaries and ctx.session_id:
        work.append((agent.session_summary_manager.aupdate(
            store, ctx.session_id, previous.summary if previous else None, own_messages, model=plan.model),
            f"summary of session {ctx.session_id}"))
    if not work:
        return
    if agent.background_memory:
        for coro, what in work:
            background.submit(coro, what=what)
        return
    results = await asyncio.gather(*(coro for coro, _ in work), return_exceptions=True)
    for (_, what), result in zip(work, results):
        if isinstance(result, BaseException):
            _log.warning("agno_nb: updating %s failed: %s", what, result)


def memory_store(agent: "Agent", store: "Store") -> "Store":
    """Where the agent's memories live: its memory manager's own ``db`` if it has one, else the run's store."""
    manager = agent._memory_manager
    if manager is not None and getattr(manager, "db", None) is not None:
        return manager.store()
    return store
