"""Fault injection on the model path: a real loopback server that hangs, trickles keep-alives, sends
garbage, cuts streams, rate-limits and echoes secrets (tests/fault_server.py). Whatever it does, a run
ends with a clear error naming the provider, never a silent "completed" with half an answer, never a
hang, and never a key in what is shown or stored."""

from __future__ import annotations

import json
import time

import pytest

from agno_nb import Agent, DuckDBStore
from agno_nb.errors import ModelTimeoutError, RunTimeoutError
from agno_nb.models import get_model
from agno_nb.traces.fold import TraceView
from agno_nb.run_events import ModelRequestFailed, RunContentDelta

import fault_server as fs


@pytest.fixture(scope="module")
def server():
    server = fs.FaultServer().start()
    yield server
    server.stop()


def model(server, name: str, *behaviours, **options):
    model_id = server.script(name, *behaviours)
    options = {"api_base": server.url, "api_key": "sk-test-not-a-real-key-000", "retry_backoff": 0.01,
               **options}
    return get_model(model_id, **options)


def run(m, *, stream: bool = False, **agent_options):
    agent = Agent(model=m, **agent_options)
    if not stream:
        return agent.run("question")
    events = list(agent.run("question", stream=True))
    from agno_nb.run_events import RunOutput

    folded = RunOutput(events[0].ref)
    for event in events:
        folded.apply(event)
    return folded


# ------------------------------------------------------------------------------- not an answer


@pytest.mark.parametrize("stream", [False, True])
def test_a_cut_stream_is_an_error_not_half_an_answer(server, stream):
    out = run(model(server, f"cut-{stream}", fs.cut_stream("The answer is forty"), max_retries=0), stream=True)
    assert out.status == "error"
    assert "cut before its end" in out.status_reason and "127.0.0.1" in out.status_reason
    assert out.content is None


@pytest.mark.parametrize("stream", [False, True])
@pytest.mark.parametrize("case, body, kind, expected", [
    ("html", b"<html><body>Gateway says hi</body></html>", "text/html", "not JSON (text/html): '<html><body>Gateway"),
    ("badjson", b'{"choices": [', "application/json", "not JSON (application/json): '{\"choices\": ['"),
    ("error200", b'{"error": {"message": "model overloaded", "type": "server_error"}}', "application/json",
     "answered with an error (server_error): model overloaded"),
    ("nochoices", b'{"id": "x", "choices": []}', "application/json", "has no choices"),
])
def test_garbage_answers_are_errors_naming_the_provider(server, stream, case, body, kind, expected):
    out = run(model(server, f"{case}-{stream}", fs.raw(body, kind), max_retries=0), stream=stream)
    assert out.status == "error", out
    assert expected in out.status_reason, out.status_reason
    assert f"openai/{case}-{stream} at {server.url}" in out.status_reason
    assert "\n" not in out.status_reason


def test_broken_stream_events_are_errors(server):
    cases = {
        "ev-notjson": (fs.stream_events(b"data: {oops\n\n"), "a stream event is not JSON: '{oops'"),
        "ev-error": (fs.stream_events(b'data: {"error": {"message": "quota", "code": "insufficient_quota"}}\n\n'),
                     "answered with an error (insufficient_quota): quota"),
        "ev-html": (fs.stream_events(b"<html>proxy error</html>\n"), "no choices"),
        "ev-empty": (fs.stream_events(), "empty body"),
    }
    for name, (behaviour, expected) in cases.items():
        out = run(model(server, name, behaviour, max_retries=0), stream=True)
        assert out.status == "error" and expected in out.status_reason, (name, out.status_reason)


def test_a_stream_event_over_512_kib_is_fine(server):
    out = run(model(server, "huge", fs.huge_event(600 * 1024)), stream=True)
    assert out.status == "completed", out.status_reason
    assert len(out.content) == 600 * 1024


def test_a_server_that_ignores_stream_true_still_works(server):
    out = run(model(server, "json-for-stream", fs.raw(json.dumps(fs._completion("plain answer")).encode(),
                                                         "application/json")), stream=True)
    assert out.status == "completed" and out.content == "plain answer"


