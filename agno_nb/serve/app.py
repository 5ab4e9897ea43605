"""``create_app``: agents, teams and workflows behind a stateless FastAPI app.

    from agno_nb.serve import create_app
    app = create_app(agents=[analyst], db=PostgresStore(dsn))      # uvicorn module:app

Any number of replicas may serve the same store: nothing a request needs lives only in a replica.
Without ``auth`` (and without ``AGNO_NB_JWT_SECRET`` / ``AGNO_NB_JWKS`` / ``AGNO_NB_AUTH``), the app
serves loopback clients only unless ``ServeSettings(insecure_no_auth=True)``.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import os
import signal
import threading
from typing import TYPE_CHECKING, Any, AsyncIterator, Iterable

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from .. import __version__
from ..errors import ConfigurationError
from ..observe import add_run_observer, remove_run_observer
from .audit import AuditLog
from .auth import Auth
from .components import Components
from .errors import HTTPError, one_line
from .extensions import RouteProvider, claims, route_providers
from .metrics import Metrics
from .middleware import RuntimeMiddleware
from .routes import knowledge as _knowledge  # noqa: F401  (registers /knowledge)
from .runs import RunManager
from .settings import ServeSettings
from .state import ServeState

if TYPE_CHECKING:
    from ..agent.agent import Agent
    from ..storage.base import Store
    from ..team.team import Team
    from ..workflow.workflow import Workflow

__all__ = ["create_app"]

_log = logging.getLogger("agno_nb.serve")


def create_app(
    *,
    agents: Iterable["Agent"] = (),
    teams: Iterable["Team"] = (),
    workflows: Iterable["Workflow"] = (),
    knowledge: Iterable[Any] = (),
    db: "Store | str | None" = None,
    auth: Auth | bool | None = None,
    settings: ServeSettings | None = None,
    name: str = "agno_nb",
    routes: Iterable[RouteProvider] = (),
    mcp: bool = False,
) -> FastAPI:
    """A FastAPI app serving these components.

    Args:
        agents, teams, workflows: what to serve; ids must be unique across all three.
        knowledge: knowledge bases to list and search at ``/knowledge`` (the components' own are
            served there too).
        db: the store (a ``Store``, a DuckDB path or a PostgreSQL DSN); default ``$AGNO_NB_DB``, else the
            single store the components already use. Components without a store of their own write here.
        auth: an ``Auth``; ``None`` reads ``AGNO_NB_JWT_SECRET`` / ``AGNO_NB_JWKS`` / ``AGNO_NB_AUTH``;
            ``False`` turns auth off (loopback only, unless ``settings.insecure_no_auth``).
        settings: limits and switches; default ``ServeSettings.from_env()``.
        routes: extra route providers (see ``agno_nb.serve.extensions``).
        mcp: also serve every component as an MCP tool at ``/mcp`` (streamable HTTP, behind the same
            auth; each call needs the component's run scope). Needs ``agno_nb[mcp]``.
    """
    settings = settings or ServeSettings.from_env()
    components = Components(agents, teams, workflows)
    store, owns_store = _app_store(db, components)
    _bind_store(components, store)
    if store is not None and _shared(store):
        store.record_after = 0.0  # a served run is on record at once: other replicas can see, tail, cancel it
    components.check()
    if auth is None:
        auth = Auth.from_env(api_keys=store is not None)
    elif auth is False:
        auth = None
    elif auth is True:
        auth = Auth(api_keys=True)
    if auth is not None:
        auth.bind(store, settings.api_key_cache_ttl)
    extras: dict[str, Any] = {"knowledge": list(knowledge or ()), "mcp": mcp}
    if mcp:
        import agno_nb.mcp_server.mount  # noqa: F401  (registers the /mcp routes)
    for key, value in extras.items():
        if value and claims(key) is None:
            raise ConfigurationError(
                f"create_app({key}=...) needs the {key} routes, which this installation does "
                f"not provide yet; leave {key}= out."
            )

    metrics = Metrics()
    runs = RunManager(
        metrics,
        run_timeout=settings.run_timeout,
        max_runs=settings.max_concurrent_runs,
        retention=settings.run_retention,
        store=store,
        control_poll_interval=settings.control_poll_interval,
    )
    state = ServeState(
        name=name,
        components=components,
        store=store,
        auth=auth,
        settings=settings,
        metrics=metrics,
        runs=runs,
        audit=AuditLog(store, settings.audit_flush_interval),
        owns_store=owns_store,
        extras=extras,
    )
    metrics.gauge("agno_nb_runs_in_flight", "Runs running on this replica.", lambda: runs.in_flight)
    metrics.gauge(
        "agno_nb_sse_streams_open", "Event streams open on this replica.", lambda: state.sse_streams
    )
    metrics.gauge("agno_nb_audit_rows_pending", "Audit rows not yet written.", lambda: len(state.audit._rows))
    if store is not None and hasattr(store, "pool_stats"):
        for stat in ("pool_size", "pool_available", "requests_waiting"):
            metrics.gauge(
                f"agno_nb_store_{stat}",
                f"PostgreSQL pool: {stat.replace('_', ' ')}.",
                lambda stat=stat: store.pool_stats().get(stat, 0),
            )

    app = FastAPI(
        title=name,
        version=__version__,
        lifespan=_lifespan(state),
        docs_url="/docs" if settings.docs else None,
        redoc_url=None,
        openapi_url="/openapi.json" if settings.docs else None,
        description="Agents, teams and workflows served by agno_nb. Authenticate with "
        "`Authorization: Bearer <API key or JWT>` when auth is on.",
    )
    app.state.agno = state
    _document_security(app, auth is not None)
    _install_errors(app)
    from .routes import install_routes

    install_routes(app, components)
    for provider in [*route_providers().values(), *routes]:
        provider(app, state)
    if settings.cors_origins:
        from starlette.middleware.cors import CORSMiddleware

        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["*"],
            allow_headers=["*"],
            expose_headers=["X-Request-Id", "X-Run-Id", "X-Session-Id"],
            allow_credentials="*" not in settings.cors_origins,
        )
    app.add_middleware(RuntimeMiddleware, state=state)
    return app


# ------------------------------------------------------------------------------------------- store


def _app_store(db: Any, components: Components) -> tuple["Store | None", bool]:
    """The app's store and whether the app opened it (then it closes it at shutdown)."""
    from ..storage import open_store

    if db is not None:
        return open_store(db), not _is_store(db)
    used = components.stores()
    if os.environ.get("AGNO_NB_DB"):
        return open_store(os.environ["AGNO_NB_DB"]), True
    if len(used) > 1:
        raise ConfigurationError(
            f"The components write to different stores ({', '.join(s.location for s in used)}); "
            f"an app reads one: "
            f"pass db=... to create_app (components without a db= of their own then write there)."
        )
    return (used[0], False) if used else (None, False)


def _shared(store: "Store") -> bool:
    """Can other processes use this store at the same time (PostgreSQL, a shared DuckDB file)? Then runs go
    on record as they start; a single-process DuckDB store keeps the default (a short run is written once,
    at its end: DuckDB row writes cost milliseconds each)."""
    return type(store).__name__ != "DuckDBStore" or bool(getattr(store, "shared", False))


def _is_store(value: Any) -> bool:
    from ..storage.base import Store

    return isinstance(value, Store)


def _bind_store(components: Components, store: "Store | None") -> None:
    """Components without a store of their own write to the app's; one writing elsewhere is refused."""
    if store is None:
        return
    where = f"{type(store).__name__}:{store.location}"
    for component in components:
        obj = component.obj
        if obj.db is None:
            obj.db = store
            leader = getattr(obj, "_leader", None)
            if leader is not None and leader.db is None:
                leader.db = store
            continue
        own = component.store()
        if own is not None and f"{type(own).__name__}:{own.location}" != where:
            raise ConfigurationError(
                f"{component.kind} {component.id!r} writes to {own.location}, "
                f"but the app reads {store.location}: "
                f"one store per app (drop the component's db= or pass the same store to create_app)."
            )


_PUBLIC = {"/health", "/ready"}


def _document_security(app: FastAPI, required: bool) -> None:
    """With auth on, every operation but liveness and readiness documents the Bearer scheme (the /docs
    "Authorize" button); with auth off the document promises no credentials, since none are checked."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = build()
            if required:
                schema.setdefault("components", {})["securitySchemes"] = {
                    "bearer": {
                        "type": "http",
                        "scheme": "bearer",
                        "description": "An API key (`ank_...`, see `agno-nb keys`) or a JWT.",
                    }
                }
                for path, operations in schema.get("paths", {}).items():
                    for operation in operations.values():
                        if isinstance(operation, dict) and path not in _PUBLIC:
                            operation["security"] = [{"bearer": []}]
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


# ------------------------------------------------------------------------------------------ errors


def _install_errors(app: FastAPI) -> None:
    from .deps import json_response

    def answer(request: Request, error: HTTPError) -> Any:
        if request.url.path.startswith("/v1/"):  # the OpenAI SDK reads this shape
            body: dict[str, Any] = {
                "error": {
                    "message": error.detail,
                    "type": _openai_type(error.status),
                    "param": None,
                    "code": error.code,
                }
            }
        else:
            body = {"detail": error.detail, "code": error.code}
        return json_response(body, error.status, headers=error.headers or None)

    @app.exception_handler(HTTPError)
    async def on_http_error(request: Request, exc: HTTPError) -> Any:
        return answer(request, exc)

    @app.exception_handler(RequestValidationError)
    async def on_validation_error(request: Request, exc: RequestValidationError) -> Any:
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ()) if p not in ("body", "query", "path"))
        return answer(
            request, HTTPError(422, f"{where or 'request'}: {one_line(first.get('msg', 'invalid'))}.")
        )

    @app.exception_handler(StarletteHTTPException)
    async def on_starlette_error(request: Request, exc: StarletteHTTPException) -> Any:
        detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
        if exc.status_code == 404 and detail == "Not Found":
            detail = f"No route {request.method} {request.url.path}; GET /docs lists them."
        elif exc.status_code == 405:
            detail = f"{request.method} is not allowed on {request.url.path}; GET /docs lists the methods."
        return answer(request, HTTPError(exc.status_code, one_line(detail), headers=dict(exc.headers or {})))

    @app.exception_handler(Exception)
    async def on_unexpected(request: Request, exc: Exception) -> Any:
        _log.exception("agno_nb: unexpected error on %s %s", request.method, request.url.path)
        return answer(
            request,
            HTTPError(
                500,
                f"Internal error ({type(exc).__name__}); the server log has the details.",
                code="internal_error",
            ),
        )


def _openai_type(status: int) -> str:
    return {
        400: "invalid_request_error",
        401: "authentication_error",
        403: "permission_error",
        404: "invalid_request_error",
        409: "conflict_error",
        413: "invalid_request_error",
        422: "invalid_request_error",
        429: "rate_limit_error",
    }.get(status, "server_error")


# --------------------------------------------------------------------------------------- lifespan


def _lifespan(state: ServeState) -> Any:
    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        loop = state.loop = asyncio.get_running_loop()
        executor = _threads(loop, state)
        add_run_observer(state.runs.observer_for)
        state.audit.start()
        state.runs.start_polling()
        restore = _chain_signals(loop, state)
        stack = contextlib.AsyncExitStack()
        for context in state.lifespans:
            await stack.enter_async_context(context)
        if state.store is not None:
            try:  # connect (and migrate) now, so the first request does not pay for it
                await asyncio.to_thread(state.store.schema_version)
            except Exception as exc:  # /ready says so until it answers
                _log.warning("agno_nb: the store is not reachable yet: %s", exc)
        try:
            yield
        finally:
            restore()
            state.begin_shutdown()
            await state.draining
            await state.runs.close()
            await state.audit.close()
            await stack.aclose()
            remove_run_observer(state.runs.observer_for)
            if state.owns_store and state.store is not None:
                await asyncio.to_thread(state.store.close)
            if executor is not None:
                executor.shutdown(wait=False)

    return lifespan


def _threads(
    loop: asyncio.AbstractEventLoop, state: ServeState
) -> concurrent.futures.ThreadPoolExecutor | None:
    """Enough threads for the store calls runs make at once (asyncio's default is cores + 4)."""
    count = state.settings.threads or (getattr(state.store, "pool_max", 4) + 8)
    if count <= (os.cpu_count() or 1) + 4:
        return None
    executor = concurrent.futures.ThreadPoolExecutor(max_workers=count, thread_name_prefix="agno_nb-store")
    loop.set_default_executor(executor)
    return executor


def _chain_signals(loop: asyncio.AbstractEventLoop, state: ServeState) -> Any:
    """On SIGTERM / SIGINT, start draining at once (before uvicorn waits for open streams), then let
    uvicorn's own handler go on. Only in the main thread, where signals are delivered."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None
    previous = {}
    for sig in (signal.SIGTERM, signal.SIGINT):
        earlier = signal.getsignal(sig)

        def handler(signum: int, frame: Any, earlier: Any = earlier) -> None:
            loop.call_soon_threadsafe(state.begin_shutdown)
            if callable(earlier):
                earlier(signum, frame)
            elif earlier == signal.SIG_DFL:
                raise KeyboardInterrupt

        previous[sig] = earlier
        signal.signal(sig, handler)

    def restore() -> None:
        for sig, earlier in previous.items():
            with contextlib.suppress(Exception):
                signal.signal(sig, earlier)

    return restore
