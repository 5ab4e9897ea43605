"""Peer-side benchmark: measure Agno (``agno==3.1.10``) with the same workloads as agno_nb.

Run it with the Python of the venv that ``setup_agno.sh`` creates::

    "$(benchmarks/peers/setup_agno.sh)" benchmarks/peers/agno_peer.py \\
        --base-url http://127.0.0.1:PORT/v1 [--n 1000] [--warmup 10] [--runs 300] [--rounds 3]

It prints one JSON object to stdout. Times are in microseconds (``import_ms``
in milliseconds). Each time figure is a median of its timed samples, taken in
``--rounds`` rounds (default 3) of which the lowest median is kept: on this
shared host whole stretches of seconds run about twice as slow, and the best
round discards them. ``--rounds 1`` gives a plain median.

Method
------
``construct_us`` / ``construct_kib``
    Agno's own instantiation benchmark: ``Agent(model=OpenAIChat(id="gpt-4o-mini"),
    tools=[get_weather])``. After ``--warmup`` untimed constructions, ``--n`` per
    round are timed one at a time with ``time.perf_counter_ns``. Memory: with tracemalloc
    running, ``gc.collect()`` and ``tracemalloc.reset_peak()`` before each of
    ``MEMORY_SAMPLES`` constructions; the sample is the traced peak minus the
    traced memory just before the construction, in KiB.

``import_ms``
    ``import agno.agent`` timed inside a fresh interpreter, best of ``IMPORT_RUNS``.

``run_instant_text_us`` / ``run_instant_tool_us``
    Framework overhead of a sync ``agent.run(PROMPT)`` with no provider client
    and no HTTP. ``InstantModel`` subclasses ``agno.models.base.Model`` and
    overrides only the provider hooks (``invoke``/``ainvoke``/the stream
    variants and the ``_parse_provider_response*`` parsers), exactly where
    ``OpenAIChat`` would call the OpenAI SDK. Agno's own ``Model.response``
    loop, tool-call preparation, tool execution, metrics and the whole
    ``Agent.run`` pipeline run unchanged. The text agent has no tools and its
    model answers "ok". The tool agent has ``get_weather`` and its model first
    asks for ``get_weather(city="Paris")``, then answers with text once the
    tool result is in the conversation. Each run is checked: the tool must
    have run and its result must be in the run output.

``run_http_text_us`` / ``run_http_tool_us``
    End to end against a loopback OpenAI-compatible server at ``--base-url``
    (non-streaming), with ``OpenAIChat(id="bench-text" | "bench-tool",
    base_url=..., api_key="sk-test")``. The agents are built the same way as
    the instant ones.

For the run figures one agent is built and reused for every iteration, with
``RUN_WARMUP`` untimed runs before ``--runs`` timed ones per round. ``import_ms``
is taken last because the child interpreters disturb timings taken just after
them. Agno runs with its defaults (no db, no debug), and telemetry is turned
off through the environment before anything is imported.
"""

from __future__ import annotations

import os

# Stop agno (and anything under it) from phoning home before it is imported.
os.environ["AGNO_TELEMETRY"] = "false"
os.environ.setdefault("AGNO_DEBUG", "false")
os.environ.pop("AGNO_API_KEY", None)

import argparse  # noqa: E402
import gc  # noqa: E402
import json  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import tracemalloc  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from importlib.metadata import version  # noqa: E402
from typing import Any, AsyncIterator, Callable, Dict, Iterator, List, Optional  # noqa: E402

from agno.agent import Agent  # noqa: E402
from agno.metrics import MessageMetrics  # noqa: E402
from agno.models.base import Model  # noqa: E402
from agno.models.message import Message  # noqa: E402
from agno.models.openai import OpenAIChat  # noqa: E402
from agno.models.response import ModelResponse  # noqa: E402

PROMPT = "What's the weather in Paris?"
TOOL_ANSWER = "It is sunny in Paris."
MEMORY_SAMPLES = 200
IMPORT_RUNS = 5
RUN_WARMUP = 20
RUN_SAMPLES = 300


def get_weather(city: str) -> str:
    """Get the current weather for a city.

    Args:
        city: the city name
    """
    return f"It is sunny in {city}."


