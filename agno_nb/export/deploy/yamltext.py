"""A small YAML writer for the manifests: block style, keys in the order given, strings quoted.

The deployment files must not depend on PyYAML being installed where the export runs, and must be
byte-identical across runs; emitting the few shapes we need (mappings, lists, scalars) by hand does
both. Strings are written as JSON strings, which YAML reads as double-quoted scalars, so no value can
be misread as a number, a boolean or a YAML tag.
"""

from __future__ import annotations

import json
from typing import Any

__all__ = ["dump", "dump_all"]


def _scalar(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    return json.dumps(str(value))


def _lines(value: Any, indent: int) -> list[str]:
    pad = " " * indent
    if isinstance(value, dict):
        if not value:
            return [pad + "{}"]
        out: list[str] = []
        for key, item in value.items():
            if isinstance(item, (dict, list)) and item:
                out.append(f"{pad}{key}:")
                out.extend(_lines(item, indent + 2))
            else:
                out.append(f"{pad}{key}: {_inline(item)}")
        return out
    if isinstance(value, list):
        if not value:
            return [pad + "[]"]
        out = []
        for item in value:
            if isinstance(item, (dict, list)) and item:
                nested = _lines(item, indent + 2)
                out.append(f"{pad}- {nested[0].lstrip()}")
                out.extend(nested[1:])
            else:
                out.append(f"{pad}- {_inline(item)}")
        return out
    return [pad + _scalar(value)]


def _inline(value: Any) -> str:
    if isinstance(value, dict):
        return "{}"
    if isinstance(value, list):
        return "[]"
    return _scalar(value)


def dump(value: Any) -> str:
    """One YAML document."""
    return "\n".join(_lines(value, 0)) + "\n"


def dump_all(documents: list[Any]) -> str:
    """Several documents separated by ``---``."""
    return "---\n".join(dump(doc) for doc in documents)
