"""``from agno.knowledge.embedder.openai import OpenAIEmbedder`` after the import rewrite."""

from __future__ import annotations

from typing import Any

from ..embedders.hosted import OpenAIEmbedder as _OpenAIEmbedder

__all__ = ["OpenAIEmbedder"]


def OpenAIEmbedder(id: str = "text-embedding-3-small", *, dimensions: int | None = None, api_key: str | None = None,
                   base_url: str | None = None, batch_size: int = 256, timeout: float | None = None,
                   **unused: Any) -> _OpenAIEmbedder:
    """Agno's keywords (``id``, ``base_url``) for agno_nb's OpenAI embedder. ``dimensions`` is sent only
    when given: Agno sends 1536 for text-embedding-3 models, which is what they return anyway."""
    from ...errors import ConfigurationError

    refused = sorted(set(unused) - {"encoding_format", "user", "organization", "enable_batch"})
    if refused:
        raise ConfigurationError(f"OpenAIEmbedder does not take {refused} here; it takes id, dimensions, api_key, "
                                 f"base_url, batch_size and timeout.")
    model = id if "/" in id else f"openai/{id}"
    return _OpenAIEmbedder(model, api_base=base_url, api_key=api_key, dimensions=dimensions,
                           batch_size=batch_size, timeout=timeout or 60.0)
