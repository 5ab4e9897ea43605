"""Tools: schemas from signatures, injection, validation, execution, options, toolkits and limits."""

import asyncio
import gc
import threading
import time
import weakref
from typing import Any, Literal, Optional

import pytest
from pydantic import BaseModel

from agno_nb import Agent, RunContext, RunStatus, ScriptedModel
from agno_nb.errors import ConfigurationError, ToolDefinitionError
from agno_nb.run_events import ToolCallCompleted, ToolCallError, ToolCallStarted
from agno_nb.models.base import Model, ModelResponse, ToolCall
from agno_nb.models.scripts import Turn, text, tool_call, tool_calls
from agno_nb.tools import Function, Toolkit, tool

# ------------------------------------------------------------------------------------------ helpers


class Point(BaseModel):
    x: int
    y: int = 0


class Recorder:
    """A responder that replays turns and records what the model was sent each time."""

    def __init__(self, *turns: Turn):
        self.turns = list(turns)
        self.calls: list[tuple[list[dict], list[dict] | None]] = []

    def __call__(self, messages, tools):
        self.calls.append(([dict(m) for m in messages], tools))
        if not self.turns:
            raise AssertionError("the model was called more often than the script allows")
        return self.turns.pop(0)


def agent_with(turns, tools, **kwargs) -> Agent:
    return Agent(model=ScriptedModel(list(turns)), tools=tools, **kwargs)


def tool_messages(out) -> list[dict]:
    return [m for m in out.messages if m["role"] == "tool"]


class RawModel(Model):
    """A model that returns prepared ``ModelResponse`` objects (for tool calls with arbitrary raw arguments)."""

    transport = "in-process"

    def __init__(self, responses):
        super().__init__("raw/test")
        self.responses = list(responses)
        self.requests = 0

    async def respond(self, messages, *, tools, response_format, stream):
        self.requests += 1
        yield self.responses.pop(0)


# ---------------------------------------------------------------------------------------- schemas


def _everything(name: str, count: int, ratio: float, flag: bool, unit: Literal["c", "f"],
                maybe_required: Optional[str], nums: list[int], weights: dict[str, float], point: Point,
                maybe: Optional[int] = None, days: int = 3, label: str = "x") -> str:
    """Describe everything.

    Args:
        name: The name.
        point: A point on the plane.
        maybe: Perhaps a number.
    """
    return name


def test_schema_scalar_types():
    props = Function(_everything).parameters["properties"]
    assert props["name"] == {"type": "string", "description": "The name."}
    assert props["count"] == {"type": "integer"}
    assert props["ratio"] == {"type": "number"}
    assert props["flag"] == {"type": "boolean"}


def test_schema_literal_is_an_enum():
    assert Function(_everything).parameters["properties"]["unit"] == {"enum": ["c", "f"], "type": "string"}


def test_schema_optional_is_nullable_and_default_makes_it_optional():
    params = Function(_everything).parameters
    props = params["properties"]
    assert props["maybe"]["anyOf"] == [{"type": "integer"}, {"type": "null"}]
    assert props["maybe"]["default"] is None
    assert props["maybe"]["description"] == "Perhaps a number."
    assert "maybe" not in params["required"]
    # Optional without a default is nullable but still required.
    assert props["maybe_required"]["anyOf"] == [{"type": "string"}, {"type": "null"}]
    assert "maybe_required" in params["required"]


def test_schema_containers():
    props = Function(_everything).parameters["properties"]
    assert props["nums"] == {"type": "array", "items": {"type": "integer"}}
    assert props["weights"] == {"type": "object", "additionalProperties": {"type": "number"}}


def test_schema_nested_pydantic_model():
    params = Function(_everything).parameters
    assert params["properties"]["point"] == {"$ref": "#/$defs/Point", "description": "A point on the plane."}
    point = params["$defs"]["Point"]
    assert point["type"] == "object"
    assert set(point["properties"]) == {"x", "y"}
    assert point["required"] == ["x"]


def test_schema_required_and_defaults():
    params = Function(_everything).parameters
    assert params["required"] == ["name", "count", "ratio", "flag", "unit", "maybe_required", "nums",
                                  "weights", "point"]
    assert params["properties"]["days"] == {"type": "integer", "default": 3}
    assert params["properties"]["label"] == {"type": "string", "default": "x"}
    assert params["type"] == "object"
    assert "title" not in params and "additionalProperties" not in params


def test_schema_name_and_description_from_function():
    schema = Function(_everything).schema
    assert schema["type"] == "function"
    assert schema["function"]["name"] == "_everything"
    assert schema["function"]["description"] == "Describe everything."


