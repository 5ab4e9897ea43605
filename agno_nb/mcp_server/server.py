"""Agents, teams and workflows as MCP tools, over stdio or streamable HTTP.

One tool per component: ``input`` (text) and an optional ``session_id`` in, the answer out. While the
run goes on, every event it emits (model calls, tool calls, text deltas, member runs, steps) is sent
to the client as a progress notification whose message is the event as JSON, so an MCP client can
show the run live. A run that fails, or pauses for a person, is a tool error that says so.
"""

from __future__ import annotations

import contextvars
import json
import re
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any, AsyncIterator, Sequence

from ..errors import ConfigurationError

if TYPE_CHECKING:
    from mcp.server.mcpserver import MCPServer
    from starlette.routing import Route

__all__ = ["mcp_server", "MCPEndpoint", "mcp_endpoint", "tool_name_for", "CALLER"]

#: who calls, when a served app authenticated the request (``agno_nb.mcp_server.mount``): an object with
#: ``user_id`` and ``can(scope)``; ``None`` over stdio or a standalone endpoint (the trusted local user)
CALLER: contextvars.ContextVar[Any] = contextvars.ContextVar("agno_nb_mcp_caller", default=None)

_INVALID = re.compile(r"[^A-Za-z0-9_.-]")


def tool_name_for(component: Any) -> str:
    """The MCP tool name of an agent, team or workflow: its id (``"Sales Analyst"`` -> ``sales-analyst``)."""
    return _INVALID.sub("_", str(component.id))[:128]


def _kind(component: Any) -> str:
    from ..agent.agent import Agent
    from ..team.team import Team
    from ..workflow.workflow import Workflow

    for cls, kind in ((Team, "team"), (Workflow, "workflow"), (Agent, "agent")):
        if isinstance(component, cls):
            return kind
    raise ConfigurationError(f"Only agents, teams and workflows can be served over MCP; got {component!r}.")


def _description(component: Any, kind: str) -> str:
    described = component.description or getattr(component, "role", None)
    about = f"Ask the {kind} {component.name or component.id!r}"
    return f"{about}: {described}" if described else f"{about}. Input: a request in plain language."


def mcp_server(components: Sequence[Any], *, name: str = "agno_nb", instructions: str | None = None) -> "MCPServer":
    """An SDK ``MCPServer`` with one tool per agent, team or workflow in ``components``."""
    try:
        from mcp.server.mcpserver import Context, MCPServer
        from mcp.server.mcpserver.exceptions import ToolError
    except ImportError:
        raise ConfigurationError("Serving over MCP needs the official SDK: pip install 'agno_nb[mcp]'.") from None
    if not components:
        raise ConfigurationError("Nothing to serve: pass at least one agent, team or workflow.")
    kinds = [_kind(component) for component in components]  # refuses anything else, before any work
    server = MCPServer(name, instructions=instructions or _instructions(components), log_level="WARNING")
    seen: dict[str, Any] = {}
    for component, kind in zip(components, kinds):
        tool_name = tool_name_for(component)
        if tool_name in seen and seen[tool_name] is not component:
            raise ConfigurationError(f"Two components would both be the MCP tool {tool_name!r}; give them "
                                     f"distinct names or ids.")
        if tool_name in seen:
            continue
        seen[tool_name] = component
        server.add_tool(_tool_for(component, kind, Context, ToolError), name=tool_name,
                        description=_description(component, kind), structured_output=False)
    return server


def _instructions(components: Sequence[Any]) -> str:
    names = ", ".join(f"{tool_name_for(c)} ({_kind(c)})" for c in components)
    return (f"Each tool runs an agno_nb agent, team or workflow: {names}. Pass the request as input; pass "
            f"the same session_id again to continue a conversation.")


def _tool_for(component: Any, kind: str, context_type: type, tool_error: type) -> Any:
    async def run(input: str, ctx: Any, session_id: str | None = None) -> str:
        from ..run_output import RunOutput

        from ..run_events import new_run_id

        caller = CALLER.get()
        user_id = None
        if caller is not None:
            scope = f"{kind}s:{component.id}:run"
            if not caller.can(scope):
                raise tool_error(f"this credential lacks the scope {scope!r}; ask an admin for one that has it")
            user_id = caller.user_id
        out: RunOutput | None = None
        sent = 0
        # A call without a session starts a new one: MCP clients must never share a component's
        # "current" session (the Python API's convenience).
        stream = component.arun(input, stream=True, session_id=session_id or new_run_id(), user_id=user_id)
        async for event in stream:
            if out is None:
                out = RunOutput(event.ref)
            out.apply(event)
            sent += 1
            await ctx.report_progress(sent, None, json.dumps(event.to_dict(), default=str, ensure_ascii=False))
        if out is None:
            raise tool_error(f"the {kind} produced no events")
        if out.status == "paused":
            raise tool_error(f"the run {out.run_id} paused for a person ({out.status_reason}); continue it "
                             f"with agno_nb (continue_run), not over MCP")
        if out.status not in ("completed", "limit_reached"):
            raise tool_error(f"the {kind} run ended with status {out.status}: {out.status_reason or 'no reason'}")
        content = out.content
        if isinstance(content, str):
            return content
        dump = getattr(content, "model_dump_json", None)
        return dump() if dump is not None else json.dumps(content, default=str, ensure_ascii=False)

    run.__annotations__ = {"input": str, "ctx": context_type, "session_id": str | None, "return": str}
    run.__name__ = tool_name_for(component).replace("-", "_").replace(".", "_")
    run.__doc__ = (f"Run the {kind}.\n\nArgs:\n    input: the request, in plain language.\n"
                   f"    session_id: continue this session (omit to start a new one).")
    return run


class MCPEndpoint:
    """The streamable-HTTP MCP endpoint for some components, to serve alone or mount in an app.

    Standalone: ``uvicorn.run(endpoint.app())``. Inside another Starlette/FastAPI app: add
    ``endpoint.route("/mcp")`` to its routes and enter ``endpoint.lifespan()`` in its lifespan (the
    session manager runs there). ``stateless=True`` (the default) keeps no session between requests,
    so any replica behind a load balancer can answer any request.
    """

    def __init__(self, components: Sequence[Any], *, name: str = "agno_nb", path: str = "/mcp",
                 stateless: bool = True, allowed_hosts: Sequence[str] | None = None):
        self.server = mcp_server(components, name=name)
        security = None
        if allowed_hosts is not None:
            from mcp.server.transport_security import TransportSecuritySettings

            security = TransportSecuritySettings(enable_dns_rebinding_protection=True,
                                                 allowed_hosts=list(allowed_hosts), allowed_origins=[])
        self._app = self.server.streamable_http_app(streamable_http_path=path, stateless_http=stateless,
                                                    transport_security=security)
        self.path = path

    def app(self) -> Any:
        """A Starlette app serving the endpoint at ``path``, with its own lifespan."""
        return self._app

    def route(self, path: str | None = None) -> "Route":
        """The endpoint as a route for another app (that app must enter ``lifespan()``)."""
        from starlette.routing import Route

        route = next(r for r in self._app.routes if getattr(r, "path", None) == self.path)
        return Route(path or self.path, endpoint=route.endpoint, methods=None)

    @asynccontextmanager
    async def lifespan(self) -> AsyncIterator[None]:
        """Run the session manager for as long as the host app runs."""
        async with self.server.session_manager.run():
            yield


def mcp_endpoint(components: Sequence[Any], **options: Any) -> MCPEndpoint:
    """``MCPEndpoint(components, ...)``: what the served app mounts at ``/mcp``."""
    return MCPEndpoint(components, **options)
