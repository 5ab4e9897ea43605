"""A ``parameters``-tagged cell (papermill's convention) as settings read from the environment.

``top_n = 5`` becomes ``top_n = int(os.environ.get("TOP_N", "5"))``: the notebook's value is the default,
typed by its literal, and every variable read is listed for ``.env.example`` and the ConfigMap.
"""

from __future__ import annotations

import ast
import json
from dataclasses import dataclass

from .checks import _SECRET_NAME
from .magics import quoted

__all__ = ["Parameter", "parameter_code"]


@dataclass(frozen=True)
class Parameter:
    """One setting: the variable, its environment variable, its default as text, whether it is secret."""

    name: str
    env: str
    default: str | None
    secret: bool


def parameter_code(node: ast.stmt) -> tuple[str, Parameter] | None:
    """The line reading ``name = <literal>`` from the environment, or ``None`` for any other statement."""
    if not (
        isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)
    ):
        return None
    try:
        value = ast.literal_eval(node.value)
    except (ValueError, SyntaxError, TypeError):
        return None
    name = node.targets[0].id
    env = name.upper()
    secret = bool(_SECRET_NAME.search(name))
    if value is None:
        return f"{name} = os.environ.get({quoted(env)})", Parameter(name, env, None, secret)
    if isinstance(value, bool):
        default = "true" if value else "false"
        code = (
            f"{name} = os.environ.get({quoted(env)}, {quoted(default)}).strip().lower() "
            f'in ("1", "true", "yes", "on")'
        )
    elif isinstance(value, int):
        default, code = str(value), f"{name} = int(os.environ.get({quoted(env)}, {quoted(str(value))}))"
    elif isinstance(value, float):
        default, code = repr(value), f"{name} = float(os.environ.get({quoted(env)}, {quoted(repr(value))}))"
    elif isinstance(value, str):
        default, code = value, f"{name} = os.environ.get({quoted(env)}, {quoted(value)})"
    else:
        try:
            default = json.dumps(value, sort_keys=True)
        except TypeError:
            return None  # a tuple or set literal has no JSON form: kept as written
        code = f"{name} = json.loads(os.environ.get({quoted(env)}, {quoted(default)}))"
    if secret:
        default = None
    return code, Parameter(name, env, default, secret)
