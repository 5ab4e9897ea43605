"""Hosted embedders: any LiteLLM embedding model, and the direct OpenAI-compatible path.

``get_embedder("openai/text-embedding-3-small")`` takes the direct path (one aiohttp request per batch,
the same endpoints and environment variables as the chat models); other providers (``cohere/...``,
``ollama/...``, ``bedrock/...``) go through ``litellm.aembedding``.
"""

from __future__ import annotations

import os
from typing import Any, Sequence

from ..errors import EmbeddingError
from .base import Embedder, as_matrix

__all__ = ["LiteLLMEmbedder", "OpenAIEmbedder"]


class LiteLLMEmbedder(Embedder):
    """An embedding model through LiteLLM (``cohere/embed-english-v3.0``, ``ollama/nomic-embed-text``, ...).

    Args:
        model: the LiteLLM model id.
        dimensions: the vector size, when known (else learnt from the first response).
        batch_size: texts per request.
        options: passed to ``litellm.aembedding`` (``api_base``, ``api_key``, ``input_type``, ...).
    """

    def __init__(self, model: str, *, dimensions: int | None = None, batch_size: int = 128, **options: Any):
        self.id = model
        self.dimensions = dimensions
        self.batch_size = batch_size
        self.options = options

    async def aembed(self, texts: Sequence[str]) -> Any:
        import numpy

        from ...models.litellm_model import load_litellm

        litellm = load_litellm()
        parts = []
        for start in range(0, len(texts), self.batch_size):
            batch = list(texts[start:start + self.batch_size])
            try:
                response = await litellm.aembedding(model=self.id, input=batch, **self.options)
            except Exception as exc:
                reason = str(exc).removeprefix("litellm.")
                raise EmbeddingError(f"embedding with {self.id} failed: {reason}") from exc
            data = sorted(response.data, key=lambda item: item["index"])
            parts.append(as_matrix([item["embedding"] for item in data], len(batch)))
        matrix = numpy.vstack(parts) if parts else numpy.zeros((0, self.dimensions or 0), dtype=numpy.float32)
        if parts:
            self.dimensions = int(matrix.shape[1])
        return matrix


class OpenAIEmbedder(Embedder):
    """OpenAI's ``/embeddings`` (or any compatible server) called directly over aiohttp.

    Args:
        model: ``openai/text-embedding-3-small`` or a bare model name.
        api_base / api_key: default to ``OPENAI_API_BASE`` / ``OPENAI_API_KEY`` (per provider, as for chat).
        dimensions: ask for shorter vectors (text-embedding-3 models support it).
    """

    def __init__(self, model: str = "openai/text-embedding-3-small", *, api_base: str | None = None,
                 api_key: str | None = None, dimensions: int | None = None, batch_size: int = 256,
                 timeout: float = 60.0):
        from ...models.openai_compat import PROVIDERS

        provider, _, name = model.partition("/") if "/" in model else ("openai", "", model)
        default_base, key_var, base_vars = PROVIDERS.get(provider, PROVIDERS["openai"])
        self.id = model if "/" in model else f"openai/{model}"
        self.name = name
        self.requested_dimensions = dimensions
        self.dimensions = dimensions
        self.batch_size = batch_size
        self.timeout = timeout
        base = api_base or next((os.environ[v] for v in base_vars if os.environ.get(v)), None) or default_base
        self.url = base.rstrip("/") + "/embeddings"
        self.api_key = api_key or os.environ.get(key_var)
        if not self.api_key and base == default_base:
            from ...errors import MissingAPIKeyError

            raise MissingAPIKeyError(f"Embedder {self.id!r} needs an API key: set {key_var} (or pass "
                                     f"api_key=...).", model=self.id)

    async def aembed(self, texts: Sequence[str]) -> Any:
        import aiohttp
        import numpy

        headers = {"Content-Type": "application/json"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        parts = []
        timeout = aiohttp.ClientTimeout(total=self.timeout)
        async with aiohttp.ClientSession(trust_env=True, timeout=timeout) as s:
            for start in range(0, len(texts), self.batch_size):
                batch = list(texts[start:start + self.batch_size])
                body: dict[str, Any] = {"model": self.name, "input": batch}
                if self.requested_dimensions:
                    body["dimensions"] = self.requested_dimensions
                try:
                    async with s.post(self.url, json=body, headers=headers) as response:
                        payload = await response.json(content_type=None)
                        if response.status >= 400:
                            error = payload.get("error") if isinstance(payload, dict) else payload
                            message = error.get("message") if isinstance(error, dict) else error
                            raise EmbeddingError(f"embedding with {self.id} at {self.url} failed: HTTP "
                                                 f"{response.status}: {message}")
                except aiohttp.ClientError as exc:
                    raise EmbeddingError(f"embedding with {self.id}: cannot reach {self.url}: {exc}") from exc
                data = sorted(payload["data"], key=lambda item: item["index"])
                parts.append(as_matrix([item["embedding"] for item in data], len(batch)))
        matrix = numpy.vstack(parts) if parts else numpy.zeros((0, self.dimensions or 0), dtype=numpy.float32)
        if parts:
            self.dimensions = int(matrix.shape[1])
        return matrix
