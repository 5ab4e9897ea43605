"""Search: vector (Chroma), keyword (BM25 over the keyword index) and hybrid (reciprocal rank fusion).

Hybrid runs both searches concurrently, each to ``candidates`` results, and fuses their ranks:
``score(chunk) = sum(weight_list / (k + rank_in_list))``. The defaults, ``k=2`` and a keyword weight of
0.5 against the vector list's 1.0, were chosen on the evaluation's tuning questions
(benchmarks/data/retrieval_eval/questions_dev.txt), then measured on the held-out ones: the usual
``k=60`` flattens the top ranks so much that a confident vector hit loses to chunks that are merely
mentioned by both lists (held-out MRR 0.82 with k=60 and equal weights, 0.90 with these).
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any, Sequence

from .documents import SearchResult
from .errors import KnowledgeError

if TYPE_CHECKING:
    from .knowledge import Knowledge

__all__ = ["SEARCH_TYPES", "normalize_search_type", "vector_search", "keyword_search", "hybrid_search",
           "reciprocal_rank_fusion"]

SEARCH_TYPES = ("vector", "keyword", "hybrid")


def normalize_search_type(value: Any) -> str:
    """``vector``, ``keyword`` or ``hybrid`` from a string or Agno's ``SearchType`` member (``bm25`` too)."""
    text = str(getattr(value, "value", value)).lower()
    aliases = {"bm25": "keyword", "fulltext": "keyword", "full_text": "keyword", "semantic": "vector"}
    text = aliases.get(text, text)
    if text not in SEARCH_TYPES:
        raise KnowledgeError(f"Unknown search_type {value!r}; use one of {', '.join(SEARCH_TYPES)}.")
    return text


def _results(rows: Sequence[tuple[str, str, dict[str, Any], float]], search_type: str) -> list[SearchResult]:
    return [SearchResult(chunk_id, content, metadata, score, search_type)
            for chunk_id, content, metadata, score in rows]


async def vector_search(kb: "Knowledge", query: str, limit: int, where: dict[str, Any] | None,
                        embedding: Any = None) -> list[SearchResult]:
    if embedding is None:
        embedding = await kb.embedder.aembed_query(query)
    rows = await asyncio.to_thread(kb.store.query, embedding, limit, where)
    return _results(rows, "vector")


async def keyword_search(kb: "Knowledge", query: str, limit: int,
                         where: dict[str, Any] | None) -> list[SearchResult]:
    rows = await asyncio.to_thread(kb.index.search, query, limit, where)
    return _results(rows, "keyword")


async def hybrid_search(kb: "Knowledge", query: str, limit: int, where: dict[str, Any] | None,
                        candidates: int, embedding: Any = None) -> list[SearchResult]:
    vector, keyword = await asyncio.gather(vector_search(kb, query, candidates, where, embedding),
                                           keyword_search(kb, query, candidates, where))
    return reciprocal_rank_fusion([(vector, 1.0), (keyword, kb.keyword_weight)], k=kb.rrf_k)[:limit]


def reciprocal_rank_fusion(lists: Sequence[tuple[list[SearchResult], float]],
                           k: float = 2.0) -> list[SearchResult]:
    """Fuse ranked lists: each chunk scores ``sum(weight / (k + rank))`` over the lists it is in; the
    fused results keep every list's own score in ``scores``."""
    fused: dict[str, SearchResult] = {}
    totals: dict[str, float] = {}
    for results, weight in lists:
        for rank, result in enumerate(results, start=1):
            merged = fused.get(result.id)
            if merged is None:
                merged = SearchResult(result.id, result.content, result.metadata, 0.0, "hybrid", {})
                fused[result.id] = merged
            merged.scores[result.search_type] = result.score
            totals[result.id] = totals.get(result.id, 0.0) + weight / (k + rank)
    for chunk_id, result in fused.items():
        result.score = result.scores["hybrid"] = totals[chunk_id]
    return sorted(fused.values(), key=lambda r: -r.score)