# ---------------------------------------------------------------------------------------- retries


def test_a_retried_stream_never_shows_text_twice(server):
    m = model(server, "retry-same", fs.cut_stream("The answer is forty"), fs.ok("The answer is forty two"))
    agent = Agent(model=m)
    events = list(agent.run("q", stream=True))
    shown = "".join(e.content for e in events if isinstance(e, RunContentDelta))
    assert shown == "The answer is forty two"
    assert events[-1].type == "RunCompleted" and events[-1].content == "The answer is forty two"
    assert [e.attempt for e in events if isinstance(e, ModelRequestFailed)] == [1]


def test_a_retry_that_answers_differently_stops_rather_than_show_two_versions(server):
    m = model(server, "retry-other", fs.cut_stream("The answer is forty"), fs.ok("Something else entirely"))
    agent = Agent(model=m)
    events = list(agent.run("q", stream=True))
    shown = "".join(e.content for e in events if isinstance(e, RunContentDelta))
    assert shown == "The answer is forty "  # what the first attempt showed, nothing more
    assert events[-1].type == "RunError" and "answered differently" in events[-1].error


def test_retry_after_is_honoured(server):
    m = model(server, "ratelimit", fs.status(429, '{"error": {"message": "slow down"}}', {"Retry-After": "1"}),
              fs.ok("after the wait"))
    started = time.monotonic()
    out = Agent(model=m).run("q")
    assert out.status == "completed" and out.content == "after the wait"
    failed = [e for e in out.events if isinstance(e, ModelRequestFailed)]
    assert failed[0].retry_in >= 1.0 and failed[0].status_code == 429
    assert time.monotonic() - started >= 1.0


# ---------------------------------------------------------------------------------------- deadlines


def test_a_silent_server_gives_control_back_within_the_deadline(server):
    m = model(server, "silent", fs.hang(), timeout=0.5, call_deadline=1.2)
    out = Agent(model=m).run("q")
    assert out.status == "error" and isinstance(out.error, ModelTimeoutError)
    failed = [e for e in out.events if isinstance(e, ModelRequestFailed)]
    # the first attempt gave up after timeout=0.5 and was retried; the retry ran into the call's budget
    assert "no progress for 0.5s" in failed[0].error and failed[0].retry_in is not None
    assert failed[-1].retry_in is None and "time budget of 1.2s" in failed[-1].error


def test_keep_alives_without_tokens_do_not_keep_a_run_alive(server):
    m = model(server, "trickle", fs.keepalive_forever(0.05), timeout=0.5, call_deadline=1.0, max_retries=0)
    out = run(m, stream=True)
    assert out.status == "error" and "keep-alive messages do not count" in out.status_reason


def test_run_timeout_ends_the_run(server):
    m = model(server, "slow-run", fs.hang(), timeout=30, call_deadline=60)
    out = Agent(model=m, run_timeout=0.8).run("q")
    assert out.status == "error" and isinstance(out.error, RunTimeoutError)  # not the 30 s model timeout
    assert "run_timeout=0.8" in out.status_reason


def test_the_defaults_bound_a_call_to_about_a_minute():
    m = get_model("openai/gpt-4o-mini", api_key="sk-x")
    assert (m.timeout, m.call_deadline) == (60.0, 90.0)


# ------------------------------------------------------------------------------------------ secrets


def test_an_echoed_key_is_never_stored_or_shown(server, tmp_path):
    secret = "sk-proj-SuperSecretValue0123456789abcdef"
    body = json.dumps({"error": {"message": f"Incorrect API key provided: {secret}. Find yours at ..."}})
    m = model(server, "echo-key", fs.status(401, body), api_key=secret)
    store = DuckDBStore(tmp_path / "agno.duckdb")
    out = Agent(model=m, db=store).run("q")
    assert out.status == "error" and "rejected the API key" in out.status_reason
    assert secret not in out.status_reason and secret not in str(out.error)
    assert secret not in TraceView.from_events(out.events).bundle()["text/html"]
    assert all(secret not in json.dumps(e.to_dict(), default=str) for e in out.events)
    store.close()
    raw = (tmp_path / "agno.duckdb").read_bytes()
    assert secret.encode() not in raw
    reopened = DuckDBStore(tmp_path / "agno.duckdb")
    dumped = reopened.sql("SELECT * FROM runs").to_json() + reopened.sql("SELECT * FROM events").to_json()
    assert secret not in dumped and "[redacted]" in dumped


