"""The OpenAI-compatible API: ``GET /v1/models`` and ``POST /v1/chat/completions``.

A served agent, team or workflow is a "model" named by its id, so the official ``openai`` SDK and any
chat UI talk to it unchanged. ``user`` maps to the user id; a ``session_id`` (an extra body field, or
the ``X-Session-Id`` header) continues a server-side session, in which case only the new user turn of
``messages`` is sent; without one, the whole conversation the client sends is the run's input. Tools
stay on the server: the agent's own tools run there, and client-side ``tools`` are refused.
"""

from __future__ import annotations

import json
import time
from typing import Any, AsyncIterator

from fastapi import APIRouter, Request

from ...run_events import ModelRequestCompleted, RunCompleted, RunContentDelta, RunError
from ..components import Component
from ..deps import check_id, json_response, principal, read_body
from ..errors import HTTPError
from ..launch import RunParams, await_output, first_event, sse_response, start_run
from ..payloads import plain
from ..schemas import OPENAI_ERRORS
from ..sse import TERMINAL
from ..state import state_of

__all__ = ["router"]

router = APIRouter(prefix="/v1", tags=["OpenAI-compatible"])

_ACCEPTED = {"model", "messages", "stream", "stream_options", "user", "session_id"}
#: sampling and bookkeeping parameters a chat client may send: the served agent's own settings apply
_IGNORED = {
    "temperature",
    "top_p",
    "max_tokens",
    "max_completion_tokens",
    "presence_penalty",
    "frequency_penalty",
    "logit_bias",
    "seed",
    "stop",
    "metadata",
    "store",
    "parallel_tool_calls",
    "service_tier",
    "reasoning_effort",
    "tool_choice",
    "tools",
    "response_format",
    "n",
    "logprobs",
    "top_logprobs",
}
_BODY_SCHEMA = {
    "type": "object",
    "required": ["model", "messages"],
    "properties": {
        "model": {"type": "string", "description": "The id of a served agent, team or workflow."},
        "messages": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["role"],
                "properties": {
                    "role": {"type": "string", "enum": ["system", "developer", "user", "assistant", "tool"]},
                    "content": {"anyOf": [{"type": "string"}, {"type": "array"}, {"type": "null"}]},
                },
            },
        },
        "stream": {"type": "boolean", "default": False},
        "stream_options": {"type": "object", "properties": {"include_usage": {"type": "boolean"}}},
        "user": {"type": "string", "description": "The user id the run is for."},
        "session_id": {"type": "string", "description": "Continue this server-side session."},
    },
}


@router.get(
    "/models", summary="The agents, teams and workflows you may run, as models", responses=OPENAI_ERRORS
)
async def list_models(request: Request) -> Any:
    who = await principal(request)
    state = state_of(request)
    created = int(state.metrics.started)
    data = [_model(c, created) for c in state.components if who.can(c.run_scope)]
    return json_response({"object": "list", "data": data})


@router.get("/models/{model_id}", summary="One model", responses=OPENAI_ERRORS)
async def get_model(request: Request, model_id: str) -> Any:
    who = await principal(request)
    state = state_of(request)
    component = state.components.by_id.get(model_id)
    if component is None or not who.can(component.run_scope):
        raise HTTPError(
            404, f"The model {model_id!r} does not exist; GET /v1/models lists them.", code="model_not_found"
        )
    return json_response(_model(component, int(state.metrics.started)))


