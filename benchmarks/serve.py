"""Serving benchmark: agno_nb's served app next to Agno's AgentOS (3.1.10) and a bare FastAPI floor.

    .venv/bin/python benchmarks/serve.py            # prints one markdown table
    .venv/bin/python benchmarks/serve.py --quick    # fewer requests, one round

Method. Every server is its own process, one uvicorn worker (uvloop, httptools), serving the same agent
("bench": one model call, no tools) against the same loopback OpenAI-compatible stub (another process,
``benchmarks/serve_stub.py``), driven by the same aiohttp load generator (a third process,
``benchmarks/serve_load.py``), with the same form request (``message``, ``stream``). The floor is a bare
FastAPI route that forwards the message to the stub with a pooled aiohttp client and returns the text.
Per server: runs/s with p50/p99 latency at concurrency 1, 8 and 32 (non-streaming), time to the first
SSE byte at concurrency 8 (streaming), server CPU per run (the server process's CPU time over the c=32
load, divided by its runs), and 500 streams held open at once (the ``hold`` agent answers after 2 s:
server RSS before, at peak, after, and errors). Servers are measured in interleaved rounds (every
server once per round) and the median of the rounds is reported. The machine has 2 cores shared by
server, stub and load generator (and, here, by other work): figures are indicative.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "benchmarks"
PEERS = BENCH / "peers"
sys.path.insert(0, str(ROOT / "tests"))  # pg_server.py: a throwaway PostgreSQL

UVICORN = [
    "--host",
    "127.0.0.1",
    "--port",
    "0",
    "--workers",
    "1",
    "--loop",
    "uvloop",
    "--http",
    "httptools",
    "--no-access-log",
    "--log-level",
    "info",
]


class Process:
    """A child process whose stderr/stdout we read for one line (its address), then keep draining."""

    def __init__(self, command: list[str], pattern: str, env: dict[str, str] | None = None, cwd: Path = ROOT):
        self.proc = subprocess.Popen(
            command,
            cwd=cwd,
            env={**os.environ, **(env or {})},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.lines: list[str] = []
        found = threading.Event()
        self.match: re.Match | None = None

        def drain() -> None:
            for line in self.proc.stdout:
                self.lines.append(line)
                if self.match is None:
                    self.match = re.search(pattern, line)
                    if self.match:
                        found.set()
            found.set()

        threading.Thread(target=drain, daemon=True).start()
        found.wait(90)
        if self.match is None:
            self.stop()
            raise RuntimeError(f"{command[:4]} did not start:\n" + "".join(self.lines[-20:]))

    @property
    def pid(self) -> int:
        return self.proc.pid

    def cpu_seconds(self) -> float:
        with open(f"/proc/{self.pid}/stat") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)


def start_server(python: str, module: str, env: dict[str, str], pythonpath: Path) -> tuple[Process, str]:
    server = Process(
        [python, "-m", "uvicorn", f"{module}:app", *UVICORN],
        r"running on (http://127\.0\.0\.1:\d+)",
        env={**env, "PYTHONPATH": str(pythonpath)},
    )
    return server, server.match.group(1)


def load(
    url: str, *, mode: str, concurrency: int, n: int, stream: bool, warmup: int = 20, pid: int | None = None
) -> dict:
    command = [
        sys.executable,
        str(BENCH / "serve_load.py"),
        url,
        "--form",
        "message=What is the weather in Paris?",
        "--form",
        f"stream={'true' if stream else 'false'}",
        "--mode",
        mode,
        "--concurrency",
        str(concurrency),
        "--n",
        str(n),
        "--warmup",
        str(warmup),
    ]
    if pid is not None:
        command += ["--pid", str(pid)]
    out = subprocess.run(command, capture_output=True, text=True, timeout=600)
    if out.returncode != 0:
        raise RuntimeError(f"load generator failed: {out.stderr[-800:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def measure(server: Process, base: str, n: int) -> dict:
    """One round of every figure against one server."""
    url = f"{base}/agents/bench/runs"
    figures: dict = {}
    for concurrency in (1, 8, 32):
        count = n if concurrency > 1 else max(100, n // 3)
        cpu0 = server.cpu_seconds()
        result = load(url, mode="json", concurrency=concurrency, n=count, stream=False)
        cpu = server.cpu_seconds() - cpu0
        figures[f"c{concurrency}"] = result
        if concurrency == 32:
            figures["cpu_ms_per_run"] = 1000 * cpu / max(1, count - result["errors"])
    figures["sse8"] = load(url, mode="sse", concurrency=8, n=max(100, n // 3), stream=True)
    figures["hold500"] = load(
        f"{base}/agents/hold/runs", mode="hold", concurrency=500, n=500, stream=True, warmup=2, pid=server.pid
    )
    return figures


def targets(
    args: argparse.Namespace, tmp: Path, pg_dsn: str | None
) -> list[tuple[str, str, str, dict, Path]]:
    ours = sys.executable
    found = [("floor (bare FastAPI -> stub)", ours, "serve_apps.floor", {}, BENCH)]
    if not args.no_peers:
        agno = _agno_python()
        if agno is not None:
            found += [
                ("AgentOS 3.1.10", agno, "agentos_app", {"BENCH_DB": ""}, PEERS),
                (
                    "AgentOS 3.1.10 + SQLite",
                    agno,
                    "agentos_app",
                    {"BENCH_DB": str(tmp / "agentos.db")},
                    PEERS,
                ),
            ]
    found += [
        ("agno_nb, no store", ours, "serve_apps.agno_nb_app", {"BENCH_DB": ""}, BENCH),
        (
            "agno_nb + DuckDB",
            ours,
            "serve_apps.agno_nb_app",
            {"BENCH_DB": str(tmp / "agno_nb.duckdb")},
            BENCH,
        ),
    ]
    if pg_dsn is not None:
        found.append(("agno_nb + PostgreSQL", ours, "serve_apps.agno_nb_app", {"BENCH_DB": pg_dsn}, BENCH))
    return found


def _agno_python() -> str | None:
    setup = subprocess.run(["bash", str(PEERS / "setup_agno.sh")], capture_output=True, text=True)
    if setup.returncode != 0:
        print(f"(AgentOS not measured: its venv could not be set up: {setup.stderr.strip()[-300:]})")
        return None
    return setup.stdout.strip().splitlines()[-1]


def _median(rounds: list[dict], *path: str) -> float | None:
    values = []
    for figures in rounds:
        value = figures
        for key in path:
            value = value.get(key) if isinstance(value, dict) else None
        if value is not None:
            values.append(value)
    return statistics.median(values) if values else None


def print_table(results: dict[str, list[dict]]) -> None:
    floor = next(iter(results.values()))
    print(
        "| server | runs/s c=1 | p50/p99 ms c=1 | runs/s c=8 | p50/p99 ms c=8 | runs/s c=32 "
        "| p50/p99 ms c=32 | × floor c=32 | CPU ms/run | SSE TTFB p50 ms c=8 | SSE runs/s c=8 "
        "| 500 streams: RSS MiB before/peak/after, "
        "errors |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    floor32 = _median(floor, "c32", "runs_per_s")
    for name, rounds in results.items():
        cells = [name]
        for c in (1, 8, 32):
            cells.append(_fmt(_median(rounds, f"c{c}", "runs_per_s"), 0))
            cells.append(
                f"{_fmt(_median(rounds, f'c{c}', 'p50_ms'), 1)} / "
                f"{_fmt(_median(rounds, f'c{c}', 'p99_ms'), 1)}"
            )
        ratio = _median(rounds, "c32", "runs_per_s")
        cells.append(f"{ratio / floor32:.2f}" if ratio and floor32 else "-")
        cells.append(_fmt(_median(rounds, "cpu_ms_per_run"), 2))
        cells.append(_fmt(_median(rounds, "sse8", "ttfb_p50_ms"), 1))
        cells.append(_fmt(_median(rounds, "sse8", "runs_per_s"), 0))
        mib = [_median(rounds, "hold500", key) for key in ("rss_before_kib", "rss_peak_kib", "rss_after_kib")]
        errors = _median(rounds, "hold500", "errors")
        cells.append(
            " / ".join(_fmt(v / 1024 if v else None, 0) for v in mib) + f", {_fmt(errors, 0)} errors"
        )
        print("| " + " | ".join(cells) + " |")


def _fmt(value: float | None, digits: int) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="serving benchmark (one markdown table)")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (median reported)")
    parser.add_argument("--n", type=int, default=600, help="requests per figure at c=8 and c=32")
    parser.add_argument("--quick", action="store_true", help="one round, fewer requests")
    parser.add_argument("--no-peers", action="store_true", help="skip AgentOS")
    parser.add_argument("--no-postgres", action="store_true", help="skip agno_nb + PostgreSQL")
    parser.add_argument("--json", action="store_true", help="print the raw figures too")
    args = parser.parse_args(argv)
    if args.quick:
        args.rounds, args.n = 1, 300
    tmp = Path(tempfile.mkdtemp(prefix="agno_nb_serve_bench_"))
    stub = Process([sys.executable, str(BENCH / "serve_stub.py")], r"listening on (http://\S+)")
    pg = None
    try:
        pg_dsn = None
        if not args.no_postgres:
            try:
                from pg_server import PostgresServer

                pg = PostgresServer().start()
                pg_dsn = pg.create_database("serve_bench")
            except Exception as exc:  # no PostgreSQL here: say so, measure the rest
                print(f"(agno_nb + PostgreSQL not measured: {exc})")
        env = {"BENCH_STUB": stub.match.group(1), "AGNO_TELEMETRY": "false"}
        plan = targets(args, tmp, pg_dsn)
        results: dict[str, list[dict]] = {name: [] for name, *_ in plan}
        for round_ in range(args.rounds):
            for name, python, module, extra, path in plan:
                server, base = start_server(python, module, {**env, **extra}, path)
                try:
                    results[name].append(measure(server, base, args.n))
                finally:
                    server.stop()
                print(f"  round {round_ + 1}/{args.rounds}: {name} done", file=sys.stderr)
    finally:
        stub.stop()
        if pg is not None:
            pg.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    print(
        f"\nServing: one uvicorn worker each, same stub, same load generator; {os.cpu_count()} cores "
        f"shared by "
        f"server, stub and load generator; median of {args.rounds} interleaved round(s).\n"
    )
    print_table(results)
    if args.json:
        print(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
