"""Agent-level memory: session history, session state, the session API, user memories and summaries.

Every stored-memory test runs twice through the ``store`` fixture: on a fresh DuckDB file and on a fresh
PostgreSQL database. Models are scripted; a ``Recorder`` responder keeps a copy of every conversation the
model was sent, so the tests check what the model actually saw, not only what the run returned.
"""

from __future__ import annotations

import asyncio
import copy
import json
import logging
import time

import pytest

from agno_nb import Agent, ScriptedModel, background
from agno_nb.errors import ConfigurationError, TemplateVariableError
from agno_nb.memory import MemoryManager, SessionSummaryManager, search_memories
from agno_nb.models.scripts import error, text, tool_call, tool_calls
from agno_nb.run_events import RunStatus
from agno_nb.storage import MemoryRecord, NotFoundError, SessionRecord

# ------------------------------------------------------------------------------------------- helpers


@pytest.fixture
def store(store):
    """The conftest store (DuckDB and PostgreSQL); background work is drained before it closes."""
    yield store
    background.wait()


@pytest.fixture(autouse=True)
def no_default_store(monkeypatch):
    """No test of this module may depend on (or write to) a process-wide default store."""
    from agno_nb import storage

    monkeypatch.delenv("AGNO_NB_DB", raising=False)
    monkeypatch.setattr(storage, "_default", None)
    yield
    background.wait()


class Recorder:
    """A responder that answers from ``turns`` (then ``default``) and records what it was sent."""

    def __init__(self, *turns, default: str = "ok"):
        self.turns = list(turns)
        self.default = default
        self.calls: list[dict] = []

    def __call__(self, messages, tools):
        self.calls.append({"messages": copy.deepcopy(messages),
                           "tools": [t["function"]["name"] for t in tools or ()]})
        if self.turns:
            turn = self.turns.pop(0)
            return turn(messages, tools) if callable(turn) else turn
        return text(self.default)

    @property
    def last(self) -> list[dict]:
        return self.calls[-1]["messages"]


def model(*turns, default: str = "ok") -> tuple[ScriptedModel, Recorder]:
    recorder = Recorder(*turns, default=default)
    return ScriptedModel(recorder), recorder


def logged(caplog, fragment: str, timeout: float = 2.0) -> bool:
    """Whether a WARNING containing ``fragment`` was logged (polling: see the background.wait race test)."""
    deadline = time.perf_counter() + timeout
    while True:
        if any(fragment in r.getMessage() for r in caplog.records if r.levelno == logging.WARNING):
            return True
        if time.perf_counter() > deadline:
            return False
        time.sleep(0.01)


def system_of(messages: list[dict]) -> str:
    return messages[0]["content"] if messages and messages[0]["role"] == "system" else ""


def convo(messages: list[dict]) -> list[tuple[str, str | None]]:
    """(role, content) of the non-system messages."""
    return [(m["role"], m.get("content")) for m in messages if m["role"] != "system"]


def get_weather(city: str) -> str:
    """Get the weather for a city.

    Args:
        city: the city name
    """
    return f"sunny in {city}"


def remember(session_state: dict, key: str, value: str) -> str:
    """Write a value into the session state.

    Args:
        key: the name
        value: the value
    """
    session_state[key] = value
    return f"stored {key}"


def two_turn_session(store, session_id="s1", user_id="ada", **agent_kwargs) -> tuple[Agent, list]:
    """A session of two plain exchanges (``FIRST_TWO``)."""
    m, _ = model(text("Hello Ada."), text("Nice city."))
    agent = Agent(model=m, db=store, user_id=user_id, **agent_kwargs)  # the session API acts as this user
    outs = [agent.run("My name is Ada.", session_id=session_id, user_id=user_id),
            agent.run("I live in Lisbon.", session_id=session_id, user_id=user_id)]
    assert [o.status for o in outs] == ["completed", "completed"]
    return agent, outs


FIRST_TWO = [("user", "My name is Ada."), ("assistant", "Hello Ada."),
             ("user", "I live in Lisbon."), ("assistant", "Nice city.")]


# ------------------------------------------------------------------------------------------- history


def test_second_run_sees_first_runs_messages(store):
    m, rec = model(text("Hello Ada."), text("Your name is Ada."))
    agent = Agent(model=m, db=store, instructions="Be brief.", add_history_to_context=True)
    first = agent.run("My name is Ada.", session_id="s1", user_id="ada")
    assert convo(rec.last) == [("user", "My name is Ada.")]  # nothing before the first run

    second = agent.run("What is my name?", session_id="s1", user_id="ada")
    expected = [("user", "My name is Ada."), ("assistant", "Hello Ada."), ("user", "What is my name?")]
    assert system_of(rec.last) == "Be brief."
    assert convo(rec.last) == expected
    assert [m["role"] for m in rec.last] == ["system", "user", "assistant", "user"]
    assert convo(second.messages) == expected + [("assistant", "Your name is Ada.")]
    assert second.content == "Your name is Ada." and first.ok
    # A run stores only its own messages: history is never duplicated into later runs.
    stored = store.get_run(second.run_id)
    assert convo(stored.messages) == [("user", "What is my name?"), ("assistant", "Your name is Ada.")]


def test_history_is_off_by_default(store):
    m, rec = model(text("Hello Ada."), text("Who are you?"))
    agent = Agent(model=m, db=store)
    agent.run("My name is Ada.", session_id="s1")
    agent.run("What is my name?", session_id="s1")
    assert convo(rec.last) == [("user", "What is my name?")]


