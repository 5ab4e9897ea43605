"""Rerankers: a second look at the candidates of a search, in a better order.

- ``OfflineReranker`` (the default when reranking is asked for): no network, no extra model. For every
  candidate it gathers three signals and blends them after min-max scaling over the candidates:
  cosine similarity of the embeddings (0.7), BM25 against the query (0.2) and a token-level late
  interaction (0.1): each query word piece's best cosine match among the chunk's word pieces
  (MaxSim, as ColBERT scores), from the same all-MiniLM-L6-v2 model. Fusion by ranks throws the first
  two away, and single-vector cosine cannot see which words matched; the blend keeps both. Weights
  chosen on the evaluation's tuning questions (without the late interaction the tuning MRR drops from
  0.92 to 0.89); measured on the held-out questions in benchmarks/knowledge.py. It reranks the top 10
  (``candidates``): on the tuning questions 20 ranked no better and cost three times as long, since the
  late interaction runs the model over every candidate.
- ``LiteLLMReranker``: hosted rerankers through ``litellm.arerank`` (Cohere, Voyage, Jina, ...).

Any object with ``async arerank(query, results, limit, knowledge=None)`` (or a sync ``rerank``) works.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any, Sequence

from .documents import SearchResult
from .errors import KnowledgeError

if TYPE_CHECKING:
    from .knowledge import Knowledge

__all__ = ["Reranker", "OfflineReranker", "LiteLLMReranker", "get_reranker"]


class Reranker:
    """Base class: reorder ``results`` for ``query``; return at most ``limit``."""

    async def arerank(self, query: str, results: list[SearchResult], limit: int,
                      knowledge: "Knowledge | None" = None) -> list[SearchResult]:
        return await asyncio.to_thread(self.rerank, query, results, limit, knowledge)

    def rerank(self, query: str, results: list[SearchResult], limit: int,
               knowledge: "Knowledge | None" = None) -> list[SearchResult]:
        from .._sync import run_sync

        return run_sync(self.arerank(query, results, limit, knowledge))


def _scaled(values: Sequence[float | None]) -> list[float]:
    present = [v for v in values if v is not None]
    if not present:
        return [0.0] * len(values)
    low, high = min(present), max(present)
    span = high - low
    return [0.0 if v is None else ((v - low) / span if span > 0 else 1.0) for v in values]


class OfflineReranker(Reranker):
    """Blend of embedding cosine, BM25 and MiniLM late interaction (see the module docstring)."""

    def __init__(self, weights: tuple[float, float, float] = (0.7, 0.2, 0.1), candidates: int = 10):
        self.weights = weights
        #: how many of the search's top results are reranked
        self.candidates = candidates

    async def arerank(self, query: str, results: list[SearchResult], limit: int,
                      knowledge: "Knowledge | None" = None) -> list[SearchResult]:
        if not results:
            return []
        head, tail = results[:max(self.candidates, limit)], results[max(self.candidates, limit):]
        if knowledge is not None:
            await knowledge.score_candidates(query, head)
        interaction = await asyncio.to_thread(self._late_interaction, query, [r.content for r in head])
        w_vector, w_keyword, w_tokens = self.weights
        vector = _scaled([r.scores.get("vector") for r in head])
        keyword = _scaled([r.scores.get("keyword", 0.0) for r in head])
        tokens = _scaled(interaction)
        for i, result in enumerate(head):
            blended = w_vector * vector[i] + w_keyword * keyword[i] + w_tokens * tokens[i]
            result.score = result.scores["rerank"] = blended
            result.search_type = "rerank"
        ranked = sorted(head, key=lambda r: -r.score)
        return (ranked + tail)[:limit]

    @staticmethod
    def _late_interaction(query: str, texts: list[str]) -> list[float]:
        from .embedders import default_embedder

        embedder = default_embedder()
        vectors = embedder.token_vectors([query, *texts])
        q = vectors[0]
        return [float((q @ d.T).max(axis=1).mean()) if len(d) else 0.0 for d in vectors[1:]]


class LiteLLMReranker(Reranker):
    """A hosted reranker through LiteLLM: ``LiteLLMReranker("cohere/rerank-english-v3.0")``.

    Args:
        model: LiteLLM's rerank model id.
        options: passed to ``litellm.arerank`` (``api_base``, ``api_key``, ...).
    """

    def __init__(self, model: str, **options: Any):
        self.model = model
        self.options = options

    async def arerank(self, query: str, results: list[SearchResult], limit: int,
                      knowledge: "Knowledge | None" = None) -> list[SearchResult]:
        if not results:
            return []
        from ..models.litellm_model import load_litellm

        litellm = load_litellm()
        try:
            response = await litellm.arerank(model=self.model, query=query,
                                             documents=[r.content for r in results],
                                             top_n=min(limit, len(results)), **self.options)
        except Exception as exc:
            reason = str(exc).removeprefix("litellm.")
            raise KnowledgeError(f"reranking with {self.model} failed: {reason}") from exc
        ranked = []
        for item in response.results:
            index = item["index"] if isinstance(item, dict) else item.index
            score = item["relevance_score"] if isinstance(item, dict) else item.relevance_score
            result = results[index]
            result.score = result.scores["rerank"] = float(score)
            result.search_type = "rerank"
            ranked.append(result)
        ranked.sort(key=lambda r: -r.score)
        return ranked[:limit]


def get_reranker(spec: Any) -> Reranker | None:
    """``None``/``False``: no reranking; ``True``/``"offline"``/``"default"``: the offline reranker; another
    string: a LiteLLM rerank model id; an object with ``arerank``/``rerank``: itself."""
    if spec is None or spec is False:
        return None
    if spec is True or (isinstance(spec, str) and spec.lower() in ("offline", "default", "local")):
        return OfflineReranker()
    if isinstance(spec, str):
        return LiteLLMReranker(spec)
    if isinstance(spec, Reranker):
        return spec
    if hasattr(spec, "arerank") or hasattr(spec, "rerank"):
        return _Adapter(spec)
    raise KnowledgeError(f"reranker must be a Reranker, True, a LiteLLM model id or None; got {spec!r}.")


class _Adapter(Reranker):
    """A user object with ``rerank(query, results, limit)`` or ``arerank(...)``."""

    def __init__(self, inner: Any):
        self.inner = inner

    async def arerank(self, query, results, limit, knowledge=None):
        if hasattr(self.inner, "arerank"):
            return list(await self.inner.arerank(query, results, limit))[:limit]
        return list(await asyncio.to_thread(self.inner.rerank, query, results, limit))[:limit]
