"""``requirements.txt``: the distributions ``app.py`` imports, pinned to what is installed here.

Pinning to the exporting environment is the point: the notebook worked with these versions, so the
deployment gets exactly them. Only imported distributions are listed (not the whole kernel venv), and
agno_nb itself always comes with the extras the served app needs.
"""

from __future__ import annotations

import re
import sys
from importlib import metadata
from typing import Iterable

__all__ = ["pinned_requirements", "render_requirements"]

#: import names that belong to agno_nb itself (or its serve extra), never listed on their own
_OWN = {"agno_nb"}


def _normalize(name: str) -> str:
    """PEP 503 normalized distribution name (``Foo_Bar`` -> ``foo-bar``)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def pinned_requirements(imports: Iterable[str], *, knowledge: bool = False) -> list[str]:
    """``name==version`` lines for the distributions that provide ``imports``, sorted.

    Standard-library modules are skipped; a module no installed distribution provides raises
    ``LookupError`` naming it (the export cannot pin what it cannot find). agno_nb is always
    pinned with ``serve`` and ``postgres`` (the deployed store), plus ``knowledge`` when asked and
    ``mcp`` when ``mcp`` is imported.
    """
    providers = metadata.packages_distributions()
    extras = {"postgres", "serve"}
    if knowledge:
        extras.add("knowledge")
    pins: dict[str, str] = {}
    for module in sorted(set(imports)):
        top = module.split(".", 1)[0]
        if top in sys.stdlib_module_names or top in _OWN:
            continue
        if top == "mcp":
            extras.add("mcp")
        dists = providers.get(top)
        if not dists:
            raise LookupError(
                f"app.py imports {top!r}, which no installed distribution provides; install it in the "
                f"exporting environment (pip install ...) and export again."
            )
        for dist in dists:
            name = _normalize(dist)
            if name == "agno-nb":
                continue
            pins[name] = f"{name}=={metadata.version(dist)}"
    own = f"agno-nb[{','.join(sorted(extras))}]=={metadata.version('agno_nb')}"
    return sorted([own, *pins.values()])


def render_requirements(imports: Iterable[str], *, knowledge: bool = False) -> str:
    """The file text: a header saying where the pins come from, then one requirement per line."""
    header = "# Pinned to the versions installed where the notebook was exported (agno-nb export).\n"
    return header + "".join(line + "\n" for line in pinned_requirements(imports, knowledge=knowledge))
