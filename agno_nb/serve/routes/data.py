"""Stored data, per user: ``/sessions``, ``/runs/{run_id}``, ``/traces/{run_id}``, ``/memories``.

A caller sees their own rows only; ``admin`` sees everyone's (and may filter by ``user_id``).
"""

from __future__ import annotations

import asyncio
from typing import Any, Literal

from fastapi import APIRouter, Query, Request, Response

from ..auth import Principal
from ..deps import json_response, principal, read_body
from ..errors import HTTPError, http_error_for
from ..payloads import memory_payload, record_payload, session_payload
from ..schemas import ERRORS
from ..state import ServeState, state_of

__all__ = ["router"]

router = APIRouter()

Limit = Query(50, ge=1, le=1000, description="At most this many.")
Offset = Query(0, ge=0, le=1_000_000, description="Skip this many (pagination).")


async def _call(fn: Any, *args: Any, **kwargs: Any) -> Any:
    """A blocking store call, off the loop; store errors become 404 / 503 with their message."""
    try:
        return await asyncio.to_thread(fn, *args, **kwargs)
    except HTTPError:
        raise
    except Exception as exc:
        raise http_error_for(exc) from None


def _user_filter(who: Principal, user_id: str | None) -> str | None:
    """Whose rows to list: yours, or (admin) whoever ``user_id`` names, or everyone's."""
    user_id = user_id or None
    if who.admin:
        return user_id
    if user_id is not None and user_id != who.user_id:
        raise HTTPError(403, f"You can list your own rows only (user {who.user_id!r}); drop user_id.")
    return who.user_id


# ------------------------------------------------------------------------------------------- sessions


@router.get("/sessions", tags=["Sessions"], summary="Sessions, most recently updated first", responses=ERRORS)
async def list_sessions(
    request: Request,
    user_id: str | None = Query(None, max_length=256),
    component_id: str | None = Query(None, max_length=256),
    type: Literal["agent", "team", "workflow"] | None = Query(None),
    limit: int = Limit,
    offset: int = Offset,
) -> Any:
    who = await principal(request)
    who.require("sessions:read")
    store = state_of(request).require_store("Sessions")
    records = await _call(
        store.list_sessions,
        component_id=component_id,
        user_id=_user_filter(who, user_id),
        session_type=type,
        limit=limit,
        offset=offset,
    )
    return json_response(
        {
            "data": [session_payload(r) for r in records],
            "limit": limit,
            "offset": offset,
            "next_offset": offset + limit if len(records) == limit else None,
        }
    )


async def _session(state: ServeState, session_id: str, who: Principal) -> Any:
    store = state.require_store("Sessions")
    record = await _call(store.get_session, session_id)
    if record is None or not who.owns(record.user_id):
        raise HTTPError(404, f"No session {session_id!r} that you can see.")
    return record


@router.get(
    "/sessions/{session_id}", tags=["Sessions"], summary="One session: state, summary, name", responses=ERRORS
)
async def get_session(request: Request, session_id: str) -> Any:
    who = await principal(request)
    who.require("sessions:read")
    return json_response(session_payload(await _session(state_of(request), session_id, who)))


@router.get(
    "/sessions/{session_id}/runs",
    tags=["Sessions"],
    summary="A session's runs, oldest first",
    responses=ERRORS,
)
async def session_runs(request: Request, session_id: str, limit: int = Limit, offset: int = Offset) -> Any:
    who = await principal(request)
    who.require("sessions:read")
    state = state_of(request)
    await _session(state, session_id, who)
    records = await _call(
        state.store.list_runs, session_id=session_id, limit=limit, offset=offset, oldest_first=True
    )
    return json_response(
        {
            "data": [record_payload(r) for r in records],
            "limit": limit,
            "offset": offset,
            "next_offset": offset + limit if len(records) == limit else None,
        }
    )


