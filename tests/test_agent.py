"""The agent: construction, prompts and templates, input/output schemas, and RunOutput as the fold."""

from __future__ import annotations

import asyncio
import json

import pytest
from pydantic import BaseModel

from agno_nb import Agent, RunStatus, ScriptedModel, tool
from agno_nb.errors import ConfigurationError, InputValidationError, TemplateVariableError
from agno_nb.run_events import (ModelRequestCompleted, OutputValidationFailed, RunCompleted, RunContentDelta,
                            RunError, RunStarted, ToolCallCompleted, ToolCallStarted)
from agno_nb.models.scripts import json_reply, text, tool_call


class Report(BaseModel):
    region: str
    growth: float


def get_weather(city: str) -> str:
    """Get the weather for a city.

    Args:
        city: the city name
    """
    return f"sunny in {city}"


def system_prompt(out) -> str:
    return out.messages[0]["content"] if out.messages[0]["role"] == "system" else ""


# ------------------------------------------------------------------------------------ construction


def test_construction_is_lazy_and_takes_agno_arguments():
    agent = Agent(name="Sales Analyst", model="openai/gpt-4o-mini", description="d", instructions="i",
                  tools=[get_weather], session_state={"a": 1}, context={"x": 1}, input_schema=None,
                  output_schema=Report, markdown=True, retries=1, tool_call_limit=3, debug=False)
    # No key is needed to build an agent: the model is only resolved and checked at the first run.
    assert agent._model is None and agent._functions is None
    assert agent.id == "sales-analyst"
    assert Agent(id="fixed").id == "fixed"
    assert len(Agent().id) == 36  # no name: a uuid


def test_negative_tool_call_limit_is_rejected():
    with pytest.raises(ConfigurationError, match="tool_call_limit"):
        Agent(tool_call_limit=-1)


def test_system_prompt_has_description_instructions_tool_instructions_and_markdown():
    @tool(instructions="Always state the unit.")
    def temperature(city: str) -> float:
        """Temperature in celsius."""
        return 18.0

    agent = Agent(model=ScriptedModel(["done"]), description="You are Ana.",
                  instructions=["Be brief.", "Cite sources."], tools=[temperature], markdown=True)
    prompt = system_prompt(agent.run("hi"))
    assert prompt.startswith("You are Ana.")
    assert "- Be brief.\n- Cite sources." in prompt
    assert "Always state the unit." in prompt
    assert "markdown" in prompt


# ---------------------------------------------------------------------------------------- templates


def test_instruction_variables_come_from_context_and_session_state():
    agent = Agent(model=ScriptedModel(["a", "b"]), instructions="Today is {today}; user {user}; {{literal}}",
                  context={"today": "2026-11-24"}, session_state={"user": "ana"})
    assert system_prompt(agent.run("hi")) == "Today is 2026-11-24; user ana; {literal}"
    # Run-level values override the agent's.
    out = agent.run("hi", context={"today": "tomorrow"}, session_state={"user": "bo"})
    assert system_prompt(out) == "Today is tomorrow; user bo; {literal}"


def test_context_callables_are_evaluated_on_every_run():
    calls = iter(["one", "two"])
    agent = Agent(model=ScriptedModel(["a", "b"]), instructions="n={n}", context={"n": lambda: next(calls)})
    assert system_prompt(agent.run("x")) == "n=one"
    assert system_prompt(agent.run("x")) == "n=two"


def test_missing_instruction_variable_is_an_error_naming_the_key():
    agent = Agent(model=ScriptedModel(["never sent"]), instructions="Report for {region}.")
    with pytest.raises(TemplateVariableError) as info:
        agent.run("hi")
    assert "region" in str(info.value) and "context=" in str(info.value)
    # Nothing reached the model: the script still has its turn.
    assert agent.resolved_model().script.next_turn([]).content == "never sent"


def test_unbalanced_braces_are_literal_text():
    agent = Agent(model=ScriptedModel(["ok"]), instructions='Reply like {"a": 1')
    assert system_prompt(agent.run("x")) == 'Reply like {"a": 1'


# ------------------------------------------------------------------------------------ input schema


def test_input_schema_validates_and_sends_json():
    agent = Agent(model=ScriptedModel(["ok"]), input_schema=Report)
    out = agent.run({"region": "EMEA", "growth": "0.5"})
    assert json.loads(out.messages[-2]["content"]) == {"region": "EMEA", "growth": 0.5}
    with pytest.raises(InputValidationError, match="growth"):
        agent.run({"region": "EMEA", "growth": "fast"})


# ----------------------------------------------------------------------------------- output schema


def test_output_schema_gives_a_validated_object():
    agent = Agent(model=ScriptedModel([json_reply({"region": "APAC", "growth": 12.5})]), output_schema=Report)
    out = agent.run("which region?")
    assert out.content == Report(region="APAC", growth=12.5)
    assert out.ok


