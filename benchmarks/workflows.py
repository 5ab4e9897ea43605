"""Team and workflow benchmarks: team construction, a Parallel of I/O-bound steps, per-step overhead."""

from __future__ import annotations

import asyncio
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def get_weather(city: str) -> str:
    """Get the weather."""
    return f"sunny in {city}"


def construct_team_us(n: int = 1000) -> float:
    from agno_nb import Agent, Team
    from agno_nb.models import get_model

    def build():  # as on the peer side: a model object per agent and for the leader
        members = [Agent(name=name, model=get_model("openai/gpt-4o-mini", api_key="sk-bench"), tools=[get_weather])
                   for name in ("researcher", "writer")]
        return Team(name="desk", members=members, model=get_model("openai/gpt-4o-mini", api_key="sk-bench"))

    for _ in range(10):
        build()
    best = []
    for _ in range(3):
        samples = []
        for _ in range(n):
            t0 = time.perf_counter_ns()
            build()
            samples.append(time.perf_counter_ns() - t0)
        best.append(statistics.median(samples))
    return min(best) / 1000


def parallel_io_s() -> float:
    from agno_nb import Parallel, Step, Workflow

    async def wait(step_input):
        await asyncio.sleep(0.1)
        return "done"

    workflow = Workflow(name="fan-out", steps=[Parallel(*[Step(f"io{i}", wait) for i in range(10)])])
    workflow.run("warm up")
    samples = []
    for _ in range(5):
        t0 = time.perf_counter()
        out = workflow.run("go")
        samples.append(time.perf_counter() - t0)
        assert out.ok
    return statistics.median(samples)


def per_step_us(steps: int = 100) -> float:
    from agno_nb import Step, Workflow

    workflow = Workflow(name="long", steps=[Step(f"s{i}", lambda step_input: step_input.previous_step_content)
                                            for i in range(steps)])
    workflow.run("warm up")
    samples = []
    for _ in range(20):
        t0 = time.perf_counter()
        workflow.run("go")
        samples.append(time.perf_counter() - t0)
    return statistics.median(samples) / steps * 1e6


def measure() -> dict[str, float]:
    return {"construct_team_us": construct_team_us(), "parallel_10x100ms_s": parallel_io_s(),
            "per_step_us": per_step_us()}


def print_table(ours: dict[str, float], agno: dict[str, float] | None) -> None:
    team_agno = (agno or {}).get("construct_team_us")
    print(f"| {'teams and workflows':<58} | {'agno_nb':>12} | {'agno 3.1.10':>12}")
    print("|" + "-" * 60 + "|" + "-" * 14 + "|" + "-" * 14)
    print(f"| {'Team of 2 agents with a tool each, built from scratch':<58} | "
          f"{ours['construct_team_us']:>9.1f} µs | " + (f"{team_agno:>9.1f} µs" if team_agno else f"{'-':>12}"))
    print(f"| {'Parallel of 10 steps, each awaiting 100 ms of I/O':<58} | {ours['parallel_10x100ms_s']:>10.3f} s | "
          f"{'-':>12}")
    print(f"| {'per-step overhead, 100-step function workflow':<58} | {ours['per_step_us']:>9.1f} µs | {'-':>12}")


if __name__ == "__main__":
    print_table(measure(), None)
