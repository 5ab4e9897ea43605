"""One model call, with retries of transient errors, deadlines, and the events that describe it.

Deadlines (so a silent or stalling provider never holds a notebook for long):

- each attempt may wait at most ``model.timeout`` seconds for its next piece of progress: the whole
  answer when not streaming; the first token, then each next one, when streaming (keep-alive comments
  do not count as progress);
- all attempts of one call together stay within ``model.call_deadline`` seconds: no retry starts past
  it, and a retry's own wait is cut to what is left;
- a run with ``run_timeout`` (``RunPlan.deadline``) cuts every wait to what is left of the run.

A streamed attempt that fails after some text was shown is retried only if its retry says the same
thing: the retry's text is held back until it is as long as what was shown; if it starts with it, the
rest streams on; if not, the call fails rather than show the reader a second, different version.
"""

from __future__ import annotations

import asyncio
import time
from contextlib import aclosing
from typing import Any, AsyncIterator

from ..errors import ModelError, ModelTimeoutError, ProviderError
from ..models.base import ModelResponse
from ..run_events import (ModelRequestCompleted, ModelRequestFailed, ModelRequestStarted, ReasoningContentDelta,
                          RunContentDelta, new_span_id)
from .plan import RunPlan

__all__ = ["model_request", "Watchdog"]

_now = time.perf_counter
_MAX_RETRY_AFTER = 60.0


class Watchdog:
    """Cancels the current task if it waits past a deadline; the waiter turns that into a timeout.

    Armed only around our own awaits (never while a stream's consumer holds control), so it can only
    ever interrupt agno_nb's wait for a provider.
    """

    __slots__ = ("task", "handle", "fired")

    def __init__(self) -> None:
        self.task: asyncio.Task | None = None
        self.handle: asyncio.TimerHandle | None = None
        self.fired = False

    def arm(self, seconds: float | None) -> None:
        self.disarm()
        # The task waiting now: a stream driven step by step from sync code gets a new task per step.
        self.task = asyncio.current_task()
        if seconds is not None and self.task is not None:
            self.handle = asyncio.get_running_loop().call_later(max(0.0, seconds), self._fire)

    def disarm(self) -> None:
        if self.handle is not None:
            self.handle.cancel()
            self.handle = None

    def _fire(self) -> None:
        self.handle = None
        self.fired = True
        self.task.cancel()  # type: ignore[union-attr]

    def absorb(self) -> bool:
        """After a ``CancelledError``: whether it was ours (then the task is no longer cancelling)."""
        if not self.fired:
            return False
        self.fired = False
        uncancel = getattr(self.task, "uncancel", None)  # Python 3.11+ counts cancellations
        if uncancel is not None:
            uncancel()
        return True


def _limit(*candidates: float | None) -> float | None:
    found = [c for c in candidates if c is not None]
    return min(found) if found else None


