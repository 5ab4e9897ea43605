"""Running a workflow: one async generator of events, checkpointed after every top-level step.

After each top-level step the store gets the run row (status ``running``), the events so far (the
run's recorder also writes them while the step goes on: ``storage.recorder``) and a checkpoint (that
step's output and the session_state). A process killed mid-run therefore
resumes from the last completed step (``Workflow.resume(run_id)``); a composite step (a Parallel, a
Loop) that was interrupted runs again as a whole.
"""

from __future__ import annotations

import asyncio
import copy
import json
import time
from contextlib import aclosing
from typing import TYPE_CHECKING, Any, AsyncIterator

from ..errors import AgnoNBError
from ..run_events import (Event, RunCancelled, RunCompleted, RunContinued, RunError, RunPaused, RunRef, RunStarted,
                          RunStatus, new_span_id)
from ..tools.function import serialize_result
from .events import ConditionEvaluated, LoopIteration, RouterSelected, StepCompleted, StepRetrying, StepStarted
from .steps import Condition, Loop, Parallel, Router, Step, StepInput, StepOutput, Steps, call_maybe_async

if TYPE_CHECKING:
    from .workflow import Workflow

__all__ = ["WorkflowRun", "run_workflow", "StepFailed"]


class StepFailed(AgnoNBError):
    """A step failed with ``on_error="fail"`` (the default): the workflow ends with status error."""


class WorkflowRun:
    """The state of one workflow run (what a resume restores)."""

    __slots__ = ("workflow", "ref", "ctx", "store", "input", "outputs", "state", "last_content", "stopped",
                 "pending", "decisions", "start_index", "run_span", "first_seq", "recorder", "created_at",
                 "parent_span", "observers", "state_base")

    def __init__(self, workflow: "Workflow", ref: RunRef, ctx: Any, store: Any, input: Any, state: dict[str, Any]):
        self.workflow = workflow
        self.ref = ref
        self.ctx = ctx
        self.store = store
        self.input = input
        self.outputs: dict[str, StepOutput] = {}
        self.state = state
        self.last_content: Any = None
        self.stopped = False
        #: requirements of the step waiting for a person (a paused run)
        self.pending: list[Any] = []
        #: step name -> "confirmed" / "rejected: reason", from continue_run
        self.decisions: dict[str, str] = {}
        self.start_index = 0
        self.run_span = new_span_id()
        #: rows already in the store's events table (a resumed or continued run appends after them)
        self.first_seq = 0
        #: writes the run to the store while it goes on (``storage.recorder``); ``None`` without a store
        self.recorder: Any = None
        #: the session_state as the run found it (key -> JSON): saving writes only the keys it changed
        self.state_base: dict[str, str] | None = None
        self.created_at = time.time()
        self.parent_span: str | None = None
        #: sinks of this run's events (the notebook's live trace), made in the caller's thread
        self.observers: list[Any] = []

    def step_input(self) -> StepInput:
        return StepInput(self.input, self.last_content, self.outputs, self.state, self.ctx)


async def run_workflow(run: WorkflowRun, resumed: bool = False) -> AsyncIterator[Event]:
    """Run (or resume) the workflow's top-level steps from ``run.start_index``."""
    ref, span = run.ref, run.run_span

    try:
        if resumed:
            yield RunContinued(ref, new_span_id(), span, [{"step": k, "decision": v}
                                                          for k, v in run.decisions.items()])
        else:
            yield RunStarted(ref, span, run.parent_span, "workflow", run.input)
        for index, step in enumerate(run.workflow.steps):
            if index < run.start_index:
                continue
            async with aclosing(_run(step, run, span)) as stream:
                async for event in stream:
                    yield event
            if run.pending:
                from ..agent.hitl import PausedRun

                paused = PausedRun(ref.run_id, span, ref.session_id, ref.user_id, [], 0, run.input, run.state,
                                   {"outputs": {k: v.to_dict() for k, v in run.outputs.items()},
                                    "step_index": index, "last_content": _plain(run.last_content)},
                                   run.pending, 0, [], False, {}, 0, run.created_at)
                yield RunPaused(ref, new_span_id(), span, run.pending, paused)
                return
            await _checkpoint(run, index, step)
            if run.stopped:
                break
        yield RunCompleted(ref, span, run.parent_span, run.last_content,
                           RunStatus.COMPLETED, "stopped early by a step" if run.stopped else None, [], run.state)
    except asyncio.CancelledError as cancel:
        # As an agent run does: the stream ends with the cancellation (and its reason), then it proceeds.
        from ..agent.loop import cancel_reason

        yield RunCancelled(ref, span, run.parent_span, cancel_reason(cancel))
        raise
    except Exception as exc:
        yield RunError(ref, span, run.parent_span, exc, [])


