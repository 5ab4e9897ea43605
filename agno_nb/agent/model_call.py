"""One model call, with retries of transient errors and the events that describe it."""

from __future__ import annotations

import asyncio
import time
from contextlib import aclosing
from typing import Any, AsyncIterator

from ..errors import ModelError
from ..models.base import ModelResponse
from ..run_events import (ModelRequestCompleted, ModelRequestFailed, ModelRequestStarted, ReasoningContentDelta,
                          RunContentDelta, new_span_id)
from .plan import RunPlan

__all__ = ["model_request"]

_now = time.perf_counter


async def model_request(plan: RunPlan, run_span: str) -> AsyncIterator[Any]:
    """One model call with retries. Yields events and, last, the ``ModelResponse``."""
    model, ref, stream = plan.model, plan.ref, plan.stream
    retries = plan.agent.retries if plan.agent.retries is not None else model.max_retries
    attempt = 0
    while True:
        attempt += 1
        span = new_span_id()
        yield ModelRequestStarted(ref, span, run_span, model.id, model.transport, attempt, plan.messages,
                                  plan.own_from)
        started = _now()
        first_token: float | None = None
        response: ModelResponse | None = None
        try:
            async with aclosing(model.respond(plan.messages, tools=plan.tools, response_format=plan.response_format,
                                              stream=stream)) as chunks:
                async for item in chunks:
                    if type(item) is ModelResponse:
                        response = item
                        continue
                    if first_token is None:
                        first_token = _now() - started
                    if type(item) is str:
                        yield RunContentDelta(ref, span, run_span, item)
                    else:
                        yield ReasoningContentDelta(ref, span, run_span, str(item))
        except ModelError as exc:
            if exc.retryable and attempt <= retries:
                wait = model.retry_backoff * (2 ** (attempt - 1))
                yield ModelRequestFailed(ref, span, run_span, model.id, exc, attempt, wait)
                await asyncio.sleep(wait)
                continue
            yield ModelRequestFailed(ref, span, run_span, model.id, exc, attempt, None)
            raise
        if response is None:
            raise ModelError(f"{model.id}: the provider closed the response without an answer.", model=model.id)
        latency = _now() - started
        if not stream and response.reasoning:
            yield ReasoningContentDelta(ref, span, run_span, response.reasoning)
        yield ModelRequestCompleted(ref, span, run_span, model.id, response.input_tokens, response.output_tokens,
                                    latency, first_token if first_token is not None else latency, response.cost,
                                    response.finish_reason, response.to_message())
        yield response
        return