def test_num_history_runs_limits_the_runs(store):
    m, rec = model(text("a1"), text("a2"), text("a3"), text("a4"), text("a5"))
    agent = Agent(model=m, db=store, add_history_to_context=True, num_history_runs=2)
    for i in range(1, 6):
        agent.run(f"q{i}", session_id="s1")
    # The fifth run sees runs 3 and 4 only, oldest first.
    assert convo(rec.last) == [("user", "q3"), ("assistant", "a3"), ("user", "q4"), ("assistant", "a4"),
                               ("user", "q5")]
    assert convo(rec.calls[1]["messages"]) == [("user", "q1"), ("assistant", "a1"), ("user", "q2")]


def _tool_session(store) -> Agent:
    """Session 'base': two runs, each user -> assistant(tool call) -> tool -> assistant."""
    m, _ = model(tool_call("get_weather", city="Paris"), text("a1"),
                 tool_call("get_weather", city="Rome"), text("a2"))
    agent = Agent(model=m, db=store, tools=[get_weather])
    for q in ("q1", "q2"):
        assert agent.run(q, session_id="base").ok
    return agent


_TOOL_HISTORY = [("user", "q1"), ("assistant", None), ("tool", "sunny in Paris"), ("assistant", "a1"),
                 ("user", "q2"), ("assistant", None), ("tool", "sunny in Rome"), ("assistant", "a2")]


def test_num_history_messages_caps_and_never_starts_mid_tool_exchange(store):
    base = _tool_session(store)
    assert convo(base.get_session_messages("base")) == _TOOL_HISTORY
    # cap -> the history the next run gets: the last `cap` messages, moved forward to a user message
    expected = {None: _TOOL_HISTORY, 8: _TOOL_HISTORY, 7: _TOOL_HISTORY[4:], 6: _TOOL_HISTORY[4:],
                4: _TOOL_HISTORY[4:], 3: [], 1: [], 0: []}
    for cap, history in expected.items():
        fork = base.fork_session("base", new_session_id=f"cap-{cap}")
        m, rec = model(text("done"))
        agent = Agent(model=m, db=store, tools=[get_weather], add_history_to_context=True,
                      num_history_runs=10, num_history_messages=cap)
        assert agent.run("next", session_id=fork).ok
        got = rec.last
        assert convo(got) == history + [("user", "next")], f"num_history_messages={cap}"
        assert got[0]["role"] == "user"  # never an orphan tool result or assistant turn first
        # every tool result follows the assistant message that called it
        for i, message in enumerate(got):
            if message["role"] == "tool":
                calls = got[i - 1].get("tool_calls") or []
                assert message["tool_call_id"] in [c["id"] for c in calls]


def test_other_sessions_never_leak_into_history(store):
    m, rec = model(text("noted s1"), text("noted s2"), text("answer s1"))
    agent = Agent(model=m, db=store, add_history_to_context=True)
    agent.run("secret of s1: 1234", session_id="s1", user_id="ada")
    agent.run("secret of s2: 9876", session_id="s2", user_id="ada")
    assert convo(rec.last) == [("user", "secret of s2: 9876")]
    # Another agent object on the same store, same user, back on s1.
    other = Agent(model=m, db=store, add_history_to_context=True)
    other.run("what was the secret?", session_id="s1", user_id="ada")
    assert convo(rec.last) == [("user", "secret of s1: 1234"), ("assistant", "noted s1"),
                               ("user", "what was the secret?")]
    assert "9876" not in json.dumps(rec.last)


def test_failed_runs_are_not_history(store):
    m, rec = model(text("a1"), error("server"), text("a3"))
    agent = Agent(model=m, db=store, add_history_to_context=True, retries=0)
    agent.run("q1", session_id="s1")
    failed = agent.run("q2", session_id="s1")
    assert failed.status == RunStatus.ERROR
    agent.run("q3", session_id="s1")
    assert convo(rec.last) == [("user", "q1"), ("assistant", "a1"), ("user", "q3")]


def test_without_a_store_there_is_no_history():
    m, rec = model(text("Hello Ada."), text("I do not know."))
    agent = Agent(model=m, add_history_to_context=True, read_chat_history=False)
    assert agent.store() is None
    agent.run("My name is Ada.", session_id="s1")
    out = agent.run("What is my name?", session_id="s1")
    assert convo(rec.last) == [("user", "What is my name?")]
    assert convo(out.messages) == [("user", "What is my name?"), ("assistant", "I do not know.")]


# ------------------------------------------------------------------------------------- session state


def test_session_state_survives_into_a_new_agent_object(store):
    m1, _ = model(tool_calls(("remember", {"key": "city", "value": "Lisbon"}),
                             ("remember", {"key": "pet", "value": "Rex"})), text("Stored."))
    writer = Agent(model=m1, db=store, tools=[remember])
    out = writer.run("remember things", session_id="s1", user_id="ada")
    assert out.session_state == {"city": "Lisbon", "pet": "Rex"}
    assert store.get_session("s1").state == {"city": "Lisbon", "pet": "Rex"}

    seen = {}

    def read_state(session_state: dict) -> str:
        """Read the session state."""
        seen.update(session_state)
        return json.dumps(session_state, sort_keys=True)

    store.close()  # a new agent, as in a new process: a fresh connection too (the store reconnects)
    m2, _ = model(tool_call("read_state"), text("done"))
    reader = Agent(model=m2, db=store, tools=[read_state], user_id="ada")
    out2 = reader.run("what do you know?", session_id="s1", user_id="ada")
    assert seen == {"city": "Lisbon", "pet": "Rex"}
    assert out2.tools[0].result == '{"city": "Lisbon", "pet": "Rex"}'
    assert reader.get_session_state("s1") == {"city": "Lisbon", "pet": "Rex"}