async def model_request(plan: RunPlan, run_span: str) -> AsyncIterator[Any]:
    """One model call with retries. Yields events and, last, the ``ModelResponse``."""
    model, ref, stream = plan.model, plan.ref, plan.stream
    retries = plan.agent.retries if plan.agent.retries is not None else model.max_retries
    call_started = time.monotonic()
    call_deadline = call_started + model.call_deadline if model.call_deadline is not None else None
    deadline = _limit(call_deadline, plan.deadline)
    shown = ""  # text already streamed to the consumer by failed attempts of this call
    attempt = 0
    watchdog = Watchdog()
    while True:
        attempt += 1
        span = new_span_id()
        yield ModelRequestStarted(ref, span, run_span, model.id, model.transport, attempt, plan.messages,
                                  plan.own_from)
        started = _now()
        first_token: float | None = None
        response: ModelResponse | None = None
        text: list[str] = []  # this attempt's text
        held = 0  # how much of it is held back (a retry catching up with what was shown)
        try:
            async with aclosing(model.respond(plan.messages, tools=plan.tools, response_format=plan.response_format,
                                              stream=stream)) as chunks:
                while True:
                    now = time.monotonic()
                    if deadline is not None and now >= deadline:
                        raise _deadline_error(model, plan, call_deadline, deadline)
                    watchdog.arm(_limit(model.timeout, None if deadline is None else deadline - now))
                    try:
                        item = await chunks.__anext__()
                    except StopAsyncIteration:
                        break
                    except asyncio.CancelledError:
                        if watchdog.absorb():
                            raise _timeout_error(model, plan, call_deadline, deadline, first_token is None) from None
                        raise
                    finally:
                        watchdog.disarm()
                    if type(item) is ModelResponse:
                        response = item
                        continue
                    if first_token is None:
                        first_token = _now() - started
                    if type(item) is str:
                        text.append(item)
                        if shown and held is not None:
                            so_far = "".join(text)
                            if len(so_far) < len(shown):
                                if not shown.startswith(so_far):
                                    raise _diverged(model, shown)
                                continue
                            if not so_far.startswith(shown):
                                raise _diverged(model, shown)
                            item, held = so_far[len(shown):], None
                            if not item:
                                continue
                        yield RunContentDelta(ref, span, run_span, item)
                    else:
                        yield ReasoningContentDelta(ref, span, run_span, str(item))
        except ModelError as exc:
            streamed = "".join(text)
            if held is None or not shown:
                shown = streamed if len(streamed) > len(shown) else shown
            wait = _retry_wait(model, exc, attempt)
            elapsed_ok = deadline is None or time.monotonic() + wait < deadline
            if exc.retryable and attempt <= retries and elapsed_ok and not getattr(exc, "final", False):
                yield ModelRequestFailed(ref, span, run_span, model.id, exc, attempt, wait)
                await asyncio.sleep(wait)
                continue
            if exc.retryable and attempt <= retries and not elapsed_ok:
                exc.args = (f"{exc} (not retried: the call's time budget of {model.call_deadline}s is spent; "
                            f"raise it with get_model(..., call_deadline=...))",)
            yield ModelRequestFailed(ref, span, run_span, model.id, exc, attempt, None)
            raise
        if response is None:
            raise ProviderError(f"{model.id}: the provider closed the response without an answer.", model=model.id)
        if shown and held is not None:  # the retry's whole answer was shorter than what was shown
            raise _diverged(model, shown)
        latency = _now() - started
        if not stream and response.reasoning:
            yield ReasoningContentDelta(ref, span, run_span, response.reasoning)
        yield ModelRequestCompleted(ref, span, run_span, model.id, response.input_tokens, response.output_tokens,
                                    latency, first_token if first_token is not None else latency, response.cost,
                                    response.finish_reason, response.to_message())
        yield response
        return


def _retry_wait(model: Any, exc: ModelError, attempt: int) -> float:
    """Exponential backoff, or longer when the provider said when to come back (``Retry-After``)."""
    wait = model.retry_backoff * (2 ** (attempt - 1))
    after = getattr(exc, "retry_after", None)
    if after is not None:
        wait = max(wait, min(float(after), _MAX_RETRY_AFTER))
    return wait


def _timeout_error(model: Any, plan: RunPlan, call_deadline: float | None, deadline: float | None,
                   waiting_first: bool) -> ModelTimeoutError:
    now = time.monotonic()
    if deadline is not None and now >= deadline - 0.01:
        return _deadline_error(model, plan, call_deadline, deadline)
    what = "an answer" if not plan.stream else ("the first token" if waiting_first else "the next token")
    return ModelTimeoutError(f"{model.id}: no progress for {model.timeout}s while waiting for {what} (keep-alive "
                             f"messages do not count); raise it with get_model(..., timeout=...).", model=model.id)


def _deadline_error(model: Any, plan: RunPlan, call_deadline: float | None, deadline: float) -> ModelError:
    if plan.deadline is not None and deadline >= plan.deadline:
        from ..errors import RunTimeoutError

        error: ModelError = RunTimeoutError(f"The run exceeded run_timeout={plan.agent.run_timeout}s while "
                                            f"waiting for {model.id}.", model=model.id)
    else:
        error = ModelTimeoutError(f"{model.id}: no complete answer within the call's time budget of "
                                  f"{model.call_deadline}s (all attempts); raise it with "
                                  f"get_model(..., call_deadline=...).", model=model.id)
    error.final = True  # type: ignore[attr-defined]
    return error


def _diverged(model: Any, shown: str) -> ModelError:
    error = ProviderError(f"{model.id}: the stream broke after {len(shown)} characters were shown, and the retry "
                          f"answered differently; stopping rather than show a second version.", model=model.id)
    error.final = True  # type: ignore[attr-defined]
    return error
