"""``/health`` (alive), ``/ready`` (store reachable, not draining), ``/config``, ``/metrics`` (Prometheus)."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse

from ... import __version__
from ..deps import json_response, principal
from ..errors import HTTPError
from ..schemas import ERRORS
from ..state import state_of

__all__ = ["router"]

router = APIRouter(tags=["System"])


@router.get("/health", summary="Liveness: the process answers")
async def health(request: Request) -> Any:
    state = state_of(request)
    return json_response({"status": "ok", "version": __version__, "draining": state.closing})


@router.get(
    "/ready", summary="Readiness: the store answers and the replica takes runs", responses={503: ERRORS[503]}
)
async def ready(request: Request) -> Any:
    state = state_of(request)
    if state.closing:
        return json_response({"status": "draining", "detail": "shutting down"}, 503)
    checks: dict[str, Any] = {}
    if state.store is not None:
        started = time.perf_counter()
        try:
            await asyncio.wait_for(asyncio.to_thread(state.store.schema_version), 5)
        except Exception as exc:  # unreachable, or too slow to count as reachable
            detail = " ".join(str(exc).split()) or "no answer within 5 s"
            return json_response(
                {
                    "status": "unavailable",
                    "detail": f"The store does not answer: {detail}",
                    "code": "unavailable",
                },
                503,
            )
        checks["store_ms"] = round((time.perf_counter() - started) * 1000, 2)
    return json_response({"status": "ready", **checks})


@router.get("/config", summary="What this app serves and how", responses=ERRORS)
async def config(request: Request) -> Any:
    who = await principal(request)
    state = state_of(request)
    settings = state.settings
    store = state.store
    body = {
        "name": state.name,
        "version": __version__,
        "agents": [c.describe() for c in state.components.by_kind["agent"].values() if who.can(c.run_scope)],
        "teams": [c.describe() for c in state.components.by_kind["team"].values() if who.can(c.run_scope)],
        "workflows": [
            c.describe() for c in state.components.by_kind["workflow"].values() if who.can(c.run_scope)
        ],
        "store": {"type": type(store).__name__, "location": store.location} if store is not None else None,
        "auth": state.auth.describe() if state.auth is not None else {"enabled": False},
        "limits": {
            "max_body_bytes": settings.max_body_bytes,
            "run_timeout": settings.run_timeout,
            "max_concurrent_runs": settings.max_concurrent_runs,
        },
        "you": {"user_id": who.user_id, "scopes": sorted(who.scopes), "admin": who.admin},
    }
    return json_response(body)


@router.get(
    "/metrics",
    summary="Prometheus metrics of this replica",
    response_class=PlainTextResponse,
    responses={401: ERRORS[401], 403: ERRORS[403]},
)
async def metrics(request: Request) -> Any:
    state = state_of(request)
    if state.auth is not None and not state.settings.metrics_public:
        who = await principal(request)
        if not who.admin:
            raise HTTPError(403, "Metrics need the admin scope (or start the app with metrics_public=True).")
    return PlainTextResponse(state.metrics.render(), media_type="text/plain; version=0.0.4")
