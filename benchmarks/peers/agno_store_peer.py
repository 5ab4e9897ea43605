"""Peer side of ``benchmarks/notebook_store.py``: Agno (``agno==3.1.10``) with its ``SqliteDb``, the
per-run cost of keeping a notebook conversation (one session, history of the last 3 runs in context).

    "$(benchmarks/peers/setup_agno.sh)" benchmarks/peers/agno_store_peer.py --runs 1000

Prints one JSON object. Per-run persist = median run time with the db minus median run time of the same
agent without a db (no history either), in microseconds, over the windows the agno_nb side uses. Agno
keeps a session as one row whose ``runs`` JSON grows with every run and is read and rewritten by each
run, so its cost grows along the session; runs past ``--runs`` are not measured (see the module doc of
notebook_store.py).
"""

from __future__ import annotations

import os

os.environ["AGNO_TELEMETRY"] = "false"
os.environ.setdefault("AGNO_DEBUG", "false")

import argparse  # noqa: E402
import json  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from agno_peer import PROMPT, InstantModel  # noqa: E402

from agno.agent import Agent  # noqa: E402
from agno.db.sqlite import SqliteDb  # noqa: E402

WINDOWS = {"runs_1_10": (0, 10), "runs_991_1000": (990, 1000), "runs_9991_10000": (9990, 10000)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=1000, help="runs of the one session")
    args = parser.parse_args()

    bare = Agent(model=InstantModel())
    for _ in range(50):
        bare.run(PROMPT)
    baseline = statistics.median(_timed(lambda: bare.run(PROMPT), 300))

    folder = tempfile.mkdtemp(prefix="agno_store_peer_")
    db_file = Path(folder) / "agno.db"
    agent = Agent(model=InstantModel(), db=SqliteDb(db_file=str(db_file)), add_history_to_context=True,
                  num_history_runs=3, session_id="notebook")
    times = _timed(lambda: agent.run(PROMPT, session_id="notebook"), args.runs)
    result = {"framework": "agno", "baseline_run_us": baseline / 1000, "runs": args.runs}
    if args.runs == 1000:
        result["file_bytes_1000"] = db_file.stat().st_size
    for key, (start, end) in WINDOWS.items():
        if end <= len(times):
            result[f"persist_{key}_us"] = (statistics.median(times[start:end]) - baseline) / 1000
    print(json.dumps(result))


def _timed(fn, n: int) -> list[int]:
    samples = []
    for _ in range(n):
        t0 = time.perf_counter_ns()
        fn()
        samples.append(time.perf_counter_ns() - t0)
    return samples


if __name__ == "__main__":
    main()