async def _checkpoint(run: WorkflowRun, index: int, step: Step) -> None:
    if run.recorder is None or run.parent_span is not None:  # nested workflows checkpoint with their parent
        return
    output = run.outputs.get(step.name)

    def save_checkpoint(store: Any) -> None:
        store.save_checkpoint(run.ref.run_id, index, step.name,
                              output=output.to_dict() if output else None,
                              state={"session_state": run.state, "last_content": _plain(run.last_content),
                                     "outputs": {k: v.to_dict() for k, v in run.outputs.items()},
                                     "stopped": run.stopped},
                              user_id=run.ref.user_id)

    await asyncio.to_thread(run.recorder.flush, save_checkpoint)


async def _run(step: Step, run: WorkflowRun, parent: str) -> AsyncIterator[Event]:
    """Run one step or construct, yielding its events; its output lands in ``run``."""
    if isinstance(step, Parallel):
        walker = _parallel(step, run, parent)
    elif isinstance(step, (Loop, Condition, Router, Steps)):
        walker = _group(step, run, parent)
    else:
        walker = _single(step, run, parent)
    async with aclosing(walker) as events:
        async for event in events:
            yield event


async def _single(step: Step, run: WorkflowRun, parent: str) -> AsyncIterator[Event]:
    ref = run.ref
    decision = run.decisions.get(step.name)
    if (step.requires_confirmation and decision is None) or decision == "pause":
        from ..agent.hitl import Requirement

        preview = _plain(run.last_content if run.last_content is not None else run.input)
        run.pending = [Requirement(f"step:{step.name}", step.name, {"input": preview}, "confirmation")]
        return
    if decision is not None and decision.startswith("rejected"):
        output = StepOutput(None, step_name=step.name, success=False, error=decision)
        span = new_span_id()
        yield StepStarted(ref, span, parent, step.name, "step", step.work_kind)
        yield StepCompleted(ref, span, parent, step.name, "step", False, None, decision, 0.0)
        run.outputs[step.name] = output
        return
    span = new_span_id()  # one span for the step; each attempt restarts it
    for attempt in range(1, step.max_retries + 2):
        started = time.perf_counter()
        yield StepStarted(ref, span, parent, step.name, "step", step.work_kind, attempt)
        try:
            holder: list[StepOutput] = []
            async with aclosing(_execute(step, run, span, holder)) as inner:
                async for event in inner:
                    yield event
            output = holder[0]
        except Exception as exc:
            error = f"{type(exc).__name__}: {exc}"
            if attempt <= step.max_retries:
                yield StepRetrying(ref, span, parent, step.name, error, attempt)
                continue
            yield StepCompleted(ref, span, parent, step.name, "step", False, None, error,
                                time.perf_counter() - started)
            if step.on_error == "skip":
                run.outputs[step.name] = StepOutput(None, step_name=step.name, success=False, error=error)
                return
            if step.on_error == "pause":
                from ..agent.hitl import Requirement

                run.pending = [Requirement(f"step:{step.name}", step.name, {"error": error}, "confirmation")]
                run.decisions.pop(step.name, None)
                return
            raise StepFailed(f"Step {step.name!r} failed: {error}") from None
        output.step_name = step.name
        run.outputs[step.name] = output
        run.last_content = output.content
        run.stopped = run.stopped or output.stop
        yield StepCompleted(ref, span, parent, step.name, "step", output.success, _preview(output.content),
                            output.error, time.perf_counter() - started)
        return


