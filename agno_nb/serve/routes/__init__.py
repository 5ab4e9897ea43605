"""The app's routes, one module per concept: system, components (agents, teams, workflows), stored data,
and the OpenAI-compatible API."""

from __future__ import annotations

from typing import Any

__all__ = ["install_routes"]


def install_routes(app: Any, components: Any) -> None:
    from . import data, events, openai, system
    from .components import component_router

    app.include_router(system.router)
    for kind in ("agent", "team", "workflow"):
        app.include_router(component_router(kind, sorted(components.by_kind[kind])))
    app.include_router(data.router)
    app.include_router(events.router)
    app.include_router(openai.router)
