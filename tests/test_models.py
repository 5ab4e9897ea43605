"""Model transports: the same scripts served in-process, through LiteLLM and over HTTP.

Every behaviour that should not depend on the transport (answers, tool calls, streaming, structured
output, usage, timing, retries, errors) is parametrized over the three paths:

- ``in-process``: ``ScriptedModel``;
- ``litellm``: ``model="scripted/<name>"``, LiteLLM's custom provider;
- ``direct``: ``model="openai/<name>"`` against the loopback OpenAI-compatible server.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import threading
import time
import urllib.error
import urllib.request
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import subprocess
import sys

import pytest
from pydantic import BaseModel

import agno_nb.models as models_pkg
from agno_nb import Agent, ScriptedModel
from agno_nb.errors import (
    BadRequestError,
    ConfigurationError,
    MissingAPIKeyError,
    ModelError,
    ModelTimeoutError,
    ProviderError,
    RateLimitError,
    UnknownModelError,
)
from agno_nb.run_events import (
    ModelRequestCompleted,
    ModelRequestFailed,
    ModelRequestStarted,
    OutputValidationFailed,
    ReasoningContentDelta,
    RunCompleted,
    RunContentDelta,
    RunError,
    RunOutput,
    RunStarted,
    ToolCallCompleted,
    ToolCallStarted,
)
from agno_nb.models import DEFAULT_MODEL, get_model, normalize_model_id
from agno_nb.models import scripts as scripts_mod
from agno_nb.models.litellm_model import LiteLLMModel
from agno_nb.models.openai_compat import OpenAICompatModel
from agno_nb.models.pricing import price_of
from agno_nb.models.scripts import Turn, error, json_reply, register_script, text, tool_call, tool_calls

TRANSPORTS = ["in-process", "litellm", "direct"]
DELTA_TYPES = (RunContentDelta, ReasoningContentDelta)


# ------------------------------------------------------------------------------------------ helpers


def get_weather(city: str) -> str:
    """Get the current weather of a city.

    Args:
        city: the city name
    """
    return f"sunny in {city}"


def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


class City(BaseModel):
    name: str
    population: int


PARIS = {"name": "Paris", "population": 2100000}


def model_for(transport: str, name: str, **options):
    """The model that serves the registered script ``name`` over ``transport``."""
    if transport == "in-process":
        return ScriptedModel(name, **options)
    if transport == "litellm":
        return get_model(f"scripted/{name}", **options)
    if transport == "direct":
        return get_model(f"openai/{name}", **options)
    raise AssertionError(transport)


@pytest.fixture(params=TRANSPORTS)
def transport(request):
    if request.param == "direct":
        request.getfixturevalue("openai_base")
    return request.param


@pytest.fixture
def make_model(transport, script_name):
    """``make_model(turns, **options)``: register ``turns`` under a fresh name, return the model for it."""
    counter = itertools.count()

    def make(turns, *, cycle: bool = False, **options):
        name = f"{script_name}-{next(counter)}-{uuid.uuid4().hex[:6]}"
        register_script(name, turns, cycle=cycle)
        return model_for(transport, name, **options)

    return make


def collect(events) -> RunOutput:
    """Fold a list of streamed events the way ``RunOutput`` does."""
    events = list(events)
    out = RunOutput(events[0].ref)
    for event in events:
        out.apply(event)
    return out


def non_delta_types(events) -> list[str]:
    return [e.type for e in events if not isinstance(e, DELTA_TYPES)]


def types_of(out: RunOutput) -> list[str]:
    return [e.type for e in out.events]


def _unset_env(monkeypatch, *names: str) -> None:
    """Unset variables so that teardown also removes values a ``.env`` load may have put there."""
    for name in names:
        monkeypatch.setenv(name, "placeholder")
        monkeypatch.delenv(name)


@pytest.fixture
def no_keys(tmp_path, monkeypatch):
    """No provider keys, no base URLs, no ``.env``: what a fresh machine looks like."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(models_pkg, "_dotenv_loaded", True)
    _unset_env(monkeypatch, "OPENAI_API_KEY", "OPENAI_API_BASE", "OPENAI_BASE_URL", "ANTHROPIC_API_KEY",
               "AGNO_NB_MODEL")
    return tmp_path


# ------------------------------------------------------------------------------- basic answers


def test_transport_classes(transport, make_model):
    model = make_model([text("x")])
    expected = {"in-process": ScriptedModel, "litellm": LiteLLMModel, "direct": OpenAICompatModel}[transport]
    assert type(model) is expected
    assert model.transport == transport


def test_text_answer(transport, make_model):
    model = make_model([text("Hello from the script.")])
    out = Agent(model=model).run("hi")
    assert out.status == "completed"
    assert out.content == "Hello from the script."
    assert out.model == model.id
    assert types_of(out) == ["RunStarted", "ModelRequestStarted", "ModelRequestCompleted", "RunCompleted"]
    started = next(out.iter_events(ModelRequestStarted))
    assert started.transport == transport
    assert started.model == model.id
    assert started.attempt == 1
    completed = next(out.iter_events(ModelRequestCompleted))
    assert completed.finish_reason == "stop"
    assert out.messages[-1] == {"role": "assistant", "content": "Hello from the script."}


def test_plain_strings_are_text_turns(transport, make_model):
    out = Agent(model=make_model(["first", "second"])).run("hi")
    assert out.content == "first"


