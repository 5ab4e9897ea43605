"""The served runtime: agents, teams and workflows behind a stateless FastAPI app.

    from agno_nb.serve import create_app
    app = create_app(agents=[analyst], db="postgresql://...")    # then: uvicorn module:app

or from a terminal: ``agno-nb serve module:app``. The names load on first use (FastAPI with them), so
the ``agno-nb`` command can describe ``serve`` without importing a web framework; ``import agno_nb``
never imports this package.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

_EXPORTS = {
    "create_app": "agno_nb.serve.app",
    "Auth": "agno_nb.serve.auth",
    "Principal": "agno_nb.serve.auth",
    "ServeSettings": "agno_nb.serve.settings",
    "register_routes": "agno_nb.serve.extensions",
    "start_server": "agno_nb.serve.server",
    "RunningServer": "agno_nb.serve.server",
}

__all__ = [
    "Auth",
    "Principal",
    "RunningServer",
    "ServeSettings",
    "create_app",
    "register_routes",
    "start_server",
]

if TYPE_CHECKING:
    from .app import create_app
    from .auth import Auth, Principal
    from .extensions import register_routes
    from .server import RunningServer, start_server
    from .settings import ServeSettings


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'agno_nb.serve' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