def test_session_state_precedence_agent_default_then_stored_then_run(store):
    m1, _ = model(tool_calls(("remember", {"key": "b", "value": "stored"}),
                             ("remember", {"key": "c", "value": "stored"})), text("ok"))
    first = Agent(model=m1, db=store, tools=[remember],
                  session_state={"a": "first-default", "b": "first-default"})
    first.run("set", session_id="s1")
    assert store.get_session("s1").state == {"a": "first-default", "b": "stored", "c": "stored"}

    m2, rec = model(text("ok"))
    defaults = {"a": "default", "b": "default", "c": "default", "d": "default"}
    second = Agent(model=m2, db=store, session_state=defaults, add_session_state_to_context=True)
    out = second.run("go", session_id="s1", session_state={"c": "run"})
    # agent default < stored < run-level
    expected = {"a": "first-default", "b": "stored", "c": "run", "d": "default"}
    assert out.session_state == expected
    shown = system_of(rec.last).split("<session_state>\n")[1].split("\n</session_state>")[0]
    assert json.loads(shown) == expected  # what the model saw, too
    assert store.get_session("s1").state == expected
    assert defaults == {"a": "default", "b": "default", "c": "default", "d": "default"}  # never mutated


def test_instruction_templates_are_filled_from_stored_state(store):
    m1, _ = model(tool_calls(("remember", {"key": "name", "value": "Ada"}),
                             ("remember", {"key": "color", "value": "teal"})), text("ok"))
    Agent(model=m1, db=store, tools=[remember]).run("set", session_id="s1")

    m2, rec = model(text("ok"), text("ok"))
    agent = Agent(model=m2, db=store, instructions="Help {name}, whose favorite color is {color}.")
    agent.run("hi", session_id="s1")
    assert system_of(rec.last) == "Help Ada, whose favorite color is teal."
    agent.run("hi", session_id="s1", session_state={"color": "red"})
    assert system_of(rec.last) == "Help Ada, whose favorite color is red."
    # A session without that state cannot fill the template.
    with pytest.raises(TemplateVariableError, match="name"):
        agent.run("hi", session_id="empty")


# ------------------------------------------------------------------------------- read_chat_history


def test_get_chat_history_tool_returns_earlier_messages_as_json(store):
    _, _ = two_turn_session(store)
    m, rec = model(tool_call("get_chat_history"), text("You are Ada from Lisbon."))
    agent = Agent(model=m, db=store, read_chat_history=True)
    out = agent.run("What do you know about me?", session_id="s1", user_id="ada")
    assert "get_chat_history" in rec.calls[0]["tools"]
    # the history is not in the context; the model reads it through the tool
    assert convo(rec.calls[0]["messages"]) == [("user", "What do you know about me?")]
    result = out.tools[0].result
    assert out.tools[0].tool_name == "get_chat_history"
    assert json.loads(result) == [{"role": r, "content": c} for r, c in FIRST_TWO]
    assert rec.last[-1]["role"] == "tool" and json.loads(rec.last[-1]["content"]) == json.loads(result)
    assert out.content == "You are Ada from Lisbon."


def test_get_chat_history_num_runs(store):
    two_turn_session(store)
    m, _ = model(tool_call("get_chat_history", num_runs=1), text("ok"))
    out = Agent(model=m, db=store, read_chat_history=True).run("?", session_id="s1", user_id="ada")
    assert json.loads(out.tools[0].result) == [{"role": r, "content": c} for r, c in FIRST_TWO[2:]]


# ------------------------------------------------------------------------------------- session API


def test_get_session_state_messages_and_runs(store):
    m, _ = model(text("Hello Ada."), tool_call("remember", key="city", value="Lisbon"), text("Nice city."))
    agent = Agent(model=m, db=store, instructions="You are helpful.", tools=[remember], user_id="ada")
    o1 = agent.run("My name is Ada.", session_id="s1", user_id="ada")
    o2 = agent.run("I live in Lisbon.", session_id="s1", user_id="ada")

    session = agent.get_session("s1")
    assert (session.session_id, session.user_id, session.run_count) == ("s1", "ada", 2)
    assert session.component_id == agent.id
    assert agent.get_session_state("s1") == {"city": "Lisbon"}

    messages = agent.get_session_messages("s1")
    assert [m["role"] for m in messages] == ["user", "assistant", "user", "assistant", "tool", "assistant"]
    assert all(m["role"] != "system" for m in messages)
    assert convo(messages) == [("user", "My name is Ada."), ("assistant", "Hello Ada."),
                               ("user", "I live in Lisbon."), ("assistant", None), ("tool", "stored city"),
                               ("assistant", "Nice city.")]

    runs = agent.get_session_runs("s1")
    assert [r.run_id for r in runs] == [o1.run_id, o2.run_id]  # oldest first
    assert [r.input for r in runs] == ["My name is Ada.", "I live in Lisbon."]
    assert [r.content for r in runs] == ["Hello Ada.", "Nice city."]
    assert {r.status for r in runs} == {"completed"}
    # the agent's own session id is the default
    agent.session_id = "s1"
    assert agent.get_session().session_id == "s1" and len(agent.get_session_runs()) == 2


