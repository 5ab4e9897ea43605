"""Which code of a cell goes into the app: definitions stay, exploration and display go.

A statement is *exploration* when it runs something for a look: a bare expression (``df.head()``,
``display(x)``, ``print(...)``, ``fig.show()``), a run (``agent.run(...)``, ``await ...``), a search, a
query. Whatever an exploration statement binds is exploration too, and so is every later statement that
reads it (``out = agent.run(...)`` drops ``print(out.content)`` and ``timeline(out)``), unless a kept
statement binds the name again. Definitions (imports, functions, classes, assignments) stay, in order.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

__all__ = ["Kept", "Selector", "bound_names", "read_names"]

#: method calls that run, search, query or show (their statements are exploration)
_RUNNING = {
    "run",
    "arun",
    "print_response",
    "aprint_response",
    "continue_run",
    "acontinue_run",
    "search",
    "asearch",
    "sql",
    "show",
    "cli",
    "write_html",
    "write_image",
    "to_csv",
    "to_parquet",
    "savefig",
}
#: function calls that show something, or start an app or a server (the export writes its own app)
_SHOWING = {"print", "display", "timeline", "pprint", "input", "start_server", "create_app"}
#: expression statements that build the app: ingest into a knowledge base
_INGEST = {"add_content", "add_contents", "aadd_content", "aadd_contents", "insert", "load"}


@dataclass
class Kept:
    """A statement that goes into the app: its first and last line in the cell (from 1)."""

    first: int
    last: int
    node: ast.stmt


@dataclass
class Selector:
    """Walks the notebook's statements in order, deciding for each; remembers what exploration bound."""

    knowledge: set[str] = field(default_factory=set)
    tainted: set[str] = field(default_factory=set)

    def select(self, tree: ast.Module) -> list[Kept]:
        kept = []
        for node in tree.body:
            if self.keeps(node):
                self.tainted -= bound_names(node)
                first = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", ())])
                kept.append(Kept(first, node.end_lineno or node.lineno, node))
            else:
                self.tainted |= bound_names(node)
        return kept

    def keeps(self, node: ast.stmt) -> bool:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            return True
        if read_names(node) & self.tainted:
            return False
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            return True
        if _explores(node):
            return False
        if isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            return True
        if isinstance(node, ast.Expr):
            return self._ingests(node.value)
        if isinstance(node, (ast.If, ast.With, ast.Try, ast.For, ast.While)):
            return bool(bound_names(node))  # a block that defines something (not one that only prints)
        return False

    def _ingests(self, value: ast.expr) -> bool:
        return (
            isinstance(value, ast.Call)
            and isinstance(value.func, ast.Attribute)
            and value.func.attr in _INGEST
            and isinstance(value.func.value, ast.Name)
            and value.func.value.id in self.knowledge
        )


def _scope_walk(node: ast.AST):
    """``ast.walk`` that does not enter function, class or lambda bodies (they run later, if ever)."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        for child in ast.iter_child_nodes(current):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
                continue
            stack.append(child)


def _explores(node: ast.stmt) -> bool:
    for child in _scope_walk(node):
        if isinstance(child, (ast.Await, ast.AsyncFor, ast.AsyncWith, ast.Yield, ast.YieldFrom)):
            return True
        if isinstance(child, ast.Call):
            func = child.func
            if isinstance(func, ast.Attribute) and func.attr in _RUNNING:
                return True
            if isinstance(func, ast.Name) and func.id in _SHOWING:
                return True
    return False


def bound_names(node: ast.AST) -> set[str]:
    """Names a statement binds at module level (assignments, defs, imports, loop targets, ``with ... as``)."""
    names: set[str] = set()
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return {node.name}
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        return {(a.asname or a.name).split(".")[0] for a in node.names if a.name != "*"}
    for child in _scope_walk(node):
        if isinstance(child, ast.Name) and isinstance(child.ctx, (ast.Store, ast.Del)):
            names.add(child.id)
        elif isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and child is not node:
            names.add(child.name)
        elif isinstance(child, (ast.Import, ast.ImportFrom)) and child is not node:
            names |= bound_names(child)
        elif isinstance(child, ast.ExceptHandler) and child.name:
            names.add(child.name)
    for child in ast.iter_child_nodes(node):  # defs nested in blocks (if/try) bind at module level too
        if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(child.name)
    return names


def read_names(node: ast.AST) -> set[str]:
    """Names a statement reads when it runs (not inside the functions it defines; their decorators,
    defaults and base classes count)."""
    names: set[str] = set()
    for child in _scope_walk(node):
        if isinstance(child, ast.Name) and isinstance(child.ctx, ast.Load):
            names.add(child.id)
        if (
            isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda))
            and child is not node
        ):
            names |= _header_reads(child)
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        names |= _header_reads(node)
    return names


def _header_reads(node: ast.AST) -> set[str]:
    parts: list[ast.AST] = list(getattr(node, "decorator_list", ()))
    if isinstance(node, ast.ClassDef):
        parts += node.bases + [k.value for k in node.keywords]
    elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
        parts += [d for d in node.args.defaults + node.args.kw_defaults if d is not None]
    return {n.id for part in parts for n in ast.walk(part) if isinstance(n, ast.Name)}