def test_one_tool_call_round_trip(transport, make_model):
    """The tool schema reaches the model and the tool result comes back to it, on every path."""
    seen_tools: list[list[str]] = []

    def responder(messages, tools):
        seen_tools.append(sorted(t["function"]["name"] for t in tools or ()))
        last = messages[-1]
        if last.get("role") == "tool":
            return Turn(f"Tool said: {last['content']}")
        return Turn(None, [("get_weather", {"city": "Paris"})])

    out = Agent(model=make_model(responder), tools=[get_weather, add]).run("weather?")
    assert out.status == "completed", out.status_reason
    assert out.content == "Tool said: sunny in Paris"
    assert seen_tools == [["add", "get_weather"], ["add", "get_weather"]]
    assert [(t.tool_name, t.arguments, t.result) for t in out.tools] == [
        ("get_weather", {"city": "Paris"}, "sunny in Paris")]
    assert out.metrics.tool_calls == 1
    assert out.metrics.model_requests == 2
    assert types_of(out) == ["RunStarted", "ModelRequestStarted", "ModelRequestCompleted", "ToolCallStarted",
                             "ToolCallCompleted", "ModelRequestStarted", "ModelRequestCompleted",
                             "RunCompleted"]
    completions = list(out.iter_events(ModelRequestCompleted))
    assert [c.finish_reason for c in completions] == ["tool_calls", "stop"]
    # the assistant's tool call and the tool message are linked by the call id
    assistant = out.messages[-3]
    tool_message = out.messages[-2]
    assert assistant["role"] == "assistant" and len(assistant["tool_calls"]) == 1
    assert tool_message == {"role": "tool", "tool_call_id": assistant["tool_calls"][0]["id"],
                            "content": "sunny in Paris"}
    assert json.loads(assistant["tool_calls"][0]["function"]["arguments"]) == {"city": "Paris"}


def test_several_tool_calls_in_one_turn(transport, make_model):
    calls = [("get_weather", {"city": "Paris"}), ("add", {"a": 2, "b": 3}), ("get_weather", {"city": "Rome"})]

    def responder(messages, tools):
        if messages[-1].get("role") == "tool":
            results = []
            for message in reversed(messages):
                if message.get("role") != "tool":
                    break
                results.append(message["content"])
            return Turn(" | ".join(reversed(results)))
        return Turn(None, calls)

    for stream in (False, True):
        agent = Agent(model=make_model(responder), tools=[get_weather, add])
        out = collect(agent.run("go", stream=True)) if stream else agent.run("go")
        assert out.status == "completed", out.status_reason
        # tool messages go back in the order the model asked, whatever order the tools finished in
        assert out.content == "sunny in Paris | 5 | sunny in Rome"
        assert sorted((t.tool_name, json.dumps(t.arguments, sort_keys=True), t.result) for t in out.tools) == sorted(
            [("get_weather", '{"city": "Paris"}', "sunny in Paris"), ("add", '{"a": 2, "b": 3}', 5),
             ("get_weather", '{"city": "Rome"}', "sunny in Rome")])
        assert out.metrics.tool_calls == 3
        assert out.metrics.model_requests == 2
        assert len(list(out.iter_events(ToolCallStarted))) == 3
        assert len(list(out.iter_events(ToolCallCompleted))) == 3
        ids = [c["id"] for c in out.messages[-5]["tool_calls"]]
        assert len(set(ids)) == 3
        assert [m["tool_call_id"] for m in out.messages[-4:-1]] == ids


def test_streaming_deltas_join_to_content(transport, make_model):
    answer = "The quick brown fox jumps over the lazy dog."
    events = list(Agent(model=make_model([text(answer)])).run("hi", stream=True))
    deltas = [e for e in events if isinstance(e, RunContentDelta)]
    assert len(deltas) == 9  # word by word
    assert "".join(d.content for d in deltas) == answer
    assert isinstance(events[-1], RunCompleted)
    assert events[-1].content == answer
    # deltas sit between the request's start and its completion, under the request's span
    started = next(e for e in events if isinstance(e, ModelRequestStarted))
    completed = next(e for e in events if isinstance(e, ModelRequestCompleted))
    assert all(d.span_id == started.span_id for d in deltas)
    assert events.index(started) < events.index(deltas[0]) < events.index(deltas[-1]) < events.index(completed)


def test_structured_output(transport, make_model):
    for stream in (False, True):
        agent = Agent(model=make_model([json_reply(PARIS)]), output_schema=City)
        out = collect(agent.run("capital of France?", stream=True)) if stream else agent.run("capital?")
        assert out.status == "completed", out.status_reason
        assert isinstance(out.content, City)
        assert out.content == City(name="Paris", population=2100000)
        assert not list(out.iter_events(OutputValidationFailed))


def test_structured_output_repair(transport, make_model):
    agent = Agent(model=make_model(["Sure! The answer is Paris.", json_reply(PARIS)]), output_schema=City)
    out = agent.run("capital?")
    assert out.status == "completed", out.status_reason
    assert out.content == City(**PARIS)
    failed = list(out.iter_events(OutputValidationFailed))
    assert len(failed) == 1 and failed[0].repairing is True
    assert out.metrics.model_requests == 2
    # the repair request was sent back to the model as a user message
    assert out.messages[-2]["role"] == "user" and "not valid" in out.messages[-2]["content"]


@pytest.mark.parametrize("stream", [False, True], ids=["nonstream", "stream"])
def test_usage_tokens(transport, make_model, stream):
    """All three paths report the same scripted usage: 4 + len/4 per message in, len/4 out."""
    agent = Agent(model=make_model([text("one two three four")]))
    out = collect(agent.run("hi", stream=True)) if stream else agent.run("hi")
    assert out.metrics.input_tokens == 5
    assert out.metrics.output_tokens == 5
    assert out.metrics.total_tokens == 10
    completed = next(out.iter_events(ModelRequestCompleted))
    assert (completed.input_tokens, completed.output_tokens) == (5, 5)


