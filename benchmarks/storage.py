"""Storage benchmarks: what a run costs to persist, and whether that cost grows with the session.

Called by ``benchmarks/run.py``; run alone with ``python benchmarks/storage.py``.
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))  # pg_server.py: a throwaway PostgreSQL on 127.0.0.1


def _median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def measure(store) -> dict[str, float]:
    from agno_nb import Agent, ScriptedModel
    from agno_nb.storage.records import RunRecord

    results: dict[str, float] = {}
    agent = Agent(name="bench", model=ScriptedModel("bench-text"), db=store)
    agent.run("warm up", session_id="warm")
    timings = []
    for _ in range(1000):
        t0 = time.perf_counter()
        agent.run("What's the weather in Paris?", session_id="long", user_id="u")
        timings.append(time.perf_counter() - t0)
    results["run_1_ms"] = _median_ms(timings[:10])
    results["run_1000_ms"] = _median_ms(timings[-10:])

    # A 10,000-run session, written in bulk (setup only), then the history load of a new run.
    now = time.time()
    rows = []
    for i in range(10_000):
        messages = [{"role": "user", "content": f"question {i}"}, {"role": "assistant", "content": f"answer {i}"}]
        rows.append((f"h{i}", "huge", None, "agent", "bench", "bench", "u", "completed", json.dumps("q"),
                     json.dumps("a"), json.dumps(messages), "{}", None, now + i, now + i, None, None))
    with store.transaction() as cur:
        store._bulk_insert(cur, "runs", RunRecord.__slots__, rows)
    with store.transaction() as cur:
        cur.execute("ANALYZE runs")  # planner statistics, as autovacuum would gather them after a bulk load
    samples = []
    for _ in range(50):
        t0 = time.perf_counter()
        runs = store.last_runs("huge", 3)
        samples.append(time.perf_counter() - t0)
    assert [r.run_id for r in runs] == ["h9997", "h9998", "h9999"]
    results["history_10k_ms"] = _median_ms(samples)

    # Events per second: one run with 2,000 events in one save.
    samples = []
    for attempt in range(5):
        run_id = f"ev-run-{attempt}"
        events = [(run_id, i, "RunContentDelta", "s", "p", now, json.dumps({"content": f"tok{i} "}))
                  for i in range(2000)]
        t0 = time.perf_counter()
        store.save_run(RunRecord(run_id, "events", status="completed"), events)
        samples.append(time.perf_counter() - t0)
    results["events_per_s"] = 2000 / min(samples)
    return results


def stores() -> list[tuple[str, Callable[[], object], Callable[[], None]]]:
    """(label, factory, cleanup) for each backend that can run here."""
    from agno_nb.storage.duckdb import DuckDBStore

    folder = tempfile.mkdtemp(prefix="agno_nb_bench_")
    found = [("DuckDB (file)", lambda: DuckDBStore(Path(folder) / "bench.duckdb"), lambda: None)]
    try:
        from pg_server import PostgresServer

        server = PostgresServer().start()
        dsn = server.create_database("bench")

        from agno_nb.storage.postgres import PostgresStore

        found.append(("PostgreSQL (127.0.0.1)", lambda: PostgresStore(dsn), server.stop))
    except Exception as exc:  # no PostgreSQL here: say so in the table
        print(f"(PostgreSQL not measured: {exc})")
    return found


ROWS = [
    ("run_1_ms", "agent.run + persist, runs 1-10 of a session (median)", "ms"),
    ("run_1000_ms", "agent.run + persist, runs 991-1,000 of the same session", "ms"),
    ("history_10k_ms", "load the last 3 runs of a 10,000-run session", "ms"),
    ("events_per_s", "events written per second (one run, 2,000 events)", "ev/s"),
]


def main() -> None:
    results = {}
    for label, factory, cleanup in stores():
        store = factory()
        try:
            results[label] = measure(store)
        finally:
            store.close()
            cleanup()
    labels = list(results)
    print(f"| {'storage benchmark':<58} | " + " | ".join(f"{label:>22}" for label in labels))
    print("|" + "-" * 60 + "|" + "|".join("-" * 24 for _ in labels))
    for key, text, unit in ROWS:
        cells = [f"{results[label][key]:>19,.2f} {unit}" if unit == "ms" else f"{results[label][key]:>17,.0f} {unit}"
                 for label in labels]
        print(f"| {text:<58} | " + " | ".join(f"{c:>22}" for c in cells))


if __name__ == "__main__":
    main()
