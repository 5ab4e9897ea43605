"""Prometheus metrics of a replica: counters and histograms kept in memory, rendered only when scraped.

Recording is a dict update on the request path; the text format is built by ``render()`` on a scrape.
Each uvicorn worker process keeps its own figures (scrape each replica; run one worker per replica
when you need exact per-replica totals).
"""

from __future__ import annotations

import bisect
import os
import resource
import time
from typing import Any, Callable

__all__ = ["Metrics"]

_REQUEST_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
_RUN_BUCKETS = (
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
    5.0,
    10.0,
    30.0,
    60.0,
    120.0,
    300.0,
    600.0,
)


class _Histogram:
    __slots__ = ("buckets", "counts", "total", "count")

    def __init__(self, buckets: tuple[float, ...]):
        self.buckets = buckets
        self.counts = [0] * (len(buckets) + 1)
        self.total = 0.0
        self.count = 0

    def observe(self, value: float) -> None:
        self.counts[bisect.bisect_left(self.buckets, value)] += 1
        self.total += value
        self.count += 1


class Metrics:
    """The figures of one process; ``gauges`` are read at scrape time."""

    def __init__(self) -> None:
        self.started = time.time()
        self.requests: dict[tuple[str, str, int], int] = {}
        self.request_seconds: dict[str, _Histogram] = {}
        self.runs: dict[tuple[str, str], int] = {}
        self.run_seconds: dict[str, _Histogram] = {}
        self.tokens: dict[tuple[str, str], int] = {}
        self.gauges: dict[str, tuple[str, Callable[[], float]]] = {}

    def observe_request(self, method: str, route: str, status: int, seconds: float) -> None:
        key = (method, route, status)
        self.requests[key] = self.requests.get(key, 0) + 1
        histogram = self.request_seconds.get(route)
        if histogram is None:
            histogram = self.request_seconds[route] = _Histogram(_REQUEST_BUCKETS)
        histogram.observe(seconds)

    def observe_run(
        self, kind: str, status: str, seconds: float | None, metrics: dict[str, Any] | None
    ) -> None:
        key = (kind, status)
        self.runs[key] = self.runs.get(key, 0) + 1
        if seconds is not None:
            histogram = self.run_seconds.get(kind)
            if histogram is None:
                histogram = self.run_seconds[kind] = _Histogram(_RUN_BUCKETS)
            histogram.observe(seconds)
        if metrics:
            for direction in ("input", "output"):
                count = metrics.get(f"{direction}_tokens") or 0
                if count:
                    tkey = (kind, direction)
                    self.tokens[tkey] = self.tokens.get(tkey, 0) + count

    def gauge(self, name: str, help: str, read: Callable[[], float]) -> None:
        self.gauges[name] = (help, read)

    # ---------------------------------------------------------------------------------- render

    def render(self) -> str:
        out: list[str] = []
        _family(
            out,
            "agno_nb_http_requests_total",
            "counter",
            "HTTP requests by route and status.",
            [
                (f'method="{m}",route="{_esc(r)}",status="{s}"', v)
                for (m, r, s), v in sorted(self.requests.items())
            ],
        )
        _histograms(
            out,
            "agno_nb_http_request_duration_seconds",
            "Time to the end of the response (streams too).",
            "route",
            self.request_seconds,
        )
        _family(
            out,
            "agno_nb_runs_total",
            "counter",
            "Finished runs by kind and status.",
            [(f'kind="{k}",status="{s}"', v) for (k, s), v in sorted(self.runs.items())],
        )
        _histograms(out, "agno_nb_run_duration_seconds", "Run duration by kind.", "kind", self.run_seconds)
        _family(
            out,
            "agno_nb_model_tokens_total",
            "counter",
            "Model tokens used by runs.",
            [(f'kind="{k}",direction="{d}"', v) for (k, d), v in sorted(self.tokens.items())],
        )
        for name, (help, read) in sorted(self.gauges.items()):
            try:
                value = read()
            except Exception:  # a gauge that cannot be read now is left out of this scrape
                continue
            _family(out, name, "gauge", help, [("", value)])
        usage = resource.getrusage(resource.RUSAGE_SELF)
        _family(
            out,
            "process_cpu_seconds_total",
            "counter",
            "CPU time of this process.",
            [("", usage.ru_utime + usage.ru_stime)],
        )
        _family(
            out,
            "process_resident_memory_bytes",
            "gauge",
            "Resident memory of this process.",
            [("", _rss_bytes())],
        )
        _family(
            out,
            "process_start_time_seconds",
            "gauge",
            "When this process started serving (Unix time).",
            [("", self.started)],
        )
        return "\n".join(out) + "\n"


def _family(out: list[str], name: str, kind: str, help: str, samples: list[tuple[str, float]]) -> None:
    out.append(f"# HELP {name} {help}")
    out.append(f"# TYPE {name} {kind}")
    for labels, value in samples:
        out.append(f"{name}{{{labels}}} {_num(value)}" if labels else f"{name} {_num(value)}")


def _histograms(out: list[str], name: str, help: str, label: str, series: dict[str, _Histogram]) -> None:
    out.append(f"# HELP {name} {help}")
    out.append(f"# TYPE {name} histogram")
    for key, histogram in sorted(series.items()):
        cumulative = 0
        tag = f'{label}="{_esc(key)}"'
        for bound, count in zip((*histogram.buckets, float("inf")), histogram.counts):
            cumulative += count
            le = "+Inf" if bound == float("inf") else _num(bound)
            out.append(f'{name}_bucket{{{tag},le="{le}"}} {cumulative}')
        out.append(f"{name}_sum{{{tag}}} {_num(histogram.total)}")
        out.append(f"{name}_count{{{tag}}} {histogram.count}")


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def _esc(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _rss_bytes() -> int:
    try:
        with open(f"/proc/{os.getpid()}/statm") as handle:
            return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:  # not Linux: the peak is the best figure at hand
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
