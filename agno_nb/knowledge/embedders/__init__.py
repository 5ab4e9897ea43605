"""Embedders: the offline default (all-MiniLM-L6-v2 int8), LiteLLM's models, and the direct OpenAI path.

``get_embedder(None)`` is the offline default; a model id picks a hosted one (OpenAI-compatible providers
take the direct path, everything else LiteLLM).
"""

from __future__ import annotations

from typing import Any

from .base import Embedder

__all__ = ["Embedder", "get_embedder", "default_embedder", "MiniLMEmbedder", "LiteLLMEmbedder",
           "OpenAIEmbedder"]

_OFFLINE_NAMES = {"default", "offline", "minilm", "all-minilm-l6-v2", "all-minilm-l6-v2-int8"}


def __getattr__(name: str) -> Any:
    if name == "MiniLMEmbedder":
        from .minilm import MiniLMEmbedder

        return MiniLMEmbedder
    if name in ("LiteLLMEmbedder", "OpenAIEmbedder"):
        from . import hosted

        return getattr(hosted, name)
    raise AttributeError(name)


_default: Embedder | None = None


def default_embedder() -> Embedder:
    """The process-wide offline embedder (one model in memory however many knowledge bases use it)."""
    global _default
    if _default is None:
        from .minilm import MiniLMEmbedder

        _default = MiniLMEmbedder()
    return _default


def get_embedder(spec: "Embedder | str | None" = None, **options: Any) -> Embedder:
    """An embedder from an object or an id: ``None``/``"offline"`` is the offline default;
    ``openai/...`` (and other OpenAI-compatible providers) the direct path; any other id LiteLLM."""
    if isinstance(spec, Embedder):
        return spec
    if spec is None or spec.strip().lower() in _OFFLINE_NAMES:
        return default_embedder() if not options else __getattr__("MiniLMEmbedder")(**options)
    if not isinstance(spec, str):
        from ..errors import KnowledgeError

        raise KnowledgeError(f"embedder must be an Embedder or a model id, got {type(spec).__name__}.")
    from ...models import normalize_model_id
    from ...models.openai_compat import PROVIDERS

    model_id = normalize_model_id(spec)
    provider = model_id.split("/", 1)[0]
    from .hosted import LiteLLMEmbedder, OpenAIEmbedder

    if provider in PROVIDERS and not options.pop("litellm", False):
        return OpenAIEmbedder(model_id, **options)
    return LiteLLMEmbedder(model_id, **options)