def test_rename_and_delete_session(store):
    agent, outs = two_turn_session(store)
    two_turn_session(store, session_id="keep")
    agent.rename_session("Trip planning", session_id="s1")
    assert agent.get_session("s1").name == "Trip planning"
    assert convo(agent.get_session_messages("s1")) == FIRST_TWO  # renaming keeps the runs
    assert agent.get_session("s1").run_count == 2

    agent.delete_session("s1")
    with pytest.raises(NotFoundError, match="s1"):
        agent.get_session("s1")
    with pytest.raises(NotFoundError, match="s1"):
        agent.get_session_runs("s1")
    assert all(store.get_run(o.run_id) is None for o in outs)
    assert store.get_events(outs[0].run_id) == []
    assert convo(agent.get_session_messages("keep")) == FIRST_TWO  # other sessions untouched


def test_fork_session_copies_history_and_diverges(store):
    agent, outs = two_turn_session(store, session_id="orig", session_state={"trip": "Rome"})
    fork_id = agent.fork_session("orig")
    assert fork_id not in ("orig", None) and len(fork_id) >= 8
    fork = agent.get_session(fork_id)
    assert (fork.user_id, fork.run_count, fork.name) == ("ada", 2, "orig (fork)")
    assert fork.state == {"trip": "Rome"}
    assert convo(agent.get_session_messages(fork_id)) == FIRST_TWO
    assert {r.run_id for r in agent.get_session_runs(fork_id)}.isdisjoint(o.run_id for o in outs)

    m, rec = model(tool_call("remember", key="trip", value="Paris"), text("Paris then."))
    cont = Agent(model=m, db=store, tools=[remember], add_history_to_context=True)
    cont.run("Actually, Paris.", session_id=fork_id, user_id="ada")
    assert convo(rec.calls[0]["messages"]) == FIRST_TWO + [("user", "Actually, Paris.")]

    # The fork moved on; the original did not.
    assert len(agent.get_session_messages(fork_id)) == 8
    assert convo(agent.get_session_messages("orig")) == FIRST_TWO
    assert agent.get_session("orig").run_count == 2 and agent.get_session_state("orig") == {"trip": "Rome"}
    assert agent.get_session_state(fork_id) == {"trip": "Paris"}
    assert agent.get_session(fork_id).run_count == 3


def test_fork_session_upto_run_id(store):
    agent, outs = two_turn_session(store, session_id="orig")
    fork_id = agent.fork_session("orig", upto_run_id=outs[0].run_id, new_session_id="at-run-1")
    assert fork_id == "at-run-1"
    assert convo(agent.get_session_messages("at-run-1")) == FIRST_TWO[:2]
    assert agent.get_session("at-run-1").run_count == 1

    m, rec = model(text("You did not say."))
    Agent(model=m, db=store, add_history_to_context=True).run("Where do I live?", session_id="at-run-1",
                                                              user_id="ada")
    assert convo(rec.last) == FIRST_TWO[:2] + [("user", "Where do I live?")]
    with pytest.raises(NotFoundError, match="nope"):
        agent.fork_session("orig", upto_run_id="nope")


def test_fork_upto_run_id_has_the_state_of_that_run(store):
    m, _ = model(tool_call("remember", key="list", value="milk"), text("ok"),
                 tool_call("remember", key="list", value="milk, eggs"), text("ok"))
    agent = Agent(model=m, db=store, tools=[remember])
    first = agent.run("add milk", session_id="shop")
    agent.run("add eggs", session_id="shop")
    fork_id = agent.fork_session("shop", upto_run_id=first.run_id)
    assert convo(agent.get_session_messages(fork_id))[0] == ("user", "add milk")  # history ends at run 1 ...
    assert agent.get_session_state(fork_id) == {"list": "milk"}  # ... so should the state


def test_unknown_session_ids_raise_not_found(store):
    agent, _ = two_turn_session(store)
    calls = {
        "get_session": lambda: agent.get_session("no-such-session"),
        "get_session_state": lambda: agent.get_session_state("no-such-session"),
        "get_session_messages": lambda: agent.get_session_messages("no-such-session"),
        "rename_session": lambda: agent.rename_session("x", session_id="no-such-session"),
        "delete_session": lambda: agent.delete_session("no-such-session"),
        "fork_session": lambda: agent.fork_session("no-such-session"),
    }
    for name, call in calls.items():
        with pytest.raises(NotFoundError) as info:
            call()
        assert str(info.value).startswith("No session 'no-such-session' in "), name
        assert isinstance(info.value, KeyError)  # NotFoundError is also a KeyError
    assert agent.get_session("s1").run_count == 2  # nothing was changed on the way


def test_get_session_runs_of_unknown_session_raises(store):
    agent, _ = two_turn_session(store)
    with pytest.raises(NotFoundError, match="no-such-session"):
        agent.get_session_runs("no-such-session")


def test_session_api_without_a_store_says_how_to_configure_one():
    agent = Agent(model=ScriptedModel([text("x")]))
    calls = [lambda: agent.get_session("s1"), lambda: agent.get_session_state("s1"),
             lambda: agent.get_session_messages("s1"), lambda: agent.get_session_runs("s1"),
             lambda: agent.rename_session("n", session_id="s1"), lambda: agent.delete_session("s1"),
             lambda: agent.fork_session("s1"), lambda: agent.get_user_memories("ada")]
    for call in calls:
        with pytest.raises(ConfigurationError, match=r"no store: pass db=DuckDBStore.*set_default_store"):
            call()
    with pytest.raises(ConfigurationError, match="Which session"):
        Agent(model=ScriptedModel([text("x")])).get_session()