def test_schema_of_function_without_parameters():
    def ping() -> str:
        """Ping."""
        return "pong"

    assert Function(ping).parameters == {"properties": {}, "required": [], "type": "object"}


def test_schema_is_built_once(monkeypatch):
    builds = []
    original = Function._build

    def counting(self):
        builds.append(self.name)
        original(self)

    monkeypatch.setattr(Function, "_build", counting)
    fn = Function(_everything)
    assert builds == []  # lazy: nothing built at construction
    first = fn.schema
    assert fn.schema is first
    assert fn.parameters is first["function"]["parameters"]
    fn.validate({"name": "a", "count": 1, "ratio": 1.0, "flag": True, "unit": "c", "maybe_required": None,
                 "nums": [], "weights": {}, "point": {"x": 1}})
    assert fn.injected_parameters == ()
    assert builds == ["_everything"]


def test_from_callable_is_shared_between_agents(monkeypatch):
    builds = []
    original = Function._build

    def counting(self):
        builds.append(self.name)
        original(self)

    monkeypatch.setattr(Function, "_build", counting)

    def shared_tool(x: int) -> int:
        """Double x."""
        return 2 * x

    a1 = agent_with([tool_call("shared_tool", x=2), text("a1")], [shared_tool])
    a2 = agent_with([tool_call("shared_tool", x=3), text("a2")], [shared_tool])
    assert a1.functions["shared_tool"] is a2.functions["shared_tool"]
    assert a1.functions["shared_tool"] is Function.from_callable(shared_tool)
    assert a1.run("go").content == "a1"
    assert a2.run("go").content == "a2"
    assert builds == ["shared_tool"]


def test_from_callable_returns_a_function_unchanged():
    fn = tool(_everything)
    assert Function.from_callable(fn) is fn


def test_from_callable_cache_does_not_keep_functions_alive():
    def make():
        def temporary(x: int) -> int:
            return x

        Function.from_callable(temporary)
        return weakref.ref(temporary)

    ref = make()
    gc.collect()
    assert ref() is None


def test_decorated_function_still_callable_directly():
    @tool
    def add(a: int, b: int) -> int:
        """Add."""
        return a + b

    assert isinstance(add, Function)
    assert add(2, 3) == 5
    assert add.name == "add"


def test_tool_decorated_method_behaves_like_a_method():
    class Calc:
        @tool
        def add(self, a: int, b: int) -> int:
            """Add."""
            return a + b

    calc = Calc()
    assert calc.add(1, 2) == 3
    assert "self" not in Function.from_callable(calc.add).parameters["properties"]


def test_unsupported_parameter_type_is_a_definition_error():
    class Opaque:
        pass

    def f(x: Opaque) -> None:
        pass

    with pytest.raises(ToolDefinitionError, match="cannot be described"):
        Function(f).schema


# ----------------------------------------------------------------------------------------- injection


async def test_injected_parameters_are_hidden_and_injected_at_call_time():
    seen: dict[str, Any] = {}

    def inspect_run(query: str, run_context: RunContext, session_state: dict, agent) -> str:
        """Look at the run."""
        seen.update(query=query, ctx=run_context, state=session_state, agent=agent)
        return "seen"

    def other_name(ctx: RunContext) -> str:
        """Injected by type."""
        seen["by_type"] = ctx
        return "ok"

    fn = Function.from_callable(inspect_run)
    assert fn.injected_parameters == ("run_context", "session_state", "agent")
    assert set(fn.parameters["properties"]) == {"query"}
    assert fn.parameters["required"] == ["query"]
    assert Function.from_callable(other_name).parameters["properties"] == {}

    recorder = Recorder(tool_calls(("inspect_run", {"query": "q"}), ("other_name", {})), text("done"))
    agent = Agent(model=ScriptedModel(recorder), tools=[inspect_run, other_name], session_state={"k": 1},
                  session_id="s1")
    out = await agent.arun("go")
    assert out.status == RunStatus.COMPLETED and out.content == "done"
    # What the model was told has no injected parameters.
    sent = {t["function"]["name"]: t["function"]["parameters"] for t in recorder.calls[0][1]}
    assert set(sent["inspect_run"]["properties"]) == {"query"}
    assert sent["other_name"]["properties"] == {}
    # What the tool received is this run's.
    assert seen["query"] == "q"
    assert isinstance(seen["ctx"], RunContext)
    assert seen["ctx"].run_id == out.run_id and seen["ctx"].session_id == "s1"
    assert seen["by_type"] is seen["ctx"]
    assert seen["agent"] is agent
    assert seen["state"] == {"k": 1}
    assert seen["state"] is seen["ctx"].session_state


