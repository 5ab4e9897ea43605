"""``Workflow``: deterministic steps (agents, teams, functions, nested workflows) with an audit trail.

Runs like an agent (``run``, ``arun``, ``stream=True``) and emits events for every step and construct.
With a store, every top-level step is checkpointed: ``resume(run_id)`` continues a run whose process
died, and a step with ``requires_confirmation`` (or ``on_error="pause"``) pauses the run until
``continue_run`` (also from another process).
"""

from __future__ import annotations

import asyncio
import copy
from typing import TYPE_CHECKING, Any, AsyncIterator, Sequence

from .._sync import iterate_sync, run_sync
from ..agent.context import RunContext
from ..errors import ConfigurationError
from ..observe import notify, observers_for
from ..run_events import Event, RunOutput, RunRef, RunStatus, new_run_id, slug_id
from .runner import WorkflowRun, run_workflow
from .steps import Step, StepOutput, as_step

if TYPE_CHECKING:
    import pandas

    from ..storage.base import Store

__all__ = ["Workflow"]


class Workflow:
    """Steps run in order; see ``Steps``, ``Parallel``, ``Loop``, ``Condition``, ``Router``."""

    def __init__(self, *, name: str, steps: Sequence[Any], id: str | None = None, description: str | None = None,
                 db: "Store | str | None" = None, session_state: dict[str, Any] | None = None,
                 user_id: str | None = None, session_id: str | None = None, stream: bool | None = None,
                 markdown: bool = False, debug_mode: bool = False):
        if not steps:
            raise ConfigurationError(f"Workflow {name!r} needs at least one step.")
        self.name = name
        self.id = id or slug_id(name, "workflow")
        self.description = description
        self.steps: list[Step] = [as_step(s) for s in steps]
        self.db = db
        self.session_state = session_state
        self.user_id = user_id
        self.session_id = session_id
        #: ``print_response`` defaults (Agno's options)
        self.stream = stream
        self.markdown = markdown
        self.debug = debug_mode
        self._store: Any = None
        _check(self)

    def store(self) -> "Store | None":
        """The store: ``db=``, else the default store, else ``None`` (no checkpoints, no resume)."""
        from ..storage import default_store, open_store

        if self.db is None:
            return default_store()
        if self._store is None:
            self._store = open_store(self.db)
        return self._store

    # ------------------------------------------------------------------------------------ runs

    def _new_run(self, input: Any, session_id: str | None, user_id: str | None,
                 session_state: dict[str, Any] | None, run_id: str | None = None, observe: bool = True,
                 parent: Any = None) -> WorkflowRun:
        _check(self)  # steps may have changed since construction
        store = self.store()
        run_id = run_id or new_run_id()
        session_id = session_id or self.session_id
        if session_id is None and parent is None:
            # As in Agno: the first run without a session id starts one, and the workflow keeps using it.
            session_id = self.session_id = new_run_id()
        user_id = user_id or self.user_id
        state = copy.deepcopy(self.session_state or {})
        state.update(copy.deepcopy(session_state or {}))
        ref = RunRef(run_id, session_id, user_id, "workflow", self.name, self.id)
        ctx = RunContext(run_id, session_id, user_id, state, {}, self)  # type: ignore[arg-type]
        run = WorkflowRun(self, ref, ctx, store, input, state)
        run.observers = observers_for(self, ref) if observe else []
        return run

    async def _collect(self, run: WorkflowRun, resumed: bool = False, count: bool | None = None) -> RunOutput:
        out = RunOutput(run.ref)
        async for event in self._events(run, resumed, out, count):
            pass
        return out

    async def _events(self, run: WorkflowRun, resumed: bool, out: RunOutput | None = None,
                      count: bool | None = None) -> AsyncIterator[Event]:
        """The run's events; recorded while they come and saved at the end. ``count``: whether this save
        counts the run in its session (default: a new run does, a continuation of a paused one does not)."""
        out = out if out is not None else RunOutput(run.ref)
        count = (not resumed) if count is None else count
        if run.store is not None:
            if not resumed and run.parent_span is None:
                await self._load_state(run)
            run.recorder = self._recorder(run)
        observers, recorder, ref = run.observers, run.recorder, run.ref
        try:
            async for event in run_workflow(run, resumed):
                if recorder is not None and event.ref is ref:
                    recorder.place(event)
                out.apply(event)
                if observers:
                    notify(observers, event)
                yield event
        finally:
            if recorder is not None:
                await self._save(run, out, resumed, count and run.parent_span is None)

    async def _load_state(self, run: WorkflowRun) -> None:
        from ..agent.persistence import snapshot_state
        from ..storage.access import check_session_access
        from ..storage.records import SessionRecord

        session = await asyncio.to_thread(run.store.get_session, run.ref.session_id)
        check_session_access(session, run.ref.user_id, run.ref.session_id)
        # What the run's changes are measured against: the stored state (a new session is stored as the
        # run starts, so there it is the run's whole initial state).
        run.state_base = snapshot_state(run.state if session is None else session.state)
        if session is None:  # the workflow's session, before any agent step could claim it
            await asyncio.to_thread(run.store.save_session, SessionRecord(
                run.ref.session_id, "workflow", self.id, run.ref.user_id, state=run.state))
        elif session.state:
            merged = {**session.state, **run.state}
            run.state.clear()
            run.state.update(merged)

    def _recorder(self, run: WorkflowRun) -> Any:
        from ..storage.recorder import RunRecorder
        from ..storage.records import RunRecord

        record = RunRecord(run.ref.run_id, run.ref.session_id, parent_run_id=run.ref.parent_run_id,
                           component_type="workflow", component_id=self.id, component_name=self.name,
                           user_id=run.ref.user_id, status=RunStatus.RUNNING, input=run.input,
                           created_at=run.created_at)
        recorder = RunRecorder(run.store, record, first_seq=run.first_seq)
        recorder.start()
        return recorder

    async def _save(self, run: WorkflowRun, out: RunOutput, resumed: bool, count: bool) -> None:
        from ..agent.persistence import finish_recording
        from ..storage.records import SessionRecord

        recorder = run.recorder
        record = recorder.record
        status = out.status if out.status != RunStatus.RUNNING else RunStatus.CANCELLED
        record.status, record.content, record.metrics = status, out.content, out.metrics.to_dict()
        record.error = out.status_reason if status not in (RunStatus.COMPLETED, RunStatus.PAUSED) else None
        session = SessionRecord(run.ref.session_id, "workflow", self.id, run.ref.user_id, state=run.state)
        nested = run.parent_span is not None  # a nested workflow's session row is its parent's to write

        def build(rows: list[tuple], on_record: bool) -> Any:
            from ..storage.run_writes import RunWrite

            approval = None
            if status == RunStatus.PAUSED and out.paused is not None:
                out.paused.event_count = recorder.next_seq
                approval = dict(session_id=run.ref.session_id, user_id=run.ref.user_id, component_id=self.id,
                                requirements=[r.to_dict() for r in out.requirements], state=out.paused.to_dict())
            return RunWrite(record, rows, None if nested else session, replace=True, count_run=count,
                            state_base=None if nested else run.state_base, approval=approval,
                            delete_approval=resumed and approval is None)

        before = len(out.events)
        await finish_recording(recorder, build, out, run.ref)
        if run.observers:
            for event in out.events[before:]:
                notify(run.observers, event)

    def run(self, input: Any = None, *, stream: bool = False, session_id: str | None = None,
            user_id: str | None = None, session_state: dict[str, Any] | None = None) -> Any:
        """Run synchronously: a ``RunOutput`` (content: the last step's), or events with ``stream=True``."""
        run = self._new_run(input, session_id, user_id, session_state)
        if stream:
            return iterate_sync(self._events(run, False))
        return run_sync(self._collect(run))

    def arun(self, input: Any = None, *, stream: bool = False, session_id: str | None = None,
             user_id: str | None = None, session_state: dict[str, Any] | None = None,
             run_id: str | None = None) -> Any:
        """Run asynchronously: awaitable ``RunOutput``, or an async iterator of events with ``stream=True``."""
        run = self._new_run(input, session_id, user_id, session_state, run_id)
        return self._events(run, False) if stream else self._collect(run)

    def _nested_stream(self, input: Any, *, parent: Any, parent_span: str, store: Any,
                       session_state: dict[str, Any] | None) -> AsyncIterator[Event]:
        """This workflow as a step of another: a nested run sharing the parent's state and store."""
        # No observers of its own: the parent's see these events through the parent's stream.
        run = self._new_run(input, parent.session_id, parent.user_id, None, observe=False, parent=parent)
        run.ref.parent_run_id = parent.run_id
        run.parent_span = parent_span
        run.store = store
        if session_state is not None:
            run.state = session_state
            run.ctx.session_state = session_state
        return self._events(run, False)

    # --------------------------------------------------------------------- resume and continue

    def resume(self, run_id: str, *, stream: bool = False, user_id: str | None = None) -> Any:
        """Continue a run that stopped mid-way (its process died) from the last completed top-level step.

        A run whose process is still alive is refused; so is another user's run (``user_id``: whose)."""
        run = self._restore(run_id, user_id or self.user_id)
        # A run that died was never counted in its session (only the final save counts): count it now.
        if stream:
            return iterate_sync(self._events(run, True, count=True))
        return run_sync(self._collect(run, resumed=True, count=True))

    def aresume(self, run_id: str, *, stream: bool = False, user_id: str | None = None) -> Any:
        """``resume`` for async code: awaitable ``RunOutput``, or an async iterator with ``stream=True``."""
        run = self._restore(run_id, user_id or self.user_id)
        return self._events(run, True, count=True) if stream else self._collect(run, resumed=True, count=True)

    def _restore(self, run_id: str, user_id: str | None) -> WorkflowRun:
        from ..storage.access import check_owner
        from ..storage.base import NotFoundError

        store = self.store()
        if store is None:
            raise ConfigurationError("resume needs the store the run was checkpointed in: pass db=... to the Workflow.")
        record = store.get_run(run_id)
        if record is None or record.component_id != self.id:
            raise NotFoundError(f"No run {run_id!r} of workflow {self.name!r} in {store.location}.")
        check_owner(record.user_id, user_id, f"Run {run_id!r}")
        if record.status in (RunStatus.COMPLETED, RunStatus.PAUSED, RunStatus.RUNNING):
            hint = {RunStatus.PAUSED: "use continue_run.", RunStatus.RUNNING: "its process is still running it."}
            raise ConfigurationError(f"Run {run_id} is {record.status}; " + hint.get(record.status, "nothing to resume."))
        run = self._new_run(record.input, record.session_id, record.user_id, None, run_id)
        run.created_at = record.created_at
        checkpoints = store.load_checkpoints(run_id)
        if checkpoints:
            last = checkpoints[-1]["state"] or {}
            run.state.clear()
            run.state.update(last.get("session_state") or {})
            run.outputs = {k: StepOutput.from_dict(v) for k, v in (last.get("outputs") or {}).items()}
            run.last_content = last.get("last_content")
            run.start_index = checkpoints[-1]["step_index"] + 1
        stored = store.get_events(run_id)
        run.first_seq = (max(e["seq"] for e in stored) + 1) if stored else 0
        started = next((e for e in stored if e["type"] == "RunStarted"), None)
        if started is not None:  # the resumed part hangs off the same run span
            run.run_span = started["span_id"]
        return run

    def continue_run(self, run: Any, requirements: list[Any] | None = None, *, stream: bool = False,
                     user_id: str | None = None) -> Any:
        """Continue a paused run once each waiting step is confirmed or rejected (RunOutput or run id;
        by id, only the run's own user may continue it: ``user_id``)."""
        restored = self._paused_run(run, requirements, user_id)
        if stream:
            return iterate_sync(self._events(restored, True))
        return run_sync(self._collect(restored, resumed=True))

    def acontinue_run(self, run: Any, requirements: list[Any] | None = None, *, stream: bool = False,
                      user_id: str | None = None) -> Any:
        """``continue_run`` for async code: awaitable ``RunOutput``, or an async iterator with ``stream=True``."""
        restored = self._paused_run(run, requirements, user_id)
        return self._events(restored, True) if stream else self._collect(restored, resumed=True)

    def _paused_run(self, run: Any, requirements: list[Any] | None, user_id: str | None) -> WorkflowRun:
        """Claim a paused run and restore it with the decisions applied."""
        from ..agent.hitl import PausedRun, check_resolved
        from ..storage.access import check_owner
        from ..storage.base import NotFoundError

        store = self.store()
        if isinstance(run, RunOutput):
            if run.paused is None:
                raise ConfigurationError(f"Run {run.run_id} is not paused (status {run.status!r}).")
            paused = run.paused
            if paused.continued:
                raise ConfigurationError(f"Run {paused.run_id} was already continued; a paused run goes on once.")
        else:
            approval = store.get_approval(run) if store is not None else None
            if approval is None:
                raise NotFoundError(f"No paused run {run!r} of workflow {self.name!r} to continue.")
            check_owner(approval["user_id"], user_id or self.user_id, f"Run {run!r}")
            paused = PausedRun.from_dict(approval["state"])
        decisions = check_resolved(list(requirements if requirements is not None else paused.requirements),
                                   paused.requirements)
        if store is not None and store.take_approval(paused.run_id) is None:
            raise ConfigurationError(f"Run {paused.run_id} was already continued, or is being continued by a "
                                     f"process that is still running; a paused run goes on once.")
        paused.continued = True
        restored = self._new_run(paused.input, paused.session_id, paused.user_id, None, paused.run_id)
        restored.run_span = paused.run_span
        restored.created_at = paused.created_at
        restored.state.clear()
        restored.state.update(paused.session_state or {})
        restored.outputs = {k: StepOutput.from_dict(v) for k, v in paused.context.get("outputs", {}).items()}
        restored.last_content = paused.context.get("last_content")
        restored.start_index = paused.context.get("step_index", 0)
        restored.decisions = {d.tool_name: ("confirmed" if d.decision == "confirmed" else
                                            f"rejected: {d.reason or 'no reason given'}") for d in decisions}
        restored.first_seq = paused.event_count or 0
        return restored

    def audit_trail(self, run_id: str) -> "pandas.DataFrame":
        """Every step and construct of a stored run: what ran, in which order, how long, with what result."""
        store = self.store()
        if store is None:
            raise ConfigurationError("audit_trail reads the store: pass db=... to the Workflow.")
        frame = store.sql("SELECT seq, type, span_id, parent_span_id, to_timestamp(ts) AS time, payload FROM events "
                          "WHERE run_id = ? ORDER BY seq", [run_id])
        return frame

    def print_response(self, input: Any = None, *, show_step_details: bool = True, **kwargs: Any) -> RunOutput:
        """Run and print the final answer, and each step's output as it finishes (``show_step_details``)."""
        from ..agent.printing import print_response

        return print_response(self, input, step_details=show_step_details, **kwargs)

    async def aprint_response(self, input: Any = None, *, show_step_details: bool = True,
                              **kwargs: Any) -> RunOutput:
        from ..agent.printing import aprint_response

        return await aprint_response(self, input, step_details=show_step_details, **kwargs)

    def get_session(self, session_id: str | None = None, *, user_id: str | None = None) -> Any:
        """The stored session of this workflow (state, name, run count)."""
        from ..storage.access import check_session_access
        from ..storage.base import NotFoundError

        store = self.store()
        session_id = session_id or self.session_id
        if store is None or not session_id:
            raise ConfigurationError("get_session needs a store (db=...) and a session (run the workflow first, "
                                     "or pass session_id=...).")
        session = store.get_session(session_id)
        if session is None:
            raise NotFoundError(f"No session {session_id!r} in {store.location}.")
        check_session_access(session, user_id or self.user_id, session_id)
        return session

    def get_session_state(self, session_id: str | None = None, *, user_id: str | None = None) -> dict[str, Any]:
        return self.get_session(session_id, user_id=user_id).state

    def __repr__(self) -> str:
        return f"Workflow({self.name!r}, steps={[s.name for s in self.steps]})"


def _check(workflow: Workflow, path: tuple[Workflow, ...] = ()) -> None:
    """Refuse duplicate step names (outputs are found by name) and workflows that contain themselves."""
    if any(w is workflow for w in path):
        raise ConfigurationError("Workflow cycle: " + " -> ".join(w.name for w in (*path, workflow)) + ".")
    names: list[str] = []

    def walk(steps: list[Step]) -> None:
        for step in steps:
            names.append(step.name)
            if isinstance(step.work, Workflow):
                _check(step.work, (*path, workflow))
            walk(step.children())

    walk(workflow.steps)
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise ConfigurationError(f"Workflow {workflow.name!r}: step names must be unique (outputs are looked up by "
                                 f"name); repeated: {repeated}. Pass name=... to the steps.")
