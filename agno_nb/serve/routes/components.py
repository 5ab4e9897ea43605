"""``/agents``, ``/teams`` and ``/workflows``: list them, run them, continue, cancel and resume their runs.

The three kinds share one set of routes (built per kind by ``component_router``), AgentOS-style:

    GET  /agents                                  the agents you may run
    GET  /agents/{agent_id}                       one, with its tools and schemas
    POST /agents/{agent_id}/runs                  JSON or form: message, session_id, user_id, stream, ...
    POST /agents/{agent_id}/runs/{run_id}/continue  decisions for a paused run
    POST /agents/{agent_id}/runs/{run_id}/cancel
    POST /workflows/{workflow_id}/runs/{run_id}/resume  a workflow from its last checkpoint
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from fastapi import APIRouter, Path, Request

from ...agent.hitl import Requirement
from ...errors import ConfigurationError
from ..auth import Principal
from ..components import KINDS, Component
from ..deps import check_id, json_response, parse_bool, parse_object, principal, read_body
from ..errors import HTTPError, http_error_for
from ..launch import RunParams, await_output, first_event, sse_response, start_run
from ..payloads import run_payload
from ..schemas import (
    DECISIONS,
    ERRORS,
    STREAM_DOC,
    Accepted,
    ContinueRequest,
    RunRequest,
    RunResponse,
    openapi_body,
)
from ..state import ServeState, state_of

__all__ = ["component_router"]

_RUN_FIELDS = set(RunRequest.model_fields)


def component_router(kind: str, ids: list[str]) -> APIRouter:
    """The routes of one kind; ``ids`` (the served ones) document the id parameter as an enum."""
    plural = KINDS[kind]
    key = f"{kind}_id"
    router = APIRouter(prefix=f"/{plural}", tags=[plural.capitalize()])
    _id = Path(alias=key, description=f"The {kind}'s id.", json_schema_extra={"enum": ids} if ids else None)

    @router.get("", summary=f"List the {plural} you may run")
    async def list_components(request: Request) -> Any:
        who = await principal(request)
        state = state_of(request)
        found = [c.describe() for c in state.components.by_kind[kind].values() if who.can(c.run_scope)]
        return json_response(found)

    @router.get(f"/{{{key}}}", summary=f"One {kind}: tools, schemas, members or steps", responses=ERRORS)
    async def get_component(request: Request, component_id: str = _id) -> Any:
        who = await principal(request)
        component = _component(request, kind, key, who)
        return json_response(component.describe(detail=True))

    @router.post(
        f"/{{{key}}}/runs",
        summary=f"Run a {kind}",
        openapi_extra=openapi_body(RunRequest),
        responses={200: {"model": RunResponse, "content": STREAM_DOC}, 202: {"model": Accepted}, **ERRORS},
    )
    async def create_run(request: Request, component_id: str = _id) -> Any:
        who = await principal(request)
        state = state_of(request)
        component = _component(request, kind, key, who)
        params = await _run_params(request, kind)
        live = await start_run(state, component, who, params)
        return await _answer(state, live, kind, stream=params.stream, background=params.background)

    @router.post(
        f"/{{{key}}}/runs/{{run_id}}/continue",
        summary="Continue a paused run with decisions",
        openapi_extra=openapi_body(ContinueRequest),
        responses={200: {"model": RunResponse, "content": STREAM_DOC}, 202: {"model": Accepted}, **ERRORS},
    )
    async def continue_run(request: Request, run_id: str, component_id: str = _id) -> Any:
        who = await principal(request)
        state = state_of(request)
        component = _component(request, kind, key, who)
        fields, _ = await read_body(request)
        unknown = set(fields) - {"requirements", "tools", "stream", "background"}
        if unknown:
            raise HTTPError(
                422,
                f"Unknown field(s) {sorted(unknown)}; send requirements (one decision per pending "
                f"call), stream and background.",
            )
        stream, background = parse_bool(fields, "stream", False), parse_bool(fields, "background", False)
        decisions = _decisions(fields)
        state.runs.admit()
        target, owner, pending, session_id = await _paused(state, component, run_id, who)
        requirements = _apply(pending, decisions)
        live = state.runs.register(run_id, component, owner, session_id, retain=stream or background)
        try:
            work = component.continue_run(target, requirements, stream=stream, user_id=owner)
        except Exception as exc:
            state.runs.abandon(live)
            raise _claim_error(component, run_id, exc) from None
        state.runs.launch(live, work, stream=stream)
        return await _answer(state, live, kind, stream=stream, background=background)

    @router.post(
        f"/{{{key}}}/runs/{{run_id}}/cancel",
        summary="Cancel a run (on whichever replica runs it)",
        responses=ERRORS,
    )
    async def cancel_run(request: Request, run_id: str, component_id: str = _id) -> Any:
        who = await principal(request)
        state = state_of(request)
        component = _component(request, kind, key, who)
        return await _cancel(state, component, run_id, who)

    if kind == "workflow":

        @router.post(
            f"/{{{key}}}/runs/{{run_id}}/resume",
            summary="Resume a workflow run from its last checkpoint",
            responses={
                200: {"model": RunResponse, "content": STREAM_DOC},
                202: {"model": Accepted},
                **ERRORS,
            },
        )
        async def resume_run(request: Request, run_id: str, component_id: str = _id) -> Any:
            who = await principal(request)
            state = state_of(request)
            component = _component(request, kind, key, who)
            fields = await _optional_body(request)
            stream, background = parse_bool(fields, "stream", False), parse_bool(fields, "background", False)
            state.runs.admit()
            owner = await _resumable(state, component, run_id, who)
            live = state.runs.register(run_id, component, owner, None, retain=stream or background)
            try:
                work = component.resume(run_id, stream=stream, user_id=owner)
            except Exception as exc:
                state.runs.abandon(live)
                raise http_error_for(exc) from None
            state.runs.launch(live, work, stream=stream)
            return await _answer(state, live, kind, stream=stream, background=background)

    return router


# ------------------------------------------------------------------------------------------ helpers


def _component(request: Request, kind: str, key: str, who: Principal) -> Component:
    component = state_of(request).components.get(kind, request.path_params[key])
    who.require(component.run_scope)
    return component


async def _run_params(request: Request, kind: str) -> RunParams:
    fields, files = await read_body(request)
    unknown = set(fields) - _RUN_FIELDS
    if unknown:
        raise HTTPError(422, f"Unknown field(s) {sorted(unknown)}; a run takes {sorted(_RUN_FIELDS)}.")
    if "message" not in fields or fields["message"] is None:
        raise HTTPError(422, "message is required: the input of the run.")
    message = fields["message"]
    if not isinstance(message, (str, dict, list)):
        raise HTTPError(422, "message must be text or a JSON object or array.")
    media = [await _media(upload) for upload in files]
    return RunParams(
        message,
        session_id=check_id(fields.get("session_id"), "session_id"),
        user_id=check_id(fields.get("user_id"), "user_id"),
        stream=parse_bool(fields, "stream", False),
        background=parse_bool(fields, "background", False),
        session_state=parse_object(fields, "session_state"),
        context=parse_object(fields, "context"),
        media=media,
        knowledge_filters=parse_object(fields, "knowledge_filters"),
    )


async def _media(upload: Any) -> Any:
    from ...media import Audio, File, Image, Video

    data = await upload.read()
    mime = (upload.content_type or "application/octet-stream").split(";", 1)[0].strip().lower()
    cls = (
        Image
        if mime.startswith("image/")
        else Audio
        if mime.startswith("audio/")
        else Video
        if mime.startswith("video/")
        else File
    )
    try:
        return cls(content=data, mime_type=mime, name=upload.filename or None)
    except ConfigurationError as exc:
        raise HTTPError(422, f"File {upload.filename!r}: {exc}") from None


async def _optional_body(request: Request) -> dict[str, Any]:
    if not (request.headers.get("content-type") or (await request.body())):
        return {}
    fields, _ = await read_body(request)
    unknown = set(fields) - {"stream", "background"}
    if unknown:
        raise HTTPError(422, f"Unknown field(s) {sorted(unknown)}; resume takes stream and background.")
    return fields


async def _answer(state: ServeState, live: Any, kind: str, *, stream: bool, background: bool) -> Any:
    if background and not stream:
        body = {
            "run_id": live.run_id,
            "session_id": live.session_id,
            "status": "running",
            "events": f"/runs/{live.run_id}/events",
        }
        return json_response(body, 202, headers={"Location": f"/runs/{live.run_id}"})
    if stream:
        await first_event(live)
        return sse_response(state, live)
    out = await await_output(live)
    return json_response(run_payload(out, kind, live.user_id))


def _decisions(fields: dict[str, Any]) -> list[dict[str, Any]]:
    raw = fields.get("requirements", fields.get("tools"))
    if isinstance(raw, str):
        import json

        try:
            raw = json.loads(raw)
        except ValueError:
            raise HTTPError(422, "requirements must be a JSON array of decisions.") from None
    if not isinstance(raw, list) or not raw or not all(isinstance(d, dict) for d in raw):
        raise HTTPError(
            422,
            "requirements must be a non-empty array of decisions: {tool_call_id, decision: "
            "confirmed | rejected | provided | executed, ...}.",
        )
    return raw


async def _paused(
    state: ServeState, component: Component, run_id: str, who: Principal
) -> tuple[Any, str | None, list[Requirement], str | None]:
    """The paused run to continue: (what to pass to continue_run, its user, its pending requirements, its
    session)."""
    store = component.store()
    if store is not None:
        try:
            approval = await asyncio.to_thread(store.get_approval, run_id)
        except Exception as exc:
            raise http_error_for(exc) from None
        if (
            approval is None
            or approval.get("component_id") not in (None, component.id)
            or not who.owns(approval.get("user_id"))
        ):
            raise HTTPError(
                404,
                f"No paused run {run_id!r} of {component.kind} {component.id!r}: it finished, "
                f"was never paused, is being continued, or is not yours.",
            )
        pending = [Requirement.from_dict(r) for r in approval["requirements"]]
        return run_id, approval.get("user_id"), pending, approval.get("session_id")
    live = state.runs.find(run_id)
    out = live.output() if live is not None and live.component is component else None
    if (
        out is None
        or out.status != "paused"
        or out.paused is None
        or out.paused.continued
        or not who.owns(live.user_id)
    ):
        raise HTTPError(
            404,
            f"No paused run {run_id!r} of {component.kind} {component.id!r} on this server (without "
            f"a store, paused runs live in memory for {state.settings.run_retention:g} s).",
        )
    return out, live.user_id, [Requirement.from_dict(r.to_dict()) for r in out.requirements], live.session_id


def _apply(pending: list[Requirement], decisions: list[dict[str, Any]]) -> list[Requirement]:
    """Apply each decision to its pending requirement; every pending one needs a decision (422 otherwise)."""
    by_id = {r.tool_call_id: r for r in pending}
    for decision in decisions:
        call_id = decision.get("tool_call_id")
        requirement = by_id.get(call_id)
        if requirement is None:
            raise HTTPError(
                422, f"tool_call_id {call_id!r} is not pending in this run; pending: {sorted(by_id)}."
            )
        verdict = decision.get("decision")
        if verdict is None and isinstance(decision.get("confirmed"), bool):
            verdict = "confirmed" if decision["confirmed"] else "rejected"
        arguments, user_input = decision.get("arguments") or {}, decision.get("user_input") or {}
        if not isinstance(arguments, dict) or not isinstance(user_input, dict):
            raise HTTPError(422, "arguments and user_input must be JSON objects.")
        try:
            if verdict == "confirmed":
                requirement.confirm(**arguments)
            elif verdict == "rejected":
                reason = decision.get("reason")
                requirement.reject(reason if isinstance(reason, str) else None)
            elif verdict == "provided":
                requirement.provide(**user_input)
            elif verdict == "executed":
                requirement.set_result(decision.get("result"))
            else:
                raise HTTPError(422, f"decision must be one of {', '.join(DECISIONS)} (for {call_id!r}).")
        except ConfigurationError as exc:
            raise HTTPError(422, str(exc)) from None
    missing = [r for r in pending if not r.resolved]
    if missing:
        needs = "; ".join(f"{r.tool_call_id} ({r.tool_name}): {_NEEDS[r.kind]}" for r in missing)
        raise HTTPError(422, f"Every pending call needs a decision; still open: {needs}.")
    return pending


_NEEDS = {
    "confirmation": "confirmed or rejected",
    "user_input": "provided (with user_input) or rejected",
    "external_execution": "executed (with result) or rejected",
}


def _claim_error(component: Component, run_id: str, exc: Exception) -> HTTPError:
    text = str(exc)
    if isinstance(exc, ConfigurationError) and ("already" in text or "elsewhere" in text):
        return HTTPError(409, f"Run {run_id!r} is already being continued (by another request or replica).")
    return http_error_for(exc)


async def _cancel(state: ServeState, component: Component, run_id: str, who: Principal) -> Any:
    live = state.runs.live.get(run_id)
    reason = f"cancelled by {who.user_id or 'the API'}"
    if live is not None and live.component is component:
        if not who.owns(live.user_id):
            raise _no_run(component, run_id)
        live.cancel(reason)
        if live.task is not None:
            await asyncio.wait((live.task,), timeout=10)
        return json_response({"run_id": run_id, "status": live.status})
    store = component.store()
    if store is None:
        raise _no_run(component, run_id)
    try:
        record = await asyncio.to_thread(store.get_run, run_id)
    except Exception as exc:
        raise http_error_for(exc) from None
    if record is None or record.component_id != component.id or not who.owns(record.user_id):
        raise _no_run(component, run_id)
    if record.status == "paused":
        return json_response(await asyncio.to_thread(_cancel_paused, store, record, reason))
    if record.status == "running":
        await asyncio.to_thread(state.runs.request_cancel, run_id, reason)
        return json_response({"run_id": run_id, "status": "cancelling"}, 202)
    raise HTTPError(409, f"Run {run_id!r} already ended (status {record.status}); nothing to cancel.")


def _cancel_paused(store: Any, record: Any, reason: str) -> dict[str, Any]:
    """A paused run waits for nobody once cancelled: claim its approval, then mark it cancelled."""
    if store.take_approval(record.run_id) is None:
        raise HTTPError(
            409, f"Run {record.run_id!r} is being continued right now; cancel it again to stop that."
        )
    record.status, record.error, record.updated_at = "cancelled", reason, time.time()
    store.save_run(record, [], None, replace=True, count_run=False)
    return {"run_id": record.run_id, "status": "cancelled"}


async def _resumable(state: ServeState, component: Component, run_id: str, who: Principal) -> str | None:
    if run_id in state.runs.live:
        raise HTTPError(409, f"Run {run_id!r} is still running on this replica; nothing to resume.")
    store = state.require_store("Checkpoints")
    try:
        record = await asyncio.to_thread(store.get_run, run_id)
    except Exception as exc:
        raise http_error_for(exc) from None
    if record is None or record.component_id != component.id or not who.owns(record.user_id):
        raise _no_run(component, run_id)
    if record.status in ("completed", "paused"):
        hint = "continue it with decisions" if record.status == "paused" else "nothing to resume"
        raise HTTPError(409, f"Run {run_id!r} is {record.status}; {hint}.")
    return record.user_id


def _no_run(component: Component, run_id: str) -> HTTPError:
    return HTTPError(404, f"No run {run_id!r} of {component.kind} {component.id!r} that you can see.")