async def test_tool_mutating_session_state_shows_on_run_output():
    def add_item(item: str, session_state: dict) -> str:
        """Add an item to the list."""
        session_state.setdefault("items", []).append(item)
        return f"added {item}"

    agent = agent_with([tool_call("add_item", item="milk"), tool_call("add_item", item="eggs"), text("ok")],
                       [add_item], session_state={"items": ["bread"]})
    out = await agent.arun("shop")
    assert out.session_state == {"items": ["bread", "milk", "eggs"]}
    assert agent.session_state == {"items": ["bread"]}  # the agent's initial state is copied per run
    assert [m["content"] for m in tool_messages(out)] == ["added milk", "added eggs"]


async def test_model_cannot_supply_an_injected_parameter():
    def add_item(item: str, session_state: dict) -> str:
        """Add an item."""
        session_state["item"] = item
        return "ok"

    agent = agent_with([tool_call("add_item", item="x", session_state={"evil": True}), text("done")],
                       [add_item])
    out = await agent.arun("go")
    assert out.session_state == {}
    [message] = tool_messages(out)
    assert message["content"].startswith("Error:") and "session_state" in message["content"]


# ---------------------------------------------------------------------------------------- validation

_ran: list[Any] = []


def _typed(count: int, unit: Literal["c", "f"] = "c") -> str:
    """A typed tool."""
    _ran.append(count)
    return f"{count}{unit}"


def _raw_call(arguments: str) -> ModelResponse:
    return ModelResponse(None, [ToolCall("call_raw", "_typed", arguments)], finish_reason="tool_calls")


@pytest.mark.parametrize("arguments, expected", [
    ('{"count": "many"}', "count: Input should be a valid integer"),
    ('{"count": 1, "unit": "k"}', "unit: Input should be 'c' or 'f'"),
    ('{}', "count: Field required"),
    ('{"count": 1, "extra": 2}', "extra: Extra inputs are not permitted"),
    ('{"count": 1', "arguments are not valid JSON"),
    ('[1, 2]', "arguments must be a JSON object"),
], ids=["wrong-type", "bad-enum", "missing", "extra", "invalid-json", "not-an-object"])
async def test_invalid_arguments_go_back_to_the_model(arguments, expected):
    _ran.clear()
    model = RawModel([_raw_call(arguments), ModelResponse("recovered", finish_reason="stop")])
    agent = Agent(model=model, tools=[_typed])
    out = await agent.arun("go")
    assert out.status == RunStatus.COMPLETED and out.content == "recovered"
    assert _ran == []  # the tool body never ran
    [message] = tool_messages(out)
    assert message["tool_call_id"] == "call_raw"
    assert message["content"].startswith("Error:") and expected in message["content"]
    [err] = list(out.iter_events(ToolCallError))
    assert err.tool_name == "_typed" and err.error_type == "ToolArgumentsError" and expected in err.error
    assert model.requests == 2
    assert out.tools[0].error == err.error


async def test_valid_arguments_are_coerced_and_nested_models_are_instances():
    received = {}

    def place(point: Point, tags: list[int], weights: dict[str, float], maybe: Optional[int] = None) -> str:
        """Place a point."""
        received.update(point=point, tags=tags, weights=weights, maybe=maybe)
        return "placed"

    agent = agent_with([tool_call("place", point={"x": 1}, tags=[1, 2], weights={"a": 1}), text("done")],
                       [place])
    out = await agent.arun("go")
    assert out.content == "done"
    assert isinstance(received["point"], Point) and received["point"] == Point(x=1, y=0)
    assert received["tags"] == [1, 2]
    assert received["weights"] == {"a": 1.0} and isinstance(received["weights"]["a"], float)
    assert received["maybe"] is None


async def test_empty_arguments_mean_no_arguments():
    def ping() -> str:
        """Ping."""
        return "pong"

    model = RawModel([ModelResponse(None, [ToolCall("c1", "ping", "")]), ModelResponse("done")])
    out = await Agent(model=model, tools=[ping]).arun("go")
    assert tool_messages(out)[0]["content"] == "pong"
    assert out.content == "done"


# ------------------------------------------------------------------------------------------- failures


