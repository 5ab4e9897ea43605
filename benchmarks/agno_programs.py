"""Agno's own programs, run as scripts under Agno and under agno_nb (imports rewritten), side by side.

Each program of ``tests/agno_programs/`` runs in a fresh interpreter, as ``python program.py`` would, against
one loopback scripted server (the same answers for both). Per program: the median wall time of the script
(interpreter start, imports, every run of the program), how many model calls it made and how many kB of
messages it sent. The last two are exact and say what each framework asks of the model for the same code
(memory and summary passes, tool rounds, prompt size).

    .venv/bin/python benchmarks/agno_programs.py [--repeats 3] [--no-peers] [name ...]
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
sys.path[:0] = [str(ROOT / "tests"), str(ROOT)]


def _run(python: str, script: Path, env: dict[str, str]) -> tuple[bool, float]:
    with tempfile.TemporaryDirectory(prefix="agno-bench-") as cwd:
        started = time.perf_counter()
        result = subprocess.run([python, str(script)], cwd=cwd, env=env, capture_output=True, text=True,
                                timeout=300)
        return result.returncode == 0, time.perf_counter() - started


def _traffic(models) -> tuple[int, float]:
    from agno_programs._scripted import requests

    sent = [request for model in models for request in requests(model)]
    return len(sent), sum(len(json.dumps(messages)) for messages, _ in sent) / 1000


def measure(names: list[str], repeats: int, peers: bool) -> list[dict]:
    from agno_programs import _programs
    from agno_programs._scripted import register_all, reset_log
    from test_agno_compat import rewrite_imports

    from agno_nb.models.scripted_server import serve_in_thread

    agno_python = str(ROOT / ".venv-agno" / "bin" / "python")
    if peers:
        subprocess.run(["bash", str(ROOT / "benchmarks" / "peers" / "setup_agno.sh")], check=True,
                       capture_output=True)
    register_all()
    server, stop = serve_in_thread()
    env = dict(os.environ, OPENAI_BASE_URL=server.url, OPENAI_API_KEY="sk-bench", AGNO_TELEMETRY="false",
               LITELLM_LOCAL_MODEL_COST_MAP="True")
    env.pop("OPENAI_API_BASE", None)
    postgres = None
    rows = []
    try:
        with tempfile.TemporaryDirectory(prefix="agno-nb-programs-") as folder:
            for name in names:
                entry = _programs.PROGRAMS[name]
                if "postgres" in entry.needs and postgres is None:
                    from pg_server import PostgresServer

                    postgres = PostgresServer().start()
                rewritten = Path(folder) / f"{name}.py"
                rewritten.write_text(rewrite_imports(entry.path.read_text()))
                row = {"name": name}
                sides = [("agno_nb", sys.executable, rewritten)]
                if peers:
                    sides.append(("agno", agno_python, entry.path))
                for side, python, script in sides:
                    times, ok = [], True
                    for repeat in range(repeats):
                        if postgres is not None and "postgres" in entry.needs:  # a fresh database per run
                            env["DB_URL"] = postgres.create_database(f"bench_{name}_{side}_{repeat}").replace(
                                "postgresql://", "postgresql+psycopg://", 1)
                        reset_log()
                        passed, seconds = _run(python, script, env)
                        ok, times = ok and passed, times + [seconds]
                    calls, kilobytes = _traffic(entry.models)
                    row[side] = {"ok": ok, "s": statistics.median(times), "calls": calls, "kB": kilobytes}
                rows.append(row)
    finally:
        stop()
        if postgres is not None:
            postgres.stop()
    return rows


def print_table(rows: list[dict]) -> None:
    def cell(row: dict, side: str, key: str, fmt: str) -> str:
        figures = row.get(side)
        if figures is None:
            return "-"
        return format(figures[key], fmt) + ("" if figures["ok"] or key != "s" else " (fails)")

    print("| Agno program (as a script) | agno_nb s | Agno s | model calls agno_nb / Agno "
          "| kB sent agno_nb / Agno |")
    print("|---|---:|---:|---:|---:|")
    for row in rows:
        print(f"| {row['name']} | {cell(row, 'agno_nb', 's', '.2f')} | {cell(row, 'agno', 's', '.2f')} | "
              f"{cell(row, 'agno_nb', 'calls', 'd')} / {cell(row, 'agno', 'calls', 'd')} | "
              f"{cell(row, 'agno_nb', 'kB', '.1f')} / {cell(row, 'agno', 'kB', '.1f')} |")
    both = [r for r in rows if r["agno_nb"]["ok"] and r.get("agno", {}).get("ok")]
    if both:
        total = {side: sum(r[side]["s"] for r in both) for side in ("agno_nb", "agno")}
        calls = {side: sum(r[side]["calls"] for r in both) for side in ("agno_nb", "agno")}
        sent = {side: sum(r[side]["kB"] for r in both) for side in ("agno_nb", "agno")}
        print(f"| **{len(both)} programs passing on both** | **{total['agno_nb']:.1f}** | "
              f"**{total['agno']:.1f}** | **{calls['agno_nb']} / {calls['agno']}** | "
              f"**{sent['agno_nb']:.0f} / {sent['agno']:.0f}** |")
    failing = [r["name"] for r in rows if not r["agno_nb"]["ok"]]
    if failing:
        print(f"\nnot yet running on agno_nb (tests/test_agno_compat.py KNOWN_GAPS): {', '.join(failing)}")


def main(argv: list[str] | None = None) -> None:
    from agno_programs._scripted import program_files

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3, help="script runs per program and framework")
    parser.add_argument("--no-peers", action="store_true", help="agno_nb only")
    parser.add_argument("names", nargs="*", help="programs (default: all)")
    args = parser.parse_args(argv)
    print(f"Agno programs run as scripts: median of {args.repeats}, {os.cpu_count()} cores\n")
    print_table(measure(args.names or program_files(), args.repeats, not args.no_peers))


if __name__ == "__main__":
    main()
