"""Local model figures: ``local/smollm2`` (SmolLM2-135M-Instruct Q4_1) on llama.cpp, on this machine.

    .venv/bin/python benchmarks/local_model.py            # 1 and 2 threads, 5 runs each
    .venv/bin/python benchmarks/local_model.py --runs 10 --threads 1

For each thread count, a fresh server: its load time (spawn to ``/health`` = 200), then ``runs`` streamed
agent runs of a fixed length (``max_tokens`` with ``ignore_eos``, so every run generates the same number
of tokens). Reported, as medians:

- time to first token: the agent's ``metrics.ttft`` (request sent to first text delta, through agno_nb's
  direct transport; ``cache_prompt=False`` so the ~40-token prompt is evaluated every time);
- generation tokens/s, end to end: (output tokens - 1) / (duration - ttft), as a user sees it stream;
- llama.cpp's own prompt and generation tokens/s (the ``timings`` of one non-streamed answer).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PROMPT = "Write a short story about a lighthouse keeper and a cat."


def measure(threads: int, runs: int, tokens: int) -> dict[str, float]:
    from agno_nb import Agent
    from agno_nb.models import get_model
    from agno_nb.models.local import stop_all

    stop_all()
    model = get_model("local/smollm2", threads=threads, max_tokens=tokens, temperature=0, ignore_eos=True,
                      cache_prompt=False)  # every run evaluates its prompt: TTFT as for a new question
    agent = Agent(model=model)
    started = time.perf_counter()
    agent.run("Hi")  # starts the server and warms it
    first_call = time.perf_counter() - started
    load = model.server.load_seconds
    ttfts, rates = [], []
    for _ in range(runs):
        out = _streamed(agent)
        ttfts.append(out.metrics.ttft)
        generating = out.metrics.duration - out.metrics.ttft
        rates.append((out.metrics.output_tokens - 1) / generating if generating > 0 else float("nan"))
    native = _native_timings(model.server.base_url, tokens)
    stop_all()
    return {"threads": threads, "load_s": load, "first_call_s": first_call,
            "ttft_ms": statistics.median(ttfts) * 1000, "tokens_per_s": statistics.median(rates),
            "prompt_tokens_per_s": native["prompt_per_second"],
            "native_tokens_per_s": native["predicted_per_second"],
            "output_tokens": tokens}


def _streamed(agent):
    from agno_nb.run_events import RunOutput

    events = list(agent.run(PROMPT, stream=True))
    out = RunOutput(events[0].ref)
    for event in events:
        out.apply(event)
    return out


def _native_timings(base_url: str, tokens: int) -> dict[str, float]:
    body = json.dumps({"messages": [{"role": "user", "content": PROMPT}], "max_tokens": tokens,
                       "temperature": 0, "ignore_eos": True, "cache_prompt": False}).encode()
    request = urllib.request.Request(base_url + "/chat/completions", body,
                                     {"Content-Type": "application/json"})
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(request, timeout=120) as response:
        return json.loads(response.read())["timings"]


def print_table(rows: list[dict[str, float]]) -> None:
    """The figures as a markdown table."""
    print(f"local/smollm2 (SmolLM2-135M-Instruct Q4_1, llama.cpp via xllamacpp), {os.cpu_count()} cores, "
          f"OMP_WAIT_POLICY={os.environ.get('OMP_WAIT_POLICY', 'PASSIVE (set by agno_nb)')}; medians\n")
    print("| threads | server load | first call (load + one run) | time to first token | "
          "tokens/s (streamed, end to end) | llama.cpp prompt tok/s | llama.cpp generation tok/s |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['threads']} | {r['load_s']:.2f} s | {r['first_call_s']:.2f} s | {r['ttft_ms']:.0f} ms | "
              f"{r['tokens_per_s']:.1f} | {r['prompt_tokens_per_s']:.0f} | {r['native_tokens_per_s']:.1f} |")
    print(f"\n({rows[0]['output_tokens']:.0f} generated tokens per run; "
          f"prompt ~40 tokens with the chat template)")


def main(argv: list[str] | None = None) -> None:
    """Measure and print the local model table."""
    parser = argparse.ArgumentParser(description="local model benchmark")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--tokens", type=int, default=128)
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    rows = [measure(threads, args.runs, args.tokens) for threads in args.threads]
    print_table(rows)
    if args.json:
        print(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