async def test_tool_that_raises_reports_to_model_and_trace():
    def flaky(city: str) -> str:
        """Fails."""
        raise ValueError(f"no data for {city}")

    recorder = Recorder(tool_call("flaky", city="Oslo"), text("Sorry, no data."))
    out = await Agent(model=ScriptedModel(recorder), tools=[flaky]).arun("weather?")
    assert out.status == RunStatus.COMPLETED and out.content == "Sorry, no data."
    [message] = tool_messages(out)
    assert message["content"] == "Error: ValueError: no data for Oslo"
    # The second model request saw the error message.
    assert recorder.calls[1][0][-1]["content"] == "Error: ValueError: no data for Oslo"
    [err] = list(out.iter_events(ToolCallError))
    assert err.error_type == "ValueError" and err.error == "ValueError: no data for Oslo"
    assert out.tools[0].error == "ValueError: no data for Oslo" and out.tools[0].result is None
    assert out.metrics.tool_calls == 1


async def test_tool_raising_its_own_timeout_error_is_reported_as_that_error():
    def fetch(url: str) -> str:
        """Fetch."""
        raise TimeoutError("socket read timed out")

    out = await agent_with([tool_call("fetch", url="http://x"), text("done")], [fetch]).arun("go")
    [err] = list(out.iter_events(ToolCallError))
    assert err.error_type == "TimeoutError"
    assert "socket read timed out" in err.error and "None" not in err.error


async def test_unknown_tool_lists_available_tools_and_run_continues():
    def alpha() -> str:
        """A."""
        return "a"

    def beta() -> str:
        """B."""
        return "b"

    out = await agent_with([tool_call("gamma", q=1), text("fine")], [beta, alpha]).arun("go")
    assert out.status == RunStatus.COMPLETED and out.content == "fine"
    [message] = tool_messages(out)
    assert message["content"] == "Error: there is no tool named 'gamma'; available tools: alpha, beta"
    [err] = list(out.iter_events(ToolCallError))
    assert err.tool_name == "gamma"


async def test_failed_call_does_not_affect_sibling_calls():
    def ok(x: int) -> int:
        """Ok."""
        return x

    def bad() -> int:
        """Bad."""
        raise RuntimeError("nope")

    turn = tool_calls(("ok", {"x": 1}), ("bad", {}), ("ok", {"x": 2}))
    out = await agent_with([turn, text("done")], [ok, bad]).arun("go")
    assert [m["content"] for m in tool_messages(out)] == ["1", "Error: RuntimeError: nope", "2"]
    assert out.content == "done"


# ---------------------------------------------------------------------------------------- tool kinds


def _sync_kind(n: int) -> dict:
    """Sync."""
    return {"n": n}


async def _async_kind(n: int) -> int:
    """Async."""
    await asyncio.sleep(0)
    return n * 10


def _gen_kind(n: int):
    """Generator."""
    for i in range(n):
        yield f"g{i}"


async def _agen_kind(n: int):
    """Async generator."""
    for i in range(n):
        await asyncio.sleep(0)
        yield i


async def _agen_text(n: int):
    """Async generator of text."""
    for i in range(n):
        yield f"a{i}"


def _gen_numbers(n: int):
    """Generator of numbers."""
    yield from range(n)


@pytest.mark.parametrize("fn, result, message", [
    (_sync_kind, {"n": 3}, '{"n": 3}'),
    (_async_kind, 30, "30"),
    (_gen_kind, "g0g1g2", "g0g1g2"),
    (_agen_kind, [0, 1, 2], "[0, 1, 2]"),
    (_agen_text, "a0a1a2", "a0a1a2"),
    (_gen_numbers, [0, 1, 2], "[0, 1, 2]"),
], ids=["sync", "async", "generator", "async-generator", "async-generator-str", "generator-non-str"])
async def test_tool_kinds_through_a_run(fn, result, message):
    out = await agent_with([tool_call(fn.__name__, n=3), text("done")], [fn]).arun("go")
    assert out.status == RunStatus.COMPLETED and out.content == "done"
    [completed] = list(out.iter_events(ToolCallCompleted))
    assert completed.result == result and completed.cached is False
    assert tool_messages(out)[0]["content"] == message
    assert out.tools[0].result == result


@pytest.mark.parametrize("fn", [_sync_kind, _gen_kind, _async_kind, _agen_kind])
def test_tool_kinds_through_a_sync_run(fn):
    out = agent_with([tool_call(fn.__name__, n=2), text("done")], [fn]).run("go")
    assert out.ok and len(list(out.iter_events(ToolCallCompleted))) == 1


def test_pydantic_and_none_results_are_serialized():
    def make_point() -> Point:
        """Point."""
        return Point(x=4)

    def nothing() -> None:
        """Nothing."""

    out = agent_with([tool_calls(("make_point", {}), ("nothing", {})), text("done")],
                     [make_point, nothing]).run("go")
    assert [m["content"] for m in tool_messages(out)] == ['{"x":4,"y":0}', "null"]


# --------------------------------------------------------------------------------------- concurrency


