"""``docker-compose.yml``: the app, PostgreSQL as its store and (with knowledge) a Chroma server.

The app waits for healthy dependencies (``condition: service_healthy``), reads its variables from
``.env``, and gets a PostgreSQL DSN whose password comes from the environment: compose refuses to
start when ``POSTGRES_PASSWORD`` is unset rather than running with a default password.
"""

from __future__ import annotations

from typing import Any

from .docker import PORT
from .plan import DeploymentPlan
from .yamltext import dump

__all__ = ["render_compose", "POSTGRES_USER", "POSTGRES_DB"]

POSTGRES_USER = "agno"
POSTGRES_DB = "agno"
_PASSWORD = "${POSTGRES_PASSWORD:?set it in .env}"


def render_compose(plan: DeploymentPlan) -> str:
    """The compose file text (Compose Specification; no top-level ``version``, it is obsolete)."""
    app: dict[str, Any] = {
        "build": ".",
        "image": f"{plan.name}:latest",
        "env_file": [".env"],
        "environment": {
            "AGNO_NB_DB": f"postgresql://{POSTGRES_USER}:{_PASSWORD}@postgres:5432/{POSTGRES_DB}",
        },
        "ports": [f"{PORT}:{PORT}"],
        "depends_on": {"postgres": {"condition": "service_healthy"}},
        "restart": "unless-stopped",
    }
    services: dict[str, Any] = {
        "app": app,
        "postgres": {
            "image": "postgres:16-alpine",
            "environment": {
                "POSTGRES_USER": POSTGRES_USER,
                "POSTGRES_DB": POSTGRES_DB,
                "POSTGRES_PASSWORD": _PASSWORD,
            },
            "volumes": ["pgdata:/var/lib/postgresql/data"],
            "healthcheck": {
                "test": ["CMD-SHELL", f"pg_isready -U {POSTGRES_USER} -d {POSTGRES_DB}"],
                "interval": "5s",
                "timeout": "5s",
                "retries": 10,
            },
            "restart": "unless-stopped",
        },
    }
    volumes: dict[str, Any] = {"pgdata": {}}
    if plan.knowledge:
        app["environment"]["CHROMA_HOST"] = "chroma"
        app["environment"]["CHROMA_PORT"] = "8000"
        app["depends_on"]["chroma"] = {"condition": "service_healthy"}
        services["chroma"] = {
            "image": "chromadb/chroma:1.5.0",
            "environment": {"IS_PERSISTENT": "TRUE", "ANONYMIZED_TELEMETRY": "FALSE"},
            "volumes": ["chromadata:/data"],
            "healthcheck": {
                # the image has no curl; bash's /dev/tcp is enough to see the port answer
                "test": ["CMD-SHELL", "bash -c ':> /dev/tcp/127.0.0.1/8000' || exit 1"],
                "interval": "5s",
                "timeout": "5s",
                "retries": 10,
            },
            "restart": "unless-stopped",
        }
        volumes["chromadata"] = {}
    header = f"# {plan.name}: docker compose up --build (fill in .env first, from .env.example)\n"
    return header + dump({"name": plan.name, "services": services, "volumes": volumes})