# --------------------------------------------------------------------------- #
# Instant in-process model
# --------------------------------------------------------------------------- #


@dataclass
class InstantModel(Model):
    """A Model whose provider answers at once, in process.

    Only the provider-facing hooks are implemented. Like ``OpenAIChat.invoke``,
    ``invoke`` times the call on the assistant message, gets a raw
    chat-completions-shaped reply (here a dict built in place instead of an
    HTTP response), and hands it to ``_parse_provider_response``. All the rest
    is Agno's own code.

    ``call_tool=True``: reply with a ``get_weather(city="Paris")`` tool call
    unless the last message is a tool result, then reply with text.
    ``call_tool=False``: always reply "ok".
    """

    id: str = "instant"
    name: str = "InstantModel"
    provider: str = "Instant"
    call_tool: bool = False

    def _provider_reply(self, messages: List[Message]) -> Dict[str, Any]:
        if self.call_tool and messages[-1].role != self.tool_message_role:
            message: Dict[str, Any] = {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": "call_1",
                        "type": "function",
                        "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'},
                    }
                ],
            }
        else:
            message = {"role": "assistant", "content": TOOL_ANSWER if self.call_tool else "ok"}
        return {"message": message, "usage": {"prompt_tokens": 10, "completion_tokens": 2, "total_tokens": 12}}

    def invoke(self, messages: List[Message], assistant_message: Message, **kwargs: Any) -> ModelResponse:
        assistant_message.metrics.start_timer()
        raw = self._provider_reply(messages)
        assistant_message.metrics.stop_timer()
        return self._parse_provider_response(raw)

    async def ainvoke(self, messages: List[Message], assistant_message: Message, **kwargs: Any) -> ModelResponse:
        return self.invoke(messages, assistant_message, **kwargs)

    def invoke_stream(self, messages: List[Message], assistant_message: Message, **kwargs: Any) -> Iterator[ModelResponse]:
        yield self.invoke(messages, assistant_message, **kwargs)

    async def ainvoke_stream(
        self, messages: List[Message], assistant_message: Message, **kwargs: Any
    ) -> AsyncIterator[ModelResponse]:
        yield self.invoke(messages, assistant_message, **kwargs)

    def _parse_provider_response(self, response: Dict[str, Any], **kwargs: Any) -> ModelResponse:
        message, usage = response["message"], response["usage"]
        model_response = ModelResponse(role=message["role"], content=message.get("content"))
        if message.get("tool_calls"):
            model_response.tool_calls = [dict(tc, function=dict(tc["function"])) for tc in message["tool_calls"]]
        model_response.response_usage = MessageMetrics(
            input_tokens=usage["prompt_tokens"],
            output_tokens=usage["completion_tokens"],
            total_tokens=usage["total_tokens"],
        )
        return model_response

    def _parse_provider_response_delta(self, response: Dict[str, Any]) -> ModelResponse:
        return self._parse_provider_response(response)


# --------------------------------------------------------------------------- #
# Measurements
# --------------------------------------------------------------------------- #


def time_calls(fn: Callable[[], Any], n: int) -> List[int]:
    """Time ``n`` calls of ``fn``, one at a time (ns each)."""
    samples = []
    for _ in range(n):
        t0 = time.perf_counter_ns()
        fn()
        samples.append(time.perf_counter_ns() - t0)
    return samples


def median_us(fn: Callable[[], Any], warmup: int, n: int, rounds: int) -> float:
    """``warmup`` untimed calls, then the lowest of ``rounds`` medians of ``n`` timed calls, in µs."""
    for _ in range(warmup):
        fn()
    return round(min(statistics.median(time_calls(fn, n)) for _ in range(rounds)) / 1000, 2)


def construct_agent() -> Agent:
    return Agent(model=OpenAIChat(id="gpt-4o-mini"), tools=[get_weather])


def construct_team() -> Any:
    """Agno's cookbook shape: a team of two agents with a tool each, built from scratch."""
    from agno.team import Team

    members = [Agent(name=name, model=OpenAIChat(id="gpt-4o-mini"), tools=[get_weather])
               for name in ("researcher", "writer")]
    return Team(name="desk", members=members, model=OpenAIChat(id="gpt-4o-mini"))