def test_usage_tokens_with_tools(transport, make_model):
    model = make_model([tool_call("get_weather", city="Paris"), text("It is sunny in Paris.")])
    out = Agent(model=model, tools=[get_weather]).run("hi")
    per_request = [(c.input_tokens, c.output_tokens) for c in out.iter_events(ModelRequestCompleted)]
    assert len(per_request) == 2
    assert per_request[0] == (5, 8)  # one tool call counts 8 tokens
    assert per_request[1][0] > per_request[0][0]  # the second request carries the conversation
    assert per_request[1][1] == 6  # len("It is sunny in Paris.") == 21 -> 6
    assert out.metrics.input_tokens == per_request[0][0] + per_request[1][0]
    assert out.metrics.output_tokens == 14


@pytest.mark.parametrize("stream", [False, True], ids=["nonstream", "stream"])
def test_ttft_and_duration(transport, make_model, stream):
    agent = Agent(model=make_model([text("a b c d", delay=0.05)]))
    started = time.perf_counter()
    out = collect(agent.run("hi", stream=True)) if stream else agent.run("hi")
    wall = time.perf_counter() - started
    m = out.metrics
    assert m.ttft is not None and m.duration is not None
    assert 0.05 <= m.ttft <= m.duration <= wall
    completed = next(out.iter_events(ModelRequestCompleted))
    assert 0.05 <= completed.ttft <= completed.latency


def test_ttft_is_measured_from_run_start(transport, make_model):
    """The run's ttft includes failed attempts and backoff, not just the request that answered."""
    model = make_model([error("server"), text("a b c")], retry_backoff=0.1)
    out = collect(Agent(model=model).run("hi", stream=True))
    assert out.status == "completed"
    request_ttft = next(out.iter_events(ModelRequestCompleted)).ttft
    assert out.metrics.ttft >= 0.1
    assert out.metrics.ttft >= request_ttft
    assert out.metrics.ttft <= out.metrics.duration


def test_stream_and_nonstream_agree(transport, make_model):
    turns = [tool_call("get_weather", city="Paris"), text("It is sunny in Paris today.")]
    agent_a = Agent(model=make_model(turns), tools=[get_weather])
    agent_b = Agent(model=make_model(turns), tools=[get_weather])
    plain = agent_a.run("weather?")
    streamed_events = list(agent_b.run("weather?", stream=True))
    streamed = collect(streamed_events)
    assert plain.content == streamed.content == "It is sunny in Paris today."
    assert non_delta_types(plain.events) == non_delta_types(streamed_events)
    assert non_delta_types(streamed_events) == [
        "RunStarted", "ModelRequestStarted", "ModelRequestCompleted", "ToolCallStarted", "ToolCallCompleted",
        "ModelRequestStarted", "ModelRequestCompleted", "RunCompleted"]
    assert not any(isinstance(e, RunContentDelta) for e in plain.events)
    assert any(isinstance(e, RunContentDelta) for e in streamed_events)
    assert (plain.metrics.input_tokens, plain.metrics.output_tokens) == (
        streamed.metrics.input_tokens, streamed.metrics.output_tokens)


@pytest.mark.parametrize("stream", [False, True], ids=["nonstream", "stream"])
def test_reasoning_reaches_the_run(request, transport, make_model, stream):
    agent = Agent(model=make_model([text("The answer is 4.", reasoning="two plus two")]))
    out = collect(agent.run("2+2?", stream=True)) if stream else agent.run("2+2?")
    assert out.content == "The answer is 4."
    assert out.reasoning_content == "two plus two"


# ------------------------------------------------------------------------------- entry points


def test_sync_run_and_sync_stream(transport, make_model):
    agent = Agent(model=make_model([text("one answer")], cycle=True))
    out = agent.run("hi")
    assert isinstance(out, RunOutput) and out.content == "one answer"
    events = []
    for event in agent.run("hi", stream=True):
        events.append(event)  # noqa: PERF402 - the explicit sync for-loop is what is tested
    assert isinstance(events[0], RunStarted) and isinstance(events[-1], RunCompleted)
    assert "".join(e.content for e in events if isinstance(e, RunContentDelta)) == "one answer"
    # the agent can be run again: loops and connection pools are reused
    assert agent.run("again").content == "one answer"


async def test_async_run_and_async_stream(transport, make_model):
    agent = Agent(model=make_model([text("async answer")], cycle=True))
    out = await agent.arun("hi")
    assert isinstance(out, RunOutput)
    assert out.status == "completed" and out.content == "async answer"
    events = [e async for e in agent.arun("hi", stream=True)]
    assert isinstance(events[0], RunStarted) and isinstance(events[-1], RunCompleted)
    assert events[-1].content == "async answer"
    assert "".join(e.content for e in events if isinstance(e, RunContentDelta)) == "async answer"
    # concurrent runs of one agent share nothing
    outs = await asyncio.gather(*(agent.arun(f"q{i}") for i in range(5)))
    assert [o.content for o in outs] == ["async answer"] * 5
    assert len({o.run_id for o in outs}) == 5


async def test_sync_run_inside_running_loop(transport, make_model):
    """A notebook cell: an event loop is running and the user calls the sync ``agent.run``."""
    asyncio.get_running_loop()  # we are inside a running loop
    model = make_model([tool_call("get_weather", city="Oslo"), text("Cold in Oslo.")], cycle=True)
    agent = Agent(model=model, tools=[get_weather])
    out = agent.run("weather?")
    assert out.status == "completed", out.status_reason
    assert out.content == "Cold in Oslo."
    assert out.tools[0].result == "sunny in Oslo"
    events = list(agent.run("weather?", stream=True))
    assert events[-1].type == "RunCompleted" and events[-1].content == "Cold in Oslo."
    # the loop of this "cell" still works afterwards
    assert (await agent.arun("weather?")).content == "Cold in Oslo."


# ------------------------------------------------------------------------------------- retries

