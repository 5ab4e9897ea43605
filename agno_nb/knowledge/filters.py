"""Metadata filters, one syntax for the three search kinds.

``{"team": "data"}`` (equality), ``{"year": [2024, 2025]}`` (any of), ``{"year": {"$gte": 2024}}``
(operators ``$eq $ne $gt $gte $lt $lte $in $nin``), and ``{"$or": [{...}, {...}]}`` / ``{"$and": [...]}``.
Several fields in one dict must all match. A field the knowledge base has never seen is an error that
lists the fields it has (Chroma alone would silently return nothing).

``to_chroma`` gives Chroma's ``where``; ``to_sql`` the same condition over the keyword index's JSON metadata.
"""

from __future__ import annotations

import json
from typing import Any, Iterable

from .errors import FilterError

__all__ = ["normalize_filters", "to_chroma", "to_sql", "merge_filters"]

_OPERATORS = {"$eq": "=", "$ne": "IS NOT", "$gt": ">", "$gte": ">=", "$lt": "<", "$lte": "<=", "$in": "IN",
              "$nin": "NOT IN"}
_SCALARS = (str, int, float, bool)
#: bookkeeping fields: filterable, but not worth listing to a person or a model
_INTERNAL = frozenset({"content_hash", "chunk_index", "chunk_count"})

Filter = dict[str, Any]


def normalize_filters(filters: Filter | None, known_fields: Iterable[str]) -> Filter | None:
    """Check ``filters`` and rewrite them in one canonical form: ``{"$and": [{field: {op: value}}, ...]}``
    trees. Raises ``FilterError`` naming the problem and the known fields."""
    if not filters:
        return None
    if not isinstance(filters, dict):
        raise FilterError(f"filters must be a dict like {{'field': value}}, got {type(filters).__name__}.")
    known = set(known_fields)
    return _normalize(filters, known)


def _normalize(node: Filter, known: set[str]) -> Filter:
    clauses: list[Filter] = []
    for key, value in node.items():
        if key in ("$and", "$or"):
            if not isinstance(value, list) or not value or not all(isinstance(v, dict) for v in value):
                raise FilterError(f"{key} takes a non-empty list of filter dicts, got {value!r}.")
            parts = [_normalize(v, known) for v in value]
            clauses.append(parts[0] if len(parts) == 1 else {key: parts})
            continue
        if key.startswith("$"):
            raise FilterError(f"unknown filter operator {key!r} at the top level; use $and, $or or a field "
                              f"name.")
        if key not in known:
            listed = sorted(f for f in known if f not in _INTERNAL)
            fields = ", ".join(listed) or "none (the knowledge base is empty)"
            raise FilterError(f"unknown metadata field {key!r} in the filters; the knowledge base's fields "
                              f"are: {fields}.")
        clauses.append({key: _condition(key, value)})
    if not clauses:
        raise FilterError("empty filter: give at least one field.")
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}


def _condition(field: str, value: Any) -> Filter:
    if isinstance(value, dict):
        if len(value) != 1:
            raise FilterError(f"filter on {field!r}: use one operator per dict, e.g. {{'$gte': 3}}; "
                              f"got {value!r}.")
        (op, operand), = value.items()
        if op not in _OPERATORS:
            raise FilterError(f"filter on {field!r}: unknown operator {op!r}; use one of "
                              f"{', '.join(_OPERATORS)}.")
        if op in ("$in", "$nin"):
            if not isinstance(operand, (list, tuple)) or not operand or not all(isinstance(v, _SCALARS)
                                                                               for v in operand):
                raise FilterError(f"filter on {field!r}: {op} takes a non-empty list of values, "
                                  f"got {operand!r}.")
            return {op: list(operand)}
        if not isinstance(operand, _SCALARS):
            raise FilterError(f"filter on {field!r}: {op} takes a string, number or boolean, "
                              f"got {operand!r}.")
        numeric = isinstance(operand, (int, float)) and not isinstance(operand, bool)
        if op in ("$gt", "$gte", "$lt", "$lte") and not numeric:
            raise FilterError(f"filter on {field!r}: {op} compares numbers, got {operand!r}.")
        return {op: operand}
    if isinstance(value, (list, tuple)):
        return _condition(field, {"$in": list(value)})
    if not isinstance(value, _SCALARS):
        raise FilterError(f"filter on {field!r}: expected a string, number, boolean or list, got {value!r}.")
    return {"$eq": value}


def merge_filters(*filters: Filter | None) -> Filter | None:
    """All of the given filters (the agent's fixed ones and those the model chose)."""
    present = [f for f in filters if f]
    if not present:
        return None
    return present[0] if len(present) == 1 else {"$and": present}


def to_chroma(node: Filter | None) -> Filter | None:
    """A normalized filter as Chroma's ``where`` (already Chroma's shape)."""
    return node


def to_sql(node: Filter, column: str = "metadata") -> tuple[str, list[Any]]:
    """A normalized filter as an SQLite condition over a JSON ``column``, with its parameters."""
    for key, value in node.items():
        if key in ("$and", "$or"):
            parts = [to_sql(v, column) for v in value]
            joiner = " AND " if key == "$and" else " OR "
            return "(" + joiner.join(p for p, _ in parts) + ")", [a for _, args in parts for a in args]
        (op, operand), = value.items()
        path = "$." + json.dumps(key)
        expression = f"json_extract({column}, ?)"
        if op in ("$in", "$nin"):
            marks = ", ".join("?" for _ in operand)
            return f"{expression} {_OPERATORS[op]} ({marks})", [path, *(_sql_value(v) for v in operand)]
        return f"{expression} {_OPERATORS[op]} ?", [path, _sql_value(operand)]
    raise FilterError("empty filter")  # normalize_filters never produces one


def _sql_value(value: Any) -> Any:
    return int(value) if isinstance(value, bool) else value