def measure_construction(warmup: int, n: int, rounds: int) -> Dict[str, float]:
    construct_us = median_us(construct_agent, warmup, n, rounds)

    peaks = []
    tracemalloc.start()
    try:
        for _ in range(MEMORY_SAMPLES):
            gc.collect()
            tracemalloc.reset_peak()
            before, _ = tracemalloc.get_traced_memory()
            agent = construct_agent()
            _, peak = tracemalloc.get_traced_memory()
            peaks.append(peak - before)
            del agent
    finally:
        tracemalloc.stop()
    return {"construct_us": construct_us, "construct_kib": round(statistics.median(peaks) / 1024, 2)}


def measure_import() -> float:
    code = "import time; t=time.perf_counter(); import agno.agent; print(time.perf_counter()-t)"
    best = min(
        float(subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True, env=os.environ).stdout)
        for _ in range(IMPORT_RUNS)
    )
    return round(best * 1000, 1)


def require(ok: Any, what: Any) -> None:
    """Like ``assert`` but not stripped by ``python -O``."""
    if not ok:
        raise RuntimeError(f"agno peer sanity check failed: {what!r}")


def check_text(agent: Agent) -> Callable[[], None]:
    def run() -> None:
        out = agent.run(PROMPT)
        require(out.content == "ok", out.content)
        require(not out.tools, out.tools)

    return run


def check_tool(agent: Agent) -> Callable[[], None]:
    def run() -> None:
        out = agent.run(PROMPT)
        require(out.content == TOOL_ANSWER, out.content)
        require(out.tools and len(out.tools) == 1, out.tools)
        tool = out.tools[0]
        require(tool.tool_name == "get_weather" and tool.tool_args == {"city": "Paris"}, tool)
        require(tool.result == TOOL_ANSWER and not tool.tool_call_error, tool)
        tool_messages = [m.content for m in out.messages or [] if m.role == "tool"]
        require(tool_messages == [TOOL_ANSWER], tool_messages)

    return run


def main(argv: Optional[List[str]] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--base-url", required=True, help="OpenAI-compatible loopback server, e.g. http://127.0.0.1:PORT/v1")
    parser.add_argument("--n", type=int, default=1000, help="timed constructions")
    parser.add_argument("--warmup", type=int, default=10, help="untimed constructions first")
    parser.add_argument("--runs", type=int, default=RUN_SAMPLES, help="timed agent.run() calls per run figure")
    parser.add_argument("--rounds", type=int, default=3, help="timed rounds per figure; the lowest median is kept")
    args = parser.parse_args(argv)

    def http_model(model_id: str) -> OpenAIChat:
        return OpenAIChat(id=model_id, base_url=args.base_url, api_key="sk-test")

    text_agents = {"instant": Agent(model=InstantModel()), "http": Agent(model=http_model("bench-text"))}
    tool_agents = {
        "instant": Agent(model=InstantModel(call_tool=True), tools=[get_weather]),
        "http": Agent(model=http_model("bench-tool"), tools=[get_weather]),
    }

    result: Dict[str, Any] = {"framework": "agno", "version": version("agno")}
    result.update(measure_construction(args.warmup, args.n, args.rounds))
    result["construct_team_us"] = median_us(construct_team, args.warmup, args.n, args.rounds)
    for kind in ("instant", "http"):
        result[f"run_{kind}_text_us"] = median_us(check_text(text_agents[kind]), RUN_WARMUP, args.runs, args.rounds)
        result[f"run_{kind}_tool_us"] = median_us(check_tool(tool_agents[kind]), RUN_WARMUP, args.runs, args.rounds)
    result["import_ms"] = measure_import()
    result["samples"] = {
        "construct": args.n,
        "construct_memory": MEMORY_SAMPLES,
        "run": args.runs,
        "run_warmup": RUN_WARMUP,
        "rounds": args.rounds,
        "import": IMPORT_RUNS,
    }

    print(json.dumps(result))


if __name__ == "__main__":
    main()