def test_key_shaped_values_in_errors_are_redacted_even_when_unknown(server):
    body = json.dumps({"error": {"message": "proxy: bad token ghp_abcdefghijklmnopqrstuvwxyz0123 for sk-ant-api03-"
                                            "Zyxwvutsrqponmlkjihgf"}})
    out = Agent(model=model(server, "echo-other", fs.status(400, body))).run("q")
    assert "ghp_abc" not in out.status_reason and "Zyxw" not in out.status_reason
    assert out.status_reason.count("[redacted]") == 2


# ---------------------------------------------------------- malformed tool calls (small local models)


def _tool_answer(calls: list) -> bytes:
    return json.dumps({"id": "x", "object": "chat.completion", "model": "m",
                       "choices": [{"index": 0, "finish_reason": "tool_calls",
                                    "message": {"role": "assistant", "content": None, "tool_calls": calls}}],
                       "usage": {"prompt_tokens": 3, "completion_tokens": 2}}).encode()


def _tool_chunk(call: object) -> bytes:
    data = {"id": "x", "object": "chat.completion.chunk",
            "choices": [{"index": 0, "delta": {"tool_calls": [call]}, "finish_reason": None}]}
    return b"data: " + json.dumps(data).encode() + b"\n\n"


def lookup(word: str) -> str:
    """Look a word up."""
    return f"{word}: found"


NAMELESS = "malformed tool call: it names no tool"


@pytest.mark.parametrize("calls, expected", [
    ([{"id": "c1", "type": "function", "function": {"arguments": "{}"}}], NAMELESS),
    ([{"id": "c1"}], NAMELESS),
    (["lookup"], NAMELESS),
    ([{"id": "c1", "function": {"name": "lookup", "arguments": {"word": "cat"}}}], None),  # an object: fine
    ([{"id": "c1", "function": {"name": "look_up", "arguments": "{}"}}], "there is no tool named 'look_up'"),
    ([{"id": "c1", "function": {"name": "lookup", "arguments": "{word: cat"}}], "not valid JSON"),
])
def test_a_malformed_tool_call_is_a_trace_event_and_the_run_goes_on(server, calls, expected):
    from agno_nb.run_events import ToolCallCompleted, ToolCallError

    m = model(server, f"malformed-{hash(json.dumps(calls))}",
              fs.raw(_tool_answer(calls), "application/json"), fs.ok("done"))
    events = list(Agent(model=m, tools=[lookup]).run("question", stream=True))
    assert events[-1].status == "completed" and events[-1].content == "done"
    [call] = [e for e in events if isinstance(e, (ToolCallCompleted, ToolCallError))]
    if expected is None:
        assert isinstance(call, ToolCallCompleted) and call.result == "cat: found"
    else:
        assert isinstance(call, ToolCallError) and expected in call.error


def test_a_malformed_streamed_tool_call_is_a_trace_event_too(server):
    from agno_nb.run_events import ToolCallError

    broken = fs.stream_events(_tool_chunk({"index": 0, "id": "c1", "function": {"arguments": '{"word"'}}),
                              _tool_chunk({"index": 0, "function": {"arguments": ': "cat"}'}}),
                              _tool_chunk("not an object"), fs._chunk(None, "tool_calls"),
                              b"data: [DONE]\n\n")
    m = model(server, "malformed-stream", broken, fs.ok("done"))
    events = list(Agent(model=m, tools=[lookup]).run("question", stream=True))
    assert events[-1].status == "completed" and events[-1].content == "done"
    errors = [e for e in events if isinstance(e, ToolCallError)]
    assert len(errors) == 2 and all("malformed tool call: it names no tool" in e.error for e in errors)
    assert '{"word": "cat"}' in errors[0].error  # the pieces were joined before being judged
