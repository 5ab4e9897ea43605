"""Benchmarks: agno_nb next to Agno, same machine, same run, printed as one table.

    .venv/bin/python benchmarks/run.py            # sets up Agno's own venv on first use (PyPI)
    .venv/bin/python benchmarks/run.py --no-peers # agno_nb only
    .venv/bin/python benchmarks/storage.py         # the storage table alone (DuckDB and PostgreSQL)

Method (Agno's own, for construction): ``Agent(model=<OpenAI model object>, tools=[get_weather])``, 10
warm-ups, 1000 timed constructions, tracemalloc peak per construction. Run overhead is measured two
ways: with an instant in-process model object (no provider client: pure framework cost), and end to end
against one loopback OpenAI-compatible server (``agno_nb.models.scripted_server``, in its own process)
that gives both frameworks the same scripted answers over real HTTP. Medians throughout.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PEERS = ROOT / "benchmarks" / "peers"
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))


def get_weather(city: str) -> str:
    """Get the current weather for a city.

    Args:
        city: the city name
    """
    return f"It is sunny in {city}."


def median_us(fn, n: int, warmup: int = 10, rounds: int = 3) -> float:
    """Best-of-``rounds`` median: this machine has multi-second slow stretches, and the peer script
    (benchmarks/peers/agno_peer.py) measures the same way, so the two stay comparable."""
    for _ in range(warmup):
        fn()
    clock = time.perf_counter_ns
    medians = []
    for _ in range(rounds):
        samples = []
        for _ in range(n):
            t0 = clock()
            fn()
            samples.append(clock() - t0)
        medians.append(statistics.median(samples))
    return min(medians) / 1000


def peak_kib(fn, n: int = 200) -> float:
    tracemalloc.start()
    peaks = []
    keep = []
    for _ in range(n):
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        keep.append(fn())
        peaks.append(tracemalloc.get_traced_memory()[1] - base)
    tracemalloc.stop()
    return statistics.median(peaks) / 1024


def import_ms(statement: str, python: str = sys.executable, repeat: int = 5) -> float:
    code = f"import time; t=time.perf_counter(); {statement}; print(time.perf_counter()-t)"
    times = [float(subprocess.check_output([python, "-c", code], cwd=ROOT, text=True).strip())
             for _ in range(repeat)]
    return min(times) * 1000


def start_server() -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen([sys.executable, "-m", "agno_nb.models.scripted_server", "--port", "0"],
                            cwd=ROOT, stdout=subprocess.PIPE, text=True)
    line = proc.stdout.readline().strip()
    if not line.startswith("listening on "):
        proc.kill()
        raise RuntimeError(f"scripted server did not start: {line!r}")
    return proc, line.removeprefix("listening on ")


def measure_agno_nb(base_url: str, n_construct: int, n_runs: int) -> dict[str, float]:
    from agno_nb import Agent, ScriptedModel
    from agno_nb.models import get_model
    from agno_nb.models.scripts import get_script

    results: dict[str, float] = {}
    model_object = get_model("openai/gpt-4o-mini", api_key="sk-bench")
    build = lambda: Agent(model=model_object, tools=[get_weather])  # noqa: E731
    results["construct_us"] = median_us(build, n_construct)
    results["construct_kib"] = peak_kib(build)

    # As on the peer side: text agents have no tools, tool agents have get_weather.
    text_agent = Agent(model=ScriptedModel(get_script("bench-text")))
    tool_agent = Agent(model=ScriptedModel(get_script("bench-tool")), tools=[get_weather])
    assert tool_agent.run("What's the weather in Paris?").tools[0].result == "It is sunny in Paris."
    results["run_instant_text_us"] = median_us(lambda: text_agent.run("What's the weather in Paris?"), n_runs)
    results["run_instant_tool_us"] = median_us(lambda: tool_agent.run("What's the weather in Paris?"), n_runs)

    for transport in ("http", "litellm"):
        name = "openai/bench-text" if transport == "http" else "scripted/bench-text"
        kwargs = {"api_base": base_url, "api_key": "sk-test"} if transport == "http" else {}
        text = Agent(model=get_model(name, **kwargs))
        tool = Agent(model=get_model(name.replace("text", "tool"), **kwargs), tools=[get_weather])
        out = tool.run("What's the weather in Paris?")
        assert out.ok and out.tools[0].result == "It is sunny in Paris.", out
        runs = n_runs if transport == "http" else max(50, n_runs // 3)
        rounds = 3 if transport == "http" else 1
        results[f"run_{transport}_text_us"] = median_us(lambda: text.run("What's the weather in Paris?"), runs, 20,
                                                        rounds)
        results[f"run_{transport}_tool_us"] = median_us(lambda: tool.run("What's the weather in Paris?"), runs, 20,
                                                        rounds)
    return results


def measure_agno(base_url: str, n_construct: int, n_runs: int) -> dict[str, float] | None:
    venv = Path(os.environ.get("AGNO_VENV", ROOT / ".venv-agno"))
    setup = subprocess.run(["bash", str(PEERS / "setup_agno.sh")], env={**os.environ, "AGNO_VENV": str(venv)},
                           capture_output=True, text=True)
    if setup.returncode != 0:
        print(f"(Agno not measured: its venv could not be set up: {setup.stderr.strip()[-300:]})")
        return None
    output = subprocess.run([str(venv / "bin" / "python"), str(PEERS / "agno_peer.py"), "--base-url", base_url,
                             "--n", str(n_construct), "--runs", str(n_runs)],
                            capture_output=True, text=True, cwd=PEERS)
    if output.returncode != 0:
        print(f"(Agno run failed: {output.stderr.strip()[-500:]})")
        return None
    return json.loads(output.stdout.strip().splitlines()[-1])


ROWS = [
    # key, label, unit, goal (ratio agno_nb/agno at most), path
    ("import_ms", "import (cold, `import agno_nb` / `import agno.agent`)", "ms", None, "-"),
    ("construct_us", "Agent(model=<object>, tools=[get_weather])", "µs", 0.5, "-"),
    ("construct_kib", "  memory per construction (tracemalloc peak)", "KiB", 1.0, "-"),
    ("run_instant_text_us", "run, instant in-process model, text", "µs", 0.5, "in-process"),
    ("run_instant_tool_us", "run, instant in-process model, one tool round trip", "µs", 0.5, "in-process"),
    ("run_http_text_us", "run, loopback HTTP server, one request", "µs", 0.7, "direct (aiohttp) / openai SDK"),
    ("run_http_tool_us", "run, loopback HTTP server, tool round trip", "µs", 0.7, "direct (aiohttp) / openai SDK"),
    ("run_litellm_text_us", "run, LiteLLM custom provider, one request", "µs", None, "litellm"),
    ("run_litellm_tool_us", "run, LiteLLM custom provider, tool round trip", "µs", None, "litellm"),
]


def print_table(ours: dict[str, float], agno: dict[str, float] | None) -> None:
    header = f"| {'benchmark':<56} | {'agno_nb':>10} | {'agno 3.1.10':>11} | {'ratio':>6} | {'goal':>6} | path"
    print(header)
    print("|" + "-" * 58 + "|" + "-" * 12 + "|" + "-" * 13 + "|" + "-" * 8 + "|" + "-" * 8 + "|" + "-" * 30)
    for key, label, unit, goal, path in ROWS:
        mine = ours.get(key)
        theirs = (agno or {}).get(key)
        ratio = f"{mine / theirs:.2f}" if mine is not None and theirs else "-"
        status = ""
        if goal is not None and mine is not None and theirs:
            status = " ok" if mine / theirs <= goal else " MISS"
        fmt = lambda v: "-" if v is None else f"{v:,.1f} {unit}"  # noqa: E731
        goal_text = f"≤{goal}x" if goal is not None else "-"
        print(f"| {label:<56} | {fmt(mine):>10} | {fmt(theirs):>11} | {ratio:>6} | {goal_text:>6} |{status} {path}")


def _section(name: str):
    """A benchmark module of this folder, loaded by its path under its own name (``bench_<name>``):
    ``tests/``, which the sections put on sys.path, has a package named like ``agno_programs.py``."""
    import importlib.util

    key = f"bench_{name}"
    if key not in sys.modules:
        spec = importlib.util.spec_from_file_location(key, ROOT / "benchmarks" / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[key] = module
        spec.loader.exec_module(module)
    return sys.modules[key]


def main() -> None:
    parser = argparse.ArgumentParser(description="agno_nb benchmarks")
    parser.add_argument("--no-peers", action="store_true", help="measure agno_nb only")
    parser.add_argument("--n", type=int, default=1000, help="timed constructions")
    parser.add_argument("--runs", type=int, default=300, help="timed runs per run benchmark")
    parser.add_argument("--json", action="store_true", help="print the raw figures as JSON too")
    parser.add_argument("--no-storage", action="store_true", help="skip the storage table")
    parser.add_argument("--no-serve", action="store_true", help="skip the serving table (servers, minutes)")
    parser.add_argument("--no-mcp", action="store_true", help="skip the MCP table")
    parser.add_argument("--no-agno-programs", action="store_true",
                        help="skip Agno's programs run as scripts under both frameworks (~1.5 minutes)")
    parser.add_argument("--no-notebook-store", action="store_true",
                        help="skip the notebook default store table (10,000 runs; Agno with SqliteDb)")
    parser.add_argument("--no-knowledge", action="store_true", help="skip the knowledge table (~15 minutes)")
    parser.add_argument("--no-local", action="store_true", help="skip the local model table (llama.cpp, ~40 s)")
    parser.add_argument("--kill-soak", type=int, default=100, metavar="N",
                        help="kill -9 soak trials per store (default 100, ~10 minutes; 0 skips it)")
    args = parser.parse_args()

    server, base_url = start_server()
    try:
        ours = {"import_ms": import_ms("import agno_nb")}
        ours.update(measure_agno_nb(base_url, args.n, args.runs))
        agno = None if args.no_peers else measure_agno(base_url, args.n, args.runs)
    finally:
        server.terminate()
        server.wait(10)
    print(f"\npython {sys.version.split()[0]}, {os.cpu_count()} cores; medians; server: {base_url}\n")
    print_table(ours, agno)
    print(f"\n`from agno_nb import Agent` (cold): {import_ms('from agno_nb import Agent'):.1f} ms")
    if args.json:
        print(json.dumps({"agno_nb": ours, "agno": agno}, indent=2))
    if not args.no_storage:
        storage = _section("storage")
        print()
        storage.main()
    if not args.no_notebook_store:
        notebook_store = _section("notebook_store")
        print()
        notebook_store.main(["--no-peers"] if args.no_peers else [])
    if not args.no_serve:
        serve = _section("serve")
        print()
        serve.main(["--no-peers"] if args.no_peers else [])
    trace_view = _section("trace_view")
    workflows = _section("workflows")
    print()
    trace_view.main()
    print()
    workflows.print_table(workflows.measure(), agno)
    if not args.no_mcp:
        mcp_calls = _section("mcp_calls")  # not "mcp": that name is the SDK's
        print()
        mcp_calls.main(peers=not args.no_peers)
    if not args.no_agno_programs:
        agno_programs = _section("agno_programs")
        print()
        agno_programs.main(["--repeats", "1"] + (["--no-peers"] if args.no_peers else []))
    if not args.no_knowledge:
        knowledge = _section("knowledge")
        print()
        knowledge.main(["--no-peers"] if args.no_peers else [])
    if not args.no_local:
        local_model = _section("local_model")
        print()
        local_model.main([])
    if args.kill_soak:
        kill_soak = _section("kill_soak")
        print()
        kill_soak.main(["--trials", str(args.kill_soak)])


if __name__ == "__main__":
    main()