ERROR_KINDS = {
    "rate_limit": (RateLimitError, 429, "rate limit"),
    "server": (ProviderError, 500, "internal server error"),
    "timeout": (ModelTimeoutError, 408, "timed out"),
}


@pytest.mark.parametrize("kind", sorted(ERROR_KINDS))
def test_transient_error_is_retried(transport, make_model, kind):
    error_cls, status, _ = ERROR_KINDS[kind]
    model = make_model([error(kind), text("recovered")], retry_backoff=0.01)
    assert model.retry_backoff == 0.01
    out = Agent(model=model).run("hi")
    assert out.status == "completed", out.status_reason
    assert out.content == "recovered"
    assert types_of(out) == ["RunStarted", "ModelRequestStarted", "ModelRequestFailed", "ModelRequestStarted",
                             "ModelRequestCompleted", "RunCompleted"]
    failed = next(out.iter_events(ModelRequestFailed))
    assert failed.error_type == error_cls.__name__
    assert failed.status_code == status
    assert failed.retry_in == pytest.approx(0.01)
    assert failed.attempt == 1
    assert [s.attempt for s in out.iter_events(ModelRequestStarted)] == [1, 2]
    assert out.metrics.model_requests == 1
    assert out.error is None
    assert out.raise_for_status() is out


def test_mixed_errors_retried_with_exponential_backoff(transport, make_model):
    model = make_model([error("rate_limit"), error("server"), error("timeout"), text("finally")],
                       retry_backoff=0.01)
    out = Agent(model=model, retries=3).run("hi")
    assert out.status == "completed", out.status_reason
    assert out.content == "finally"
    failed = list(out.iter_events(ModelRequestFailed))
    assert [f.error_type for f in failed] == ["RateLimitError", "ProviderError", "ModelTimeoutError"]
    assert [f.retry_in for f in failed] == pytest.approx([0.01, 0.02, 0.04])
    assert [s.attempt for s in out.iter_events(ModelRequestStarted)] == [1, 2, 3, 4]


@pytest.mark.parametrize("stream", [False, True], ids=["nonstream", "stream"])
@pytest.mark.parametrize("kind", sorted(ERROR_KINDS))
def test_retries_exhausted(transport, make_model, kind, stream):
    error_cls, status, phrase = ERROR_KINDS[kind]
    model = make_model([error(kind)] * 3, retry_backoff=0.01)
    agent = Agent(model=model)
    if stream:
        events = list(agent.run("hi", stream=True))  # no exception escapes the stream
        out = collect(events)
    else:
        out = agent.run("hi")
    assert out.status == "error"
    assert types_of(out) == ["RunStarted"] + ["ModelRequestStarted", "ModelRequestFailed"] * 3 + ["RunError"]
    failed = list(out.iter_events(ModelRequestFailed))
    assert [f.retry_in for f in failed[:2]] == pytest.approx([0.01, 0.02])
    assert failed[2].retry_in is None
    assert {f.status_code for f in failed} == {status}
    run_error = out.events[-1]
    assert isinstance(run_error, RunError)
    assert run_error.error_type == error_cls.__name__
    assert model.id in run_error.error
    assert phrase in run_error.error.lower()
    assert isinstance(out.error, error_cls)
    assert out.status_reason == run_error.error
    assert out.content is None
    assert out.metrics.duration is not None
    with pytest.raises(error_cls) as info:
        out.raise_for_status()
    assert info.value.model == model.id


def test_retries_zero_disables_retries(transport, make_model):
    model = make_model([error("rate_limit"), text("never reached")], retry_backoff=0.01)
    out = Agent(model=model, retries=0).run("hi")
    assert out.status == "error"
    assert types_of(out) == ["RunStarted", "ModelRequestStarted", "ModelRequestFailed", "RunError"]
    failed = next(out.iter_events(ModelRequestFailed))
    assert failed.retry_in is None and failed.attempt == 1
    assert out.events[-1].error_type == "RateLimitError"


def test_model_max_retries_used_when_agent_sets_none(transport, make_model):
    model = make_model([error("server")] * 2 + [text("ok")], retry_backoff=0.01, max_retries=1)
    out = Agent(model=model).run("hi")
    assert out.status == "error"
    assert len(list(out.iter_events(ModelRequestFailed))) == 2


def test_scripted_delay_over_timeout(transport, make_model):
    model = make_model([text("too late", delay=1.0)], timeout=0.2)
    out = Agent(model=model, retries=0).run("hi")
    assert out.status == "error"
    assert out.events[-1].error_type == "ModelTimeoutError"
    assert isinstance(out.error, ModelTimeoutError)
    with pytest.raises(ModelTimeoutError):
        out.raise_for_status()


def test_in_process_timeout_as_documented():
    model = ScriptedModel([text("late", delay=1.0)], timeout=0.1)
    out = Agent(model=model, retries=0).run("hi")
    assert out.status == "error"
    assert out.events[-1].error_type == "ModelTimeoutError"
    assert "0.1s" in out.events[-1].error


def test_direct_timeout_as_documented(openai_base, script_name):
    register_script(script_name, [text("late", delay=1.0)])
    model = get_model(f"openai/{script_name}", timeout=0.2)
    assert isinstance(model, OpenAICompatModel) and model.timeout == 0.2
    out = Agent(model=model, retries=0).run("hi")
    assert out.status == "error"
    assert out.events[-1].error_type == "ModelTimeoutError"
    assert "0.2s" in out.events[-1].error


def test_delay_within_timeout_succeeds(transport, make_model):
    out = Agent(model=make_model([text("in time", delay=0.05)], timeout=2.0)).run("hi")
    assert out.status == "completed" and out.content == "in time"


# ------------------------------------------------------------------------- direct-path HTTP errors


