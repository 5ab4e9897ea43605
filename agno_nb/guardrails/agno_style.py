"""Agno's guardrail shapes, so Agno code runs unchanged.

- ``BaseGuardrail``: subclass it and implement ``check(run_input)`` (and optionally ``async_check``),
  raising ``InputCheckError`` to stop the run; use it in ``pre_hooks`` as in Agno.
- ``PIIDetectionGuardrail`` and ``OpenAIModerationGuardrail``: Agno's constructors over agno_nb's
  ``PIIGuardrail`` and ``ModerationGuardrail``.

One deliberate difference (docs/migrating_from_agno.md): a tripped guardrail ends the run with status
``blocked`` and a ``GuardrailTripped`` event, where Agno reports ``error``.
"""

from __future__ import annotations

import inspect
from typing import Any

from ..agent.hooks import InputCheckError, RunInput
from .moderation import ModerationGuardrail
from .pii import PIIGuardrail

__all__ = ["BaseGuardrail", "PIIDetectionGuardrail", "OpenAIModerationGuardrail", "InputCheckError"]


class BaseGuardrail:
    """A pre-hook that checks the run's input: ``check`` (or ``async_check``) raises ``InputCheckError``."""

    def check(self, run_input: RunInput) -> None:
        raise NotImplementedError(f"{type(self).__name__} must implement check(run_input)")

    async def async_check(self, run_input: RunInput) -> None:
        self.check(run_input)

    async def __call__(self, run_input: RunInput) -> None:
        own_async = type(self).async_check is not BaseGuardrail.async_check
        if own_async:
            result = self.async_check(run_input)
            if inspect.isawaitable(result):
                await result
        else:
            self.check(run_input)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class PIIDetectionGuardrail(PIIGuardrail):
    """Agno's PII guardrail: blocks personal data (or masks it with ``mask_pii=True``)."""

    def __init__(self, mask_pii: bool = False, enable_ssn_check: bool = True, enable_credit_card_check: bool = True,
                 enable_email_check: bool = True, enable_phone_check: bool = True,
                 custom_patterns: dict[str, Any] | None = None):
        if custom_patterns:
            raise ValueError("PIIDetectionGuardrail(custom_patterns=...) is not supported; write a BaseGuardrail "
                             "subclass whose check(run_input) raises InputCheckError for your patterns.")
        entities = ["iban"]
        entities += ["ssn"] if enable_ssn_check else []
        entities += ["credit_card"] if enable_credit_card_check else []
        entities += ["email"] if enable_email_check else []
        entities += ["phone"] if enable_phone_check else []
        super().__init__(mode="mask" if mask_pii else "block", entities=entities)


class OpenAIModerationGuardrail(ModerationGuardrail):
    """Agno's moderation guardrail (OpenAI's moderation model, through LiteLLM)."""

    def __init__(self, moderation_model: str = "omni-moderation-latest",
                 raise_for_categories: list[str] | None = None, api_key: str | None = None):
        super().__init__(moderation_model, categories=raise_for_categories, api_key=api_key)
