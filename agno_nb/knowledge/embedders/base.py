"""``Embedder``: texts in, unit-length vectors out, in batches."""

from __future__ import annotations

import asyncio
from typing import Any, Sequence

__all__ = ["Embedder"]


class Embedder:
    """Base class of embedders.

    ``id`` names the model (a collection remembers it, so searching with another model is refused);
    ``dimensions`` is the vector size (``None`` until known for hosted models). ``embed`` returns a
    float32 ``numpy.ndarray`` of shape ``(len(texts), dimensions)``; ``aembed`` is its async form.
    Subclasses implement one of the two; the other follows.
    """

    id = "embedder"
    dimensions: int | None = None
    #: texts per request / per model call
    batch_size = 64

    def embed(self, texts: Sequence[str]) -> Any:
        from ..._sync import run_sync

        return run_sync(self.aembed(texts))

    async def aembed(self, texts: Sequence[str]) -> Any:
        return await asyncio.to_thread(self.embed, texts)

    def embed_query(self, text: str) -> Any:
        """One query's vector (a 1-d array)."""
        return self.embed([text])[0]

    async def aembed_query(self, text: str) -> Any:
        return (await self.aembed([text]))[0]

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.id!r})"


def as_matrix(vectors: Any, expected: int) -> Any:
    """Provider vectors as a normalised float32 matrix (cosine distance then equals 1 - dot)."""
    import numpy

    matrix = numpy.asarray(vectors, dtype=numpy.float32)
    if matrix.ndim != 2 or matrix.shape[0] != expected:
        from ..errors import EmbeddingError

        raise EmbeddingError(f"the embedder returned {matrix.shape} for {expected} texts")
    norms = numpy.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix / numpy.clip(norms, 1e-12, None)