@router.post(
    "/sessions/{session_id}/rename",
    tags=["Sessions"],
    summary="Rename a session",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {
                        "type": "object",
                        "required": ["name"],
                        "additionalProperties": False,
                        "properties": {"name": {"type": "string", "minLength": 1, "maxLength": 256}},
                    }
                }
            },
        }
    },
    responses=ERRORS,
)
async def rename_session(request: Request, session_id: str) -> Any:
    who = await principal(request)
    who.require("sessions:write")
    fields, _ = await read_body(request, allow_form=False)
    name = fields.get("name")
    if set(fields) != {"name"} or not isinstance(name, str) or not name.strip() or len(name) > 256:
        raise HTTPError(422, 'Send {"name": "..."}: a non-empty name of at most 256 characters.')
    state = state_of(request)
    await _session(state, session_id, who)
    await _call(state.store.rename_session, session_id, name.strip())
    return json_response(session_payload(await _session(state, session_id, who)))


@router.delete(
    "/sessions/{session_id}",
    tags=["Sessions"],
    status_code=204,
    response_model=None,
    summary="Delete a session with its runs, events, approvals and checkpoints",
    responses=ERRORS,
)
async def delete_session(request: Request, session_id: str) -> Any:
    who = await principal(request)
    who.require("sessions:write")
    state = state_of(request)
    await _session(state, session_id, who)
    await _call(state.store.delete_session, session_id)
    return Response(status_code=204)


# ---------------------------------------------------------------------------------------- runs, traces


@router.get(
    "/runs/{run_id}", tags=["Runs"], summary="A run: status, input, answer, metrics", responses=ERRORS
)
async def get_run(request: Request, run_id: str) -> Any:
    who = await principal(request)
    who.require("sessions:read")
    state = state_of(request)
    live = state.runs.find(run_id)
    record = None
    if state.store is not None:
        record = await _call(state.store.get_run, run_id)
    if record is not None:
        if not who.owns(record.user_id):
            raise _no_run(run_id)
        data = record_payload(record)
        if live is not None and not live.done:
            data["status"] = "running"  # the row says what was last saved; this replica knows better
        return json_response(data)
    if live is None or not who.owns(live.user_id):
        raise _no_run(run_id)
    from ..payloads import run_payload

    return json_response(run_payload(live.output(), live.component.kind, live.user_id))


@router.get(
    "/traces/{run_id}",
    tags=["Runs"],
    summary="A stored run's trace (the tree the notebook renders)",
    responses=ERRORS,
)
async def get_trace(request: Request, run_id: str) -> Any:
    who = await principal(request)
    who.require("sessions:read")
    store = state_of(request).require_store("Traces")
    record = await _call(store.get_run, run_id)
    if record is None or not who.owns(record.user_id):
        raise _no_run(run_id)
    return json_response(await _call(_trace, store, run_id))


def _trace(store: Any, run_id: str) -> dict[str, Any]:
    """The very JSON the notebook's trace view renders (one fold for live and stored runs): the notebook's
    ``trace_from_store``, pure Python (no IPython), read lazily on this route only."""
    from ...traces.stored import trace_from_store
    from ...traces.fold import MIME_TYPE

    return trace_from_store(run_id, store)[MIME_TYPE]


def _no_run(run_id: str) -> HTTPError:
    return HTTPError(404, f"No run {run_id!r} that you can see.")


# -------------------------------------------------------------------------------------------- memories


@router.get("/memories", tags=["Memories"], summary="A user's memories, most recent first", responses=ERRORS)
async def list_memories(
    request: Request, user_id: str | None = Query(None, max_length=256), limit: int = Limit
) -> Any:
    who = await principal(request)
    who.require("memories:read")
    store = state_of(request).require_store("Memories")
    owner = _user_filter(who, user_id)
    if owner is None:
        raise HTTPError(422, "Memories belong to a user: pass user_id.")
    records = await _call(store.list_memories, owner, limit=limit)
    return json_response({"data": [memory_payload(r) for r in records], "user_id": owner})


@router.delete(
    "/memories/{memory_id}",
    tags=["Memories"],
    status_code=204,
    response_model=None,
    summary="Delete one memory",
    responses=ERRORS,
)
async def delete_memory(
    request: Request, memory_id: str, user_id: str | None = Query(None, max_length=256)
) -> Any:
    who = await principal(request)
    who.require("memories:write")
    store = state_of(request).require_store("Memories")
    owner = _user_filter(who, user_id)
    if owner is None:
        raise HTTPError(422, "Memories belong to a user: pass user_id.")
    if not await _call(store.delete_memory, owner, memory_id):
        raise HTTPError(404, f"No memory {memory_id!r} of user {owner!r}.")
    return Response(status_code=204)
