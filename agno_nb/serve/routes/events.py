"""``GET /runs/{run_id}/events``: a run's events as SSE, from any position, on any replica, live.

``Last-Event-ID: <id>`` (what a browser's EventSource sends when it reconnects) or ``?after=<id>``
says where to go on from. On the replica that runs the run, the events come from memory as they
happen; anywhere else, from the store (``tail``), while the running replica keeps appending them.
"""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Header, Query, Request
from starlette.responses import StreamingResponse

from ..auth import Principal
from ..deps import principal
from ..errors import HTTPError, http_error_for
from ..launch import sse_response
from ..schemas import ERRORS, STREAM_DOC
from ..sse import MEDIA_TYPE, SSE_HEADERS, Position
from ..state import ServeState, state_of
from ..tail import tail_store

__all__ = ["router"]

router = APIRouter(tags=["Runs"])


@router.get(
    "/runs/{run_id}/events",
    summary="A run's events (SSE), resumable from any replica",
    responses={200: {"content": STREAM_DOC}, **ERRORS},
)
async def run_events(
    request: Request,
    run_id: str,
    after: str | None = Query(None, max_length=64, description="Go on after this event id."),
    last_event_id: str | None = Header(None, max_length=64, description="What EventSource sends."),
) -> Any:
    who = await principal(request)
    state = state_of(request)
    position = Position.parse(after if after is not None else last_event_id)
    live = state.runs.find(run_id)
    if live is not None:
        _check(who, live.component.run_scope, live.user_id, run_id)
        start = live.index_after(position)
        if start is not None:
            return sse_response(state, live, start=start)
    return await _from_store(state, run_id, position, who)


async def _from_store(state: ServeState, run_id: str, position: Position | None, who: Principal) -> Any:
    store = state.store
    if store is None:
        raise HTTPError(
            404,
            f"No run {run_id!r} on this server (without a store, finished runs are kept in memory "
            f"for {state.settings.run_retention:g} s).",
        )
    try:
        record = await asyncio.to_thread(store.get_run, run_id)
    except Exception as exc:
        raise http_error_for(exc) from None
    if record is None:
        raise HTTPError(404, f"No run {run_id!r} that you can see.")
    kind = {"agent": "agents", "team": "teams", "workflow": "workflows"}.get(record.component_type, "agents")
    _check(who, f"{kind}:{record.component_id}:run", record.user_id, run_id)
    body = tail_store(
        store,
        record,
        position,
        poll=min(store.flush_interval, 0.25),
        ping_interval=state.settings.sse_ping_interval,
        closing=lambda: state.closing,
    )
    headers = {**SSE_HEADERS, "X-Run-Id": run_id}
    return StreamingResponse(_counted(state, body), media_type=MEDIA_TYPE, headers=headers)


def _check(who: Principal, run_scope: str, owner: str | None, run_id: str) -> None:
    """Your own runs, if you may run their component or read sessions; anyone's for admin."""
    if not who.owns(owner) or not (who.can(run_scope) or who.can("sessions:read")):
        raise HTTPError(404, f"No run {run_id!r} that you can see.")


async def _counted(state: ServeState, body: Any) -> Any:
    state.sse_streams += 1
    try:
        async for chunk in body:
            yield chunk
    finally:
        state.sse_streams -= 1