def test_output_schema_accepts_fenced_json():
    agent = Agent(model=ScriptedModel(['Here:\n```json\n{"region": "EU", "growth": 1}\n```']),
                  output_schema=Report)
    assert agent.run("x").content == Report(region="EU", growth=1.0)


def test_output_schema_repair_attempt_succeeds():
    model = ScriptedModel([text('{"region": "EU"}'), json_reply({"region": "EU", "growth": 3})])
    out = Agent(model=model, output_schema=Report).run("x")
    assert out.content == Report(region="EU", growth=3.0)
    failures = list(out.iter_events(OutputValidationFailed))
    assert len(failures) == 1 and failures[0].repairing and "growth" in failures[0].error
    # The model was told what was wrong.
    assert any(m["role"] == "user" and "growth" in m["content"] for m in out.messages)


def test_output_schema_failing_after_repair_ends_in_error():
    model = ScriptedModel([text("not json"), text("still not json")])
    out = Agent(model=model, output_schema=Report).run("x")
    assert out.status == RunStatus.ERROR
    assert "Report" in out.status_reason and "repair" in out.status_reason
    assert [e.repairing for e in out.iter_events(OutputValidationFailed)] == [True, False]
    with pytest.raises(Exception, match="repair"):
        out.raise_for_status()


def test_native_schema_or_json_mode_request():
    native = Agent(model=ScriptedModel([json_reply({"region": "a", "growth": 1})]), output_schema=Report)
    plan = native._plan("x", stream=False, session_id=None, user_id=None, context=None, session_state=None,
                        run_id=None)
    assert plan.response_format["type"] == "json_schema"
    assert plan.response_format["json_schema"]["schema"]["properties"]["growth"]["type"] == "number"
    json_mode = Agent(model=ScriptedModel([json_reply({"region": "a", "growth": 1})]), output_schema=Report,
                      use_json_mode=True)
    plan = json_mode._plan("x", stream=False, session_id=None, user_id=None, context=None, session_state=None,
                           run_id=None)
    assert plan.response_format == {"type": "json_object"}
    out = json_mode.run("x")
    assert '"growth"' in system_prompt(out)  # the schema is in the prompt instead
    assert out.content == Report(region="a", growth=1)


# ------------------------------------------------------------------------------- events and output


def test_run_output_is_the_fold_of_the_event_stream():
    script = [tool_call("get_weather", city="Oslo"), text("Cold but sunny in Oslo.")]
    agent = Agent(name="w", model=ScriptedModel(script, cycle=True), tools=[get_weather])
    events = list(agent.run("weather?", stream=True, session_id="s1", user_id="u1"))
    out = agent.run("weather?", session_id="s1")

    assert [type(e) for e in events if not isinstance(e, RunContentDelta)] == [type(e) for e in out.events]
    assert isinstance(events[0], RunStarted) and isinstance(events[-1], RunCompleted)
    assert "".join(e.content for e in events if isinstance(e, RunContentDelta)) == out.content
    assert out.content == "Cold but sunny in Oslo."
    assert out.tools[0].tool_name == "get_weather" and out.tools[0].arguments == {"city": "Oslo"}
    assert out.tools[0].result == "sunny in Oslo"
    m = out.metrics
    assert m.model_requests == 2 and m.tool_calls == 1
    assert m.input_tokens == sum(e.input_tokens for e in out.iter_events(ModelRequestCompleted)) > 0
    assert m.duration > 0 and 0 < m.ttft <= m.duration
    assert [msg["role"] for msg in out.messages] == ["user", "assistant", "tool", "assistant"]


def test_events_carry_run_identity_and_nest_spans():
    agent = Agent(name="w", model=ScriptedModel([tool_call("get_weather", city="Rome"), "ok"]),
                  tools=[get_weather])
    out = agent.run("x", session_id="s9", user_id="u9")
    run_span = out.events[0].span_id
    assert all(e.run_id == out.run_id and e.session_id == "s9" for e in out.events)
    model_started = out.events[1]
    assert model_started.parent_span_id == run_span
    started = next(out.iter_events(ToolCallStarted))
    completed = next(out.iter_events(ToolCallCompleted))
    assert started.span_id == completed.span_id and started.parent_span_id == run_span
    timestamps = [e.ts for e in out.events]
    assert timestamps == sorted(timestamps)
    row = completed.to_dict()
    assert row["type"] == "ToolCallCompleted" and row["emitter_name"] == "w" and row["result"] == "sunny in Rome"
    json.dumps([e.to_dict() for e in out.events if not isinstance(e, (RunCompleted, RunStarted))])


def test_session_state_is_copied_per_run():
    @tool
    def add_item(item: str, session_state: dict) -> str:
        """Add an item."""
        session_state.setdefault("items", []).append(item)
        return "added"

    agent = Agent(model=ScriptedModel([tool_call("add_item", item="milk"), "done"], cycle=True),
                  tools=[add_item], session_state={"items": ["bread"]})
    first = agent.run("add milk")
    second = agent.run("add milk")
    assert first.session_state == {"items": ["bread", "milk"]}
    assert second.session_state == {"items": ["bread", "milk"]}
    assert agent.session_state == {"items": ["bread"]}  # the agent's configuration is untouched


