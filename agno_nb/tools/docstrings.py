"""Read a tool's description and parameter descriptions from its docstring.

Three styles are common in the wild and all three are understood:

* Google: an ``Args:`` section with ``name (type): text`` lines,
* NumPy: a ``Parameters`` header underlined with dashes, ``name : type`` then indented text,
* reST / Sphinx: ``:param name: text`` fields.

Only descriptions are taken; types always come from the signature, which is the source of truth.
"""

from __future__ import annotations

import inspect
import re

__all__ = ["ParsedDocstring", "parse_docstring"]

_GOOGLE_ARGS = re.compile(r"^(Args|Arguments|Parameters|Params|Keyword Args|Keyword Arguments|Other Parameters)"
                          r"\s*:\s*$", re.IGNORECASE)
_GOOGLE_OTHER = re.compile(
    r"^(Returns?|Yields?|Raises?|Examples?|Notes?|Attributes|Warning|Warnings|See Also|References|Todo)"
    r"\s*:\s*$", re.IGNORECASE)
# The type in parentheses may nest them: ``point (tuple(int, int)): ...``.
_GOOGLE_ITEM = re.compile(r"^\*{0,2}(\w+)\s*(?:\(((?:[^()]|\([^()]*\))*)\))?\s*:\s*(.*)$")
_NUMPY_HEADER = re.compile(r"^(\w[\w ]*)\n\s*-{3,}\s*$", re.MULTILINE)
_NUMPY_ITEM = re.compile(r"^(\*{0,2}\w+(?:\s*,\s*\*{0,2}\w+)*)\s*(?::\s*(.*))?$")
_REST_FIELD = re.compile(r"^:(param|parameter|arg|argument|key|keyword)\s+(?:[^:]*\s)?(\w+)\s*:\s*(.*)$")
_REST_ANY_FIELD = re.compile(r"^:\w+")
_REST_DETECT = re.compile(r"^:(param|parameter|arg|argument|key|keyword|type|returns?|rtype|raises?)\b",
                          re.MULTILINE)


class ParsedDocstring:
    __slots__ = ("description", "params")

    def __init__(self, description: str, params: dict[str, str]):
        self.description = description
        self.params = params


def parse_docstring(doc: str | None) -> ParsedDocstring:
    """Split a docstring into its summary text and a ``{parameter: description}`` mapping."""
    if not doc:
        return ParsedDocstring("", {})
    text = inspect.cleandoc(doc)
    if _REST_DETECT.search(text):
        return _parse_rest(text)
    if _NUMPY_HEADER.search(text):
        return _parse_numpy(text)
    return _parse_google(text)


def _parse_google(text: str) -> ParsedDocstring:
    lines = text.splitlines()
    description: list[str] = []
    params: dict[str, str] = {}
    section = "description"
    current: str | None = None
    base_indent = 0
    for line in lines:
        stripped = line.strip()
        if _GOOGLE_ARGS.match(stripped):
            section, current = "args", None
            continue
        if _GOOGLE_OTHER.match(stripped):
            section, current = "other", None
            continue
        if section == "description":
            description.append(line)
        elif section == "args" and stripped:
            indent = len(line) - len(line.lstrip())
            item = _GOOGLE_ITEM.match(stripped)
            if item and (current is None or indent <= base_indent):
                current, base_indent = item.group(1), indent
                params[current] = item.group(3).strip()
            elif current is not None:
                params[current] = f"{params[current]} {stripped}".strip()
    return ParsedDocstring(_join(description), params)


def _parse_numpy(text: str) -> ParsedDocstring:
    sections = _NUMPY_HEADER.split(text)
    # split() gives [preamble, header1, body1, header2, body2, ...]
    description = sections[0]
    params: dict[str, str] = {}
    for header, body in zip(sections[1::2], sections[2::2]):
        if header.strip().lower() not in ("parameters", "params", "arguments", "other parameters"):
            continue
        current: list[str] = []
        for line in body.splitlines():
            if not line.strip():
                continue
            if not line[:1].isspace():
                item = _NUMPY_ITEM.match(line.strip())
                if item:  # "x, y : int" describes both names
                    current = [name.strip().lstrip("*") for name in item.group(1).split(",")]
                    for name in current:
                        params[name] = ""
                    continue
            for name in current:
                params[name] = f"{params[name]} {line.strip()}".strip()
    return ParsedDocstring(_join(description.splitlines()), params)


def _parse_rest(text: str) -> ParsedDocstring:
    description: list[str] = []
    params: dict[str, str] = {}
    current: str | None = None
    in_fields = False
    for line in text.splitlines():
        stripped = line.strip()
        field = _REST_FIELD.match(stripped)
        if field:
            in_fields = True
            current = field.group(2)
            params[current] = field.group(3).strip()
        elif _REST_ANY_FIELD.match(stripped):
            in_fields, current = True, None
        elif not in_fields:
            description.append(line)
        elif current is not None and stripped:
            params[current] = f"{params[current]} {stripped}".strip()
    return ParsedDocstring(_join(description), params)


def _join(lines: list[str]) -> str:
    return "\n".join(lines).strip()