async def test_async_tools_of_one_turn_run_concurrently_and_keep_order():
    spans: dict[int, tuple[float, float]] = {}

    async def wait(i: int, extra: float = 0.0) -> str:
        """Wait."""
        start = time.perf_counter()
        await asyncio.sleep(0.3 + extra)
        spans[i] = (start, time.perf_counter())
        return f"done {i}"

    # The first call is the slowest, so completion order differs from call order.
    turn = tool_calls(("wait", {"i": 1, "extra": 0.1}), ("wait", {"i": 2}), ("wait", {"i": 3}))
    agent = agent_with([turn, text("all done")], [wait])
    out = await agent.arun("go")
    assert out.content == "all done"
    assert max(s for s, _ in spans.values()) < min(e for _, e in spans.values())  # all overlapped
    assert [m["content"] for m in tool_messages(out)] == ["done 1", "done 2", "done 3"]
    assistant = next(m for m in out.messages if m.get("tool_calls"))
    assert [m["tool_call_id"] for m in tool_messages(out)] == [c["id"] for c in assistant["tool_calls"]]
    # Events arrive as calls finish: the slow first call completes last.
    assert [e.result for e in out.iter_events(ToolCallCompleted)][-1] == "done 1"
    assert [e.arguments["i"] for e in out.iter_events(ToolCallStarted)] == [1, 2, 3]


async def test_sync_tools_of_one_turn_run_in_threads_concurrently():
    threads = []
    lock = threading.Lock()
    together = threading.Barrier(3, timeout=10)  # passes only if the three calls run at the same time

    def block(i: int) -> str:
        """Block."""
        with lock:
            threads.append(threading.get_ident())
        together.wait()
        return f"b{i}"

    turn = tool_calls(("block", {"i": 1}), ("block", {"i": 2}), ("block", {"i": 3}))
    out = await agent_with([turn, text("ok")], [block]).arun("go")
    assert [m["content"] for m in tool_messages(out)] == ["b1", "b2", "b3"]
    assert len(set(threads)) == 3 and threading.get_ident() not in threads


def test_lone_sync_call_runs_inline_in_a_sync_run():
    threads = []

    def where() -> str:
        """Where."""
        threads.append(threading.get_ident())
        return "here"

    out = agent_with([tool_call("where"), text("ok")], [where]).run("go")
    assert out.content == "ok"
    assert threads == [threading.get_ident()]  # the sync run owns its loop: no thread hop


async def test_a_sync_tool_never_blocks_a_shared_loop():
    """Under arun (an async app, a served replica) a sync tool runs on a thread: other runs go on."""
    threads, ticks = [], []

    def slow() -> str:
        """Slow."""
        threads.append(threading.get_ident())
        time.sleep(0.3)
        return "done"

    async def ticker() -> None:
        for _ in range(5):
            ticks.append(time.perf_counter())
            await asyncio.sleep(0.05)

    run = agent_with([tool_call("slow"), text("ok")], [slow]).arun("go")
    out, _ = await asyncio.gather(run, ticker())
    assert out.content == "ok" and threads and threads[0] != threading.get_ident()
    assert max(b - a for a, b in zip(ticks, ticks[1:])) < 0.2  # the loop kept ticking during the tool


# ------------------------------------------------------------------------------------- @tool options


def test_tool_name_and_description_override():
    @tool(name="get-weather", description="Weather for a city.")
    def weather(city: str) -> str:
        """Original summary."""
        return city

    assert weather.name == "get-weather"
    assert weather.schema["function"]["name"] == "get-weather"
    assert weather.schema["function"]["description"] == "Weather for a city."
    out = agent_with([tool_call("get-weather", city="Rome"), text("done")], [weather]).run("go")
    assert tool_messages(out)[0]["content"] == "Rome"


def test_tool_instructions_appear_in_system_message():
    @tool(instructions="Always convert to Celsius.")
    def temp(city: str) -> str:
        """Temperature."""
        return "20"

    out = Agent(model=ScriptedModel([text("hi")]), instructions="Be brief.", tools=[temp]).run("go")
    system = out.messages[0]
    assert system["role"] == "system"
    assert "Be brief." in system["content"] and "Always convert to Celsius." in system["content"]


def test_tool_without_instructions_adds_nothing_to_system_message():
    def temp(city: str) -> str:
        """Temperature."""
        return "20"

    out = Agent(model=ScriptedModel([text("hi")]), instructions="Be brief.", tools=[temp]).run("go")
    assert out.messages[0] == {"role": "system", "content": "Be brief."}


