"""Route providers: how other floors add routes or mounts to a served app without serve knowing them.

A provider is a callable ``(app, state) -> None`` that adds routes (``app.include_router``) or mounts an
ASGI app (``app.mount("/mcp", ...)``). Register it once, by name, when its module is imported:

    from agno_nb.serve.extensions import register_routes

    def knowledge_routes(app, state):
        if state.extras.get("knowledge"):
            app.include_router(...)      # use agno_nb.serve.deps.principal for auth

    register_routes("knowledge", knowledge_routes)

``create_app`` installs every registered provider, then those passed as ``create_app(routes=[...])``.
A provider that needs something running for the app's lifetime (a session manager) appends an async
context manager to ``state.lifespans``; the app enters it at startup and leaves it at shutdown.
What a provider needs from ``create_app``'s arguments (``knowledge=[...]``) is in ``state.extras``; an
argument that no installed provider claims is refused, so nothing is silently ignored.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

if TYPE_CHECKING:
    from .state import ServeState

__all__ = ["RouteProvider", "register_routes", "route_providers", "claims"]

RouteProvider = Callable[[Any, "ServeState"], None]

_providers: dict[str, RouteProvider] = {}
#: which create_app argument (an ``extras`` key) each provider serves
_claims: dict[str, str] = {}


def register_routes(name: str, provider: RouteProvider, *, serves: str | None = None) -> None:
    """Add ``provider`` to every app created from now on; ``serves`` names the create_app argument it uses."""
    _providers[name] = provider
    if serves is not None:
        _claims[serves] = name


def route_providers() -> dict[str, RouteProvider]:
    return dict(_providers)


def claims(extra: str) -> str | None:
    """The provider that serves a create_app argument, if one is registered."""
    return _claims.get(extra)