def test_direct_unknown_script_is_unknown_model(openai_base):
    name = f"does-not-exist-{uuid.uuid4().hex}"
    model = get_model(f"openai/{name}", retry_backoff=0.01)
    out = Agent(model=model).run("hi")
    assert out.status == "error"
    assert out.events[-1].error_type == "UnknownModelError"
    assert "404" in out.events[-1].error and name in out.events[-1].error
    # not retryable: one attempt only
    assert len(list(out.iter_events(ModelRequestStarted))) == 1
    assert next(out.iter_events(ModelRequestFailed)).status_code == 404


async def test_direct_respond_raises_mapped_errors(openai_base, script_name):
    register_script(script_name, [error("unavailable")])
    model = get_model(f"openai/{script_name}")

    async def call(stream):
        return [item async for item in model.respond([{"role": "user", "content": "hi"}], tools=None,
                                                       response_format=None, stream=stream)]

    with pytest.raises(ProviderError) as info:
        await call(False)
    assert info.value.status_code == 503 and info.value.retryable
    # the script is exhausted now: the server answers 400, which is a bad request, not retryable
    with pytest.raises(BadRequestError) as info:
        await call(True)
    assert info.value.status_code == 400 and not info.value.retryable
    assert "no turns left" in str(info.value)


async def test_direct_unreachable_server_is_provider_error(monkeypatch):
    import socket

    with socket.socket() as sock:  # a port nobody listens on once the socket is closed
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setenv("OPENAI_API_BASE", f"http://127.0.0.1:{port}/v1")
    model = get_model("openai/anything")
    with pytest.raises(ProviderError) as info:
        async for _ in model.respond([{"role": "user", "content": "hi"}], tools=None, response_format=None,
                                     stream=False):
            pass
    assert "cannot reach" in str(info.value) and info.value.retryable


def test_direct_cost_from_price_table(openai_base):
    """A priced model id over the direct path gets a cost from the bundled price table."""
    previous = scripts_mod._registry.get("gpt-4o-mini")
    register_script("gpt-4o-mini", [text("one two three four")])
    try:
        model = get_model("openai/gpt-4o-mini")
        assert isinstance(model, OpenAICompatModel) and model.api_base == openai_base
        out = Agent(model=model).run("hi")
    finally:
        if previous is None:
            scripts_mod._registry.pop("gpt-4o-mini", None)
        else:
            scripts_mod._registry["gpt-4o-mini"] = previous
    assert out.status == "completed"
    assert out.metrics.cost == pytest.approx(price_of("openai/gpt-4o-mini", 5, 5))
    assert out.metrics.cost > 0


@pytest.mark.parametrize("path", ["litellm", "direct"])
def test_unknown_script_name_is_unknown_model_not_retried(request, path, script_name):
    """``scripted/<unregistered>`` and ``openai/<unregistered>`` should fail the same way: not found, no retry."""
    if path == "direct":
        request.getfixturevalue("openai_base")
    name = f"unregistered-{uuid.uuid4().hex}"
    model = model_for(path, name, retry_backoff=0.01)
    out = Agent(model=model).run("hi")
    assert out.status == "error"
    assert out.events[-1].error_type == "UnknownModelError"
    assert name in out.events[-1].error
    assert len(list(out.iter_events(ModelRequestStarted))) == 1


def test_exhausted_script_is_not_retried(request, transport, make_model):
    """Running past the end of a script is a test-setup error on every path, never a transient one."""
    agent = Agent(model=make_model([text("only one")], retry_backoff=0.01))
    assert agent.run("first").content == "only one"
    out = agent.run("second")
    assert out.status == "error"
    assert "no turns left" in out.events[-1].error
    assert out.events[-1].error_type in ("ConfigurationError", "BadRequestError")
    assert len(list(out.iter_events(ModelRequestStarted))) == 1


# ------------------------------------------------- direct path against a provider-like wire


def _sse(*chunks) -> bytes:
    lines = [f"data: {json.dumps(c)}\n\n" for c in chunks] + ["data: [DONE]\n\n"]
    return "".join(lines).encode()


class _CannedHandler(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("content-length") or 0))
        self.server.seen.append((self.path, {k.lower(): v for k, v in self.headers.items()}, body))
        status, content_type, payload = self.server.reply
        self.send_response(status)
        self.send_header("content-type", content_type)
        self.send_header("content-length", str(len(payload)))
        self.send_header("connection", "close")
        self.end_headers()
        self.wfile.write(payload)
        self.close_connection = True

    def log_message(self, *args):
        pass


@pytest.fixture
def canned_server():
    """A bare HTTP server that answers every POST with ``server.reply = (status, content_type, bytes)``.

    Unlike the scripted server it can send what real providers send (fragmented tool-call arguments,
    401s), whatever HTTP client the direct transport uses.
    """
    server = ThreadingHTTPServer(("127.0.0.1", 0), _CannedHandler)
    server.seen = []
    server.reply = (200, "application/json", b"{}")
    server.url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join(5)