def test_session_of_another_user_is_refused_before_any_model_call(store):
    two_turn_session(store, session_id="s1", user_id="alice")
    m, rec = model(text("leaked"))
    agent = Agent(model=m, db=store, add_history_to_context=True)
    with pytest.raises(ConfigurationError, match=r"belongs to another user.*'bob'"):
        agent.run("show me the conversation", session_id="s1", user_id="bob")
    with pytest.raises(ConfigurationError, match="belongs to another user"):
        list(agent.run("show me", session_id="s1", user_id="bob", stream=True))
    assert rec.calls == []
    session = store.get_session("s1")
    assert (session.user_id, session.run_count) == ("alice", 2)
    assert len(store.list_runs(session_id="s1")) == 2


async def test_session_of_another_user_is_refused_in_arun(store):
    two_turn_session(store, session_id="s1", user_id="alice")
    m, rec = model(text("leaked"))
    agent = Agent(model=m, db=store)
    with pytest.raises(ConfigurationError, match="belongs to another user"):
        await agent.arun("hi", session_id="s1", user_id="bob")
    assert rec.calls == []
    out = await agent.arun("hi", session_id="s1", user_id="alice")  # the owner still can
    assert out.ok and store.get_session("s1").run_count == 3


# -------------------------------------------------------------------------------- agentic memories


def test_agentic_memory_add_update_delete(store):
    # add
    mm, mrec = model(tool_call("add_memory", memory="Ada is vegetarian", topics=["food"]), text("done"))
    m, rec = model(tool_call("update_user_memory", task="Ada is vegetarian"), text("Noted."))
    agent = Agent(model=m, db=store, enable_agentic_memory=True, memory_manager=MemoryManager(model=mm))
    out = agent.run("I am vegetarian.", session_id="s1", user_id="ada")
    assert "update_user_memory" in rec.calls[0]["tools"]
    assert out.ok and out.content == "Noted."
    memories = store.list_memories("ada")
    assert [(x.memory, x.topics, x.agent_id) for x in memories] == [("Ada is vegetarian", ["food"], agent.id)]
    mid = memories[0].memory_id
    assert out.tools[0].result == f"add_memory: added {mid}"
    assert convo(mrec.calls[0]["messages"]) == [("user", "Ada is vegetarian")]  # the task is the input
    assert "(none yet)" in system_of(mrec.calls[0]["messages"])
    assert {"add_memory", "update_memory", "delete_memory"} <= set(mrec.calls[0]["tools"])

    # update: the manager sees the current memories with their ids
    mm2, mrec2 = model(tool_call("update_memory", memory_id=mid, memory="Ada is vegan", topics=["food"]),
                       text("done"))
    m2, rec2 = model(tool_call("update_user_memory", task="Ada is now vegan"), text("Updated."))
    agent2 = Agent(model=m2, db=store, enable_agentic_memory=True, memory_manager=MemoryManager(model=mm2))
    out2 = agent2.run("I went vegan.", session_id="s1", user_id="ada")
    assert f"- [{mid}] Ada is vegetarian" in system_of(mrec2.calls[0]["messages"])
    assert "Ada is vegetarian" in system_of(rec2.calls[0]["messages"])  # in the agent's context too
    assert out2.tools[0].result == f"update_memory: updated {mid}"
    assert [(x.memory_id, x.memory) for x in store.list_memories("ada")] == [(mid, "Ada is vegan")]

    # delete
    mm3, _ = model(tool_call("delete_memory", memory_id=mid), text("done"))
    m3, _ = model(tool_call("update_user_memory", task="Forget my diet"), text("Forgotten."))
    agent3 = Agent(model=m3, db=store, enable_agentic_memory=True, memory_manager=MemoryManager(model=mm3))
    out3 = agent3.run("Forget my diet.", session_id="s1", user_id="ada")
    assert out3.tools[0].result == f"delete_memory: deleted {mid}"
    assert store.list_memories("ada") == []
    assert agent3.get_user_memories("ada") == []


def test_agentic_memory_without_user_id_goes_to_the_default_user(store):
    mm, mrec = model(tool_call("add_memory", memory="x"), text("done"))
    m, _ = model(tool_call("update_user_memory", task="remember x"), text("ok"))
    agent = Agent(model=m, db=store, enable_agentic_memory=True, memory_manager=MemoryManager(model=mm))
    out = agent.run("remember x", session_id="s1")
    assert out.tools[0].result.startswith("add_memory: added")
    assert [x.memory for x in store.list_memories("default")] == ["x"]  # Agno's "default" user
    assert agent.get_user_memories()[0].memory == "x"


def test_memories_of_one_user_never_reach_another(store):
    store.save_memory(MemoryRecord("alice-1", "alice", "Alice is allergic to peanuts", ["health"]))
    # Bob's memory model tries to touch Alice's memory by id: it must fail.
    mm, _ = model(tool_call("update_memory", memory_id="alice-1", memory="hijacked"),
                  tool_call("delete_memory", memory_id="alice-1"), text("done"))
    m, rec = model(tool_call("update_user_memory", task="change memory alice-1"), text("ok"))
    bob = Agent(model=m, db=store, enable_agentic_memory=True, memory_manager=MemoryManager(model=mm))
    out = bob.run("What am I allergic to? peanuts?", session_id="bob-s", user_id="bob")
    assert "peanuts" not in system_of(rec.calls[0]["messages"])
    assert "<memories_about_the_user>" not in system_of(rec.calls[0]["messages"])
    assert out.tools[0].result == ("update_memory: Error: no memory alice-1; ids are []; "
                                   "delete_memory: Error: no memory alice-1")
    assert store.list_memories("bob") == [] and bob.get_user_memories("bob") == []
    alice = [(x.memory_id, x.memory) for x in store.list_memories("alice")]
    assert alice == [("alice-1", "Alice is allergic to peanuts")]
    # and Alice does see it
    m2, rec2 = model(text("ok"))
    Agent(model=m2, db=store, add_memories_to_context=True).run("hi", session_id="alice-s", user_id="alice")
    assert "- Alice is allergic to peanuts" in system_of(rec2.last)


