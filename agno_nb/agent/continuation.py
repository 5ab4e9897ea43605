"""The human-in-the-loop side of an agent: continue a paused run, here or in another process."""

from __future__ import annotations

from typing import Any

from .._sync import iterate_sync, run_sync
from ..errors import ConfigurationError
from ..observe import observers_for
from ..run_events import RunOutput, RunRef
from .context import RunContext
from .hitl import PausedRun, Requirement, check_resolved
from .plan import LoopState, RunPlan

__all__ = ["AgentContinuation"]


class AgentContinuation:
    """Mixed into ``Agent``."""

    __slots__ = ()

    def get_run_requirements(self, run_id: str, *, user_id: str | None = None) -> list[Requirement]:
        """The pending tool calls of a paused run in the store (e.g. from another process)."""
        return self._load_paused(run_id, user_id).requirements

    def _load_paused(self, run: "RunOutput | PausedRun | str", user_id: str | None = None) -> PausedRun:
        if isinstance(run, PausedRun):
            return run
        if isinstance(run, RunOutput):
            if run.paused is None:
                raise ConfigurationError(f"Run {run.run_id} is not paused (status {run.status!r}); nothing to continue.")
            return run.paused
        store = self.store()
        if store is None:
            raise ConfigurationError(
                f"Continuing run {run!r} by id needs the store it was paused in: pass db=... to the Agent "
                f"(or continue with the RunOutput itself).")
        approval = store.get_approval(run)
        if approval is None:
            from ..storage.base import NotFoundError

            raise NotFoundError(f"No paused run {run!r} in {store.location}: it finished, was never paused, "
                                f"or belongs to another store.")
        from ..storage.access import check_owner

        check_owner(approval["user_id"], user_id or self.user_id, f"Run {run!r}")
        return PausedRun.from_dict(approval["state"])

    def _resume_plan(self, run: "RunOutput | str", requirements: list[Requirement] | None,
                     stream: bool, user_id: str | None = None) -> tuple[RunPlan, tuple]:
        paused = self._load_paused(run, user_id)
        decisions = check_resolved(list(requirements if requirements is not None else paused.requirements),
                                   paused.requirements)
        if paused.continued:
            raise ConfigurationError(f"Run {paused.run_id} was already continued; a paused run goes on once. "
                                     f"Use the RunOutput of that continuation instead.")
        model = self.resolved_model()
        native, response_format = self._output_format(model)
        store = self.store()
        if store is not None and store.take_approval(paused.run_id) is None and \
                (isinstance(run, str) or store.get_approval(paused.run_id) is not None):
            # Claimed atomically: another process (or call) is continuing this paused run right now, or did.
            raise ConfigurationError(f"Run {paused.run_id} was already continued, or is being continued by a "
                                     f"process that is still running; a paused run goes on once.")
        ref = RunRef(paused.run_id, paused.session_id, paused.user_id, self._kind, self.name, self.id)
        ctx = RunContext(paused.run_id, paused.session_id, paused.user_id, paused.session_state or {},
                         paused.context or {}, self)
        plan = RunPlan(self, model, self._schemas(), response_format, ctx, ref, stream, paused.input, native,
                       store, None)
        plan.messages = list(paused.messages)
        plan.own_from = paused.own_from
        plan.resumed_from = paused
        paused.continued = True
        plan.observers = observers_for(self, ref)
        state = LoopState(paused.run_span, paused.tool_calls_made, paused.repaired, list(paused.shown),
                          paused.limit_reason, paused.pending_stop)
        return plan, (decisions, state)

    def continue_run(self, run: "RunOutput | str | None" = None, requirements: list[Requirement] | None = None,
                     *, stream: bool = False, run_id: str | None = None, user_id: str | None = None) -> Any:
        """Continue a paused run once every pending call has a decision.

        ``run`` is the paused ``RunOutput`` or its run id (``run_id=`` works too; loaded from the store, so
        a new process can continue it; only the run's own user may: ``user_id``). ``requirements``
        defaults to ``run.requirements`` as you resolved them.
        """
        plan, resume = self._resume_plan(_which_run(run, run_id), requirements, stream, user_id)
        if stream:
            return iterate_sync(self._stream(plan, resume))
        return run_sync(self._collect(plan, resume))

    def acontinue_run(self, run: "RunOutput | str | None" = None, requirements: list[Requirement] | None = None,
                      *, stream: bool = False, run_id: str | None = None, user_id: str | None = None) -> Any:
        """``continue_run`` for async code: awaitable, or an async iterator with ``stream=True``."""
        plan, resume = self._resume_plan(_which_run(run, run_id), requirements, stream, user_id)
        return self._stream(plan, resume) if stream else self._collect(plan, resume)


def _which_run(run: "RunOutput | str | None", run_id: str | None) -> "RunOutput | str":
    if run is None and run_id is None:
        raise ConfigurationError("Which run? Pass the paused RunOutput, or run_id=... of a paused run in the store.")
    return run if run is not None else run_id  # type: ignore[return-value]
