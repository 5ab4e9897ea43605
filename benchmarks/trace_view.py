"""What the live trace view costs: a run that emits 2,000 events, with and without the view.

The run streams a 2,000-word answer from the instant scripted model (one event per word). "with the
view" renders through ``LiveTrace`` into an IPython display (an InteractiveShell with a capturing
display publisher, so rendering and publishing are real, only the front end is absent).
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def paced_model(words: str, pause: float):
    """A model that streams one word every ``pause`` seconds, as a real provider does."""
    import asyncio

    from agno_nb.models.base import Model, ModelResponse

    class Paced(Model):
        transport = "in-process"

        async def respond(self, messages, *, tools, response_format, stream):
            for word in words.split(" "):
                yield word + " "
                await asyncio.sleep(pause)
            yield ModelResponse(words, input_tokens=10, output_tokens=2000)

    return Paced("paced")


def measure(repeat: int = 7, pause: float = 0.0) -> dict[str, float]:
    from IPython.core.interactiveshell import InteractiveShell
    from IPython.utils.capture import capture_output

    from agno_nb import Agent, ScriptedModel
    from agno_nb.models.scripts import text
    from agno_nb.notebook.live import LiveTrace
    from agno_nb.observe import add_run_observer, remove_run_observer

    InteractiveShell.instance()
    words = " ".join(f"w{i}" for i in range(2000))
    model = paced_model(words, pause) if pause else ScriptedModel([text(words)], cycle=True)
    agent = Agent(name="bench", model=model)

    def one_run() -> tuple[float, int]:
        t0 = time.perf_counter()
        count = sum(1 for _ in agent.run("go", stream=True))
        return time.perf_counter() - t0, count

    views: list[LiveTrace] = []
    live_on = [False]

    def factory(agent, ref):
        if not live_on[0]:
            return None
        view = LiveTrace(agent, ref.run_id)
        views.append(view)
        return view

    # Interleaved, so both arms see the same machine load (CPU-heavy neighbours skew back-to-back runs).
    plain, live = [], []
    add_run_observer(factory)
    try:
        with capture_output():
            for _ in range(repeat):
                live_on[0] = False
                plain.append(one_run())
                live_on[0] = True
                live.append(one_run())
    finally:
        remove_run_observer(factory)
    base = statistics.median(t for t, _ in plain)
    with_view = statistics.median(t for t, _ in live)
    return {"events": plain[0][1], "without_ms": base * 1000, "with_ms": with_view * 1000,
            "overhead_pct": 100 * (with_view - base) / base,
            "renders": statistics.median(v.updates for v in views)}


def main() -> None:
    instant = measure()
    paced = measure(repeat=3, pause=0.0005)
    print(f"| {'trace view: a run of 2,000 events':<50} | {'instant model':>14} | {'paced stream':>14}")
    print("|" + "-" * 52 + "|" + "-" * 16 + "|" + "-" * 16)
    rows = [("events in the run", "events", "{:,.0f}"),
            ("wall time without the live view (median, ms)", "without_ms", "{:,.1f}"),
            ("wall time with the live view (median, ms)", "with_ms", "{:,.1f}"),
            ("overhead of the view, % (goal <= 10)", "overhead_pct", "{:,.1f}"),
            ("renders sent to the front end (throttled)", "renders", "{:,.0f}")]
    for label, key, fmt in rows:
        print(f"| {label:<50} | {fmt.format(instant[key]):>14} | {fmt.format(paced[key]):>14}")


if __name__ == "__main__":
    main()
