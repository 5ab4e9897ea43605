"""Structured output: the response format to request and the parsing of the answer.

Native JSON-schema output is requested where the provider supports it; elsewhere JSON mode plus the
schema in the system prompt. Either way the answer is validated with pydantic, and a failure gets one
repair attempt (the loop sends the validation error back to the model).
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pydantic import BaseModel

__all__ = ["response_format_for", "schema_of", "parse_structured"]

_FENCE = re.compile(r"^\s*```(?:json|JSON)?\s*\n?(.*?)\n?\s*```\s*$", re.DOTALL)


@lru_cache(maxsize=256)
def schema_of(model: "type[BaseModel]") -> dict[str, Any]:
    """The JSON schema of a pydantic model (built once per class)."""
    return model.model_json_schema()


def response_format_for(model: "type[BaseModel]", native: bool) -> dict[str, Any]:
    if native:
        return {"type": "json_schema",
                "json_schema": {"name": model.__name__, "schema": schema_of(model), "strict": False}}
    return {"type": "json_object"}


def parse_structured(content: str | None, model: "type[BaseModel]") -> tuple[Any, str | None]:
    """``(object, None)`` when ``content`` validates, else ``(content, what was wrong)``."""
    if not content:
        return content, "the answer was empty; a JSON object was expected"
    from pydantic import ValidationError

    text = content
    fenced = _FENCE.match(text)
    if fenced:
        text = fenced.group(1)
    else:
        start, end = text.find("{"), text.rfind("}")
        if start > 0 and end > start:  # prose around the JSON object
            text = text[start:end + 1]
    try:
        return model.model_validate_json(text), None
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'value'}: {e['msg']}" for e in exc.errors()[:8])
        return content, f"it does not match {model.__name__} ({problems})"
