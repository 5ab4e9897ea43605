"""Checks on the exported code: literal secrets (refused), packages that are not installed (refused), and
names that nothing defines (warned: the "works in my kernel" trap)."""

from __future__ import annotations

import ast
import builtins
import importlib.util
import re
import sys
from pathlib import Path

from .errors import ExportError, where
from .selection import bound_names

__all__ = ["check_secrets", "check_import", "undefined_names"]

_KEY_SHAPES = [
    (re.compile(r"\bsk-ant-[A-Za-z0-9_-]{16,}"), "an Anthropic API key", "ANTHROPIC_API_KEY"),
    (re.compile(r"\bsk-(?:proj-)?[A-Za-z0-9_-]{20,}"), "an OpenAI-style API key", "OPENAI_API_KEY"),
    (re.compile(r"\bAKIA[0-9A-Z]{16}\b"), "an AWS access key", "AWS_ACCESS_KEY_ID"),
    (re.compile(r"\bgh[pousr]_[A-Za-z0-9]{20,}"), "a GitHub token", "GITHUB_TOKEN"),
    (re.compile(r"\bxox[abprs]-[A-Za-z0-9-]{10,}"), "a Slack token", "SLACK_TOKEN"),
    (re.compile(r"\bAIza[0-9A-Za-z_-]{30,}"), "a Google API key", "GEMINI_API_KEY"),
    (re.compile(r"\bgsk_[A-Za-z0-9]{20,}"), "a Groq API key", "GROQ_API_KEY"),
    (
        re.compile(r"\b[a-z][a-z0-9+.-]*://[^:/\s@]+:[^@/\s]+@"),
        "a connection string with a password",
        "AGNO_NB_DB",
    ),
]
_SECRET_NAME = re.compile(r"(api_?key|token|secret|passw(or)?d|pwd|credential)s?$", re.IGNORECASE)
_PLACEHOLDER = re.compile(r"^(|x+|\.\.\.|<.*>|your[-_ ].*|changeme|\*+|none|null|test|dummy)$", re.IGNORECASE)


def check_secrets(code: str, cell: int, first_line: int = 1) -> None:
    """Refuse a literal secret in ``code`` (from ``cell``): API keys by shape, passwords in DSNs, and long
    literals given to names that say key, token, secret or password."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            for shape, what, env in _KEY_SHAPES:
                if shape.search(node.value):
                    _refuse(cell, first_line + node.lineno - 1, what, env)
        for name, value in _named_values(node):
            if (
                _SECRET_NAME.search(name)
                and isinstance(value, ast.Constant)
                and isinstance(value.value, str)
                and len(value.value) >= 8
                and not _PLACEHOLDER.match(value.value.strip())
            ):
                _refuse(cell, first_line + value.lineno - 1, f"a literal {name}", name.upper())


def _named_values(node: ast.AST) -> list[tuple[str, ast.expr]]:
    if isinstance(node, ast.Assign):
        return [
            (t.id if isinstance(t, ast.Name) else getattr(t, "attr", ""), node.value) for t in node.targets
        ]
    if isinstance(node, ast.AnnAssign) and node.value is not None and isinstance(node.target, ast.Name):
        return [(node.target.id, node.value)]
    if isinstance(node, ast.keyword) and node.arg:
        return [(node.arg, node.value)]
    if isinstance(node, ast.Dict):
        return [
            (k.value, v)
            for k, v in zip(node.keys, node.values)
            if isinstance(k, ast.Constant) and isinstance(k.value, str)
        ]
    return []


def _refuse(cell: int, line: int, what: str, env: str) -> None:
    raise ExportError(
        f"{where(cell, line)}: {what} is written in the code, and an export would copy it into "
        f"the app. Read it from the environment instead, e.g. os.environ[{env!r}], set it "
        f"in the notebook's environment (or a .env file), and export again."
    )


def check_import(module: str, cell: int, line: int, folder: Path) -> str | None:
    """``None`` when ``module`` is importable here; a warning for a module next to the notebook (not copied);
    an ``ExportError`` naming the cell when it is not installed."""
    top = module.split(".")[0]
    if not top or top in sys.stdlib_module_names or top == "__future__":
        return None
    if (folder / f"{top}.py").exists() or (folder / top / "__init__.py").exists():
        return (
            f"{where(cell, line)}: `{top}` is a module next to the notebook; copy it into the app folder "
            f"(the export does not)."
        )
    if importlib.util.find_spec(top) is None:
        raise ExportError(
            f"{where(cell, line)}: imports `{top}`, which is not installed in this environment, "
            f"so its version cannot be pinned: `pip install {top}` (the package name may differ "
            f"from the module's), check the cell runs, and export again."
        )
    return None


def undefined_names(tree: ast.Module) -> list[str]:
    """Names the code reads that nothing in it defines (nor builtins): defined only in a kernel's history,
    or in a cell the export left out. Unknowable after ``from x import *`` (then: none)."""
    defined = set(dir(builtins)) | {"__file__", "__name__"}
    read: dict[str, int] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and any(a.name == "*" for a in node.names):
            return []
        if isinstance(node, ast.stmt):
            defined |= bound_names(node)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            arguments = node.args
            defined |= {a.arg for a in arguments.posonlyargs + arguments.args + arguments.kwonlyargs}
            defined |= {a.arg for a in (arguments.vararg, arguments.kwarg) if a is not None}
        if isinstance(node, ast.comprehension):
            defined |= {n.id for n in ast.walk(node.target) if isinstance(n, ast.Name)}
        if isinstance(node, ast.NamedExpr):
            defined.add(node.target.id)
        if isinstance(node, (ast.Global, ast.Nonlocal)):
            defined |= set(node.names)
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
            read.setdefault(node.id, node.lineno)
    return sorted(name for name in read if name not in defined)
