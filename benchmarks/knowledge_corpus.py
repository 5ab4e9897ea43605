"""The knowledge benchmark's data, shared by agno_nb's side and Agno's (standard library only).

- ``eval_corpus()`` / ``eval_questions()``: the retrieval evaluation written for this project
  (benchmarks/data/retrieval_eval: 247 short documents, 60 held-out questions, 30 tuning questions).
- ``synthetic_texts(n)``: ``n`` distinct short documents (~300-450 characters, one chunk each in both
  frameworks) made by recombining the evaluation's sentences with a record number; deterministic.
"""

from __future__ import annotations

import random
import re
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data" / "retrieval_eval"


def eval_corpus() -> dict[str, tuple[str, str]]:
    """doc id -> (title, body)."""
    docs: dict[str, tuple[str, str]] = {}
    for path in sorted(DATA.glob("corpus_*.txt")):
        for block in path.read_text().split("\n@ "):
            block = block.lstrip("@ ").strip()
            if not block:
                continue
            head, _, body = block.partition("\n")
            doc_id, title = (part.strip() for part in head.split("|"))
            docs[doc_id] = (title, " ".join(body.split()))
    return docs


def eval_questions(name: str = "questions.txt") -> list[tuple[str, set[str], str]]:
    """(question id, relevant doc ids, question)."""
    found = []
    for line in (DATA / name).read_text().splitlines():
        if line.startswith("#") or "|" not in line:
            continue
        qid, relevant, question = (part.strip() for part in line.split("|", 2))
        found.append((qid, set(relevant.split(",")), question))
    return found


def doc_text(title: str, body: str) -> str:
    """How an evaluation document is stored: a markdown heading and its text."""
    return f"# {title}\n{body}"


def synthetic_texts(count: int, seed: int = 14) -> list[str]:
    sentences = [s for _, body in eval_corpus().values() for s in re.split(r"(?<=[.!?])\s+", body) if len(s) > 30]
    rng = random.Random(seed)
    texts = []
    for number in range(count):
        picked = rng.sample(sentences, 3)
        texts.append(f"Record {number:06d}. " + " ".join(picked))
    return texts


def recall_and_mrr(rankings: list[list[str]], relevant: list[set[str]], k: int = 5) -> tuple[float, float]:
    """recall@k (a relevant document in the top k) and mean reciprocal rank (0 when not retrieved)."""
    hits = reciprocal = 0.0
    for ranked, wanted in zip(rankings, relevant):
        rank = next((i for i, doc in enumerate(ranked, start=1) if doc in wanted), None)
        if rank is not None:
            hits += rank <= k
            reciprocal += 1.0 / rank
    return hits / len(rankings), reciprocal / len(rankings)