def test_model_error_becomes_a_run_error_event_not_an_exception():
    agent = Agent(model=ScriptedModel([text("x", delay=0)], timeout=None), retries=0)
    agent.run("first")  # consumes the only turn
    out = agent.run("second")
    assert out.status == RunStatus.ERROR
    assert isinstance(out.events[-1], RunError) and "no turns left" in out.events[-1].error


async def test_concurrent_runs_of_one_agent_do_not_share_state():
    async def slow(city: str) -> str:
        """Slow lookup."""
        await asyncio.sleep(0.05)
        return city.upper()

    def respond(messages, tools):
        if messages[-1]["role"] == "tool":
            return text(f"answer {messages[-1]['content']}")
        return tool_call("slow", city=messages[-1]["content"])

    agent = Agent(model=ScriptedModel(respond), tools=[slow])
    outs = await asyncio.gather(*(agent.arun(city) for city in ["oslo", "rome", "lima", "kyiv"]))
    assert [o.content for o in outs] == ["answer OSLO", "answer ROME", "answer LIMA", "answer KYIV"]
    assert len({o.run_id for o in outs}) == 4


def test_sync_run_inside_a_running_event_loop():
    agent = Agent(model=ScriptedModel(["from a notebook cell"]))

    async def cell():
        # What Jupyter does: the cell body runs while the kernel's loop is running.
        return agent.run("hi"), list(agent.run("hi again", stream=True))

    agent.model.script._turns.append(text("streamed"))
    out, events = asyncio.run(cell())
    assert out.content == "from a notebook cell"
    assert events[-1].content == "streamed"


def test_debug_logs_every_event(capsys):
    agent = Agent(model=ScriptedModel(["hello"]), debug=True)
    agent.run("hi")
    err = capsys.readouterr().err
    assert "RunStarted" in err and "RunCompleted(content='hello'" in err


def test_print_response_streams_text(capsys):
    agent = Agent(model=ScriptedModel(["hello there"]))
    out = agent.print_response("hi", stream=True, show_message=False)
    assert capsys.readouterr().out == "hello there\n"
    assert out.content == "hello there"


def test_print_response_takes_agnos_arguments(capsys):
    def lookup(city: str) -> str:
        """Look up a city."""
        return f"{city}: sunny"

    agent = Agent(model=ScriptedModel([tool_call("lookup", city="Oslo"), text("It is sunny in Oslo.")]),
                  tools=[lookup], show_tool_calls=True)
    out = agent.print_response("weather in Oslo?", stream=True, markdown=True, session_id="s1")
    printed = capsys.readouterr().out
    assert printed == "Message: weather in Oslo?\n\n• lookup(city='Oslo')\nIt is sunny in Oslo.\n"
    assert out.content == "It is sunny in Oslo." and out.session_id == "s1"


async def test_aprint_response(capsys):
    agent = Agent(model=ScriptedModel(["async hello"]))
    out = await agent.aprint_response("hi", show_message=False)
    assert capsys.readouterr().out == "async hello\n" and out.ok


async def test_cancelling_a_run_emits_run_cancelled():
    agent = Agent(model=ScriptedModel([text("too late", delay=5)]))
    seen = []

    async def consume():
        async for event in agent.arun("hi", stream=True):
            seen.append(event)

    task = asyncio.ensure_future(consume())
    await asyncio.sleep(0.05)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert [e.type for e in seen] == ["RunStarted", "ModelRequestStarted", "RunCancelled"]


def test_sync_tool_may_run_another_agent_synchronously():
    inner = Agent(name="inner", model=ScriptedModel(["inner answer"], cycle=True))

    def ask_inner(question: str) -> str:
        """Ask the inner agent."""
        return inner.run(question).content

    outer = Agent(model=ScriptedModel([tool_call("ask_inner", question="q"), "outer done"], cycle=True),
                  tools=[ask_inner])

    async def cell():  # inside a running loop, as in Jupyter: the outer run goes to the background loop
        return outer.run("go")

    out = asyncio.run(cell())
    assert out.tools[0].result == "inner answer" and out.content == "outer done"
    assert outer.run("go").tools[0].result == "inner answer"  # and from plain sync code


async def test_closing_a_stream_early_closes_the_model_call_at_once():
    from agno_nb.models.base import Model, ModelResponse

    closed = []

    class SlowStreamingModel(Model):
        transport = "in-process"

        async def respond(self, messages, *, tools, response_format, stream):
            try:
                for word in ["one", " two", " three"]:
                    yield word
                    await asyncio.sleep(0)
                yield ModelResponse("one two three")
            finally:
                closed.append(True)

    stream = Agent(model=SlowStreamingModel("slow")).arun("hi", stream=True)
    async for event in stream:
        if isinstance(event, RunContentDelta):
            break
    await stream.aclose()
    assert closed == [True]