def test_show_result_appends_result_to_answer():
    @tool(show_result=True)
    def lookup(key: str) -> str:
        """Lookup."""
        return f"value of {key}"

    out = agent_with([tool_call("lookup", key="a"), text("Here it is.")], [lookup]).run("go")
    assert out.content == "value of a\n\nHere it is."


def test_show_result_false_leaves_answer_alone():
    def lookup(key: str) -> str:
        """Lookup."""
        return f"value of {key}"

    out = agent_with([tool_call("lookup", key="a"), text("Here it is.")], [lookup]).run("go")
    assert out.content == "Here it is."


def test_show_result_of_failed_call_is_not_shown():
    @tool(show_result=True)
    def lookup(key: str) -> str:
        """Lookup."""
        raise KeyError(key)

    out = agent_with([tool_call("lookup", key="a"), text("Nothing.")], [lookup]).run("go")
    assert out.content == "Nothing."


def test_stop_after_tool_call_ends_the_run_with_the_result():
    @tool(stop_after_tool_call=True)
    def final(x: int) -> dict:
        """Final."""
        return {"answer": x}

    model = ScriptedModel([tool_call("final", x=42), text("never")])
    out = Agent(model=model, tools=[final]).run("go")
    assert out.status == RunStatus.COMPLETED
    assert out.content == '{"answer": 42}'
    assert out.metrics.model_requests == 1
    assert "final" in out.status_reason
    assert tool_messages(out)[0]["content"] == '{"answer": 42}'


def test_stop_after_tool_call_that_fails_lets_the_model_continue():
    @tool(stop_after_tool_call=True)
    def final(x: int) -> int:
        """Final."""
        raise RuntimeError("broken")

    out = agent_with([tool_call("final", x=1), text("recovered")], [final]).run("go")
    assert out.content == "recovered" and out.metrics.model_requests == 2


async def test_cache_results_reuses_identical_calls():
    calls = []

    @tool(cache_results=True)
    def expensive(x: int, session_state: dict) -> int:
        """Expensive."""
        calls.append(x)
        return x * x

    turns = [tool_call("expensive", x=3), tool_call("expensive", x=3), tool_call("expensive", x=4), text("done")]
    out = await agent_with(turns, [expensive]).arun("go")
    completed = list(out.iter_events(ToolCallCompleted))
    assert [(e.result, e.cached) for e in completed] == [(9, False), (9, True), (16, False)]
    assert calls == [3, 4]
    assert [t.cached for t in out.tools] == [False, True, False]
    # The cache lives on the tool, so another run reuses it too.
    out2 = await agent_with([tool_call("expensive", x=3), text("done")], [expensive]).arun("go")
    assert [e.cached for e in out2.iter_events(ToolCallCompleted)] == [True]
    assert calls == [3, 4]


async def test_cache_results_expire_after_ttl():
    calls = []

    @tool(cache_results=True, cache_ttl=0.15)
    def expensive(x: int) -> int:
        """Expensive."""
        calls.append(x)
        return x + 1

    turns = [tool_call("expensive", x=1), tool_call("expensive", x=1),
             tool_call("expensive", x=1, delay=0.25), text("done")]
    out = await agent_with(turns, [expensive]).arun("go")
    assert [e.cached for e in out.iter_events(ToolCallCompleted)] == [False, True, False]
    assert calls == [1, 1]


async def test_without_cache_results_every_call_runs():
    calls = []

    def plain(x: int) -> int:
        """Plain."""
        calls.append(x)
        return x

    out = await agent_with([tool_call("plain", x=1), tool_call("plain", x=1), text("done")], [plain]).arun("go")
    assert calls == [1, 1]
    assert [e.cached for e in out.iter_events(ToolCallCompleted)] == [False, False]


async def test_timeout_of_async_tool():
    @tool(timeout=0.05)
    async def slow(x: int) -> int:
        """Slow."""
        await asyncio.sleep(2)
        return x

    out = await agent_with([tool_call("slow", x=1), text("gave up")], [slow]).arun("go")
    assert out.status == RunStatus.COMPLETED and out.content == "gave up"
    [err] = list(out.iter_events(ToolCallError))
    assert err.error_type == "ToolTimeout" and "timed out" in err.error and "0.05" in err.error
    assert tool_messages(out)[0]["content"] == "Error: the tool slow timed out after 0.05s"


async def test_timeout_of_sync_tool():
    finished = []

    @tool(timeout=0.05)
    def slow_sync(x: int) -> int:
        """Slow."""
        time.sleep(0.5)
        finished.append(x)
        return x

    out = await agent_with([tool_call("slow_sync", x=1), text("gave up")], [slow_sync]).arun("go")
    assert finished == []  # the run went on without waiting for the 0.5 s body
    assert out.content == "gave up"
    [err] = list(out.iter_events(ToolCallError))
    assert "timed out" in err.error