@router.post(
    "/chat/completions",
    summary="Chat with a served agent, team or workflow",
    responses=OPENAI_ERRORS,
    openapi_extra={
        "requestBody": {"required": True, "content": {"application/json": {"schema": _BODY_SCHEMA}}}
    },
)
async def chat_completions(request: Request) -> Any:
    who = await principal(request)
    state = state_of(request)
    body, _ = await read_body(request, allow_form=False)
    unknown = set(body) - _ACCEPTED - _IGNORED
    if unknown:
        raise HTTPError(400, f"Unsupported parameter(s): {sorted(unknown)}.", code="unsupported_parameter")
    if body.get("tools"):
        raise HTTPError(
            400,
            "Client-side tools are not supported: the served agent's own tools run on the server.",
            code="unsupported_parameter",
        )
    if body.get("n") not in (None, 1):
        raise HTTPError(400, "n must be 1: a run gives one answer.", code="unsupported_parameter")
    model = body.get("model")
    component = state.components.by_id.get(model) if isinstance(model, str) else None
    if component is None:
        raise HTTPError(
            404,
            f"The model {model!r} does not exist; GET /v1/models lists the served agents, teams "
            f"and workflows.",
            code="model_not_found",
        )
    who.require(component.run_scope)
    stream = body.get("stream", False)
    if not isinstance(stream, bool):
        raise HTTPError(400, "stream must be true or false.")
    options = body.get("stream_options") or {}
    if not isinstance(options, dict):
        raise HTTPError(400, "stream_options must be an object.")
    session_id = check_id(body.get("session_id") or request.headers.get("x-session-id"), "session_id")
    user = check_id(body.get("user"), "user")
    params = RunParams(
        _input(component, body.get("messages"), continuing=session_id is not None),
        session_id=session_id,
        user_id=user,
        stream=stream,
    )
    live = await start_run(state, component, who, params)
    if stream:
        await first_event(live)
        include_usage = bool(options.get("include_usage"))
        return sse_response(
            state, live, transform=lambda run, start: _chunks(state, run, component, include_usage)
        )
    out = await await_output(live)
    if out.status == "error":
        raise HTTPError(502, f"The run failed: {out.status_reason}", code="run_error")
    if out.status == "cancelled":
        raise HTTPError(
            504 if "timeout" in (out.status_reason or "") else 409,
            f"The run was cancelled: {out.status_reason}",
            code="run_cancelled",
        )
    return json_response(_completion(component, out), headers=_session_header(out.session_id))


# -------------------------------------------------------------------------------------------- inputs


def _input(component: Component, messages: Any, *, continuing: bool) -> Any:
    """The run input: the conversation (or, in a server-side session, its last user turn)."""
    if not isinstance(messages, list) or not messages:
        raise HTTPError(400, "messages must be a non-empty array of {role, content} objects.")
    clean = []
    for index, message in enumerate(messages):
        if not isinstance(message, dict) or message.get("role") not in (
            "system",
            "developer",
            "user",
            "assistant",
            "tool",
        ):
            raise HTTPError(
                400, f"messages[{index}] needs a role: system, developer, user, assistant or tool."
            )
        content = message.get("content")
        if message.get("tool_calls") or message["role"] == "tool":
            raise HTTPError(
                400,
                f"messages[{index}]: client-side tool calls are not supported; the served agent "
                f"runs its own tools.",
            )
        if not isinstance(content, (str, list)):
            raise HTTPError(400, f"messages[{index}].content must be text or an array of content parts.")
        role = "system" if message["role"] == "developer" else message["role"]
        clean.append({"role": role, "content": content})
    if clean[-1]["role"] != "user":
        raise HTTPError(400, "The last message must be the user's: it is what the run answers.")
    if component.kind == "workflow" or continuing:
        # A workflow takes one input; a server-side session already holds the earlier turns.
        last_assistant = max((i for i, m in enumerate(clean) if m["role"] == "assistant"), default=-1)
        turn = [m for m in clean[last_assistant + 1 :] if m["role"] == "user"]
        if component.kind == "workflow":
            return _text(turn[-1]["content"])
        return _one(turn[-1]) if len(turn) == 1 else turn
    return _one(clean[0]) if len(clean) == 1 else clean


def _one(message: dict[str, Any]) -> Any:
    """A single user message: its text, or the message itself when it has images or other parts."""
    return message["content"] if isinstance(message["content"], str) else message


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    return "\n".join(p.get("text", "") for p in content if isinstance(p, dict) and p.get("type") == "text")


# ------------------------------------------------------------------------------------------- answers


def _model(component: Component, created: int) -> dict[str, Any]:
    return {
        "id": component.id,
        "object": "model",
        "created": created,
        "owned_by": f"agno_nb:{component.kind}",
    }


def _session_header(session_id: str | None) -> dict[str, str] | None:
    return {"X-Session-Id": session_id} if session_id else None


def _content_text(content: Any) -> str:
    content = plain(content)
    if content is None:
        return ""
    return content if isinstance(content, str) else json.dumps(content, ensure_ascii=False, default=str)


def _finish_reason(status: str) -> str:
    return {"limit_reached": "length", "blocked": "content_filter"}.get(status, "stop")


