"""``Guardrail``: a pre/post hook that checks text and stops the run when the check fails."""

from __future__ import annotations

import json
from typing import Any

from ..agent.hooks import GuardrailTripped

__all__ = ["Guardrail", "text_of"]


def __getattr__(name: str) -> Any:
    if name == "BaseGuardrail":  # where Agno code imports it from (agno.guardrails.base)
        from .agno_style import BaseGuardrail

        return BaseGuardrail
    raise AttributeError(f"module 'agno_nb.guardrails.base' has no attribute {name!r}")


def text_of(value: Any) -> str:
    """The text a guardrail checks: a string, a pydantic object's JSON, or any value as JSON."""
    if isinstance(value, str):
        return value
    dump = getattr(value, "model_dump_json", None)
    if dump is not None:
        return dump()
    return json.dumps(value, default=str, ensure_ascii=False)


class Guardrail:
    """Base class: subclasses implement ``check(text)``, returning ``None`` (pass) or a reason.

    Use as ``Agent(pre_hooks=[MyGuardrail()])`` for input, ``post_hooks=[...]`` for output.
    """

    name = "guardrail"

    def check(self, text: str) -> str | None:
        raise NotImplementedError  # pragma: no cover - subclasses implement it

    def transform(self, text: str) -> str | None:
        """A replacement text that makes the input acceptable (masking), or ``None`` to block instead."""
        return None

    def __call__(self, input: Any = None, content: Any = None) -> Any:
        value = input if input is not None else content
        if value is None:
            return None
        text = text_of(value)
        reason = self.check(text)
        if reason is None:
            return None
        replacement = self.transform(text)
        if replacement is not None:
            return replacement
        raise GuardrailTripped(self.name, reason, redacted=self.redacted(text))

    def redacted(self, text: str) -> str | None:
        """What may be stored in place of blocked text (``None``: store nothing of it)."""
        return None

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"