async def test_fast_tool_with_timeout_succeeds():
    @tool(timeout=1.0)
    async def quick(x: int) -> int:
        """Quick."""
        return x + 1

    out = await agent_with([tool_call("quick", x=1), text("done")], [quick]).arun("go")
    assert [e.result for e in out.iter_events(ToolCallCompleted)] == [2]
    assert not list(out.iter_events(ToolCallError))


@pytest.mark.parametrize("timeout", [0, -1])
def test_non_positive_timeout_is_rejected(timeout):
    with pytest.raises(ToolDefinitionError, match="timeout"):
        tool(timeout=timeout)(_sync_kind)


# ------------------------------------------------------------------------------------------ Toolkit


class MathTools(Toolkit):
    def __init__(self, **kwargs):
        super().__init__("math", tools=[self.add, self.mul, self.neg], instructions="Use math tools.", **kwargs)
        self.offset = 100

    def add(self, a: int, b: int) -> int:
        """Add two numbers."""
        return a + b + self.offset

    def mul(self, a: int, b: int) -> int:
        """Multiply."""
        return a * b

    def neg(self, a: int) -> int:
        """Negate."""
        return -a


def test_toolkit_bound_methods_have_no_self_in_schema():
    functions = MathTools().functions
    assert list(functions) == ["add", "mul", "neg"]
    assert functions["add"].parameters["required"] == ["a", "b"]
    assert "self" not in functions["add"].parameters["properties"]


def test_toolkit_in_agent_run_and_instructions():
    out = agent_with([tool_call("add", a=1, b=2), text("done")], [MathTools()]).run("go")
    assert tool_messages(out)[0]["content"] == "103"
    assert "Use math tools." in out.messages[0]["content"]


def test_toolkit_include_tools():
    assert list(MathTools(include_tools=["mul"]).functions) == ["mul"]


def test_toolkit_exclude_tools():
    assert list(MathTools(exclude_tools=["mul"]).functions) == ["add", "neg"]


def test_toolkit_include_and_exclude():
    assert list(MathTools(include_tools=["add", "mul"], exclude_tools=["add"]).functions) == ["mul"]


def test_toolkit_functions_built_once():
    tk = MathTools()
    assert tk.functions is tk.functions


def test_toolkit_include_unknown_names_is_an_error():
    tk = MathTools(include_tools=["add", "divide", "sqrt"])
    with pytest.raises(ToolDefinitionError) as info:
        tk.functions
    message = str(info.value)
    assert "divide" in message and "sqrt" in message and "include_tools" in message
    assert "'add'" in message.split("it has")[1]  # lists what it does have


def test_toolkit_exclude_unknown_names_is_an_error():
    with pytest.raises(ToolDefinitionError, match="exclude_tools.*'divide'"):
        MathTools(exclude_tools=["divide"]).functions


def test_toolkit_unknown_include_fails_the_run_before_it_starts():
    agent = agent_with([text("never")], [MathTools(include_tools=["nope"])])
    with pytest.raises(ToolDefinitionError, match="nope"):
        agent.run("go")


def test_toolkit_of_plain_functions_and_tool_functions():
    @tool(name="renamed")
    def original() -> str:
        """R."""
        return "r"

    tk = Toolkit("mixed", tools=[_sync_kind, original])
    assert list(tk.functions) == ["_sync_kind", "renamed"]
    assert tk.functions["renamed"] is original


# ----------------------------------------------------------------------------------- agent tool list


def test_duplicate_tool_names_are_an_error():
    @tool(name="dup")
    def first() -> str:
        return "1"

    @tool(name="dup")
    def second() -> str:
        return "2"

    agent = agent_with([text("never")], [first, second])
    with pytest.raises(ToolDefinitionError, match="two tools are named 'dup'"):
        agent.functions
    with pytest.raises(ToolDefinitionError, match="dup"):
        agent.run("go")


def test_duplicate_name_between_toolkit_and_function_is_an_error():
    def add(a: int, b: int) -> int:
        return a + b

    with pytest.raises(ToolDefinitionError, match="'add'"):
        agent_with([text("never")], [MathTools(), add]).functions


def test_same_function_twice_is_not_a_duplicate():
    agent = agent_with([text("ok")], [_sync_kind, _sync_kind])
    assert list(agent.functions) == ["_sync_kind"]


@pytest.mark.parametrize("bad", [42, "not a tool", None])
def test_non_callable_tool_in_agent_is_an_error(bad):
    with pytest.raises(ToolDefinitionError, match="is not a tool"):
        agent_with([text("never")], [bad]).functions


