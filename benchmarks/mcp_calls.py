"""MCP benchmark (not named mcp.py: that would shadow the SDK on sys.path): a tool call through MCP over stdio and streamable HTTP, agno_nb next to Agno.

    .venv/bin/python benchmarks/mcp_calls.py      # Agno's venv is set up on first use (PyPI)

Both frameworks talk to the same SDK-written server (tests/mcp_servers/fault_server.py, its ``echo``
tool): over stdio each starts its own copy, over HTTP both use one uvicorn process on 127.0.0.1.
Round trip: ``echo(text="hi")`` through the toolkit's function, as an agent calls it (agno_nb: argument
validation against the server's schema, then the call; Agno: the entrypoint), 20 warm-ups, 300 timed
calls, p50/p95. "SDK floor" is the SDK's own ``Client.call_tool`` on the caller's loop, the cost under
any framework; overhead = a framework's p50 minus the floor. Connect: median of 3 fresh toolkits,
from nothing to the tool list (stdio includes starting the server process).
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

ARGS = {"text": "hi"}
N, WARMUP, CONNECTS = 300, 20, 3


def _percentiles(samples: list[int]) -> tuple[float, float]:
    samples = sorted(samples)
    return samples[len(samples) // 2] / 1000, samples[int(len(samples) * 0.95)] / 1000


async def _ours(make) -> dict[str, float]:
    samples = []
    for _ in range(CONNECTS):
        tools = make()
        t0 = time.perf_counter()
        await tools.aconnect()
        samples.append((time.perf_counter() - t0) * 1000)
        await tools.aclose()
    tools = await make().aconnect()
    fn = tools.functions["echo"]
    for _ in range(WARMUP):
        await fn.acall(fn.validate(ARGS), in_thread=False)
    timed = []
    for _ in range(N):
        t0 = time.perf_counter_ns()
        result, _ = await fn.acall(fn.validate(ARGS), in_thread=False)
        timed.append(time.perf_counter_ns() - t0)
    assert result == "hi", result
    await tools.aclose()
    p50, p95 = _percentiles(timed)
    return {"connect_ms": statistics.median(samples), "p50_us": p50, "p95_us": p95}


async def _floor(transport) -> tuple[float, float]:
    from mcp import Client

    async with Client(transport) as client:
        for _ in range(WARMUP):
            await client.call_tool("echo", ARGS)
        timed = []
        for _ in range(N):
            t0 = time.perf_counter_ns()
            await client.call_tool("echo", ARGS)
            timed.append(time.perf_counter_ns() - t0)
    return _percentiles(timed)


def _agno(stdio: str, http: str) -> dict | None:
    venv = Path(os.environ.get("AGNO_VENV", ROOT / ".venv-agno"))
    setup = subprocess.run(["bash", str(ROOT / "benchmarks" / "peers" / "setup_agno.sh")],
                           env={**os.environ, "AGNO_VENV": str(venv)}, capture_output=True, text=True)
    if setup.returncode != 0:
        print(f"(Agno not measured: its venv could not be set up: {setup.stderr.strip()[-300:]})")
        return None
    done = subprocess.run([str(venv / "bin" / "python"), str(ROOT / "benchmarks" / "peers" / "agno_mcp_peer.py"),
                           "--stdio", stdio, "--http", http, "--n", str(N), "--connects", str(CONNECTS)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        print(f"(Agno MCP run failed: {done.stderr.strip()[-500:]})")
        return None
    return json.loads(done.stdout.strip().splitlines()[-1])


def measure(peers: bool = True) -> dict:
    from mcp.client.stdio import StdioServerParameters, stdio_client
    from mcp.client.streamable_http import streamable_http_client
    from mcp_servers import FAULT, fault_command, fault_http

    from agno_nb.tools.mcp import MCPTools

    server = fault_http().start()
    try:
        stdio = fault_command()
        # only the echo tool: the fault server's deliberately malformed tool would be reported at each connect
        makers = {"stdio": lambda: MCPTools(stdio, include_tools=["echo"]),
                  "http": lambda: MCPTools(url=server.url, include_tools=["echo"])}
        ours = {name: asyncio.run(_ours(make)) for name, make in makers.items()}
        floor = {"stdio": asyncio.run(_floor(stdio_client(StdioServerParameters(command=sys.executable,
                                                                                  args=[str(FAULT)])))),
                 "http": asyncio.run(_floor(streamable_http_client(server.url)))}
        agno = _agno(stdio, server.url) if peers else None
    finally:
        server.stop()
    return {"agno_nb": ours, "floor": floor, "agno": agno}


def print_table(figures: dict) -> None:
    ours, floor, agno = figures["agno_nb"], figures["floor"], figures["agno"]
    print("| MCP (echo tool, same server) | agno_nb | Agno 3.1.10 | ratio | SDK floor |")
    print("|---|---:|---:|---:|---:|")
    for transport, label in (("stdio", "stdio"), ("http", "streamable HTTP")):
        mine, theirs, base = ours[transport], (agno or {}).get(transport), floor[transport]
        for key, name, unit in (("p50_us", "call p50", "µs"), ("p95_us", "call p95", "µs")):
            ratio = f"{mine[key] / theirs[key]:.2f}x" if theirs else "-"
            ref = base[0] if key == "p50_us" else base[1]
            print(f"| {label}: {name} | {mine[key]:,.0f} {unit} | "
                  f"{f'{theirs[key]:,.0f} {unit}' if theirs else '-'} | {ratio} | {ref:,.0f} {unit} |")
        if theirs:
            ours_over, theirs_over = mine["p50_us"] - base[0], theirs["p50_us"] - base[0]
            ratio = f"{ours_over / theirs_over:.2f}x" if theirs_over > 0 else "-"
            print(f"| {label}: overhead over the SDK (p50) | {ours_over:,.0f} µs | {theirs_over:,.0f} µs | "
                  f"{ratio} (goal ≤ 0.7x) | 0 |")
        theirs_connect = f"{theirs['connect_ms']:,.0f} ms" if theirs else "-"
        ratio = f"{mine['connect_ms'] / theirs['connect_ms']:.2f}x" if theirs else "-"
        print(f"| {label}: connect + list_tools | {mine['connect_ms']:,.0f} ms | {theirs_connect} | {ratio} | - |")


def main(peers: bool = True) -> None:
    print_table(measure(peers))


if __name__ == "__main__":
    main(peers="--no-peers" not in sys.argv)
