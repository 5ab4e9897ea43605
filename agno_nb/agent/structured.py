"""Structured output: what ``output_schema`` may be, the response format to request, and the parsing.

``output_schema`` may be a pydantic model, a dataclass, a TypedDict, another type pydantic can validate
(``list[City]``), or a JSON-schema dict. Anything else is refused when the agent is defined
(``check_output_schema``, cheap: pydantic is not imported for it), with one line saying what works.

Native JSON-schema output is requested where the provider supports it; elsewhere JSON mode plus the
schema in the system prompt. Either way the answer is validated, and a failure gets one repair attempt
(the loop sends the validation error back to the model).
"""

from __future__ import annotations

import dataclasses
import json
import re
import types
import typing
from functools import lru_cache
from typing import Any

from ..errors import ConfigurationError

__all__ = ["OutputSpec", "output_spec", "check_output_schema", "response_format_for", "schema_of",
           "parse_structured"]

_FENCE = re.compile(r"^\s*```(?:json|JSON)?\s*\n?(.*?)\n?\s*```\s*$", re.DOTALL)
_NAME = re.compile(r"[^A-Za-z0-9_-]+")
_USE = ("use a pydantic model, a dataclass, a TypedDict, a type such as list[City], or a JSON-schema dict "
        "({'type': 'object', 'properties': {...}})")


def check_output_schema(schema: Any) -> None:
    """Refuse, at definition time, an ``output_schema`` that cannot describe a JSON answer."""
    if schema is None:
        return
    if isinstance(schema, dict):
        if not any(key in schema for key in ("type", "properties", "$ref", "anyOf", "oneOf", "allOf")):
            raise ConfigurationError(f"output_schema is a dict but not a JSON schema (no 'type' or 'properties'); "
                                     f"{_USE}.")
        return
    if schema in (dict, list, str, int, float, bool, object, typing.Any):
        raise ConfigurationError(f"output_schema={getattr(schema, '__name__', schema)} says nothing about the "
                                 f"answer's fields; {_USE}.")
    if isinstance(schema, (types.GenericAlias, typing._GenericAlias)):  # type: ignore[attr-defined]
        return
    if isinstance(schema, type):
        if hasattr(schema, "model_json_schema") or dataclasses.is_dataclass(schema) or \
                hasattr(schema, "__required_keys__"):  # pydantic model, dataclass, TypedDict
            return
        if getattr(schema, "__annotations__", None):
            return  # an annotated class pydantic may handle; a failure is reported when the spec is built
    raise ConfigurationError(f"output_schema={schema!r} is not a type that describes JSON; {_USE}.")


class OutputSpec:
    """One shape for every kind of ``output_schema``: a name, a JSON schema and a validator."""

    __slots__ = ("source", "name", "schema", "_validate")

    def __init__(self, source: Any, name: str, schema: dict[str, Any], validate: Any):
        self.source = source
        self.name = _NAME.sub("_", name)[:64] or "Output"
        self.schema = schema
        self._validate = validate

    def validate_json(self, text: str) -> Any:
        return self._validate(text)


@lru_cache(maxsize=256)
def _spec_for_type(schema: Any) -> OutputSpec:
    name = getattr(schema, "__name__", None) or "Output"
    if hasattr(schema, "model_json_schema") and hasattr(schema, "model_validate_json"):
        return OutputSpec(schema, name, schema.model_json_schema(), schema.model_validate_json)
    from pydantic import TypeAdapter

    try:
        adapter = TypeAdapter(_portable(schema))
        json_schema = adapter.json_schema()
    except Exception as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ConfigurationError(f"output_schema={schema!r} cannot be turned into a JSON schema ({first}); "
                                 f"{_USE}.") from None
    if isinstance(schema, (types.GenericAlias, typing._GenericAlias)):  # type: ignore[attr-defined]
        name = re.sub(r"[^A-Za-z0-9]+", "_", str(schema).replace("typing.", "")).strip("_") or "Output"
    return OutputSpec(schema, name, json_schema, adapter.validate_json)


def _portable(schema: Any) -> Any:
    """A ``typing.TypedDict`` as pydantic takes it on every Python (it wants typing_extensions' before 3.12)."""
    if not (isinstance(schema, type) and hasattr(schema, "__required_keys__")) or schema.__module__ == "typing":
        return schema
    import typing_extensions

    hints = typing.get_type_hints(schema)
    fields = {key: (typing_extensions.Required[hint] if key in schema.__required_keys__
                    else typing_extensions.NotRequired[hint]) for key, hint in hints.items()}
    return typing_extensions.TypedDict(schema.__name__, fields)  # type: ignore[operator]


def output_spec(schema: Any) -> OutputSpec:
    """The ``OutputSpec`` of an ``output_schema`` (built once per type)."""
    if isinstance(schema, OutputSpec):
        return schema
    if isinstance(schema, dict):
        return _spec_for_json_schema(json.dumps(schema, sort_keys=True))
    return _spec_for_type(schema)


@lru_cache(maxsize=64)
def _spec_for_json_schema(text: str) -> OutputSpec:
    schema = json.loads(text)

    def validate(answer: str) -> Any:
        import jsonschema

        value = json.loads(answer)
        jsonschema.validate(value, schema)
        return value

    return OutputSpec(schema, str(schema.get("title") or "Output"), schema, validate)


def schema_of(schema: Any) -> dict[str, Any]:
    """The JSON schema of an ``output_schema``."""
    return output_spec(schema).schema


def response_format_for(schema: Any, native: bool) -> dict[str, Any]:
    if native:
        spec = output_spec(schema)
        return {"type": "json_schema", "json_schema": {"name": spec.name, "schema": spec.schema, "strict": False}}
    return {"type": "json_object"}


def parse_structured(content: str | None, schema: Any) -> tuple[Any, str | None]:
    """``(object, None)`` when ``content`` validates, else ``(content, what was wrong)``."""
    if not content:
        return content, "the answer was empty; a JSON object was expected"
    spec = output_spec(schema)
    text = content
    fenced = _FENCE.match(text)
    if fenced:
        text = fenced.group(1)
    elif not text.lstrip().startswith(("{", "[")):
        start, end = text.find("{"), text.rfind("}")
        if start > 0 and end > start:  # prose around the JSON object
            text = text[start:end + 1]
    try:
        return spec.validate_json(text), None
    except Exception as exc:
        return content, f"it does not match {spec.name} ({_problems(exc)})"


def _problems(exc: Exception) -> str:
    errors = getattr(exc, "errors", None)
    if callable(errors):  # pydantic
        try:
            return "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'value'}: {e['msg']}" for e in errors()[:8])
        except Exception:
            pass
    message = getattr(exc, "message", None) or str(exc)
    return message.splitlines()[0][:300]
