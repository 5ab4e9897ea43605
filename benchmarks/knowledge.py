"""Knowledge benchmark: retrieval quality and speed, agno_nb next to Agno's Knowledge + ChromaDb.

    .venv/bin/python benchmarks/knowledge.py              # both sides (sets up Agno's venv on first use)
    .venv/bin/python benchmarks/knowledge.py --no-peers   # agno_nb only
    .venv/bin/python benchmarks/knowledge.py --eval-only  # the quality rows only (a minute)

Same data and the same embedder on both sides (the offline all-MiniLM-L6-v2 int8; Agno gets it through
its Embedder interface with batching on, its best setting), each in its own process:

- quality: the project's evaluation (benchmarks/data/retrieval_eval): 247 short documents, 60 held-out
  questions; recall@5 and MRR (over the top 10) per search type. Agno's Chroma "keyword" is a
  ``$contains`` filter on the query's first word, and its "hybrid" fuses the vector results with that.
- ingest: 10,000 short text files, one chunk each, end to end (read, chunk, embed, Chroma + keyword index),
  then the same folder again, unchanged (Agno with ``skip_if_exists=True``, its content-hash check).
- latency: p50 / p95 of the 60 questions, top 5, per search type, at 10k chunks and at 100k chunks
  (the 100k collection is loaded with precomputed vectors: each of the 10k real vectors reused with noise).

Figures taken on a shared 2-core machine are indicative.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from knowledge_corpus import doc_text, eval_corpus, eval_questions, recall_and_mrr, synthetic_texts  # noqa: E402

SEARCHES = ("vector", "keyword", "hybrid", "rerank")


def _eval_knowledge(folder: Path):
    import pandas

    from agno_nb.knowledge import Knowledge

    corpus = eval_corpus()
    frame = pandas.DataFrame({"eval_id": list(corpus), "text": [doc_text(t, b) for t, b in corpus.values()]})
    kb = Knowledge("eval", path=folder, progress=False)
    kb.add_content(dataframe=frame, text_column="text", id_column="eval_id", name="eval", chunker="row")
    return kb


def evaluate(kb, questions_file: str = "questions.txt") -> dict[str, tuple[float, float]]:
    """recall@5 and MRR per search type on one question set."""
    questions = eval_questions(questions_file)
    found: dict[str, tuple[float, float]] = {}
    for search in SEARCHES:
        options = {"search_type": "hybrid", "rerank": True} if search == "rerank" else {"search_type": search,
                                                                                        "rerank": False}
        rankings = [[r.metadata["eval_id"] for r in kb.search(q, limit=10, **options)] for _, _, q in questions]
        found[search] = recall_and_mrr(rankings, [r for _, r, _ in questions])
    return found


def _latency(kb, queries: list[str], **options) -> tuple[float, float]:
    for query in queries[:5]:
        kb.search(query, limit=5, **options)
    samples = []
    for query in queries:
        t0 = time.perf_counter()
        kb.search(query, limit=5, **options)
        samples.append(time.perf_counter() - t0)
    samples.sort()
    return statistics.median(samples) * 1000, samples[int(0.95 * (len(samples) - 1))] * 1000


def _latencies(kb, queries: list[str], prefix: str, results: dict) -> None:
    for search in ("vector", "keyword", "hybrid"):
        results[f"latency_{prefix}_{search}"] = _latency(kb, queries, search_type=search, rerank=False)
    results[f"latency_{prefix}_rerank"] = _latency(kb, queries, search_type="hybrid", rerank=True)


class Precomputed:
    """Vectors looked up by text (the 100k collection); anything else (the queries) goes to the model."""

    def __new__(cls, table):
        from agno_nb.knowledge.embedders import Embedder, default_embedder

        class _Precomputed(Embedder):
            id, dimensions, batch_size = "all-MiniLM-L6-v2-int8", 384, 4096

            def embed(self, texts):
                import numpy

                rows = [table.get(t) for t in texts]
                if any(r is None for r in rows):
                    return default_embedder().embed(texts)
                return numpy.vstack(rows)

        return _Precomputed()


def measure_agno_nb(work: Path, skip_100k: bool) -> dict:
    import numpy
    import pandas

    from agno_nb.knowledge import Knowledge

    results: dict = {}
    queries = [q for _, _, q in eval_questions()]
    kb = _eval_knowledge(work / "nb_eval")
    results["eval"] = evaluate(kb)
    results["eval_dev"] = evaluate(kb, "questions_dev.txt")

    corpus = work / "corpus10k"
    kb = Knowledge("bench", path=work / "nb_10k", progress=False)
    t0 = time.perf_counter()
    report = kb.add_content(path=corpus)
    results["ingest_s"] = time.perf_counter() - t0
    results["ingest_chunks"] = kb.count()
    assert report.ok and len(report.added) == 10_000, report
    t0 = time.perf_counter()
    again = kb.add_content(path=corpus)
    results["reingest_s"] = time.perf_counter() - t0
    assert len(again.unchanged) == 10_000 and again.chunks == 0, again
    _latencies(kb, queries, "10k", results)

    if not skip_100k:
        texts = (work / "texts100k.txt").read_text().split("\n")
        vectors = numpy.load(work / "vectors100k.npy")
        table = {t: vectors[i] for i, t in enumerate(texts)}
        kb = Knowledge("big", path=work / "nb_100k", embedder=Precomputed(table), progress=False)
        frame = pandas.DataFrame({"text": texts})
        t0 = time.perf_counter()
        kb.add_content(dataframe=frame, text_column="text", name="records", chunker="row")
        results["load_100k_s"] = time.perf_counter() - t0
        results["chunks_100k"] = kb.count()
        _latencies(kb, queries, "100k", results)
    return results


def prepare(work: Path, skip_100k: bool) -> None:
    """The 10k files, and the 100k texts with their precomputed vectors (shared with the peer)."""
    import numpy

    from agno_nb.knowledge.embedders import default_embedder

    texts = synthetic_texts(100_000 if not skip_100k else 10_000)
    corpus = work / "corpus10k"
    corpus.mkdir(parents=True)
    for i, text in enumerate(texts[:10_000]):
        (corpus / f"record-{i:05d}.txt").write_text(text)
    if skip_100k:
        return
    real = default_embedder().embed(texts[:10_000])
    rng = numpy.random.default_rng(14)
    vectors = real[numpy.arange(100_000) % 10_000] + rng.normal(0, 0.02, (100_000, 384)).astype(numpy.float32)
    vectors /= numpy.linalg.norm(vectors, axis=1, keepdims=True)
    numpy.save(work / "vectors100k.npy", vectors.astype(numpy.float32))
    (work / "texts100k.txt").write_text("\n".join(texts))


def measure_agno(work: Path, skip_100k: bool) -> dict | None:
    setup = ROOT / "benchmarks" / "peers" / "setup_agno.sh"
    try:
        python = subprocess.run(["bash", str(setup)], capture_output=True, text=True, check=True).stdout.strip()
    except subprocess.CalledProcessError as exc:
        print(f"(Agno not measured: its venv could not be set up: {exc.stderr.strip()[-300:]})")
        return None
    command = [python, str(ROOT / "benchmarks" / "peers" / "agno_knowledge_peer.py"), str(work)]
    if skip_100k:
        command.append("--skip-100k")
    out = subprocess.run(command, capture_output=True, text=True, cwd=work,
                         env={**os.environ, "ANONYMIZED_TELEMETRY": "False"})
    if out.returncode != 0:
        print(f"(Agno not measured: the peer failed: {out.stderr.strip()[-600:]})")
        return None
    return json.loads(out.stdout.strip().splitlines()[-1])


def import_ms(statement: str, python: str = sys.executable) -> float:
    code = f"import time; t=time.perf_counter(); {statement}; print(time.perf_counter()-t)"
    return min(float(subprocess.check_output([python, "-c", code], cwd=ROOT, text=True).strip()) for _ in range(5)) * 1000


def _cell(value) -> str:
    return "-" if value is None else value


def table(ours: dict, peer: dict | None) -> str:
    peer = peer or {}
    eval_names = {"vector": "vector", "keyword": "keyword (BM25; Agno: $contains)", "hybrid": "hybrid (RRF)",
                  "rerank": "hybrid + rerank (offline)"}
    rows = []
    for search, label in eval_names.items():
        recall, mrr = ours["eval"][search]
        theirs = peer.get(f"eval_{search}")
        rows.append((f"recall@5 / MRR, {label}", f"{recall:.2f} / {mrr:.3f}",
                     f"{theirs[0]:.2f} / {theirs[1]:.3f}" if theirs else "-"))
    if "ingest_s" in ours:
        def ingest(side):
            return f"{side['ingest_s']:.1f} s ({side['ingest_chunks'] / side['ingest_s']:,.0f} chunks/s)" \
                if "ingest_s" in side else "-"

        def reingest(side):
            return f"{side['reingest_s']:.2f} s ({100 * side['reingest_s'] / side['ingest_s']:.1f}% of the first)" \
                if "reingest_s" in side else "-"

        rows.append(("ingest 10,000 chunks end to end", ingest(ours), ingest(peer)))
        rows.append(("re-ingest the same 10,000, unchanged", reingest(ours), reingest(peer)))
        for size in ("10k", "100k"):
            if size == "100k" and "load_100k_s" in ours:
                rows.append(("load 100,000 precomputed vectors (+ keyword index)", f"{ours['load_100k_s']:.1f} s",
                             f"{peer['load_100k_s']:.1f} s" if "load_100k_s" in peer else "-"))
            for search in ("vector", "keyword", "hybrid", "rerank"):
                mine = ours.get(f"latency_{size}_{search}")
                if mine is None:
                    continue
                theirs = peer.get(f"latency_{size}_{search}")
                rows.append((f"query p50 / p95 at {size}, {eval_names[search].split(' (')[0]}",
                             f"{mine[0]:.1f} / {mine[1]:.1f} ms",
                             f"{theirs[0]:.1f} / {theirs[1]:.1f} ms" if theirs else "-"))
    rows.append(("import agno_nb (no chromadb, no model loaded)", f"{ours['import_ms']:.1f} ms",
                 f"{peer['import_ms']:.1f} ms (import agno)" if "import_ms" in peer else "-"))
    width = max(len(r[0]) for r in rows)
    lines = [f"| {'knowledge benchmark':<{width}} | {'agno_nb':>30} | {'Agno 3.1.10 Knowledge + ChromaDb':>34} |",
             f"|{'-' * (width + 2)}|{'-' * 32}|{'-' * 36}|"]
    lines += [f"| {a:<{width}} | {b:>30} | {_cell(c):>34} |" for a, b, c in rows]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-peers", action="store_true")
    parser.add_argument("--eval-only", action="store_true")
    parser.add_argument("--skip-100k", action="store_true")
    args = parser.parse_args(argv)
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    with tempfile.TemporaryDirectory(prefix="agno_nb_kbench_") as folder:
        work = Path(folder)
        if args.eval_only:
            ours = {"eval": evaluate(_eval_knowledge(work / "nb_eval"))}
        else:
            prepare(work, args.skip_100k)
            ours = measure_agno_nb(work, args.skip_100k)
        ours["import_ms"] = import_ms("import agno_nb")
        peer = None
        if not args.no_peers and not args.eval_only:
            peer = measure_agno(work, args.skip_100k)
            if peer is not None:
                python = subprocess.run(["bash", str(ROOT / "benchmarks" / "peers" / "setup_agno.sh")],
                                        capture_output=True, text=True).stdout.strip()
                peer["import_ms"] = import_ms("import agno.agent", python)
    print(table(ours, peer))
    if "eval_dev" in ours:
        dev = ", ".join(f"{k} {r:.2f}/{m:.3f}" for k, (r, m) in ours["eval_dev"].items())
        print(f"\n(tuning questions, recall@5/MRR: {dev})")


if __name__ == "__main__":
    main()