# ------------------------------------------------------------------------------ automatic memories


def test_automatic_memories_run_in_the_background(store):
    mm, mrec = model(tool_call("add_memory", memory="Ada drinks green tea", topics=["food"], delay=0.5),
                     text("done"))
    m, rec = model(text("Lovely."))
    agent = Agent(model=m, db=store, enable_user_memories=True, memory_manager=MemoryManager(model=mm),
                  background_memory=True)
    assert "update_user_memory" not in agent.functions  # automatic mode gives the model no memory tool
    started = time.perf_counter()
    out = agent.run("I drink green tea every morning.", session_id="s1", user_id="ada")
    elapsed = time.perf_counter() - started
    assert out.ok and out.content == "Lovely."
    assert elapsed < 0.4 and out.metrics.duration < 0.4  # the run did not wait for the 0.5 s manager
    assert store.list_memories("ada") == []  # not yet: the manager is still thinking
    background.wait()
    assert [x.memory for x in store.list_memories("ada")] == ["Ada drinks green tea"]
    assert convo(mrec.calls[0]["messages"]) == [("user", "The user said:\nI drink green tea every morning.")]

    # The next run has the memory in its system prompt (add_memories_to_context defaults on).
    agent.run("What should I drink?", session_id="s2", user_id="ada")
    memories = "<memories_about_the_user>\n- Ada drinks green tea\n</memories_about_the_user>"
    assert memories in system_of(rec.last)
    background.wait()


async def test_automatic_memories_do_not_block_arun(store):
    mm, _ = model(tool_call("add_memory", memory="Ada runs marathons", delay=0.5), text("done"))
    m, _ = model(text("Impressive."))
    agent = Agent(model=m, db=store, enable_user_memories=True, memory_manager=MemoryManager(model=mm),
                  background_memory=True)
    started = time.perf_counter()
    out = await agent.arun("I run marathons.", session_id="s1", user_id="ada")
    assert time.perf_counter() - started < 0.4 and out.ok
    assert background.pending() >= 1
    background.wait()
    assert [x.memory for x in store.list_memories("ada")] == ["Ada runs marathons"]


def test_by_default_memories_and_summary_are_there_when_run_returns(store):
    """As in Agno: no background.wait() needed (runs without memories or summaries wait for nothing)."""
    mm, _ = model(tool_call("add_memory", memory="Ada drinks green tea", delay=0.2), text("done"))
    sm, _ = model(text("- Ada drinks green tea."))
    m, _ = model(text("Lovely."))
    agent = Agent(model=m, db=store, enable_user_memories=True, memory_manager=MemoryManager(model=mm),
                  enable_session_summaries=True, session_summary_manager=SessionSummaryManager(model=sm),
                  user_id="ada")
    out = agent.run("I drink green tea every morning.", session_id="s1")
    assert out.ok and background.pending() == 0
    assert [x.memory for x in store.list_memories("ada")] == ["Ada drinks green tea"]
    assert agent.get_session_summary("s1") == "- Ada drinks green tea."


@pytest.mark.parametrize("failure", ["error", "limit_reached"])
def test_runs_that_do_not_complete_do_not_update_memories(store, failure):
    mm, mrec = model(tool_call("add_memory", memory="should not exist"), text("done"))
    if failure == "error":
        m, _ = model(error("server"))
        agent = Agent(model=m, db=store, retries=0, enable_user_memories=True,
                      memory_manager=MemoryManager(model=mm))
    else:
        m, _ = model(tool_call("get_weather", city="Paris"))
        agent = Agent(model=m, db=store, tools=[get_weather], tool_call_limit=0, enable_user_memories=True,
                      memory_manager=MemoryManager(model=mm))
    out = agent.run("I like tea.", session_id="s1", user_id="ada")
    assert out.status == failure
    background.wait()
    assert mrec.calls == [] and store.list_memories("ada") == []


def _broken_memory_model():
    def broken(messages, tools):
        raise RuntimeError("memory model is down")

    return ScriptedModel(broken)


def test_failing_memory_model_does_not_break_the_run(store):
    m, _ = model(text("Sure."), text("Still fine."))
    agent = Agent(model=m, db=store, enable_user_memories=True,
                  memory_manager=MemoryManager(model=_broken_memory_model()))
    out = agent.run("I like tea.", session_id="s1", user_id="ada")
    assert out.ok and out.content == "Sure."
    background.wait()
    out2 = agent.run("And coffee.", session_id="s1", user_id="ada")
    assert out2.ok and out2.content == "Still fine."
    background.wait()
    assert store.get_session("s1").run_count == 2
    assert store.list_memories("ada") == []


def test_failing_memory_model_is_logged_as_a_warning(store, caplog):
    m, _ = model(text("Sure."))
    agent = Agent(model=m, db=store, enable_user_memories=True,
                  memory_manager=MemoryManager(model=_broken_memory_model()))
    with caplog.at_level(logging.WARNING, logger="agno_nb"):
        assert agent.run("I like tea.", session_id="s1", user_id="ada").ok
        background.wait()
    assert logged(caplog, "agno_nb: updating memories of user ada failed", timeout=0.5)


def test_agentic_memory_tool_reports_a_failing_memory_model(store):
    m, _ = model(tool_call("update_user_memory", task="Ada likes tea"), text("ok"))
    agent = Agent(model=m, db=store, enable_agentic_memory=True,
                  memory_manager=MemoryManager(model=_broken_memory_model()))
    out = agent.run("I like tea.", session_id="s1", user_id="ada")
    assert out.ok
    assert out.tools[0].result != "no changes"
    assert "memory model is down" in (out.tools[0].result or "") + (out.tools[0].error or "")


