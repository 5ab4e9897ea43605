"""The notebook's default store: what keeping a run costs, along one long conversation, next to Agno.

    .venv/bin/python benchmarks/notebook_store.py            # ours up to 10,000 runs, Agno up to 1,000
    .venv/bin/python benchmarks/notebook_store.py --no-peers

Workload, both sides: an agent with an instant in-process model (no network: only the framework and
the store are timed), its history of the last 3 runs in context, one session, run after run, as a
notebook conversation grows. Per-run persist = median run time with the store minus median run time
of the same agent without one. agno_nb: ``DuckDBStore(<notebook>.agno.duckdb, shared=True)``, what
``%load_ext agno_nb`` sets up. Agno 3.1.10: ``SqliteDb``. Windows: runs 1-10, 991-1,000 and
9,991-10,000. Agno keeps a session as one row whose JSON holds every run, read and rewritten by each
run, so its cost grows with the session and 10,000 runs take too long to be part of this command.

Also measured: the first run after the store let go of the file (the connection is reopened: what a
run pays after another process took a turn, or after ``idle_release`` seconds unused), and the file's
growth per run. Figures taken while other engineers use the machine are indicative.
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
PEERS = ROOT / "benchmarks" / "peers"
sys.path.insert(0, str(ROOT))

PROMPT = "What's the weather in Paris?"
WINDOWS = {"runs_1_10": (0, 10), "runs_991_1000": (990, 1000), "runs_9991_10000": (9990, 10000)}


def _timed(fn, n: int) -> list[float]:
    samples = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t0)
    return samples


def measure_ours(runs: int) -> dict[str, float]:
    from agno_nb import Agent, ScriptedModel
    from agno_nb.storage.duckdb import DuckDBStore

    bare = Agent(model=ScriptedModel(["ok"], cycle=True))
    _timed(lambda: bare.run(PROMPT), 50)
    baseline = statistics.median(_timed(lambda: bare.run(PROMPT), 300))

    folder = Path(tempfile.mkdtemp(prefix="agno_nb_notebook_store_"))
    path = folder / "analysis.agno.duckdb"
    store = DuckDBStore(path, shared=True)
    agent = Agent(model=ScriptedModel(["ok"], cycle=True), db=store, add_history_to_context=True,
                  num_history_runs=3)
    times = []
    sizes = {}
    for i in range(runs):
        t0 = time.perf_counter()
        agent.run(PROMPT, session_id="notebook")
        times.append(time.perf_counter() - t0)
        if i + 1 in (1000, runs):
            store.close()  # checkpoint: the file as it stays on disk
            sizes[i + 1] = path.stat().st_size
    result = {"baseline_run_us": baseline * 1e6, "runs": runs, "connects": store.connects}
    for key, (start, end) in WINDOWS.items():
        if end <= len(times):
            result[f"persist_{key}_us"] = (statistics.median(times[start:end]) - baseline) * 1e6
    reopened = []
    for _ in range(20):
        store._release()  # as after another process's turn
        t0 = time.perf_counter()
        agent.run(PROMPT, session_id="notebook")
        reopened.append(time.perf_counter() - t0)
    result["persist_after_release_us"] = (statistics.median(reopened) - baseline) * 1e6
    if 1000 in sizes and runs > 1000:
        result["bytes_per_run"] = (sizes[runs] - sizes[1000]) / (runs - 1000)
    result["file_bytes_1000"] = sizes.get(1000)
    result.update(_row_bytes(store))
    store.close()
    return result


def _row_bytes(store) -> dict[str, float]:
    """Where a run's bytes go: its row's JSON columns and its event rows (before compression)."""
    frame = store.sql("SELECT avg(length(CAST(input AS VARCHAR)) + length(CAST(content AS VARCHAR)) + "
                      "length(CAST(messages AS VARCHAR)) + length(CAST(metrics AS VARCHAR))) AS run_json, "
                      "(SELECT count(*) FROM events) / count(*) AS events_per_run, "
                      "(SELECT avg(length(CAST(payload AS VARCHAR))) FROM events) AS event_payload, "
                      "(SELECT avg(length(CAST(payload AS VARCHAR))) FROM events "
                      " WHERE type = 'ModelRequestStarted') AS model_started_payload FROM runs")
    row = frame.iloc[0]
    return {"run_json_bytes": float(row["run_json"]), "events_per_run": float(row["events_per_run"]),
            "event_payload_bytes": float(row["event_payload"]),
            "model_started_payload_bytes": float(row["model_started_payload"])}


def measure_agno(runs: int) -> dict[str, float] | None:
    venv = Path(os.environ.get("AGNO_VENV", ROOT / ".venv-agno"))
    setup = subprocess.run(["bash", str(PEERS / "setup_agno.sh")], env={**os.environ, "AGNO_VENV": str(venv)},
                           capture_output=True, text=True)
    if setup.returncode != 0:
        print(f"(Agno not measured: its venv could not be set up: {setup.stderr.strip()[-300:]})")
        return None
    out = subprocess.run([str(venv / "bin" / "python"), str(PEERS / "agno_store_peer.py"), "--runs", str(runs)],
                         capture_output=True, text=True, cwd=PEERS)
    if out.returncode != 0:
        print(f"(Agno run failed: {out.stderr.strip()[-500:]})")
        return None
    return json.loads(out.stdout.strip().splitlines()[-1])


ROWS = [
    ("persist_runs_1_10_us", "per-run persist, runs 1-10 of a session", "ms"),
    ("persist_runs_991_1000_us", "per-run persist, runs 991-1,000", "ms"),
    ("persist_runs_9991_10000_us", "per-run persist, runs 9,991-10,000", "ms"),
    ("persist_after_release_us", "per-run persist, first run after the file was let go", "ms"),
    ("bytes_per_run", "file growth per run (runs 1,001-10,000, after checkpoint)", "B"),
    ("file_bytes_1000", "file size after 1,000 runs (after checkpoint)", "KiB"),
]


def print_table(ours: dict, agno: dict | None) -> None:
    print(f"| {'notebook default store (one session, history 3)':<58} | {'agno_nb DuckDB':>14} | "
          f"{'agno 3.1.10 SQLite':>18} | {'ratio':>6} | goal")
    print("|" + "-" * 60 + "|" + "-" * 16 + "|" + "-" * 20 + "|" + "-" * 8 + "|-----")
    for key, label, unit in ROWS:
        mine, theirs = ours.get(key), (agno or {}).get(key)

        def fmt(value):
            if value is None:
                return "-"
            if unit == "ms":
                return f"{value / 1000:,.2f} ms"
            if unit == "KiB":
                return f"{value / 1024:,.0f} KiB"
            return f"{value:,.0f} B"

        ratio = f"{mine / theirs:.2f}" if mine is not None and theirs else "-"
        goal = ""
        if unit == "ms" and key != "persist_after_release_us" and mine is not None and theirs:
            goal = "≤0.5x " + ("ok" if mine / theirs <= 0.5 else "MISS")
        print(f"| {label:<58} | {fmt(mine):>14} | {fmt(theirs):>18} | {ratio:>6} | {goal}")
    runs_agno = (agno or {}).get("runs")
    print(f"\nagno_nb: {ours['runs']:,} runs, {ours['connects']} connection(s) opened; run without a store "
          f"{ours['baseline_run_us']:.0f} µs. " + (f"Agno: {runs_agno:,} runs (each rewrites the session's JSON), "
                                                    f"run without a db {agno['baseline_run_us']:.0f} µs."
                                                    if agno else "Agno: not measured."))
    print(f"Per run stored by agno_nb: a run row with {ours['run_json_bytes']:.0f} B of JSON (input, answer, this "
          f"run's messages, metrics) and {ours['events_per_run']:.0f} event rows of {ours['event_payload_bytes']:.0f} B "
          f"payload on average (a model call's start: {ours['model_started_payload_bytes']:.0f} B, positions of the "
          f"messages it was sent, not copies).")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--agno-runs", type=int, default=1000)
    parser.add_argument("--no-peers", action="store_true")
    args = parser.parse_args(argv)
    ours = measure_ours(args.runs)
    agno = None if args.no_peers else measure_agno(args.agno_runs)
    print_table(ours, agno)


if __name__ == "__main__":
    main()
