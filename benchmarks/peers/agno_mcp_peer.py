"""Peer-side MCP benchmark: Agno's (``agno==3.1.10``) MCPTools against the same servers as agno_nb's.

    "$(benchmarks/peers/setup_agno.sh)" benchmarks/peers/agno_mcp_peer.py --stdio "CMD" --http URL

Prints one JSON object: per transport, connect + list_tools (ms, median) and the tool-call round trip
through the toolkit's function (µs, p50/p95), measured exactly as benchmarks/mcp_calls.py measures agno_nb.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time

ARGS = {"text": "hi"}


async def connect_ms(make, rounds: int) -> float:
    samples = []
    for _ in range(rounds):
        tools = make()
        t0 = time.perf_counter()
        await tools.connect()
        samples.append((time.perf_counter() - t0) * 1000)
        await tools.close()
    return statistics.median(samples)


async def calls_us(make, n: int, warmup: int) -> tuple[float, float]:
    tools = make()
    await tools.connect()
    call = tools.functions["echo"].entrypoint
    for _ in range(warmup):
        await call(**ARGS)
    samples = []
    for _ in range(n):
        t0 = time.perf_counter_ns()
        result = await call(**ARGS)
        samples.append(time.perf_counter_ns() - t0)
    assert "hi" in str(getattr(result, "content", result)), result
    await tools.close()
    samples.sort()
    return samples[len(samples) // 2] / 1000, samples[int(len(samples) * 0.95)] / 1000


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--stdio", required=True)
    parser.add_argument("--http", required=True)
    parser.add_argument("--n", type=int, default=300)
    parser.add_argument("--connects", type=int, default=3)
    args = parser.parse_args()
    from agno.tools.mcp import MCPTools

    makers = {"stdio": lambda: MCPTools(command=args.stdio, transport="stdio"),
              "http": lambda: MCPTools(url=args.http, transport="streamable-http")}
    out = {}
    for name, make in makers.items():
        p50, p95 = await calls_us(make, args.n, 20)
        out[name] = {"connect_ms": await connect_ms(make, args.connects), "p50_us": p50, "p95_us": p95}
    print(json.dumps(out))


if __name__ == "__main__":
    asyncio.run(main())