# ------------------------------------------------------------------------------ memories in context


def _seed(store, user_id, texts):
    now = time.time()
    for i, (memory, topics) in enumerate(texts):
        # the first one is the most recent
        store.save_memory(MemoryRecord(f"{user_id}-{i}", user_id, memory, topics, updated_at=now - i))


def test_memories_are_in_the_system_prompt(store):
    _seed(store, "ada", [("Ada lives in Lisbon", ["home"]), ("Ada is a pilot", ["work"])])
    m, rec = model(text("ok"), text("ok"))
    agent = Agent(model=m, db=store, instructions="Be kind.", add_memories_to_context=True)
    agent.run("hello", session_id="s1", user_id="ada")
    assert system_of(rec.last) == ("Be kind.\n\n<memories_about_the_user>\n- Ada lives in Lisbon\n"
                                   "- Ada is a pilot\n</memories_about_the_user>")
    # without a user id there are no memories
    agent.run("hello", session_id="s2")
    assert system_of(rec.last) == "Be kind."


def test_memories_in_context_are_the_relevant_ones(store):
    _seed(store, "ada", [("Ada plays tennis on Sundays", ["sport"]), ("Ada loves Italian pasta", ["food"]),
                         ("Ada works as an engineer", ["work"]), ("Ada has a dog named Rex", ["pets"]),
                         ("Ada prefers dinner before seven", ["food"]), ("Ada lives in Lisbon", ["home"])])
    m, rec = model(text("ok"), text("ok"))
    agent = Agent(model=m, db=store, add_memories_to_context=True, num_memories_in_context=2)
    agent.run("Suggest a pasta recipe for dinner", session_id="s1", user_id="ada")
    assert system_of(rec.last) == ("<memories_about_the_user>\n- Ada loves Italian pasta\n"
                                   "- Ada prefers dinner before seven\n</memories_about_the_user>")
    # An input matching nothing falls back to the most recent ones.
    agent.run("Hello there", session_id="s1", user_id="ada")
    assert system_of(rec.last) == ("<memories_about_the_user>\n- Ada plays tennis on Sundays\n"
                                   "- Ada loves Italian pasta\n</memories_about_the_user>")


def _mems(*texts, topics=None):
    return [MemoryRecord(f"m{i}", "u", t, (topics or {}).get(i, [])) for i, t in enumerate(texts)]


def test_search_memories_recency_without_query():
    mems = _mems("one", "two", "three", "four")
    assert search_memories(mems, None, limit=2) == mems[:2]
    assert search_memories(mems, "", limit=3) == mems[:3]
    assert search_memories(mems, "a b ?", limit=2) == mems[:2]  # no word of 3+ letters: recency
    assert search_memories(mems, "quantum physics", limit=2) == mems[:2]  # nothing matches: recency
    assert search_memories([], "tea", limit=2) == []


def test_search_memories_idf_scoring():
    mems = _mems("likes tea", "likes tea too", "likes tea a lot", "likes jazz", "tea and jazz")
    # 'jazz' is rarer than 'tea', so it weighs more; both beats either; ties go to the most recent.
    assert [m.memory for m in search_memories(mems, "tea jazz", limit=3)] == ["tea and jazz", "likes jazz",
                                                                              "likes tea"]
    assert [m.memory for m in search_memories(mems, "JAZZ!", limit=5)] == ["likes jazz", "tea and jazz"]
    # a word in every memory tells nothing apart: recency decides among equals
    assert search_memories(_mems("likes a", "likes b", "likes c"), "likes", limit=2)[0].memory == "likes a"
    # topics count as words
    mems = _mems("Ada owns a bike", "Ada owns a car", topics={1: ["transport"]})
    assert [m.memory for m in search_memories(mems, "transport", limit=1)] == ["Ada owns a car"]


def test_search_memories_matches_non_ascii_words():
    mems = _mems("Пользователь любит кошек", "Пользователь живёт в Москве")
    assert [m.memory for m in search_memories(mems, "Москве", limit=1)] == ["Пользователь живёт в Москве"]


# ------------------------------------------------------------------------------- session summaries


def test_session_summary_is_stored_and_shown_next_run(store):
    sm, srec = model(text("- Ada plans a trip to Rome in May."), text("- Ada plans Rome in May, by train."))
    m, rec = model(text("Great choice."), text("Take the train."))
    agent = Agent(model=m, db=store, enable_session_summaries=True, user_id="ada",
                  session_summary_manager=SessionSummaryManager(model=sm))
    agent.run("I want to visit Rome in May.", session_id="s1", user_id="ada")
    background.wait()
    assert agent.get_session("s1").summary == "- Ada plans a trip to Rome in May."
    prompt = convo(srec.calls[0]["messages"])[-1][1]
    assert prompt.startswith("Summary so far:\n(none)\n\nNew messages:\n")
    assert "user: I want to visit Rome in May.\nassistant: Great choice." in prompt

    agent.run("How do I get there?", session_id="s1", user_id="ada")
    assert ("<summary_of_earlier_conversation>\n- Ada plans a trip to Rome in May.\n"
            "</summary_of_earlier_conversation>") in system_of(rec.last)
    background.wait()
    second_prompt = convo(srec.last)[-1][1]
    assert second_prompt.startswith("Summary so far:\n- Ada plans a trip to Rome in May.\n")
    assert "user: How do I get there?\nassistant: Take the train." in second_prompt
    assert agent.get_session("s1").summary == "- Ada plans Rome in May, by train."
    assert agent.get_session("s1").run_count == 2  # the summary writer adds no runs to the session