def _completion(component: Component, out: Any) -> dict[str, Any]:
    text = _content_text(out.content)
    if out.status == "paused":
        text = _paused_text(component, out.run_id, [r.to_dict() for r in out.requirements])
    metrics = out.metrics
    return {
        "id": f"chatcmpl-{out.run_id}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": component.id,
        "system_fingerprint": None,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": text, "refusal": None},
                "finish_reason": _finish_reason(out.status),
                "logprobs": None,
            }
        ],
        "usage": {
            "prompt_tokens": metrics.input_tokens,
            "completion_tokens": metrics.output_tokens,
            "total_tokens": metrics.total_tokens,
        },
        "run_id": out.run_id,
        "session_id": out.session_id,
        "status": out.status,
        **({"requirements": [r.to_dict() for r in out.requirements]} if out.status == "paused" else {}),
    }


def _paused_text(component: Component, run_id: str, requirements: list[dict[str, Any]]) -> str:
    calls = ", ".join(f"{r['tool_name']}({json.dumps(r['arguments'], default=str)})" for r in requirements)
    route = f"/{component.kind}s/{component.id}/runs/{run_id}/continue"
    return f"[waiting for approval: {calls}. Decide with POST {route}]"


async def _chunks(state: Any, live: Any, component: Component, include_usage: bool) -> AsyncIterator[bytes]:
    """The run's events as OpenAI ``chat.completion.chunk`` lines, ending with ``data: [DONE]``."""
    base = {
        "id": f"chatcmpl-{live.run_id}",
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": component.id,
    }

    def chunk(delta: dict[str, Any] | None, finish: str | None = None, **extra: Any) -> bytes:
        data = {
            **base,
            "choices": [] if delta is None else [{"index": 0, "delta": delta, "finish_reason": finish}],
            **extra,
        }
        return b"data: " + json.dumps(data, ensure_ascii=False, default=str).encode() + b"\n\n"

    yield chunk({"role": "assistant", "content": ""})
    streamed: list[str] = []
    usage = {"prompt_tokens": 0, "completion_tokens": 0}
    ended = False
    async for batch in live.batches(0, state.settings.sse_ping_interval, lambda: False):
        if batch is None:
            yield b": ping\n\n"
            continue
        parts: list[bytes] = []
        for index in range(*batch):
            event = live.events[index]
            if isinstance(event, ModelRequestCompleted):
                usage["prompt_tokens"] += event.input_tokens
                usage["completion_tokens"] += event.output_tokens
            if event.ref.run_id != live.run_id:
                continue  # a member's or a step's own text is not the answer
            if isinstance(event, RunContentDelta):
                streamed.append(event.content)
                parts.append(chunk({"content": event.content}))
            elif isinstance(event, RunError):
                error = {
                    "message": f"The run failed: {event.error}",
                    "type": "run_error",
                    "code": event.error_type,
                }
                parts.append(b"data: " + json.dumps({"error": error}).encode() + b"\n\n")
                ended = True
            elif isinstance(event, TERMINAL):
                parts.append(_final(chunk, component, live.run_id, event, "".join(streamed)))
                ended = True
        if parts:
            yield b"".join(parts)
    if not ended:
        reason = live.cancel_reason or (str(live.error) if live.error else "the run ended without an answer")
        yield b"data: " + json.dumps({"error": {"message": reason, "type": "run_error"}}).encode() + b"\n\n"
    if include_usage:
        usage["total_tokens"] = usage["prompt_tokens"] + usage["completion_tokens"]
        yield chunk(None, usage=usage)
    yield b"data: [DONE]\n\n"


def _final(chunk: Any, component: Component, run_id: str, event: Any, streamed: str) -> bytes:
    if isinstance(event, RunCompleted):
        text = _content_text(event.content)
        rest = text[len(streamed) :] if text.startswith(streamed) else ("" if streamed else text)
        out = chunk({"content": rest}) if rest else b""
        return out + chunk({}, _finish_reason(event.status), session_id=event.ref.session_id)
    if event.type == "RunPaused":
        text = _paused_text(component, run_id, [r.to_dict() for r in event.requirements])
        return chunk({"content": text}) + chunk({}, "stop", session_id=event.ref.session_id, status="paused")
    reason = getattr(event, "reason", None) or "cancelled"
    return (
        b"data: "
        + json.dumps(
            {"error": {"message": f"The run was cancelled: {reason}", "type": "run_cancelled"}}
        ).encode()
        + b"\n\n"
    )
