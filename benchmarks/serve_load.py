"""The load generator of the serving benchmark (its own process, so it never shares the server's CPU budget).

    python benchmarks/serve_load.py URL --form message=hi --form stream=false --concurrency 8 --n 500

Modes: ``json`` (a full response per request; latency to its end), ``sse`` (time to the first byte of
the event stream, and to its end), ``hold`` (``--n`` streams opened at once and read to the end: how a
server holds many open streams). Prints one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time

import aiohttp


def _percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


async def _one(
    session: aiohttp.ClientSession, url: str, data: dict, mode: str
) -> tuple[float, float | None, bool]:
    started = time.perf_counter()
    first = None
    async with session.post(url, data=data) as response:
        ok = response.status == 200
        if mode == "json":
            body = await response.read()
            ok = ok and len(body) > 0
        else:
            saw_event = False
            async for chunk in response.content.iter_any():
                if first is None:
                    first = time.perf_counter() - started
                saw_event = saw_event or b"data:" in chunk
            ok = ok and saw_event
    return time.perf_counter() - started, first, ok


def _rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as handle:
        return next(int(line.split()[1]) for line in handle if line.startswith("VmRSS:"))


async def _watch(pid: int, peak: list[int]) -> None:
    while True:
        peak[0] = max(peak[0], _rss_kib(pid))
        await asyncio.sleep(0.05)


async def run(
    url: str, data: dict, mode: str, concurrency: int, n: int, warmup: int, pid: int | None
) -> dict:
    connector = aiohttp.TCPConnector(
        limit=max(concurrency, n if mode == "hold" else concurrency) + 8, force_close=False
    )
    timeout = aiohttp.ClientTimeout(total=120)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        for _ in range(warmup):
            await _one(session, url, data, "json" if mode == "json" else "sse")
        latencies: list[float] = []
        firsts: list[float] = []
        errors = 0
        queue = list(range(n))

        async def worker() -> None:
            nonlocal errors
            while queue:
                queue.pop()
                try:
                    total, first, ok = await _one(session, url, data, mode)
                except Exception:
                    errors += 1
                    continue
                if not ok:
                    errors += 1
                latencies.append(total)
                if first is not None:
                    firsts.append(first)

        peak = [0]
        rss_before = _rss_kib(pid) if pid else None
        watcher = asyncio.ensure_future(_watch(pid, peak)) if pid else None
        started = time.perf_counter()
        workers = n if mode == "hold" else concurrency
        await asyncio.gather(*(worker() for _ in range(workers)))
        wall = time.perf_counter() - started
        if watcher is not None:
            watcher.cancel()
    rss = {
        "rss_before_kib": rss_before,
        "rss_peak_kib": peak[0] or None,
        "rss_after_kib": _rss_kib(pid) if pid else None,
    }
    return {
        "n": n,
        "concurrency": workers,
        "wall_s": wall,
        "runs_per_s": (n - errors) / wall if wall else None,
        "p50_ms": _ms(_percentile(latencies, 0.5)),
        "p99_ms": _ms(_percentile(latencies, 0.99)),
        "ttfb_p50_ms": _ms(_percentile(firsts, 0.5)),
        "ttfb_p99_ms": _ms(_percentile(firsts, 0.99)),
        "errors": errors,
        "mean_ms": _ms(statistics.fmean(latencies)) if latencies else None,
        **rss,
    }


def _ms(value: float | None) -> float | None:
    return None if value is None else round(value * 1000, 3)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("url")
    parser.add_argument("--form", action="append", default=[], help="name=value (repeatable)")
    parser.add_argument("--mode", choices=["json", "sse", "hold"], default="json")
    parser.add_argument("--concurrency", type=int, default=1)
    parser.add_argument("--n", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument(
        "--pid", type=int, help="the server's pid: report its memory (RSS) before, at peak, after"
    )
    args = parser.parse_args()
    data = dict(item.split("=", 1) for item in args.form)
    print(
        json.dumps(
            asyncio.run(run(args.url, data, args.mode, args.concurrency, args.n, args.warmup, args.pid))
        ),
        flush=True,
    )


if __name__ == "__main__":
    main()