async def test_direct_stream_assembles_fragmented_tool_calls(canned_server):
    """Real providers stream tool-call arguments in fragments; they must be concatenated per index."""
    body = _sse(
        {"choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}}]},
        {"choices": [{"index": 0, "delta": {"reasoning_content": "need "}}]},
        {"choices": [{"index": 0, "delta": {"reasoning_content": "weather"}}]},
        {"choices": [{"index": 0, "delta": {"tool_calls": [
            {"index": 0, "id": "call_a", "type": "function", "function": {"name": "get_weather", "arguments": ""}}]}}]},
        {"choices": [{"index": 0, "delta": {"tool_calls": [{"index": 0, "function": {"arguments": "{\"ci"}}]}}]},
        {"choices": [{"index": 0, "delta": {"tool_calls": [
            {"index": 1, "id": "call_b", "type": "function", "function": {"name": "add", "arguments": "{\"a\": 1, "}}]}}]},
        {"choices": [{"index": 0, "delta": {"tool_calls": [{"index": 0, "function": {"arguments": "ty\": \"Paris\"}"}}]}}]},
        {"choices": [{"index": 0, "delta": {"tool_calls": [{"index": 1, "function": {"arguments": "\"b\": 2}"}}]}}]},
        {"choices": [{"index": 0, "delta": {}, "finish_reason": "tool_calls"}]},
        {"choices": [], "usage": {"prompt_tokens": 1000, "completion_tokens": 500}},
    )
    canned_server.reply = (200, "text/event-stream", body)
    model = OpenAICompatModel("openai/gpt-4o-mini", api_key="sk-test", api_base=canned_server.url + "/")
    items = [x async for x in model.respond([{"role": "user", "content": "hi"}], tools=[{"type": "function"}],
                                            response_format={"type": "json_object"}, stream=True)]
    final = items[-1]
    assert [str(x) for x in items[:-1]] == ["need ", "weather"]
    assert [(c.id, c.name, json.loads(c.arguments)) for c in final.tool_calls] == [
        ("call_a", "get_weather", {"city": "Paris"}), ("call_b", "add", {"a": 1, "b": 2})]
    assert final.reasoning == "need weather" and final.content is None
    assert (final.input_tokens, final.output_tokens, final.finish_reason) == (1000, 500, "tool_calls")
    assert final.cost == pytest.approx(0.00045)
    path, headers, raw = canned_server.seen[0]
    assert path == "/v1/chat/completions"
    assert headers["authorization"] == "Bearer sk-test"
    sent = json.loads(raw)
    assert sent["model"] == "gpt-4o-mini" and sent["stream"] is True
    assert sent["stream_options"] == {"include_usage": True}
    assert sent["tools"] == [{"type": "function"}] and sent["response_format"] == {"type": "json_object"}


@pytest.mark.parametrize("status, cls, needle", [
    (401, "AuthenticationError", "OPENAI_API_KEY"),
    (403, "AuthenticationError", "OPENAI_API_KEY"),
    (422, "BadRequestError", "HTTP 422"),
    (502, "ProviderError", "HTTP 502"),
])
async def test_direct_http_error_mapping(canned_server, status, cls, needle):
    detail = {"error": {"message": "provider says no", "type": "x"}}
    canned_server.reply = (status, "application/json", json.dumps(detail).encode())
    model = OpenAICompatModel("openai/gpt-4o-mini", api_key="sk-bad", api_base=canned_server.url)
    for stream in (False, True):
        with pytest.raises(ModelError) as info:
            async for _ in model.respond([{"role": "user", "content": "hi"}], tools=None, response_format=None,
                                         stream=stream):
                pass
        assert type(info.value).__name__ == cls
        assert info.value.status_code == status
        assert needle in str(info.value) and "provider says no" in str(info.value)


# -------------------------------------------------------------------------------------- model ids


@pytest.mark.parametrize("given, expected", [
    ("openai:gpt-4o", "openai/gpt-4o"),
    ("ollama:llama3:8b", "ollama/llama3:8b"),
    ("gpt-4o-mini", "openai/gpt-4o-mini"),
    ("o3-mini", "openai/o3-mini"),
    ("anthropic/claude-x", "anthropic/claude-x"),
    ("ollama/llama3:8b", "ollama/llama3:8b"),
    ("  openai:gpt-4o  ", "openai/gpt-4o"),
    ("claude-3-haiku", "claude-3-haiku"),
])
def test_normalize_model_id(given, expected):
    assert normalize_model_id(given) == expected


def test_normalize_empty_model_id():
    with pytest.raises(UnknownModelError):
        normalize_model_id("   ")


@pytest.mark.parametrize("model_id, cls", [
    ("openai/gpt-4o", OpenAICompatModel),
    ("openai:gpt-4o", OpenAICompatModel),
    ("gpt-4o-mini", OpenAICompatModel),
    ("groq/llama-3.1-8b-instant", OpenAICompatModel),
    ("openrouter/meta-llama/llama-3-8b", OpenAICompatModel),
    ("deepseek/deepseek-chat", OpenAICompatModel),
    ("anthropic/claude-x", LiteLLMModel),
    ("ollama/llama3", LiteLLMModel),
    ("gemini/gemini-2.0-flash", LiteLLMModel),
    ("scripted/echo", LiteLLMModel),
])
def test_get_model_picks_transport(no_keys, model_id, cls):
    model = get_model(model_id)
    assert type(model) is cls
    assert model.id == normalize_model_id(model_id)
    assert model.transport == ("direct" if cls is OpenAICompatModel else "litellm")


def test_get_model_transport_option(no_keys):
    forced = get_model("openai/gpt-4o", transport="litellm")
    assert type(forced) is LiteLLMModel and forced.transport == "litellm" and forced.id == "openai/gpt-4o"
    assert type(get_model("groq/x", transport="litellm")) is LiteLLMModel
    assert type(get_model("openai/gpt-4o", transport="direct")) is OpenAICompatModel
    with pytest.raises(UnknownModelError):
        get_model("anthropic/claude-x", transport="direct")
    with pytest.raises(ConfigurationError):
        get_model("openai/gpt-4o", transport="grpc")


def test_get_model_defaults_and_passthrough(no_keys, monkeypatch):
    default = get_model()
    assert default.id == DEFAULT_MODEL == "openai/gpt-4o-mini"
    assert type(default) is OpenAICompatModel
    monkeypatch.setenv("AGNO_NB_MODEL", "anthropic:claude-x")
    assert get_model().id == "anthropic/claude-x"
    model = ScriptedModel([text("x")])
    assert get_model(model) is model
    with pytest.raises(ConfigurationError):
        get_model(42)  # type: ignore[arg-type]
    options = get_model("openai/gpt-4o", temperature=0.2, retry_backoff=0.5, max_retries=7, timeout=3.0)
    assert options.options == {"temperature": 0.2}
    assert (options.retry_backoff, options.max_retries, options.timeout) == (0.5, 7, 3.0)
    body = json.loads(options._body([{"role": "user", "content": "hi"}], None, None, True))
    assert body["model"] == "gpt-4o" and body["temperature"] == 0.2 and body["stream"] is True
    assert body["stream_options"] == {"include_usage": True}


@pytest.mark.parametrize("path", ["litellm", "direct"])
def test_agent_accepts_model_id_string(path, script_name, request):
    if path == "direct":
        request.getfixturevalue("openai_base")
    prefix = {"litellm": "scripted", "direct": "openai"}[path]
    register_script(script_name, [text("by id")])
    agent = Agent(model=f"{prefix}:{script_name}")  # Agno's colon form
    out = agent.run("hi")
    assert out.content == "by id"
    assert out.model == f"{prefix}/{script_name}"
    assert next(out.iter_events(ModelRequestStarted)).transport == path


# ------------------------------------------------------------------------------------ missing keys


@pytest.mark.parametrize("stream", [False, True], ids=["run", "run-stream"])
def test_missing_openai_key_raises_before_any_event(no_keys, stream):
    agent = Agent(model="openai/gpt-4o-mini")
    with pytest.raises(MissingAPIKeyError) as info:
        agent.run("hi", stream=stream)  # raises at the call, not on iteration
    assert "OPENAI_API_KEY" in str(info.value)
    assert ".env" in str(info.value)
    assert isinstance(info.value, ConfigurationError)


async def test_missing_key_raises_from_arun(no_keys):
    agent = Agent(model="gpt-4o-mini")
    with pytest.raises(MissingAPIKeyError, match="OPENAI_API_KEY"):
        agent.arun("hi")
    with pytest.raises(MissingAPIKeyError, match="OPENAI_API_KEY"):
        agent.arun("hi", stream=True)


def test_setting_key_after_missing_key_error_fixes_agent(no_keys, monkeypatch):
    agent = Agent(model="openai/gpt-4o-mini")
    with pytest.raises(MissingAPIKeyError):
        agent.resolved_model()
    monkeypatch.setenv("OPENAI_API_KEY", "sk-later")
    model = agent.resolved_model()
    assert isinstance(model, OpenAICompatModel) and model.api_key == "sk-later"


def test_explicit_key_or_base_needs_no_env(no_keys):
    get_model("openai/gpt-4o-mini", api_key="sk-explicit").check()
    get_model("openai/gpt-4o-mini", api_base="http://127.0.0.1:1/v1").check()


def test_missing_anthropic_key(no_keys):
    agent = Agent(model="anthropic/claude-x")
    with pytest.raises(MissingAPIKeyError) as info:
        agent.run("hi")
    assert "ANTHROPIC_API_KEY" in str(info.value)
    assert "OPENAI_API_KEY" not in str(info.value)


def test_anthropic_key_present_passes_check(no_keys, monkeypatch):
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test")
    get_model("anthropic/claude-x").check()


def test_ollama_needs_no_key(no_keys):
    model = get_model("ollama/llama3")
    assert isinstance(model, LiteLLMModel)
    model.check()  # no MissingAPIKeyError: Ollama's base URL has a default


def test_unknown_provider_is_refused_at_once_with_the_known_ones(no_keys):
    with pytest.raises(UnknownModelError, match="'nosuch' is not a known provider.*openai, anthropic"):
        get_model("nosuch/model")
    with pytest.raises(UnknownModelError, match="nosuch"):
        Agent(model="nosuch/model")  # at construction, before any run (and before LiteLLM loads)


def test_a_model_id_without_provider_suggests_the_closest(no_keys):
    with pytest.raises(UnknownModelError) as info:
        Agent(model="gpt4o-mini")
    message = str(info.value)
    assert "no provider prefix" in message and "Did you mean 'openai/gpt-4o-mini'?" in message
    assert "\n" not in message  # one line
    with pytest.raises(UnknownModelError, match="'nonsense' has no provider prefix"):
        Agent(model="nonsense")
    # and quickly: LiteLLM (seconds to import) is not loaded to say so
    code = ("import sys; from agno_nb import Agent\ntry: Agent(model='gpt4o-mini')\nexcept Exception: pass\n"
            "print('litellm' in sys.modules)")
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout.strip() == "False"


# -------------------------------------------------------------------------------------------- .env


def test_dotenv_key_is_picked_up(no_keys, monkeypatch):
    (no_keys / ".env").write_text("OPENAI_API_KEY=sk-from-dotenv\nANTHROPIC_API_KEY=sk-ant-dotenv\n")
    monkeypatch.setattr(models_pkg, "_dotenv_loaded", False)
    model = Agent(model="openai/gpt-4o-mini").resolved_model()  # check() passes thanks to .env
    assert model.api_key == "sk-from-dotenv"
    assert model._headers["Authorization"] == "Bearer sk-from-dotenv"
    get_model("anthropic/claude-x").check()


def test_dotenv_in_parent_directory(no_keys, monkeypatch):
    (no_keys / ".env").write_text("OPENAI_API_KEY=sk-parent\n")
    child = no_keys / "notebooks" / "deep"
    child.mkdir(parents=True)
    monkeypatch.chdir(child)
    monkeypatch.setattr(models_pkg, "_dotenv_loaded", False)
    assert get_model("openai/gpt-4o-mini").api_key == "sk-parent"


def test_real_environment_wins_over_dotenv(no_keys, monkeypatch):
    (no_keys / ".env").write_text("OPENAI_API_KEY=sk-from-dotenv\n")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-real")
    monkeypatch.setattr(models_pkg, "_dotenv_loaded", False)
    assert get_model("openai/gpt-4o-mini").api_key == "sk-real"


def test_dotenv_base_url_is_picked_up(no_keys, monkeypatch, scripted_server, script_name):
    (no_keys / ".env").write_text(f"OPENAI_API_BASE={scripted_server.url}\n")
    monkeypatch.setattr(models_pkg, "_dotenv_loaded", False)
    register_script(script_name, [text("via dotenv base")])
    out = Agent(model=f"openai/{script_name}").run("hi")
    assert out.content == "via dotenv base"


# ------------------------------------------------------------------------------------------- pricing


def test_price_of():
    assert price_of("openai/gpt-4o-mini", 1000, 500) == pytest.approx(0.00045)
    assert price_of("gpt-4o-mini", 1000, 500) == pytest.approx(0.00045)
    assert price_of("openai/gpt-4o-mini", 0, 0) == 0
    assert price_of("nosuch/model-that-does-not-exist", 1000, 500) is None
    assert price_of("scripted/echo", 10, 10) is None


# ---------------------------------------------------------------------------------- scripted server


def _get(url: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_server_lists_scripts(scripted_server, script_name):
    register_script(script_name, [text("x")])
    status, data = _get(f"{scripted_server.url}/models")
    assert status == 200
    assert data["object"] == "list"
    ids = [m["id"] for m in data["data"]]
    assert script_name in ids and "echo" in ids and "weather" in ids
    assert all(m["object"] == "model" for m in data["data"])


def test_server_unknown_route_and_method(scripted_server):
    status, data = _get(f"{scripted_server.url}/nothing-here")
    assert status == 404 and "no route" in data["error"]["message"]
    status, data = _get(f"{scripted_server.url}/chat/completions")
    assert status == 405
    assert data["error"]["message"] == "use POST"


def test_openai_sdk_non_stream(scripted_server, script_name):
    openai = pytest.importorskip("openai")
    register_script(script_name, [text("Hello, SDK."), tool_calls(("get_weather", {"city": "Paris"}),
                                                                ("add", {"a": 1, "b": 2}))])
    client = openai.OpenAI(base_url=scripted_server.url, api_key="unused", max_retries=0)
    try:
        first = client.chat.completions.create(model=script_name, messages=[{"role": "user", "content": "hi"}])
        assert first.choices[0].message.content == "Hello, SDK."
        assert first.choices[0].finish_reason == "stop"
        assert first.usage.prompt_tokens == 5 and first.usage.completion_tokens == 3
        second = client.chat.completions.create(model=script_name, messages=[{"role": "user", "content": "go"}])
        calls = second.choices[0].message.tool_calls
        assert second.choices[0].finish_reason == "tool_calls"
        assert [(c.function.name, json.loads(c.function.arguments)) for c in calls] == [
            ("get_weather", {"city": "Paris"}), ("add", {"a": 1, "b": 2})]
        assert calls[0].id != calls[1].id
    finally:
        client.close()


def test_openai_sdk_stream(scripted_server, script_name):
    openai = pytest.importorskip("openai")
    register_script(script_name, [text("Streaming through the real SDK works."),
                                  tool_call("get_weather", city="Rome")])
    client = openai.OpenAI(base_url=scripted_server.url, api_key="unused", max_retries=0)
    try:
        chunks = list(client.chat.completions.create(
            model=script_name, messages=[{"role": "user", "content": "hi"}], stream=True,
            stream_options={"include_usage": True}))
        pieces = [c.choices[0].delta.content for c in chunks if c.choices and c.choices[0].delta.content]
        assert len(pieces) == 6
        assert "".join(pieces) == "Streaming through the real SDK works."
        assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "stop"
        assert chunks[-1].usage is not None and chunks[-1].usage.completion_tokens == 10

        with client.chat.completions.stream(model=script_name,
                                            messages=[{"role": "user", "content": "hi"}]) as stream:
            final = stream.get_final_completion()
        call = final.choices[0].message.tool_calls[0]
        assert call.function.name == "get_weather"
        assert json.loads(call.function.arguments) == {"city": "Rome"}
    finally:
        client.close()


def test_openai_sdk_errors(scripted_server, script_name):
    openai = pytest.importorskip("openai")
    register_script(script_name, [error("rate_limit"), error("server")])
    client = openai.OpenAI(base_url=scripted_server.url, api_key="unused", max_retries=0)
    messages = [{"role": "user", "content": "hi"}]
    try:
        with pytest.raises(openai.RateLimitError) as info:
            client.chat.completions.create(model=script_name, messages=messages)
        assert info.value.status_code == 429
        with pytest.raises(openai.InternalServerError):
            client.chat.completions.create(model=script_name, messages=messages)
        with pytest.raises(openai.NotFoundError):
            client.chat.completions.create(model=f"no-such-{uuid.uuid4().hex}", messages=messages)
    finally:
        client.close()


async def test_scripted_model_respond_contract():
    """A transport yields deltas when streaming, then exactly one ModelResponse last."""
    from agno_nb.models.base import ModelResponse, Reasoning

    model = ScriptedModel([text("a b", reasoning="r s")] * 2)
    messages = [{"role": "user", "content": "hi"}]
    streamed = [x async for x in model.respond(messages, tools=None, response_format=None, stream=True)]
    assert [type(x) for x in streamed] == [Reasoning, Reasoning, str, str, ModelResponse]
    assert "".join(streamed[2:4]) == "a b" and streamed[-1].content == "a b"
    plain = [x async for x in model.respond(messages, tools=None, response_format=None, stream=False)]
    assert len(plain) == 1 and isinstance(plain[0], ModelResponse)
    assert plain[0].reasoning == "r s" and plain[0].finish_reason == "stop"
