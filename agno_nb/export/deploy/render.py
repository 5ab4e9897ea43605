"""``render_deployment``: every deployment file of a plan, as text keyed by relative path."""

from __future__ import annotations

from .compose import render_compose
from .docker import render_dockerfile, render_dockerignore
from .env import render_env_example
from .kubernetes import render_kubernetes
from .plan import DeploymentPlan
from .readme import render_readme
from .requirements import render_requirements

__all__ = ["render_deployment"]


def render_deployment(plan: DeploymentPlan) -> dict[str, str]:
    """Relative path -> file text, sorted by path; the same plan gives the same files."""
    files = {
        "requirements.txt": render_requirements(plan.imports, knowledge=bool(plan.knowledge)),
        "Dockerfile": render_dockerfile(plan),
        ".dockerignore": render_dockerignore(),
        "docker-compose.yml": render_compose(plan),
        ".env.example": render_env_example(plan),
        "README.md": render_readme(plan),
        **render_kubernetes(plan),
    }
    return dict(sorted(files.items()))
