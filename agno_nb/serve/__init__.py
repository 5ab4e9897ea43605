"""The served runtime: agents, teams and workflows behind a stateless FastAPI app.

    from agno_nb.serve import create_app
    app = create_app(agents=[analyst], db="postgresql://...")    # then: uvicorn module:app

or from a terminal: ``agno-nb serve module:app``. Importing this package imports FastAPI; ``import
agno_nb`` never does.
"""

from __future__ import annotations

from .app import create_app
from .auth import Auth, Principal
from .extensions import register_routes
from .settings import ServeSettings

__all__ = ["create_app", "Auth", "Principal", "ServeSettings", "register_routes"]
