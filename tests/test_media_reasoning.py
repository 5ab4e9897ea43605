"""Media input, reasoning (a reasoning pass, ReasoningTools, provider-native reasoning) and the dynamic
context an agent adds to its system prompt.

The model's view is captured with a recording responder, so the tests assert on the exact content
parts, reasoning notes and system prompt a model receives.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import http.server
import json
import threading
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from agno_nb import Agent, ReasoningTools, ScriptedModel, get_model
from agno_nb.errors import ConfigurationError, TemplateVariableError
from agno_nb.media import Audio, File, Image, Video
from agno_nb.models.scripts import Turn, estimate_tokens, json_reply, register_script, text, tool_call
from agno_nb.run_events import (ModelRequestCompleted, ModelRequestStarted, ReasoningContentDelta, ReasoningStep,
                                RunContentDelta, RunOutput)
from recorder import Recorder

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 24 + b"chart-pixels"
WAV = b"RIFF\x24\x00\x00\x00WAVEfmt " + b"\x01" * 20
MP3 = b"ID3\x03\x00\x00\x00" + b"\x02" * 20
MP4 = b"\x00\x00\x00\x18ftypmp42" + b"\x03" * 20
PDF = b"%PDF-1.4\n%fake report\n"


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()





def agent_with(*turns, **kwargs):
    model = Recorder(*(turns or (text("ok"),)))
    return Agent(model=ScriptedModel(model), **kwargs), model


@pytest.fixture
def files(tmp_path):
    paths = {}
    for name, data in (("chart.png", PNG), ("photo.jpg", PNG), ("voice.wav", WAV), ("song.mp3", MP3),
                       ("clip.mp4", MP4), ("report.pdf", PDF)):
        path = tmp_path / name
        path.write_bytes(data)
        paths[name] = path
    return paths


# ============================================================================================ media


def test_image_parts_from_path_bytes_and_url(files):
    agent, model = agent_with(text("A rising line."))
    out = agent.run("Describe these.", images=[
        Image(path=files["chart.png"]),
        Image(path=str(files["photo.jpg"]), detail="high"),
        Image(content=PNG),
        Image(content=b"GIF89a", mime_type="image/gif"),
        Image(url="https://example.com/plot.webp"),
    ])
    assert out.ok
    user = model.seen[0][-1]
    assert user["role"] == "user"
    assert user["content"] == [
        {"type": "text", "text": "Describe these."},
        {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{b64(PNG)}"}},
        {"type": "image_url", "image_url": {"url": f"data:image/jpeg;base64,{b64(PNG)}", "detail": "high"}},
        {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{b64(PNG)}"}},
        {"type": "image_url", "image_url": {"url": f"data:image/gif;base64,{b64(b'GIF89a')}"}},
        {"type": "image_url", "image_url": {"url": "https://example.com/plot.webp"}},
    ]


def test_audio_video_and_file_parts(files):
    agent, model = agent_with(text("ok"))
    agent.run("Listen, watch and read.",
              audio=[Audio(path=files["voice.wav"]), Audio(path=files["song.mp3"]), Audio(content=WAV)],
              videos=[Video(path=files["clip.mp4"]), Video(url="https://example.com/v.mp4")],
              files=[File(path=files["report.pdf"]), File(content=PDF, name="q3.pdf"),
                     File(url="https://example.com/doc.pdf")])
    parts = model.seen[0][-1]["content"]
    assert parts[0] == {"type": "text", "text": "Listen, watch and read."}
    assert parts[1:] == [
        {"type": "input_audio", "input_audio": {"data": b64(WAV), "format": "wav"}},
        {"type": "input_audio", "input_audio": {"data": b64(MP3), "format": "mp3"}},
        {"type": "input_audio", "input_audio": {"data": b64(WAV), "format": "wav"}},
        {"type": "file", "file": {"file_data": f"data:video/mp4;base64,{b64(MP4)}", "format": "video/mp4"}},
        {"type": "file", "file": {"file_id": "https://example.com/v.mp4", "format": "video/mp4"}},
        {"type": "file", "file": {"file_data": f"data:application/pdf;base64,{b64(PDF)}", "filename": "report.pdf"}},
        {"type": "file", "file": {"file_data": f"data:application/pdf;base64,{b64(PDF)}", "filename": "q3.pdf"}},
        {"type": "file", "file": {"file_id": "https://example.com/doc.pdf", "format": "application/pdf"}},
    ]


@pytest.fixture
def file_server(tmp_path, monkeypatch):
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    root = tmp_path / "www"
    root.mkdir()
    (root / "greeting.mp3").write_bytes(MP3)
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    handler.log_message = lambda *a, **k: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_audio_from_a_url_is_downloaded_and_sent_as_data(file_server):
    agent, model = agent_with(text("It says hello."), text("unused"))
    out = agent.run("What does it say?", audio=[Audio(url=f"{file_server}/greeting.mp3")])
    assert out.ok
    assert model.seen[0][-1]["content"][1] == {"type": "input_audio", "input_audio": {"data": b64(MP3), "format": "mp3"}}
    with pytest.raises(ConfigurationError, match=r"Could not download .*missing.mp3: HTTP 404"):
        agent.run("and this?", audio=[Audio(url=f"{file_server}/missing.mp3")])
    assert model.calls == 1  # no model call for the failed download


@pytest.mark.parametrize("cls", [Image, Audio, Video, File])
def test_media_needs_exactly_one_source(cls, files):
    with pytest.raises(ConfigurationError, match=r"exactly one of url=, path= or content= \(got 0\)"):
        cls()
    with pytest.raises(ConfigurationError, match=r"\(got 2\)"):
        cls(url="https://example.com/x", content=b"x")
    with pytest.raises(ConfigurationError, match=r"\(got 3\)"):
        cls(url="https://example.com/x", path=files["chart.png"], content=b"x")
    with pytest.raises(ConfigurationError, match=rf"{cls.__name__}: no file at .*nowhere"):
        cls(path="/definitely/nowhere.bin")


@pytest.mark.parametrize("kwargs, expected", [
    ({"images": [Audio(content=WAV)]}, "Expected Image objects"),
    ({"images": ["https://example.com/a.png"]}, "Expected Image objects"),
    ({"audio": [Image(content=PNG)]}, "Expected Audio objects"),
    ({"videos": [File(content=PDF)]}, "Expected Video objects"),
    ({"files": [b"%PDF raw bytes"]}, "Expected File objects"),
])
def test_wrong_media_type_is_a_clear_error(kwargs, expected):
    agent, model = agent_with(text("unused"))
    with pytest.raises(ConfigurationError, match=expected):
        agent.run("look", **kwargs)
    assert model.calls == 0


def test_a_model_without_vision_is_refused_before_any_call():
    agent = Agent(model=get_model("openai/gpt-3.5-turbo", api_key="x"))
    with pytest.raises(ConfigurationError, match=r"gpt-3.5-turbo.*image.*supports_vision"):
        agent.run("what is in the picture?", images=[Image(url="https://example.com/a.png")])
    with pytest.raises(ConfigurationError, match=r"audio.*supports_audio_input"):
        agent.run("listen", audio=[Audio(content=WAV)])
    with pytest.raises(ConfigurationError):
        agent.arun("what is in the picture?", images=[Image(content=PNG)])


def test_stored_history_keeps_references_not_bytes(store, files):
    agent, model = agent_with(text("A rising line."), text("It was a chart."), db=store,
                              add_history_to_context=True)
    first = agent.run("Describe this chart.", session_id="s-media", images=[Image(path=files["chart.png"])])
    assert first.ok
    digest = hashlib.sha256(PNG).hexdigest()
    run = store.get_run(first.run_id)
    user = run.messages[0]
    assert user["content"][0] == {"type": "text", "text": "Describe this chart."}
    ref = user["content"][1]
    assert ref == {"type": "media_ref", "kind": "image", "mime_type": "image/png", "sha256": digest,
                   "path": str(files["chart.png"]), "name": "chart.png"}
    runs_table = repr(store.sql("SELECT * FROM runs").values.tolist())
    assert "base64" not in runs_table and b64(PNG) not in runs_table
    # The model of the first run did get the bytes.
    assert model.seen[0][-1]["content"][1]["image_url"]["url"] == f"data:image/png;base64,{b64(PNG)}"

    agent.run("What did I show you?", session_id="s-media")
    history_user = model.seen[1][0]
    assert history_user["role"] == "user"
    assert history_user["content"] == [
        {"type": "text", "text": "Describe this chart."},
        {"type": "text", "text": f"[image shared earlier: chart.png sha256={digest[:12]}]"}]
    assert "base64" not in json.dumps(model.seen[1])


def test_a_paused_run_with_an_image_stores_no_bytes_after_continuing(store):
    from agno_nb import tool

    @tool(requires_confirmation=True)
    def archive(name: str) -> str:
        """Archive a chart."""
        return f"archived {name}"

    agent = Agent(model=ScriptedModel([tool_call("archive", name="q3"), text("Archived.")]), tools=[archive],
                  db=store)
    out = agent.run("archive this chart", images=[Image(content=PNG)])
    assert out.status == "paused"
    assert b64(PNG) not in repr(store.sql("SELECT * FROM runs").values.tolist())
    out.requirements[0].confirm()
    assert agent.continue_run(out).ok
    assert b64(PNG) not in repr(store.sql("SELECT * FROM runs").values.tolist())


def test_a_pre_hook_that_rewrites_the_text_keeps_the_images():
    agent, model = agent_with(text("ok"), pre_hooks=[lambda input: input.strip()])
    agent.run("  what is this?  ", images=[Image(content=PNG)])
    content = model.seen[0][-1]["content"]
    assert isinstance(content, list) and content[0] == {"type": "text", "text": "what is this?"}
    assert content[1]["type"] == "image_url"


# ======================================================================================== reasoning


def step(title: str, next_action: str = "continue", **extra):
    return json_reply({"title": title, "reasoning": f"because {title}", "action": f"do {title}",
                       "result": f"got {title}", "confidence": 0.8, "next_action": next_action, **extra})


def test_reasoning_steps_are_events_in_order_and_feed_the_answer():
    model = Recorder(step("read the task"), step("multiply", "final_answer"), text("42"))
    agent = Agent(model=ScriptedModel(model), reasoning=True, instructions="Answer with a number.")
    out = agent.run("What is 6 times 7?")

    assert out.ok and out.content == "42"
    steps = list(out.iter_events(ReasoningStep))
    assert [(s.title, s.reasoning, s.action, s.result, s.confidence) for s in steps] == [
        ("read the task", "because read the task", "do read the task", "got read the task", 0.8),
        ("multiply", "because multiply", "do multiply", "got multiply", 0.8)]
    assert out.reasoning_steps == steps
    kinds = [e.type for e in out.events]
    # Every step comes before the answering request.
    last_step = max(i for i, k in enumerate(kinds) if k == "ReasoningStep")
    assert kinds.index("ModelRequestStarted") > last_step
    assert all(s.parent_span_id == out.events[0].span_id for s in steps)

    # The thinker saw the task and the steps so far.
    assert "What is 6 times 7?" in model.seen[0][-1]["content"] and "(none)" in model.seen[0][-1]["content"]
    assert "1. read the task: because read the task -> got read the task" in model.seen[1][-1]["content"]
    # The answering call sees the reasoning, then the question.
    answer_view = model.seen[2]
    assert answer_view[0] == {"role": "system", "content": "Answer with a number."}
    note = answer_view[1]
    assert note["role"] == "system" and note["content"].startswith("<reasoning>")
    assert "1. read the task: because read the task Result: got read the task" in note["content"]
    assert "2. multiply: because multiply Result: got multiply" in note["content"]
    assert answer_view[2] == {"role": "user", "content": "What is 6 times 7?"}


def test_reasoning_tokens_and_requests_count_in_the_metrics():
    turns = [step("a"), step("b", "final_answer"), text("done")]
    agent = Agent(model=ScriptedModel(Recorder(*turns)), reasoning=True)
    out = agent.run("q")
    completed = list(out.iter_events(ModelRequestCompleted))
    assert len(completed) == 3 and out.metrics.model_requests == 3
    assert out.metrics.output_tokens == sum(estimate_tokens(t.content) for t in turns)
    assert out.metrics.input_tokens == sum(e.input_tokens for e in completed)
    plain = Agent(model=ScriptedModel([text("done")])).run("q")
    assert out.metrics.input_tokens > plain.metrics.input_tokens


def test_max_steps_stops_a_model_that_never_finishes():
    model = Recorder(*(step(f"s{i}") for i in range(1, 4)), text("best effort"))
    out = Agent(model=ScriptedModel(model), reasoning=True, reasoning_max_steps=3).run("hard question")
    assert out.ok and out.content == "best effort"
    assert [s.title for s in out.reasoning_steps] == ["s1", "s2", "s3"]
    assert model.calls == 4


def test_min_steps_forces_more_steps():
    model = Recorder(step("s1", "final_answer"), step("s2", "final_answer"), step("s3", "final_answer"),
                     text("sure"))
    out = Agent(model=ScriptedModel(model), reasoning=True, reasoning_min_steps=3).run("q")
    assert [s.title for s in out.reasoning_steps] == ["s1", "s2", "s3"]
    assert out.content == "sure" and model.calls == 4
    # And once min is met, final_answer ends the pass at once.
    model = Recorder(step("s1"), step("s2", "final_answer"), text("sure"))
    out = Agent(model=ScriptedModel(model), reasoning=True, reasoning_min_steps=2).run("q")
    assert [s.title for s in out.reasoning_steps] == ["s1", "s2"] and model.calls == 3


@pytest.mark.parametrize("low, high", [(0, 5), (3, 2), (1, 0), (-1, 3)])
def test_invalid_reasoning_step_bounds(low, high):
    with pytest.raises(ConfigurationError, match="reasoning_min_steps"):
        Agent(reasoning=True, reasoning_min_steps=low, reasoning_max_steps=high)


def test_reasoning_with_a_separate_reasoning_model():
    thinker = Recorder(step("only step", "final_answer"))
    answerer = Recorder(text("answer"))
    agent = Agent(model=ScriptedModel(answerer), reasoning=True, reasoning_model=ScriptedModel(thinker))
    out = agent.run("q")
    assert out.content == "answer" and thinker.calls == 1 and answerer.calls == 1
    assert "<reasoning>" in answerer.seen[0][0]["content"]


def test_a_broken_reasoning_pass_ends_the_run_with_an_error():
    model = Recorder(text("not json"), text("still not json"), text("unused"))
    out = Agent(model=ScriptedModel(model), reasoning=True).run("q")
    assert out.status == "error" and "reasoning pass failed at step 1" in out.status_reason
    assert model.calls == 2  # one answer and one repair attempt; the answering call never happens


def test_reasoning_steps_are_not_stored_as_runs_of_their_own(tmp_path):
    import agno_nb.storage as storage

    previous = storage._default
    store = storage.set_default_store(str(tmp_path / "default.duckdb"))
    try:
        agent = Agent(name="main", model=ScriptedModel([step("one", "final_answer"), text("42")]), reasoning=True)
        assert agent.run("q").ok
        assert [r.component_name for r in store.list_runs()] == ["main"]
    finally:
        storage._default = previous
        store.close()


# ----------------------------------------------------------------------------------- ReasoningTools


def test_reasoning_tools_emit_steps_and_return_the_scratchpad():
    model = Recorder(
        tool_call("think", title="Plan", thought="Check the Q3 numbers first", action="query sales"),
        tool_call("analyze", title="Review", result="Q3 = 1.2M", analysis="Matches the forecast",
                  next_action="final_answer", confidence=0.9),
        text("Q3 sales were 1.2M, on forecast."))
    agent = Agent(model=ScriptedModel(model), tools=[ReasoningTools()])
    out = agent.run("How did Q3 go?")

    assert out.content == "Q3 sales were 1.2M, on forecast."
    steps = list(out.iter_events(ReasoningStep))
    assert [(s.title, s.reasoning, s.action, s.result, s.confidence) for s in steps] == [
        ("Plan", "Check the Q3 numbers first", "query sales", None, 0.8),
        ("Review", "Matches the forecast", "final_answer", "Q3 = 1.2M", 0.9)]
    kinds = [e.type for e in out.events]
    # Each step follows its tool call in the trace.
    assert kinds.index("ReasoningStep") > kinds.index("ToolCallCompleted")
    first_pad = [m for m in model.seen[1] if m["role"] == "tool"][-1]["content"]
    assert first_pad == "1. Thought: Plan: Check the Q3 numbers first Next: query sales"
    second_pad = [m for m in model.seen[2] if m["role"] == "tool"][-1]["content"]
    assert second_pad == ("1. Thought: Plan: Check the Q3 numbers first Next: query sales\n"
                          "2. Analysis: Review: Matches the forecast Next: final_answer")
    # The toolkit's instructions reach the system prompt; run_context is hidden from the schema.
    assert "scratchpad" in model.system(0)
    schemas = {s["function"]["name"]: s["function"]["parameters"] for s in agent._schemas()}
    assert set(schemas) == {"think", "analyze"}
    assert "run_context" not in schemas["think"]["properties"]
    assert schemas["think"]["required"] == ["title", "thought"]


def test_reasoning_tools_scratchpad_is_per_run():
    agent = Agent(model=ScriptedModel([tool_call("think", title="A", thought="x"), text("one"),
                                       tool_call("think", title="B", thought="y"), text("two")]),
                  tools=[ReasoningTools(analyze=False)])
    assert list(agent.functions) == ["think"]
    agent.run("first")
    second = agent.run("second")
    assert next(e for e in second.tools).result == "1. Thought: B: y"


# ------------------------------------------------------------------------- provider-native reasoning


def test_native_reasoning_streams_deltas_and_lands_on_the_output():
    agent = Agent(model=ScriptedModel([text("4", reasoning="2 plus 2 makes 4"), text("4", reasoning="2+2")]))
    events = list(agent.run("2+2?", stream=True))
    kinds = [e.type for e in events]
    reasoning = [e.content for e in events if isinstance(e, ReasoningContentDelta)]
    assert len(reasoning) > 1 and "".join(reasoning) == "2 plus 2 makes 4"
    assert kinds.index("ReasoningContentDelta") < kinds.index("RunContentDelta")
    out = RunOutput(events[0].ref)
    for event in events:
        out.apply(event)
    assert out.reasoning_content == "2 plus 2 makes 4" and out.content == "4"

    out = agent.run("2+2?")
    assert out.reasoning_content == "2+2" and out.content == "4"
    assert [e.content for e in out.iter_events(ReasoningContentDelta)] == ["2+2"]


def test_native_reasoning_over_http(openai_base, script_name):
    register_script(script_name, [text("4", reasoning="2+2")], cycle=True)
    agent = Agent(model=f"openai/{script_name}")
    events = list(agent.run("2+2?", stream=True))
    assert "".join(e.content for e in events if isinstance(e, ReasoningContentDelta)) == "2+2"
    assert "".join(e.content for e in events if isinstance(e, RunContentDelta)) == "4"
    out = agent.run("2+2?")
    assert (out.content, out.reasoning_content) == ("4", "2+2")
    assert next(out.iter_events(ModelRequestStarted)).transport == "direct"


# ================================================================================== dynamic context


def test_datetime_in_context_with_a_timezone():
    agent, model = agent_with(text("ok"), instructions="Be brief.", add_datetime_to_context=True,
                              timezone="Asia/Tokyo")
    before = datetime.now(ZoneInfo("Asia/Tokyo"))
    agent.run("what day is it?")
    after = datetime.now(ZoneInfo("Asia/Tokyo"))
    system = model.system()
    assert system.startswith("Be brief.\n\nThe current date and time is ")
    stamps = {moment.strftime("%A %Y-%m-%d %H:%M JST") for moment in (before, after)}
    assert any(f"The current date and time is {s}." in system for s in stamps), system


def test_datetime_in_context_defaults_to_local_time():
    agent, model = agent_with(text("ok"), add_datetime_to_context=True)
    now = datetime.now().astimezone()
    agent.run("hi")
    system = model.system()
    candidates = {(now + timedelta(minutes=d)).strftime("%A %Y-%m-%d %H:%M %Z") for d in (0, 1)}
    assert any(c in system for c in candidates), system
    plain, plain_model = agent_with(text("ok"))
    plain.run("hi")
    assert "current date" not in json.dumps(plain_model.seen[0])


def test_additional_context_expected_output_and_session_state_in_the_system_prompt():
    agent, model = agent_with(
        text("ok"), description="You are a sales analyst.", instructions="Use {currency}.",
        additional_context="Fiscal year starts in April.", expected_output="A table with one row per region.",
        add_session_state_to_context=True, session_state={"region": "EMEA", "currency": "EUR"})
    agent.run("q3?", session_state={"quarter": "Q3"})
    system = model.system()
    assert system == ("You are a sales analyst.\n\nUse EUR.\n\nFiscal year starts in April.\n\n"
                      "<expected_output>\nA table with one row per region.\n</expected_output>\n\n"
                      '<session_state>\n{"region": "EMEA", "currency": "EUR", "quarter": "Q3"}\n</session_state>')


def test_session_state_in_context_shows_braces_literally():
    agent, model = agent_with(text("ok"), add_session_state_to_context=True,
                              session_state={"filter": {"year": 2024}}, additional_context="Literal {braces}.")
    agent.run("hi")
    assert '{"filter": {"year": 2024}}' in model.system()
    assert "Literal {braces}." in model.system()


def test_missing_template_variable_names_it_before_any_call():
    agent, model = agent_with(text("unused"), instructions="Greet {customer_name} from {city}.",
                              context={"city": "Lyon"})
    with pytest.raises(TemplateVariableError, match="customer_name") as info:
        agent.run("hi")
    assert "no value named 'customer_name'" in str(info.value) and "available: ['city']" in str(info.value)
    assert model.calls == 0
    agent.run("hi", context={"customer_name": "Ana"})
    assert model.system() == "Greet Ana from Lyon."
