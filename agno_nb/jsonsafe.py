"""One JSON serializer for everything agno_nb stores or shows a model: it never fails.

Analysts return numpy arrays, pandas frames, datetimes and Decimals from tools and keep them in
``session_state``; a run must never be lost because one of them is not JSON. ``dumps`` turns any value
into strict JSON text (what PostgreSQL's JSONB accepts):

- numpy scalars and arrays, pandas DataFrames / Series / Index / Timestamps, datetimes, dates, times,
  timedeltas (seconds), Decimals, UUIDs, paths, enums, sets (sorted when possible), bytes (text when
  they decode as UTF-8, else ``"base64:..."``), dataclasses and pydantic models become plain JSON;
- dict keys that JSON cannot hold (tuples from a ``groupby``, dates) become strings;
- NaN and infinities become ``null``; lone surrogates and NUL become U+FFFD;
- a container that contains itself becomes ``"[circular reference]"`` at the repeat, and nesting beyond
  ``MAX_DEPTH`` becomes ``"[nested too deep]"``;
- anything else becomes its ``repr``-like ``str``.

The common case (already JSON) takes ``json.dumps``'s C path; only values that fail it pay for the
walk.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as _dt
import decimal
import enum
import json
import math
import re
import uuid
from pathlib import PurePath
from typing import Any

__all__ = ["dumps", "to_jsonable", "MAX_DEPTH"]

MAX_DEPTH = 100
_BAD_CHARS = re.compile("[\ud800-\udfff\x00]")
_NUL_ESCAPE = re.compile(r"(?<!\\)((?:\\\\)*)\\u0000")
_CIRCULAR = "[circular reference]"
_TOO_DEEP = "[nested too deep]"


def dumps(value: Any) -> str:
    """Strict JSON text for ``value``, whatever it holds (see the module docstring). Never raises."""
    try:
        text = json.dumps(value, ensure_ascii=False, allow_nan=False, default=_leaf)
    except (ValueError, TypeError, RecursionError):  # NaN, a cycle, a key JSON cannot hold, deep nesting
        text = json.dumps(to_jsonable(value), ensure_ascii=False, allow_nan=False)
    return _clean(text)


def _clean(text: str) -> str:
    # "\u0000" is how json.dumps writes NUL; lone surrogates come through raw with ensure_ascii=False.
    if "\\u0000" in text:  # the escape itself, not a text that spells it (an even run of backslashes before)
        text = _NUL_ESCAPE.sub(lambda m: m.group(1) + "\ufffd", text)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = _BAD_CHARS.sub("\ufffd", text)
    return text


def to_jsonable(value: Any, _path: set[int] | None = None, _depth: int = 0) -> Any:
    """``value`` as plain JSON types (dict with str keys, list, str, int, finite float, bool, None)."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if _depth >= MAX_DEPTH:
        return _TOO_DEEP
    path = _path if _path is not None else set()
    converted = _leaf_or_none(value)
    if converted is not _NOT_A_LEAF:
        return to_jsonable(converted, path, _depth + 1)
    marker = id(value)
    if marker in path:
        return _CIRCULAR
    path.add(marker)
    try:
        if isinstance(value, dict):
            return {_key(k): to_jsonable(v, path, _depth + 1) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [to_jsonable(v, path, _depth + 1) for v in value]
        return str(value)
    finally:
        path.discard(marker)


def _key(key: Any) -> str:
    if isinstance(key, str):
        return key
    if isinstance(key, tuple):
        return ", ".join(_key(part) for part in key)
    plain = to_jsonable(key)
    return plain if isinstance(plain, str) else json.dumps(plain, ensure_ascii=False)


_NOT_A_LEAF = object()


def _leaf(value: Any) -> Any:
    """``json.dumps``'s ``default``: a JSON-able stand-in for a value it cannot write."""
    converted = _leaf_or_none(value)
    return str(value) if converted is _NOT_A_LEAF else converted


def _leaf_or_none(value: Any) -> Any:
    """A simpler value standing for ``value``, or ``_NOT_A_LEAF`` for dicts, lists and tuples."""
    if isinstance(value, (dict, list, tuple)):
        return _NOT_A_LEAF
    if isinstance(value, (set, frozenset)):
        items = list(value)
        try:
            return sorted(items)
        except TypeError:
            return items
    if isinstance(value, (bytes, bytearray, memoryview)):
        raw = bytes(value)
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            return "base64:" + base64.b64encode(raw).decode("ascii")
    if isinstance(value, (_dt.datetime, _dt.date, _dt.time)):
        return value.isoformat()
    if isinstance(value, _dt.timedelta):
        return value.total_seconds()
    if isinstance(value, decimal.Decimal):
        if not value.is_finite():
            return None
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, (uuid.UUID, PurePath)):
        return str(value)
    module = type(value).__module__.partition(".")[0]
    if module == "numpy":
        return _numpy(value)
    if module == "pandas":
        return _pandas(value)
    dump = getattr(value, "model_dump", None)
    if callable(dump):  # pydantic
        try:
            return dump(mode="json")
        except Exception:
            return str(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
    return str(value)


def _numpy(value: Any) -> Any:
    tolist = getattr(value, "tolist", None)  # arrays -> nested lists; scalars -> Python scalars
    if callable(tolist):
        try:
            return tolist()
        except Exception:
            pass
    return str(value)


def _pandas(value: Any) -> Any:
    kind = type(value).__name__
    try:
        if kind == "DataFrame":
            # records keep each row readable; the index is kept when it carries information
            frame = value if _plain_index(value.index) else value.reset_index()
            return frame.to_dict(orient="records")
        if kind == "Series":
            return value.to_dict() if not _plain_index(value.index) else value.tolist()
        if kind in ("Timestamp", "Timedelta", "Period", "Interval"):
            return value.isoformat() if hasattr(value, "isoformat") else str(value)
        if kind.endswith("Index") or kind.endswith("Array"):
            return list(value)
        if kind in ("NaTType", "NAType"):
            return None
    except Exception:
        pass
    return str(value)


def _plain_index(index: Any) -> bool:
    """A default 0..n-1 index says nothing worth keeping."""
    return type(index).__name__ == "RangeIndex" and index.start == 0 and index.step == 1 and index.name is None
