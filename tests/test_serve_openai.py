"""The OpenAI-compatible API with the official ``openai`` SDK as the client, over a real socket."""

from __future__ import annotations

import openai
import pytest

from agno_nb import Agent, Step, Workflow
from agno_nb.models.scripted import ScriptedModel
from agno_nb.models.scripts import Turn, get_script
from agno_nb.serve import Auth, create_app
from agno_nb.serve.keys import create_key
from agno_nb.storage.duckdb import DuckDBStore
from serve_helpers import serving


def _recall(messages, tools):
    """Answers with what it was told so far, so a test can see which history reached the model."""
    said = [m["content"] for m in messages if m["role"] == "user"]
    return Turn(" | ".join(said))


@pytest.fixture
def store(tmp_path):
    store = DuckDBStore(tmp_path / "openai.duckdb")
    yield store
    store.close()


def _app(store, **kwargs):
    agents = [
        Agent(name="echo", model=ScriptedModel(get_script("echo"))),
        Agent(name="recall", model=ScriptedModel(_recall), add_history_to_context=True),
    ]
    flow = Workflow(name="shout", steps=[Step("upper", lambda step: str(step.input).upper())])
    return create_app(agents=agents, workflows=[flow], db=store, **kwargs)


@pytest.fixture
def sdk(store):
    with serving(_app(store, auth=False)) as http:
        yield openai.OpenAI(base_url=http.server.url + "/v1", api_key="not-checked", max_retries=0)


def test_models_and_a_completion(sdk, store):
    assert [m.id for m in sdk.models.list()] == ["echo", "recall", "shout"]
    assert sdk.models.retrieve("shout").owned_by == "agno_nb:workflow"
    reply = sdk.chat.completions.create(
        model="echo", messages=[{"role": "user", "content": "hello"}], user="ana", temperature=0.2
    )
    assert reply.choices[0].message.content == "You said: hello"
    assert reply.choices[0].finish_reason == "stop" and reply.usage.total_tokens > 0
    run = store.get_run(reply.model_extra["run_id"])
    assert run.user_id == "ana" and run.status == "completed"


def test_streaming_completion(sdk):
    stream = sdk.chat.completions.create(
        model="echo",
        messages=[{"role": "user", "content": "one two"}],
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "You said: one two"
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "stop"
    assert chunks[-1].usage.total_tokens > 0 and not chunks[-1].choices


def test_a_stateless_client_sends_the_conversation_and_a_session_keeps_it_server_side(sdk):
    history = [
        {"role": "user", "content": "first"},
        {"role": "assistant", "content": "ok"},
        {"role": "user", "content": "second"},
    ]
    stateless = sdk.chat.completions.create(model="recall", messages=history)
    assert stateless.choices[0].message.content == "first | second"
    first = sdk.chat.completions.create(model="recall", messages=[{"role": "user", "content": "alpha"}])
    session_id = first.model_extra["session_id"]
    # with a session, the server holds the history: only the new turn counts, however much is resent
    again = sdk.chat.completions.create(
        model="recall",
        extra_body={"session_id": session_id},
        messages=[
            {"role": "user", "content": "alpha"},
            {"role": "assistant", "content": "alpha"},
            {"role": "user", "content": "beta"},
        ],
    )
    assert again.choices[0].message.content == "alpha | beta"
    header = sdk.with_options(default_headers={"X-Session-Id": session_id}).chat.completions.create(
        model="recall", messages=[{"role": "user", "content": "gamma"}]
    )
    assert header.choices[0].message.content == "alpha | beta | gamma"


def test_a_workflow_is_a_model_too(sdk):
    reply = sdk.chat.completions.create(
        model="shout",
        messages=[{"role": "system", "content": "be loud"}, {"role": "user", "content": "quiet please"}],
    )
    assert reply.choices[0].message.content == "QUIET PLEASE"


def test_errors_come_back_as_openai_errors(sdk):
    with pytest.raises(openai.NotFoundError) as missing:
        sdk.chat.completions.create(model="nope", messages=[{"role": "user", "content": "x"}])
    assert "does not exist" in missing.value.message
    with pytest.raises(openai.BadRequestError) as tools:
        sdk.chat.completions.create(
            model="echo",
            messages=[{"role": "user", "content": "x"}],
            tools=[{"type": "function", "function": {"name": "f", "parameters": {}}}],
        )
    assert "tools" in tools.value.message
    with pytest.raises(openai.BadRequestError):
        sdk.chat.completions.create(model="echo", messages=[{"role": "assistant", "content": "x"}])


def test_the_sdk_authenticates_with_an_api_key(store):
    token, _ = create_key(store, user_id="ana", scopes=["agents:echo:run"])
    with serving(_app(store, auth=Auth(api_keys=True))) as http:
        url = http.server.url + "/v1"
        client = openai.OpenAI(base_url=url, api_key=token, max_retries=0)
        assert [m.id for m in client.models.list()] == ["echo"]  # only what the key may run
        reply = client.chat.completions.create(model="echo", messages=[{"role": "user", "content": "hi"}])
        assert store.get_run(reply.model_extra["run_id"]).user_id == "ana"
        with pytest.raises(openai.PermissionDeniedError):
            client.chat.completions.create(model="recall", messages=[{"role": "user", "content": "hi"}])
        with pytest.raises(openai.AuthenticationError):
            openai.OpenAI(base_url=url, api_key="ank_wrong_key", max_retries=0).models.list()
