"""The floors rule (shared/design.md section 7): no module imports a floor above its own, not even
lazily inside a function. Upper floors reach down; the core reaches up only through hooks and
registries that the upper floors fill (observers, ``register_display``, the memory curator factory)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "agno_nb"

# floor of each top-level module or subpackage of agno_nb; a module may import its own floor and below
FLOORS = {
    "errors": 0, "fresh_ids": 0, "run_events": 0, "run_output": 0, "run_context": 0, "_sync": 0, "observe": 0, "jsonsafe": 0,
    "redact": 0, "magic_syntax": 0,
    "models": 1, "tools": 1, "storage": 1, "media": 1,
    "memory": 2, "background": 2,
    "agent": 3, "team": 3, "workflow": 3, "guardrails": 3,
    "knowledge": 4, "vectordb": 4, "traces": 4, "serve": 5, "mcp_server": 5,
    # the exporter reads notebooks as data and writes apps for serve/; the notebook and Lab call it
    "export": 6, "notebook": 7, "labserver": 7, "cli": 8,
    # Agno's import paths (issue 10): names only, each at the floor of what it re-exports
    "db": 1, "session": 2, "run": 3, "exceptions": 3, "utils": 3,
}


def _floor_of(parts: tuple[str, ...]) -> int | None:
    return FLOORS.get(parts[0].removesuffix(".py")) if parts else None


def _imports(path: Path) -> list[tuple[str, int]]:
    """(imported agno_nb module, line) for every import in the file, relative ones resolved."""
    tree = ast.parse(path.read_text())
    package = path.relative_to(PACKAGE.parent).with_suffix("").parts[:-1]
    if path.name == "__init__.py":
        package = path.relative_to(PACKAGE.parent).parts[:-1]
    found = []
    for node in _runtime_nodes(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                names = [".".join([*base, *(node.module.split(".") if node.module else [])])]
                if not node.module:
                    names = [".".join([*base, alias.name]) for alias in node.names]
            else:
                names = [node.module or ""]
            found += [(name, node.lineno) for name in names]
        elif isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names]
    return [(name, line) for name, line in found if name.startswith("agno_nb.")]


def _runtime_nodes(tree: ast.AST):
    """Every node except those under ``if TYPE_CHECKING:`` (annotations only, never imported)."""
    stack = [tree]
    while stack:
        node = stack.pop()
        yield node
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and getattr(child.test, "id", None) == "TYPE_CHECKING":
                stack.extend(child.orelse)
                continue
            stack.append(child)


MODULES = sorted(p for p in PACKAGE.rglob("*.py") if p.relative_to(PACKAGE).parts[0] != "__init__.py")


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_module_imports_a_higher_floor(path):
    own = _floor_of(path.relative_to(PACKAGE).parts)
    assert own is not None, f"{path.relative_to(PACKAGE)} has no floor: add it to FLOORS"
    upward = [(name, line) for name, line in _imports(path)
              if (_floor_of(tuple(name.split(".")[1:])) or 0) > own]
    assert not upward, f"{path.relative_to(PACKAGE)} imports a higher floor: {upward}"


def test_the_five_upward_imports_of_issue_9_are_gone():
    checked = {"run_output.py": ("agno_nb.notebook",), "memory/manager.py": ("agno_nb.agent",),
               "memory/summary.py": ("agno_nb.agent",), "tools/reasoning.py": ("agno_nb.agent",)}
    for relative, banned in checked.items():
        names = [name for name, _ in _imports(PACKAGE / relative)]
        assert not [n for n in names if n.startswith(banned)], (relative, names)


def test_the_served_app_never_imports_the_notebook():
    """Peers on one floor stay apart where it matters: a served app or an MCP server draws traces from
    ``agno_nb.traces`` and never loads the notebook (IPython, widgets) to do it; the exporter reads the
    magics' syntax from ``agno_nb.magic_syntax``, not from the notebook."""
    for floor in ("serve", "mcp_server", "traces", "export"):
        for path in sorted((PACKAGE / floor).rglob("*.py")):
            names = [name for name, _ in _imports(path)]
            assert not [n for n in names if n.startswith("agno_nb.notebook")], (path.relative_to(PACKAGE), names)
