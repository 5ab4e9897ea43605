"""``agno-nb mcp MODULE``: serve a module's agents, teams and workflows as MCP tools over stdio.

The module is a ``.py`` file or an importable dotted name; every agent, team and workflow bound to a
module-level name is served (``__all__`` narrows that when the module defines it). A notebook is exported
to a temporary folder first (agno_nb/cli.py), and its ``app.py`` served.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from pathlib import Path
from typing import Any

from ..errors import ConfigurationError

__all__ = ["load_components", "serve_stdio"]


def load_components(target: str) -> list[Any]:
    """The agents, teams and workflows defined at the top level of ``target`` (a file or a module name)."""
    from ..agent.agent import Agent
    from ..team.team import Team
    from ..workflow.workflow import Workflow

    if target.endswith(".ipynb"):
        raise ConfigurationError(
            f"{target}: a notebook; serve it with `agno-nb mcp {target}` (which exports it first), or pass "
            f"the app.py of `agno-nb export {target}`.")
    module = _import(target)
    names = getattr(module, "__all__", None) or [n for n in vars(module) if not n.startswith("_")]
    found: list[Any] = []
    for name in names:
        value = getattr(module, name, None)
        if isinstance(value, (Agent, Team, Workflow)) and not any(value is f for f in found):
            found.append(value)
    if not found:
        raise ConfigurationError(f"{target} defines no agent, team or workflow at module level; nothing to serve.")
    return found


def _import(target: str) -> Any:
    path = Path(target)
    if target.endswith(".py") or path.is_file():
        if not path.is_file():
            raise ConfigurationError(f"No such file: {target}.")
        sys.path.insert(0, str(path.resolve().parent))  # the module's own imports resolve as when run
        spec = importlib.util.spec_from_file_location(path.stem, path)
        module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
        sys.modules[path.stem] = module
        spec.loader.exec_module(module)  # type: ignore[union-attr]
        return module
    try:
        return importlib.import_module(target)
    except ModuleNotFoundError as exc:
        raise ConfigurationError(f"Cannot import {target!r} ({exc}); pass a .py file or an importable module.") \
            from None


def serve_stdio(target: str, *, name: str | None = None) -> int:
    """Serve ``target``'s components over stdio until the client closes stdin."""
    import io

    from .server import mcp_server

    # stdout is the protocol channel: whatever the module prints while loading goes to stderr instead
    real_stdout, sys.stdout = sys.stdout, io.TextIOWrapper(sys.stderr.buffer, write_through=True)
    try:
        components = load_components(target)
        server = mcp_server(components, name=name or Path(target).stem)
    except ConfigurationError as exc:
        print(f"agno-nb mcp: {exc}", file=sys.stderr)
        return 2
    finally:
        sys.stdout = real_stdout
    server.run("stdio")
    return 0