def test_non_callable_function_is_an_error():
    with pytest.raises(ToolDefinitionError, match="must be callable"):
        Function(42)


@pytest.mark.parametrize("name", ["has space", "dot.name", "x" * 65, "é"])
def test_invalid_tool_name_is_an_error(name):
    with pytest.raises(ToolDefinitionError, match="not allowed"):
        tool(name=name)(_sync_kind)


def test_lambda_needs_a_name():
    with pytest.raises(ToolDefinitionError, match="'<lambda>'"):
        Function(lambda x: x)
    assert Function(lambda x: x, name="ok-name_1").name == "ok-name_1"


def test_callable_instance_as_tool():
    class Greeter:
        def __call__(self, who: str) -> str:
            """Greet someone."""
            return f"hi {who}"

    fn = Function(Greeter())
    assert fn.name == "Greeter"
    assert fn.schema["function"]["description"] == "Greet someone."
    assert fn.parameters["required"] == ["who"]
    out = agent_with([tool_call("Greeter", who="bo"), text("done")], [Greeter()]).run("go")
    assert tool_messages(out)[0]["content"] == "hi bo"


# --------------------------------------------------------------------------------- tool_call_limit


def _counted(i: int) -> int:
    """Counted."""
    _counted.calls.append(i)
    return i


_counted.calls = []


@pytest.fixture
def counted():
    _counted.calls = []
    return _counted


def test_tool_call_limit_stops_the_run(counted):
    model = ScriptedModel([tool_call("_counted", i=1), tool_call("_counted", i=2), text("never")])
    out = Agent(model=model, tools=[counted], tool_call_limit=1).run("go")
    assert out.status == RunStatus.LIMIT_REACHED == "limit_reached"
    assert counted.calls == [1]
    assert out.metrics.model_requests == 2  # not called again after the limit
    assert "tool_call_limit=1" in out.status_reason and "1 were not run" in out.status_reason
    assert tool_messages(out)[-1]["content"].startswith("Not run")
    assert not out.ok


def test_tool_call_limit_zero(counted):
    model = ScriptedModel([tool_call("_counted", i=1), text("never")])
    out = Agent(model=model, tools=[counted], tool_call_limit=0).run("go")
    assert out.status == RunStatus.LIMIT_REACHED
    assert counted.calls == []
    assert out.metrics.model_requests == 1
    assert out.metrics.tool_calls == 0
    assert "tool_call_limit=0" in out.status_reason
    assert not list(out.iter_events(ToolCallStarted))
    [message] = tool_messages(out)
    assert "limit" in message["content"]


def test_tool_call_limit_partial_turn(counted):
    turns = [tool_call("_counted", i=1),
             tool_calls(("_counted", {"i": 2}), ("_counted", {"i": 3}), ("_counted", {"i": 4})),
             text("never")]
    out = Agent(model=ScriptedModel(turns), tools=[counted], tool_call_limit=2).run("go")
    assert out.status == RunStatus.LIMIT_REACHED
    assert counted.calls == [1, 2]
    assert out.metrics.model_requests == 2 and out.metrics.tool_calls == 2
    assert "2 were not run" in out.status_reason
    # Every call of the last turn has a tool message, in the order asked, the run ones first.
    assistant = [m for m in out.messages if m.get("tool_calls")][-1]
    last_ids = [c["id"] for c in assistant["tool_calls"]]
    last_messages = tool_messages(out)[-3:]
    assert [m["tool_call_id"] for m in last_messages] == last_ids
    assert [m["content"] for m in last_messages][0] == "2"
    assert all(m["content"].startswith("Not run") for m in last_messages[1:])


def test_tool_call_limit_not_reached_completes(counted):
    turns = [tool_calls(("_counted", {"i": 1}), ("_counted", {"i": 2})), text("done")]
    out = Agent(model=ScriptedModel(turns), tools=[counted], tool_call_limit=2).run("go")
    assert out.status == RunStatus.COMPLETED and out.content == "done"
    assert sorted(counted.calls) == [1, 2]


def test_negative_tool_call_limit_is_rejected():
    with pytest.raises(ConfigurationError, match="tool_call_limit"):
        Agent(model=ScriptedModel([text("x")]), tool_call_limit=-1)


def test_streamed_run_emits_tool_events(counted):
    agent = agent_with([tool_call("_counted", i=5), text("done")], [counted])
    types = [e.type for e in agent.run("go", stream=True)]
    assert types.index("ToolCallStarted") < types.index("ToolCallCompleted") < types.index("RunCompleted")
    assert types[-1] == "RunCompleted"
    assert counted.calls == [5]