async def _execute(step: Step, run: WorkflowRun, span: str, holder: list[StepOutput]) -> AsyncIterator[Event]:
    kind = step.work_kind
    if kind == "function":
        result = await _call_function(step.work, run.step_input())
        holder.append(result if isinstance(result, StepOutput) else StepOutput(result))
        return
    message = run.last_content if run.last_content is not None else run.input
    text = message if isinstance(message, str) else serialize_result(message)
    stream = step.work._nested_stream(text, parent=run.ctx, parent_span=span, store=run.store,
                                      session_state=run.state)
    ending = None
    nested_id = None
    async with aclosing(stream) as events:
        async for event in events:
            nested_id = nested_id or event.run_id
            if event.run_id == nested_id and isinstance(event, (RunCompleted, RunError, RunPaused)):
                ending = event
            yield event
    if isinstance(ending, RunError):
        raise StepFailed(f"{kind} {step.name} failed: {ending.error_type}: {ending.error}")
    if isinstance(ending, RunPaused):
        raise StepFailed(f"{kind} {step.name} stopped to wait for a person; confirmations inside a workflow "
                         f"step are given at the step level (Step(requires_confirmation=True)).")
    if ending is None or ending.status != RunStatus.COMPLETED:
        raise StepFailed(f"{kind} {step.name} ended without an answer: {getattr(ending, 'reason', None)}")
    holder.append(StepOutput(ending.content))


async def _call_function(fn: Any, step_input: StepInput) -> Any:
    """Call a function step with the step input and whatever else it names (``run_context``,
    ``session_state``: Agno passes them to executors that declare them)."""
    import functools
    import inspect

    extra = {k: v for k, v in (("run_context", step_input.run_context), ("session_state", step_input.session_state))
             if k in _parameters(fn)}
    call = functools.partial(fn, step_input, **extra) if extra else functools.partial(fn, step_input)
    if inspect.isasyncgenfunction(fn):
        chunks = [c async for c in call()]
        return _join(chunks)
    if inspect.iscoroutinefunction(fn) or inspect.iscoroutinefunction(getattr(fn, "__call__", None)):
        return await call()
    from .._sync import may_block_loop, run_in_thread

    if may_block_loop():
        result = _join(list(call())) if inspect.isgeneratorfunction(fn) else call()
    else:  # a sync step on a shared loop (a served replica, a notebook) runs on a thread: other runs go on
        result = await run_in_thread(lambda: _join(list(call())) if inspect.isgeneratorfunction(fn) else call())
    return await result if inspect.isawaitable(result) else result


def _parameters(fn: Any) -> frozenset[str]:
    import inspect

    try:
        target = fn if inspect.isroutine(fn) else getattr(fn, "__call__", fn)
        return frozenset(list(inspect.signature(target).parameters)[1:])
    except (TypeError, ValueError):
        return frozenset()


def _join(chunks: list[Any]) -> Any:
    outputs = [c for c in chunks if isinstance(c, StepOutput)]
    if outputs:
        return outputs[-1]
    return "".join(map(str, chunks)) if all(isinstance(c, str) for c in chunks) else chunks


async def _group(step: Any, run: WorkflowRun, parent: str) -> AsyncIterator[Event]:
    ref, span, started = run.ref, new_span_id(), time.perf_counter()
    yield StepStarted(ref, span, parent, step.name, step.kind, None)
    produced: list[StepOutput] = []

    async def steps_of(children: list[Step]) -> AsyncIterator[Event]:
        for child in children:
            if run.decisions and child.name in run.outputs and not isinstance(step, Loop):
                # already done before a pause: a continued run picks up after it
                produced.append(run.outputs[child.name])
                continue
            async with aclosing(_run(child, run, span)) as events:
                async for event in events:
                    yield event
            if run.pending or run.stopped:
                return
            if child.name in run.outputs:
                produced.append(run.outputs[child.name])

    try:
        async for event in _group_body(step, run, span, produced, steps_of):
            yield event
    except Exception as exc:  # close the construct's span, then let the failure end the run
        yield StepCompleted(ref, span, parent, step.name, step.kind, False, None, f"{type(exc).__name__}: {exc}",
                            time.perf_counter() - started)
        raise
    if run.pending:
        return
    run.outputs[step.name] = StepOutput(run.last_content, step_name=step.name)
    yield StepCompleted(ref, span, parent, step.name, step.kind, True, _preview(run.last_content), None,
                        time.perf_counter() - started)


