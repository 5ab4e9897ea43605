"""Moderation through LiteLLM's moderation call (OpenAI's moderation models by default)."""

from __future__ import annotations

from typing import Any, Iterable

from ..agent.hooks import GuardrailTripped
from .base import text_of

__all__ = ["ModerationGuardrail"]


class ModerationGuardrail:
    """Blocks text that the moderation model flags (optionally only for some ``categories``).

    Needs the provider's key (``OPENAI_API_KEY`` for OpenAI) or an ``api_base`` that speaks
    ``/moderations``. A moderation call that fails stops the run with an error rather than letting
    unchecked text through.
    """

    name = "moderation"

    def __init__(self, model: str = "omni-moderation-latest", *, categories: Iterable[str] | None = None,
                 api_base: str | None = None, api_key: str | None = None):
        self.model = model.split("/", 1)[1] if model.startswith("openai/") else model
        self.categories = set(categories) if categories else None
        self.api_base = api_base
        self.api_key = api_key

    async def __call__(self, input: Any = None, content: Any = None) -> None:
        from ..models.litellm_model import load_litellm

        value = input if input is not None else content
        if value is None:
            return None
        litellm = load_litellm()
        kwargs = {k: v for k, v in (("api_base", self.api_base), ("api_key", self.api_key)) if v}
        response = await litellm.amoderation(input=text_of(value), model=self.model, **kwargs)
        for result in response.results:
            categories = result.categories.model_dump() if hasattr(result.categories, "model_dump") \
                else dict(result.categories)
            hits = sorted(name for name, hit in categories.items()
                          if hit and (self.categories is None or name in self.categories))
            if result.flagged and hits:
                raise GuardrailTripped(self.name, f"flagged by {self.model}: {', '.join(hits)}")
        return None

    def __repr__(self) -> str:
        return f"ModerationGuardrail({self.model!r})"
