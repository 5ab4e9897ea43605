"""The deployment plan: what the exporter found in a notebook, as the deployment files need it.

The exporter core fills a ``DeploymentPlan`` from the notebook; ``render_deployment`` turns it into
files. Keeping this boundary small and frozen lets the two halves change independently, and makes
renders deterministic (a plan is plain, hashable data).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["DeploymentPlan", "ExportedComponent", "Setting"]


@dataclass(frozen=True)
class ExportedComponent:
    """One agent, team or workflow that ``app.py`` serves.

    ``id`` is the route id in the served app (``/agents/{id}/runs``, and the OpenAI ``model`` name),
    which is the object's own ``id``; ``name`` is the Python variable that holds it in ``app.py``.
    """

    kind: str  # "agent" | "team" | "workflow"
    id: str
    name: str
    description: str | None = None


@dataclass(frozen=True)
class Setting:
    """An environment variable ``app.py`` reads (from the notebook's ``parameters`` cell).

    ``default`` is the notebook's value as text (``None``: required, no default). A ``secret`` never
    has a default written anywhere: it goes to a Kubernetes Secret and an empty ``.env`` line.
    """

    env: str
    default: str | None
    secret: bool = False
    help: str = ""


@dataclass(frozen=True)
class DeploymentPlan:
    """Everything the deployment files depend on, and nothing else.

    ``name`` is the app's slug (from the notebook's file name; used for images, k8s objects and the
    compose project); ``imports`` are the top-level modules ``app.py`` imports (they decide
    ``requirements.txt``); ``data_paths`` are files or folders the knowledge reads that are inside the
    export folder (``--include-data``), relative to it: the Dockerfile copies each one, so leave out
    data that is only referenced, or the image build fails on a missing path.
    """

    name: str
    notebook: str
    components: tuple[ExportedComponent, ...]
    knowledge: tuple[str, ...] = ()
    settings: tuple[Setting, ...] = ()
    imports: tuple[str, ...] = ()
    data_paths: tuple[str, ...] = ()
