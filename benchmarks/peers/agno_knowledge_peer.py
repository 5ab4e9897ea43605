"""Agno's side of the knowledge benchmark: Knowledge + ChromaDb (Agno 3.1.10), run in Agno's own venv
(benchmarks/peers/setup_agno.sh) by benchmarks/knowledge.py, which prints both sides in one table.

Same data, same embedder: the offline all-MiniLM-L6-v2 int8 model, loaded from this repository's
``agno_nb.knowledge.embedders.minilm`` (which needs only onnxruntime, tokenizers and the model packages,
installed into the peer venv by setup_agno.sh) and wrapped in Agno's ``Embedder`` interface, with
``enable_batch=True`` so Agno's async ingest embeds in batches (its best configuration).

    python agno_knowledge_peer.py WORKDIR [--skip-100k]    -> one JSON object on stdout
"""

from __future__ import annotations

import asyncio
import json
import logging
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from agno.knowledge.embedder.base import Embedder  # noqa: E402

from agno_nb.knowledge.embedders.minilm import MiniLMEmbedder  # noqa: E402
from knowledge_corpus import doc_text, eval_corpus, eval_questions, recall_and_mrr  # noqa: E402

_model = MiniLMEmbedder()


@dataclass
class MiniLM(Embedder):
    """agno_nb's offline model behind Agno's Embedder interface."""

    dimensions: int = 384
    enable_batch: bool = True
    batch_size: int = 512

    def get_embedding(self, text):
        return _model.embed([text])[0].tolist()

    def get_embedding_and_usage(self, text):
        return self.get_embedding(text), None

    async def async_get_embedding(self, text):
        return self.get_embedding(text)

    async def async_get_embedding_and_usage(self, text):
        return self.get_embedding(text), None

    async def async_get_embeddings_batch_and_usage(self, texts):
        return [v.tolist() for v in _model.embed(list(texts))], [None] * len(texts)


@dataclass
class Precomputed(MiniLM):
    """Vectors looked up by text (the 100k collection); queries fall back to the model."""

    table: dict | None = None

    def get_embedding(self, text):
        found = self.table.get(text) if self.table else None
        return found if found is not None else super().get_embedding(text)

    async def async_get_embeddings_batch_and_usage(self, texts):
        return [self.get_embedding(t) for t in texts], [None] * len(texts)


def knowledge(path: Path, collection: str, embedder):
    from agno.knowledge.knowledge import Knowledge
    from agno.vectordb.chroma import ChromaDb
    from agno.vectordb.search import SearchType

    # a SearchType member (not a string): Knowledge.search(search_type=...) only switches the store's
    # search type when the store holds one
    return Knowledge(vector_db=ChromaDb(collection=collection, path=str(path), persistent_client=True,
                                        embedder=embedder, search_type=SearchType.vector))


def latency(kb, queries, search_type) -> tuple[float, float]:
    for query in queries[:5]:
        kb.search(query, max_results=5, search_type=search_type)
    samples = []
    for query in queries:
        t0 = time.perf_counter()
        kb.search(query, max_results=5, search_type=search_type)
        samples.append(time.perf_counter() - t0)
    samples.sort()
    return statistics.median(samples) * 1000, samples[int(0.95 * (len(samples) - 1))] * 1000


def main() -> None:
    work = Path(sys.argv[1])
    skip_100k = "--skip-100k" in sys.argv
    logging.disable(logging.WARNING)
    results: dict = {}
    queries = [q for _, _, q in eval_questions()]

    # quality: the evaluation corpus, one document per text insert, named by its id
    kb = knowledge(work / "agno_eval", "eval", MiniLM())
    for doc_id, (title, body) in eval_corpus().items():
        kb.insert(name=doc_id, text_content=doc_text(title, body))
    questions = eval_questions()
    for search_type in ("vector", "keyword", "hybrid"):
        rankings = [[d.name for d in kb.search(q, max_results=10, search_type=search_type)] for _, _, q in questions]
        assert kb.vector_db.search_type.value == search_type
        results[f"eval_{search_type}"] = recall_and_mrr(rankings, [r for _, r, _ in questions])

    # ingest 10k files, then again unchanged (skip_if_exists: Agno's content-hash check)
    corpus = work / "corpus10k"
    kb = knowledge(work / "agno_10k", "bench", MiniLM())
    t0 = time.perf_counter()
    asyncio.run(kb.ainsert(path=str(corpus)))
    results["ingest_s"] = time.perf_counter() - t0
    results["ingest_chunks"] = kb.vector_db.get_count()
    t0 = time.perf_counter()
    asyncio.run(kb.ainsert(path=str(corpus), skip_if_exists=True))
    results["reingest_s"] = time.perf_counter() - t0
    results["reingest_chunks"] = kb.vector_db.get_count()
    for search_type in ("vector", "keyword", "hybrid"):
        results[f"latency_10k_{search_type}"] = latency(kb, queries, search_type)

    if not skip_100k:
        import numpy

        from agno.knowledge.document import Document

        texts = (work / "texts100k.txt").read_text().split("\n")
        vectors = numpy.load(work / "vectors100k.npy")
        table = {t: vectors[i].tolist() for i, t in enumerate(texts)}
        kb = knowledge(work / "agno_100k", "big", Precomputed(table=table))
        t0 = time.perf_counter()
        for start in range(0, len(texts), 5000):
            documents = [Document(content=t, name=f"r{start + i}") for i, t in enumerate(texts[start:start + 5000])]
            kb.vector_db.insert(content_hash=f"batch{start}", documents=documents)
        results["load_100k_s"] = time.perf_counter() - t0
        results["chunks_100k"] = kb.vector_db.get_count()
        for search_type in ("vector", "keyword", "hybrid"):
            results[f"latency_100k_{search_type}"] = latency(kb, queries, search_type)
    print(json.dumps(results))


if __name__ == "__main__":
    main()
