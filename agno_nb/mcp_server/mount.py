"""``create_app(..., mcp=True)``: the served app's components as MCP tools at ``/mcp``.

The endpoint is stateless streamable HTTP (any replica answers any request) and sits behind the app's
own authentication: the caller's credentials are checked as for any route, each tool call needs the
scope to run that component (``agents:<id>:run``), and runs belong to the caller's user, so MCP clients
see only their own sessions.
"""

from __future__ import annotations

import json
from typing import Any

from ..serve.extensions import register_routes
from .server import CALLER, MCPEndpoint

__all__ = ["mcp_routes"]


def mcp_routes(app: Any, state: Any) -> None:
    if not state.extras.get("mcp"):
        return
    from starlette.routing import Route

    endpoint = MCPEndpoint([component.obj for component in state.components], stateless=True)
    app.router.routes.append(Route("/mcp", endpoint=_Gate(state, endpoint.route("/mcp").endpoint), methods=None,
                                   include_in_schema=False))
    state.lifespans.append(endpoint.lifespan())


class _Gate:
    """The MCP endpoint behind the app's authentication (an ASGI app, so Starlette mounts it as one)."""

    def __init__(self, state: Any, inner: Any):
        self.state = state
        self.inner = inner

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        from ..serve.auth import ANONYMOUS
        from ..serve.errors import HTTPError

        auth, inner = self.state.auth, self.inner
        try:
            headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", ())}
            caller = ANONYMOUS if auth is None else await auth.authenticate(headers.get("authorization"))
        except HTTPError as error:
            body = json.dumps({"detail": error.detail}).encode()
            await send({"type": "http.response.start", "status": error.status,
                        "headers": [(b"content-type", b"application/json"),
                                    *((k.lower().encode(), v.encode()) for k, v in error.headers.items())]})
            await send({"type": "http.response.body", "body": body})
            return
        token = CALLER.set(caller)
        try:
            await inner(scope, receive, send)
        finally:
            CALLER.reset(token)


register_routes("mcp", mcp_routes, serves="mcp")
