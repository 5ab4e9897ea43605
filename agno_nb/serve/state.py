"""``ServeState``: everything a served app holds, in one object on ``app.state.agno``.

Nothing in it belongs to a request: components are configuration, and per-run state lives in the
runs (``RunManager``). Route modules read it through ``state_of(request)``.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from .errors import HTTPError

if TYPE_CHECKING:
    from fastapi import Request

    from ..storage.base import Store
    from .audit import AuditLog
    from .auth import Auth
    from .components import Components
    from .metrics import Metrics
    from .runs import RunManager
    from .settings import ServeSettings

__all__ = ["ServeState", "state_of"]


class ServeState:
    """The app's components, store, auth, settings and live parts."""

    def __init__(
        self,
        *,
        name: str,
        components: "Components",
        store: "Store | None",
        auth: "Auth | None",
        settings: "ServeSettings",
        metrics: "Metrics",
        runs: "RunManager",
        audit: "AuditLog",
        owns_store: bool,
        extras: dict[str, Any],
    ):
        self.name = name
        self.components = components
        self.store = store
        self.auth = auth
        self.settings = settings
        self.metrics = metrics
        self.runs = runs
        self.audit = audit
        #: close the store at shutdown (the app opened it, e.g. from $AGNO_NB_DB)
        self.owns_store = owns_store
        #: what create_app got for route providers (``knowledge=...``)
        self.extras = extras
        self.sse_streams = 0
        self.draining: asyncio.Task | None = None
        #: the event loop serving the app (set at startup), for threads that need to reach it
        self.loop: asyncio.AbstractEventLoop | None = None
        #: async context managers entered for the app's lifetime (route providers add theirs: an MCP
        #: session manager, a knowledge client)
        self.lifespans: list[Any] = []

    def require_store(self, what: str) -> "Store":
        if self.store is None:
            raise HTTPError(
                404,
                f"{what} live in the store, and this app has none: start it with db=... (or $AGNO_NB_DB).",
            )
        return self.store

    @property
    def closing(self) -> bool:
        return self.runs.closing

    def begin_shutdown(self) -> None:
        """Start draining (idempotent): new runs get 503, running ones get the grace period."""
        if self.draining is None:
            self.draining = asyncio.get_running_loop().create_task(
                self.runs.drain(self.settings.shutdown_grace), name="agno_nb drain"
            )


def state_of(request: "Request") -> ServeState:
    return request.app.state.agno