def test_later_runs_do_not_erase_the_summary(store):
    sm, _ = model(text("S1: Ada is planning a trip."))
    m, _ = model(text("ok"))
    Agent(model=m, db=store, enable_session_summaries=True,
          session_summary_manager=SessionSummaryManager(model=sm)).run("plan a trip", session_id="s1")
    background.wait()
    assert store.get_session("s1").summary == "S1: Ada is planning a trip."

    m2, rec = model(tool_call("remember", key="city", value="Rome"), text("ok"), text("ok"))
    reader = Agent(model=m2, db=store, tools=[remember], add_session_summary_to_context=True)
    reader.run("Rome", session_id="s1")
    reader.rename_session("Trip", session_id="s1")
    reader.run("thanks", session_id="s1")
    session = store.get_session("s1")
    assert (session.summary, session.state, session.name, session.run_count) == (
        "S1: Ada is planning a trip.", {"city": "Rome"}, "Trip", 3)
    assert "S1: Ada is planning a trip." in system_of(rec.last)


def test_summary_is_not_in_context_when_disabled(store):
    store.save_session(SessionRecord("s1", summary="SECRET SUMMARY"))
    m, rec = model(text("ok"), text("ok"))
    Agent(model=m, db=store).run("hi", session_id="s1")
    assert "SECRET SUMMARY" not in json.dumps(rec.last)
    Agent(model=m, db=store, add_session_summary_to_context=True).run("hi", session_id="s1")
    assert "<summary_of_earlier_conversation>\nSECRET SUMMARY\n" in system_of(rec.last)


def test_failing_summary_model_is_a_logged_warning_not_a_failed_run(store, caplog):
    sm, _ = model(text("   "))  # an empty summary is a failure
    m, _ = model(text("ok"))
    agent = Agent(model=m, db=store, enable_session_summaries=True,
                  session_summary_manager=SessionSummaryManager(model=sm))
    with caplog.at_level(logging.WARNING, logger="agno_nb"):
        out = agent.run("hi", session_id="s1")
        background.wait()
    assert out.ok and store.get_session("s1").summary is None
    assert logged(caplog, "updating summary of session s1 failed: the summary model gave no summary")


def test_summary_instructions_may_contain_braces(store):
    sm, _ = model(text('{"summary": "Ada said hi"}'))
    m, _ = model(text("ok"))
    agent = Agent(model=m, db=store, enable_session_summaries=True,
                  session_summary_manager=SessionSummaryManager(
                      model=sm, instructions='Reply as JSON like {"summary": "..."}'))
    agent.run("hi", session_id="s1")
    background.wait()
    assert store.get_session("s1").summary == '{"summary": "Ada said hi"}'


# ------------------------------------------------------------- memory workers and the default store
# The memory manager and the summary writer run agents of their own; with a default store configured
# (rather than db=), those helper runs must not be stored as runs or sessions of the user.


def test_summary_writer_does_not_write_into_the_session_with_a_default_store(store, monkeypatch):
    from agno_nb import storage

    monkeypatch.setattr(storage, "_default", store)
    sm, _ = model(text("SUM"), text("SUM2"))
    m, rec = model(text("Hello."), text("ok"))
    agent = Agent(model=m, add_history_to_context=True, enable_session_summaries=True, user_id="ada",
                  session_summary_manager=SessionSummaryManager(model=sm))
    agent.run("hello", session_id="s1", user_id="ada")
    background.wait()
    agent.run("again", session_id="s1", user_id="ada")
    background.wait()
    assert convo(rec.last) == [("user", "hello"), ("assistant", "Hello."), ("user", "again")]
    assert [r.input for r in agent.get_session_runs("s1")] == ["hello", "again"]
    assert store.get_session("s1").summary == "SUM2" and store.get_session("s1").run_count == 2


def test_memory_manager_creates_no_sessions_with_a_default_store(store, monkeypatch):
    from agno_nb import storage

    monkeypatch.setattr(storage, "_default", store)
    mm, _ = model(tool_call("add_memory", memory="Ada likes tea"), text("done"))
    m, _ = model(text("ok"))
    agent = Agent(model=m, enable_user_memories=True, memory_manager=MemoryManager(model=mm))
    agent.run("I like tea", session_id="s1", user_id="ada")
    background.wait()
    assert [x.memory for x in store.list_memories("ada")] == ["Ada likes tea"]  # it works ...
    assert [s.session_id for s in store.list_sessions(user_id="ada")] == ["s1"]  # ... and leaves no session
    assert len(store.list_runs(user_id="ada")) == 1


# ------------------------------------------------------------------------------------ background


def test_background_wait_returns_after_failures_are_logged():
    got: list[str] = []

    class SlowHandler(logging.Handler):  # e.g. a handler that ships logs over the network
        def emit(self, record):
            time.sleep(0.3)
            got.append(record.getMessage())

    async def boom():
        await asyncio.sleep(0.05)  # still running when submit() returns: the callback runs on the loop
        raise RuntimeError("boom")

    logger = logging.getLogger("agno_nb")
    handler = SlowHandler(logging.WARNING)
    logger.addHandler(handler)
    try:
        background.submit(boom(), what="a failing task")
        background.wait()
        assert got == ["agno_nb background task failed (a failing task): boom"]
    finally:
        deadline = time.perf_counter() + 2
        while not got and time.perf_counter() < deadline:
            time.sleep(0.01)
        logger.removeHandler(handler)
