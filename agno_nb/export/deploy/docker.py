"""``Dockerfile`` and ``.dockerignore``: a slim image that runs the app as a non-root user.

The base image matches the exporting Python's minor version (the pins in requirements.txt were
resolved for it). ``slim`` has no curl, so the healthcheck asks ``/health`` with Python itself. The
server binds 0.0.0.0, which ``agno-nb serve`` refuses without auth: the container expects
``AGNO_NB_JWT_SECRET`` or ``AGNO_NB_AUTH=keys`` from its environment (.env, the k8s Secret).
"""

from __future__ import annotations

import sys

from .plan import DeploymentPlan

__all__ = ["render_dockerfile", "render_dockerignore", "PORT"]

PORT = 7777

_HEALTH = (
    "import sys, urllib.request; "
    f"sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:{PORT}/health', timeout=4).status == 200 else 1)"
)


def render_dockerfile(plan: DeploymentPlan, python: tuple[int, int] | None = None) -> str:
    """The Dockerfile text; ``python`` defaults to the running interpreter's (major, minor)."""
    major, minor = python or sys.version_info[:2]
    data = "".join(f"COPY --chown=app:app {path} ./{path}\n" for path in sorted(plan.data_paths))
    return f"""# {plan.name}: exported from {plan.notebook} by agno-nb export.
FROM python:{major}.{minor}-slim

ENV PYTHONDONTWRITEBYTECODE=1 \\
    PYTHONUNBUFFERED=1 \\
    PIP_DISABLE_PIP_VERSION_CHECK=1

RUN useradd --create-home --uid 10001 app
WORKDIR /app

COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt

COPY --chown=app:app app.py .
{data}USER 10001

EXPOSE {PORT}
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \\
    CMD ["python", "-c", "{_HEALTH}"]

# Binding 0.0.0.0 needs auth: set AGNO_NB_JWT_SECRET (or AGNO_NB_AUTH=keys) in the environment.
CMD ["agno-nb", "serve", "app:app", "--host", "0.0.0.0", "--port", "{PORT}"]
"""


def render_dockerignore() -> str:
    """Keep secrets and local state out of the build context."""
    return ".env\n.venv/\n__pycache__/\n*.pyc\n*.duckdb\n*.duckdb.wal\n.git/\n"
