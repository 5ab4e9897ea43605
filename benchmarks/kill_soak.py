"""kill -9 soak: a process writing runs is killed at random moments; count what was lost or broken.

    .venv/bin/python benchmarks/kill_soak.py                 # 100 trials each on DuckDB and PostgreSQL
    .venv/bin/python benchmarks/kill_soak.py --trials 20

Each trial starts a process that runs an agent again and again (a tool call, then an answer) against
the store and prints each run's id once ``run()`` has returned: the moment the durability promise
applies. After a random 0.3-2 s it is killed with SIGKILL, and the store is opened afresh:

- **lost**: a run reported finished that is not in the store as completed (must be 0);
- **corrupted**: a store that no longer opens or answers (must be 0);
- **interrupted**: the run that was in flight, when it had been put on record, now reads ``interrupted``;
- **unrecorded**: the run in flight had not been put on record yet (it was younger than
  ``Store.record_after``: such a run leaves nothing, by design).

PostgreSQL is a throwaway server this script starts (tests/pg_server.py) and stops.
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

WRITER = textwrap.dedent("""
    import sys
    from agno_nb import Agent, ScriptedModel, tool
    from agno_nb.models.scripts import text, tool_call
    from agno_nb.storage import open_store
    from agno_nb.storage.duckdb import DuckDBStore

    spec, trial = sys.argv[1], sys.argv[2]
    store = open_store(spec) if spec.startswith("postgres") else DuckDBStore(spec)

    @tool
    def lookup(city: str) -> str:
        "Look a city up."
        return f"{city}: sunny"

    i = 0
    while True:
        run_id = f"t{trial}-r{i}"
        print("start", run_id, flush=True)
        model = ScriptedModel([tool_call("lookup", city="Paris", delay=0.02), text("It is sunny.", delay=0.3)])
        agent = Agent(model=model, db=store, tools=[lookup], add_history_to_context=True)
        out = agent.run("weather?", session_id=f"soak-{trial}", user_id="soak", run_id=run_id)
        if out.saved:
            print("done", run_id, flush=True)
        i += 1
""")


def trial(spec: str, number: int, rng: random.Random) -> dict[str, int]:
    proc = subprocess.Popen([sys.executable, "-c", WRITER, spec, str(number)], cwd=ROOT, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    proc.stdout.readline()  # the first run started: the process is up
    time.sleep(rng.uniform(0.3, 2.0))
    proc.kill()
    proc.wait()
    lines = proc.stdout.read().splitlines()
    done = {line.split()[1] for line in lines if line.startswith("done ")}
    started = [line.split()[1] for line in lines if line.startswith("start ")]
    in_flight = [r for r in started if r not in done][-1:]
    counts = {"finished": len(done), "lost": 0, "corrupted": 0, "interrupted": 0, "unrecorded": 0}
    try:
        from agno_nb.storage import open_store
        from agno_nb.storage.duckdb import DuckDBStore

        store = open_store(spec) if spec.startswith("postgres") else DuckDBStore(spec)
        try:
            store.schema_version()
            for run_id in done:
                record = store.get_run(run_id)
                if record is None or record.status != "completed":
                    counts["lost"] += 1
            for run_id in in_flight:
                record = store.get_run(run_id)
                if record is None:
                    counts["unrecorded"] += 1
                elif record.status == "interrupted":
                    counts["interrupted"] += 1
        finally:
            store.close()
    except Exception as exc:  # the store did not open or answer
        print(f"  trial {number}: store broken: {exc}", file=sys.stderr)
        counts["corrupted"] += 1
    return counts


def soak(spec: str, trials: int, seed: int = 7) -> dict[str, int]:
    rng = random.Random(seed)
    totals = {"trials": trials, "finished": 0, "lost": 0, "corrupted": 0, "interrupted": 0, "unrecorded": 0}
    for number in range(trials):
        for key, value in trial(spec, number, rng).items():
            totals[key] += value
    return totals


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="kill -9 soak of the stores")
    parser.add_argument("--trials", type=int, default=100)
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args(argv)
    import tempfile

    rows = []
    folder = Path(tempfile.mkdtemp(prefix="agno_nb_soak_"))
    rows.append(("DuckDB file", soak(str(folder / "soak.duckdb"), args.trials)))
    if not args.no_postgres:
        from pg_server import PostgresServer

        server = PostgresServer().start()
        try:
            rows.append(("PostgreSQL", soak(server.create_database("soak"), args.trials)))
        finally:
            server.stop()
    print("| store | trials | runs finished | lost | corrupted | in-flight run interrupted | in flight, not yet "
          "on record |")
    print("|---|---|---|---|---|---|---|")
    for name, t in rows:
        print(f"| {name} | {t['trials']} | {t['finished']} | {t['lost']} | {t['corrupted']} | {t['interrupted']} | "
              f"{t['unrecorded']} |")


if __name__ == "__main__":
    main()