async def _group_body(step: Any, run: WorkflowRun, span: str, produced: list[StepOutput],
                      steps_of: Any) -> AsyncIterator[Event]:
    ref = run.ref
    if isinstance(step, Loop):
        for iteration in range(1, step.max_iterations + 1):
            yield LoopIteration(ref, new_span_id(), span, step.name, iteration)
            produced.clear()
            async for event in steps_of(step.steps):
                yield event
            if run.pending or run.stopped:
                return
            if step.end_condition is not None and await call_maybe_async(step.end_condition, list(produced)):
                break
    elif isinstance(step, Condition):
        try:
            result = bool(step.evaluator if isinstance(step.evaluator, bool)
                          else await call_maybe_async(step.evaluator, run.step_input()))
        except Exception as exc:
            raise StepFailed(f"Condition {step.name!r} raised {type(exc).__name__}: {exc}") from None
        yield ConditionEvaluated(ref, new_span_id(), span, step.name, result)
        async for event in steps_of(step.steps if result else step.else_steps):
            yield event
    elif isinstance(step, Router):
        try:
            picked = await call_maybe_async(step.selector, run.step_input())
        except Exception as exc:
            raise StepFailed(f"Router {step.name!r}: the selector raised {type(exc).__name__}: {exc}") from None
        chosen = step.select(picked)
        yield RouterSelected(ref, new_span_id(), span, step.name, [c.name for c in chosen])
        async for event in steps_of(chosen):
            yield event
    else:
        async for event in steps_of(step.steps):
            yield event


async def _parallel(step: Parallel, run: WorkflowRun, parent: str) -> AsyncIterator[Event]:
    """Branches run concurrently, each on a snapshot of the state; changes merge in declaration order."""
    ref, span, started = run.ref, new_span_id(), time.perf_counter()
    yield StepStarted(ref, span, parent, step.name, step.kind, None)
    snapshot = copy.deepcopy(run.state)
    queue: asyncio.Queue = asyncio.Queue()
    branches: list[WorkflowRun] = []
    for _ in step.steps:
        sub = WorkflowRun(run.workflow, ref, run.ctx, run.store, run.input, copy.deepcopy(snapshot))
        sub.outputs, sub.last_content, sub.decisions = dict(run.outputs), run.last_content, run.decisions
        branches.append(sub)

    async def branch(child: Step, sub: WorkflowRun) -> None:
        async with aclosing(_run(child, sub, span)) as events:
            async for event in events:
                await queue.put(event)

    tasks = [asyncio.ensure_future(branch(child, sub)) for child, sub in zip(step.steps, branches)
             if child.name not in run.outputs or not run.decisions]
    waiter = asyncio.ensure_future(asyncio.gather(*tasks, return_exceptions=True))
    getter: asyncio.Future | None = None
    try:
        while not waiter.done() or not queue.empty():
            getter = getter or asyncio.ensure_future(queue.get())
            done, _ = await asyncio.wait({waiter, getter}, return_when=asyncio.FIRST_COMPLETED)
            if getter in done:
                yield getter.result()
                getter = None
    finally:
        if getter is not None:
            getter.cancel()
        for task in tasks:
            task.cancel()
    failures = [r for r in waiter.result() if isinstance(r, BaseException)]
    for sub in branches:  # merge: only what each branch changed, in declaration order
        for key, value in sub.state.items():
            if key not in snapshot or snapshot[key] != value:
                run.state[key] = value
        for key in snapshot:
            if key not in sub.state:
                run.state.pop(key, None)
        run.outputs.update({k: v for k, v in sub.outputs.items() if run.outputs.get(k) is not v})
        run.pending.extend(sub.pending)
        run.stopped = run.stopped or sub.stopped
    if failures:
        yield StepCompleted(ref, span, parent, step.name, step.kind, False, None,
                            f"{type(failures[0]).__name__}: {failures[0]}", time.perf_counter() - started)
        raise failures[0]
    if run.pending:
        return
    content = {child.name: run.outputs[child.name].content for child in step.steps if child.name in run.outputs}
    run.outputs[step.name] = StepOutput(content, step_name=step.name)
    run.last_content = content
    yield StepCompleted(ref, span, parent, step.name, step.kind, True, _preview(content), None,
                        time.perf_counter() - started)


def _preview(content: Any) -> Any:
    text = content if isinstance(content, str) else serialize_result(content)
    return text if len(text) <= 600 else text[:600] + "..."


def _plain(value: Any) -> Any:
    dump = getattr(value, "model_dump", None)
    if dump is not None:
        return dump(mode="json")
    try:
        json.dumps(value)
        return value
    except (TypeError, ValueError):
        return str(value)
