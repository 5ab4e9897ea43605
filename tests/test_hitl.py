"""Human in the loop: tools that pause a run for a person, and every way of continuing it.

Each test drives the in-process scripted model through a recording responder, so it can assert on
what the model saw on every call (the tool messages after a continuation), on the events, on the
``RunOutput`` and, with the ``store`` fixture, on the stored rows of both backends.
"""

from __future__ import annotations

import asyncio
import importlib.util
import os
import subprocess
import sys
import textwrap

import pytest

from agno_nb import Agent, ScriptedModel, Toolkit, tool
from agno_nb.agent.hitl import PausedRun, Requirement
from agno_nb.errors import ConfigurationError
from agno_nb.models.scripts import Turn, text, tool_call, tool_calls
from agno_nb.run_events import (ModelRequestCompleted, RunCompleted, RunContentDelta, RunContinued, RunOutput,
                                RunPaused, RunStatus, ToolCallCompleted, ToolCallError, ToolCallPaused,
                                ToolCallRejected, ToolCallStarted)
from agno_nb.storage import NotFoundError
from recorder import Recorder

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


# ------------------------------------------------------------------------------------------ helpers





class Ops:
    """Fresh tools per test, logging every real execution."""

    def __init__(self):
        self.log: list[tuple] = []
        log = self.log

        @tool(requires_confirmation=True)
        def delete_file(path: str) -> str:
            """Delete a file.

            Args:
                path: the file to delete
            """
            log.append(("delete_file", path))
            return f"deleted {path}"

        @tool(requires_user_input=True, user_input_fields=["amount"])
        def transfer(to: str, amount: float) -> str:
            """Send money.

            Args:
                to: who receives it
                amount: how much
            """
            log.append(("transfer", to, amount))
            return f"sent {amount} to {to}"

        @tool(external_execution=True)
        def run_shell(command: str) -> str:
            """Run a shell command on the user's machine."""
            log.append(("run_shell", command))  # must never happen: the caller runs it
            return "ran in process"

        def lookup(key: str) -> str:
            """Look a key up."""
            log.append(("lookup", key))
            return f"value of {key}"

        self.delete_file, self.transfer, self.run_shell, self.lookup = delete_file, transfer, run_shell, lookup

    @property
    def all(self):
        return [self.delete_file, self.transfer, self.run_shell, self.lookup]


@pytest.fixture
def ops():
    return Ops()


def types(events) -> list[str]:
    return [e.type for e in events]


def tool_results(messages: list[dict]) -> dict[str, str]:
    """tool_call_id -> content of the tool messages (asserting each id answers once)."""
    results: dict[str, str] = {}
    for m in messages:
        if m.get("role") == "tool":
            assert m["tool_call_id"] not in results, f"two tool messages for {m['tool_call_id']}"
            results[m["tool_call_id"]] = m["content"]
    return results


def assert_tool_protocol(messages: list[dict]) -> None:
    """Every assistant tool call is answered exactly once, right after it and before the next turn."""
    i = 0
    while i < len(messages):
        m = messages[i]
        if m.get("role") == "assistant" and m.get("tool_calls"):
            expected = sorted(c["id"] for c in m["tool_calls"])
            j = i + 1
            answered = []
            while j < len(messages) and messages[j].get("role") == "tool":
                answered.append(messages[j]["tool_call_id"])
                j += 1
            assert sorted(answered) == expected, f"tool calls {expected} answered by {answered}"
            i = j
        else:
            assert m.get("role") != "tool", f"orphan tool message at {i}: {m}"
            i += 1


def call_ids(messages: list[dict]) -> list[str]:
    return [c["id"] for m in messages if m.get("role") == "assistant" for c in m.get("tool_calls") or ()]


def fold(events) -> RunOutput:
    out = RunOutput(events[0].ref)
    for event in events:
        out.apply(event)
    return out


# --------------------------------------------------------------------------------- pause and approve


def test_confirmation_pauses_with_events_and_requirements(ops):
    model = Recorder(tool_call("delete_file", path="/tmp/a.csv"), text("Deleted."))
    agent = Agent(model=ScriptedModel(model), tools=ops.all)
    out = agent.run("delete /tmp/a.csv")

    assert out.status == RunStatus.PAUSED == "paused"
    assert out.content is None and not out.ok
    assert types(out.events) == ["RunStarted", "ModelRequestStarted", "ModelRequestCompleted", "ToolCallPaused",
                                 "RunPaused"]
    paused_event = next(out.iter_events(ToolCallPaused))
    call_id = call_ids(out.messages)[0]
    assert (paused_event.tool_name, paused_event.tool_call_id, paused_event.arguments, paused_event.kind,
            paused_event.user_input_fields) == ("delete_file", call_id, {"path": "/tmp/a.csv"}, "confirmation", [])
    [req] = out.requirements
    assert isinstance(req, Requirement)
    assert (req.tool_name, req.tool_call_id, req.arguments, req.kind) == ("delete_file", call_id,
                                                                          {"path": "/tmp/a.csv"}, "confirmation")
    assert req.decision is None and not req.resolved
    run_paused = next(out.iter_events(RunPaused))
    assert run_paused.requirements == out.requirements and run_paused.payload()["requirements"][0]["tool_name"] == \
        "delete_file"
    assert "1 tool call" in out.status_reason
    # Nothing ran and the model was asked once; the conversation ends with the unanswered call.
    assert ops.log == [] and model.calls == 1
    assert out.messages[-1]["role"] == "assistant" and tool_results(out.messages) == {}


def test_approve_runs_the_tool_and_the_model_continues(ops):
    model = Recorder(tool_call("delete_file", path="/tmp/a.csv"), text("Deleted the file."))
    agent = Agent(model=ScriptedModel(model), tools=ops.all)
    out = agent.run("delete /tmp/a.csv")
    out.requirements[0].confirm()
    assert out.requirements[0].resolved and out.requirements[0].decision == "confirmed"

    done = agent.continue_run(out)
    assert done.status == "completed" and done.content == "Deleted the file."
    assert done.run_id == out.run_id and done.session_id == out.session_id
    assert ops.log == [("delete_file", "/tmp/a.csv")]
    assert types(done.events) == ["RunContinued", "ToolCallStarted", "ToolCallCompleted", "ModelRequestStarted",
                                  "ModelRequestCompleted", "RunCompleted"]
    continued = done.events[0]
    assert [(d["tool_name"], d["decision"]) for d in continued.decisions] == [("delete_file", "confirmed")]
    assert done.tools[0].result == "deleted /tmp/a.csv"
    # The second model call sees the result under the paused call's id.
    second = model.seen[1]
    assert tool_results(second) == {out.requirements[0].tool_call_id: "deleted /tmp/a.csv"}
    assert_tool_protocol(second)
    assert done.requirements == []


def test_reject_with_reason_tells_the_model_and_never_runs_the_tool(ops):
    model = Recorder(tool_call("delete_file", path="/etc/passwd"), text("Understood, I will not delete it."))
    agent = Agent(model=ScriptedModel(model), tools=ops.all)
    out = agent.run("clean up")
    out.requirements[0].reject("system files are off limits")
    done = agent.continue_run(out)

    assert done.status == "completed" and done.content == "Understood, I will not delete it."
    assert ops.log == []
    assert "ToolCallStarted" not in types(done.events)
    rejected = next(done.iter_events(ToolCallRejected))
    assert (rejected.tool_name, rejected.arguments, rejected.reason) == (
        "delete_file", {"path": "/etc/passwd"}, "system files are off limits")
    note = tool_results(model.seen[1])[out.requirements[0].tool_call_id]
    assert "rejected" in note and "system files are off limits" in note
    assert "system files are off limits" in done.tools[0].error


def test_reject_without_reason_still_answers_the_call(ops):
    model = Recorder(tool_call("delete_file", path="/x"), text("ok"))
    agent = Agent(model=ScriptedModel(model), tools=ops.all)
    out = agent.run("go")
    done = agent.continue_run(out, [out.requirements[0].reject()])
    assert done.ok and ops.log == []
    assert tool_results(model.seen[1])[out.requirements[0].tool_call_id] == "The user rejected this tool call."


@pytest.mark.parametrize("method", ["confirm", "edit"])
def test_edited_arguments_are_what_the_tool_runs_with(ops, method):
    model = Recorder(tool_call("delete_file", path="/data/important.csv"), text("done"))
    agent = Agent(model=ScriptedModel(model), tools=ops.all)
    out = agent.run("delete the scratch file")
    getattr(out.requirements[0], method)(path="/data/scratch.csv")
    done = agent.continue_run(out)

    assert ops.log == [("delete_file", "/data/scratch.csv")]
    started = next(done.iter_events(ToolCallStarted))
    assert started.arguments == {"path": "/data/scratch.csv"}
    assert tool_results(model.seen[1])[started.tool_call_id] == "deleted /data/scratch.csv"
    assert next(done.iter_events(RunContinued)).decisions[0]["arguments"] == {"path": "/data/scratch.csv"}


def test_invalid_edited_arguments_become_a_tool_error_and_the_run_goes_on(ops):
    model = Recorder(tool_call("delete_file", path="/x"), text("could not"))
    agent = Agent(model=ScriptedModel(model), tools=ops.all)
    out = agent.run("go")
    out.requirements[0].confirm(path=["not", "a", "string"])
    done = agent.continue_run(out)
    assert done.ok and ops.log == []
    error = next(done.iter_events(ToolCallError))
    assert error.error_type == "ToolArgumentsError" and "path" in error.error
    assert tool_results(model.seen[1])[error.tool_call_id].startswith("Error:")


# -------------------------------------------------------------------------------------- user input


def test_user_input_fields_are_hidden_from_the_model_and_required_from_the_person(ops):
    schema = ops.transfer.schema["function"]["parameters"]
    assert set(schema["properties"]) == {"to"} and schema["required"] == ["to"]
    assert ops.transfer.requires_user_input and ops.transfer.needs_human

    model = Recorder(tool_call("transfer", to="bob"), text("Sent."))
    agent = Agent(model=ScriptedModel(model), tools=ops.all)
    out = agent.run("pay bob")
    # What the model was offered: transfer without the amount.
    offered = {t["function"]["name"]: t for t in agent._schemas()}
    assert "amount" not in offered["transfer"]["function"]["parameters"]["properties"]

    assert out.status == "paused"
    paused = next(out.iter_events(ToolCallPaused))
    assert (paused.kind, paused.user_input_fields, paused.arguments) == ("user_input", ["amount"], {"to": "bob"})
    req = out.requirements[0]
    assert req.kind == "user_input" and "amount=" in req.needs
    with pytest.raises(ConfigurationError, match="amount"):
        req.provide()
    assert not req.resolved
    with pytest.raises(ConfigurationError, match=r"transfer .*provide\(amount=\.\.\.\)"):
        agent.continue_run(out)
    assert ops.log == [] and model.calls == 1


def test_provided_user_input_reaches_the_tool(ops):
    model = Recorder(tool_call("transfer", to="bob"), text("Sent."))
    agent = Agent(model=ScriptedModel(model), tools=ops.all)
    out = agent.run("pay bob")
    out.requirements[0].provide(amount=12.5)
    done = agent.continue_run(out)
    assert "ToolCallError" not in types(done.events)
    assert ops.log == [("transfer", "bob", 12.5)]
    assert tool_results(model.seen[1])[out.requirements[0].tool_call_id] == "sent 12.5 to bob"


# ------------------------------------------------------------------------------- external execution


def test_external_execution_takes_the_callers_result(ops):
    model = Recorder(tool_call("run_shell", command="ls /data"), text("There are 3 files."))
    agent = Agent(model=ScriptedModel(model), tools=ops.all)
    out = agent.run("what is in /data?")
    assert out.status == "paused"
    req = out.requirements[0]
    assert req.kind == "external_execution" and "set_result" in req.needs
    assert next(out.iter_events(ToolCallPaused)).kind == "external_execution"

    req.set_result({"files": ["a.csv", "b.csv", "c.csv"]})
    done = agent.continue_run(out)
    assert done.content == "There are 3 files."
    assert ops.log == []  # the caller ran it, not agno_nb
    completed = next(done.iter_events(ToolCallCompleted))
    assert completed.result == {"files": ["a.csv", "b.csv", "c.csv"]}
    assert tool_results(model.seen[1])[req.tool_call_id] == '{"files": ["a.csv", "b.csv", "c.csv"]}'
    assert done.metrics.tool_calls == 1


def test_external_execution_can_be_rejected(ops):
    model = Recorder(tool_call("run_shell", command="rm -rf /"), text("ok, not running it"))
    agent = Agent(model=ScriptedModel(model), tools=ops.all)
    out = agent.run("wipe it")
    with pytest.raises(ConfigurationError, match="set_result"):
        agent.continue_run(out)
    out.requirements[0].reject("dangerous")
    done = agent.continue_run(out)
    assert done.ok and ops.log == [] and "dangerous" in tool_results(model.seen[1])[out.requirements[0].tool_call_id]


# ------------------------------------------------------------------------------------------ toolkits


def test_toolkit_confirmation_and_external_lists_pause_only_those_tools():
    log = []

    def drop_table(name: str) -> str:
        """Drop a table."""
        log.append(("drop_table", name))
        return f"dropped {name}"

    def run_sql(query: str) -> str:
        """Run SQL on the warehouse."""
        log.append(("run_sql", query))
        return "in process"

    def list_tables() -> list[str]:
        """List tables."""
        log.append(("list_tables",))
        return ["sales", "tmp"]

    kit = Toolkit("warehouse", [drop_table, run_sql, list_tables], requires_confirmation_tools=["drop_table"],
                  external_execution_required_tools=["run_sql"])
    model = Recorder(tool_calls(("drop_table", {"name": "tmp"}), ("run_sql", {"query": "select 1"}),
                                ("list_tables", {})),
                     text("Dropped tmp; the query returned 1."))
    agent = Agent(model=ScriptedModel(model), tools=[kit])
    out = agent.run("clean up the warehouse")

    assert out.status == "paused"
    assert [(r.tool_name, r.kind) for r in out.requirements] == [("drop_table", "confirmation"),
                                                                 ("run_sql", "external_execution")]
    assert log == [("list_tables",)]  # the free call ran before the pause
    out.requirements[0].confirm()
    out.requirements[1].set_result([[1]])
    done = agent.continue_run(out)
    assert done.ok and log == [("list_tables",), ("drop_table", "tmp")]
    assert_tool_protocol(model.seen[1])
    assert sorted(tool_results(model.seen[1]).values()) == sorted(['["sales", "tmp"]', "dropped tmp", "[[1]]"])
    # The flags are set on the toolkit's copies only: the plain functions stay free elsewhere.
    assert Agent(model=ScriptedModel(["x"]), tools=[drop_table]).functions["drop_table"].needs_human is False


def test_toolkit_flag_lists_reject_unknown_names():
    def a() -> str:
        """A."""
        return "a"

    with pytest.raises(ConfigurationError, match="nope"):
        _ = Toolkit("kit", [a], requires_confirmation_tools=["nope"]).functions
    with pytest.raises(ConfigurationError, match="ghost"):
        _ = Toolkit("kit", [a], external_execution_required_tools=["ghost"]).functions


# ------------------------------------------------------------------------------ several calls, turns


def test_free_call_runs_before_the_pause_and_the_held_one_after(ops):
    model = Recorder(tool_calls(("delete_file", {"path": "/old"}), ("lookup", {"key": "quota"})),
                     text("Cleaned up; quota noted."))
    agent = Agent(model=ScriptedModel(model), tools=ops.all)
    out = agent.run("clean up and check the quota")

    assert out.status == "paused" and ops.log == [("lookup", "quota")]
    assert types(out.events).index("ToolCallCompleted") < types(out.events).index("ToolCallPaused")
    assert [r.tool_name for r in out.requirements] == ["delete_file"]
    held_id, free_id = call_ids(out.messages)
    assert tool_results(out.messages) == {free_id: "value of quota"}

    out.requirements[0].confirm()
    done = agent.continue_run(out)
    assert done.content == "Cleaned up; quota noted."
    # The free call ran exactly once: not again on continuation.
    assert ops.log == [("lookup", "quota"), ("delete_file", "/old")]
    assert [e.tool_name for e in done.iter_events(ToolCallStarted)] == ["delete_file"]
    assert tool_results(model.seen[1]) == {free_id: "value of quota", held_id: "deleted /old"}
    assert_tool_protocol(model.seen[1])
    assert_tool_protocol(done.messages)


def test_several_pending_calls_in_one_turn(ops):
    model = Recorder(tool_calls(("delete_file", {"path": "/a"}), ("delete_file", {"path": "/b"}),
                                ("run_shell", {"command": "du -sh"})),
                     text("All done."))
    agent = Agent(model=ScriptedModel(model), tools=ops.all)
    out = agent.run("go")
    assert [(r.tool_name, r.arguments) for r in out.requirements] == [
        ("delete_file", {"path": "/a"}), ("delete_file", {"path": "/b"}), ("run_shell", {"command": "du -sh"})]
    assert [e.tool_call_id for e in out.iter_events(ToolCallPaused)] == [r.tool_call_id for r in out.requirements]
    assert len({r.tool_call_id for r in out.requirements}) == 3

    out.requirements[0].confirm()
    out.requirements[1].confirm()
    out.requirements[2].set_result("12G")
    done = agent.continue_run(out)
    assert done.ok and done.content == "All done."
    assert sorted(ops.log) == [("delete_file", "/a"), ("delete_file", "/b")]
    assert tool_results(model.seen[1]) == {out.requirements[0].tool_call_id: "deleted /a",
                                           out.requirements[1].tool_call_id: "deleted /b",
                                           out.requirements[2].tool_call_id: "12G"}
    assert_tool_protocol(model.seen[1])


@pytest.mark.parametrize("rejected_index", [0, 1])
def test_rejecting_one_of_two_parallel_calls(ops, rejected_index):
    model = Recorder(tool_calls(("delete_file", {"path": "/a"}), ("delete_file", {"path": "/b"})),
                     text("Deleted one of them."))
    agent = Agent(model=ScriptedModel(model), tools=ops.all)
    out = agent.run("delete both")
    rejected, approved = out.requirements[rejected_index], out.requirements[1 - rejected_index]
    rejected.reject("keep this one")
    approved.confirm()
    done = agent.continue_run(out)

    assert done.ok
    assert ops.log == [("delete_file", approved.arguments["path"])]
    assert [e.tool_call_id for e in done.iter_events(ToolCallRejected)] == [rejected.tool_call_id]
    assert [e.tool_call_id for e in done.iter_events(ToolCallCompleted)] == [approved.tool_call_id]
    results = tool_results(model.seen[1])
    assert results[approved.tool_call_id] == f"deleted {approved.arguments['path']}"
    assert "keep this one" in results[rejected.tool_call_id]
    assert_tool_protocol(model.seen[1])


def test_a_second_pause_later_in_the_same_run(ops):
    model = Recorder(tool_call("delete_file", path="/a"), tool_call("delete_file", path="/b"),
                     text("Both deleted."))
    agent = Agent(model=ScriptedModel(model), tools=ops.all)
    first = agent.run("delete a then b")
    first_id = first.requirements[0].tool_call_id
    first.requirements[0].confirm()

    second = agent.continue_run(first)
    assert second.status == "paused" and second.run_id == first.run_id
    assert [(r.tool_name, r.arguments) for r in second.requirements] == [("delete_file", {"path": "/b"})]
    assert second.requirements[0].tool_call_id != first_id
    assert ops.log == [("delete_file", "/a")]
    assert types(second.events)[-2:] == ["ToolCallPaused", "RunPaused"]

    second.requirements[0].confirm()
    done = agent.continue_run(second)
    assert done.status == "completed" and done.content == "Both deleted."
    assert ops.log == [("delete_file", "/a"), ("delete_file", "/b")]  # /a not run again
    final_view = model.seen[2]
    assert tool_results(final_view) == {first_id: "deleted /a", second.requirements[0].tool_call_id: "deleted /b"}
    assert_tool_protocol(final_view)
    assert [m["role"] for m in done.messages] == ["user", "assistant", "tool", "assistant", "tool", "assistant"]
    # Continuing the first pause's requirements against the second pause is refused.
    with pytest.raises(ConfigurationError, match="not pending"):
        agent.continue_run(second, [first.requirements[0]])


def test_a_pause_after_a_rejection(ops):
    """Reject, the model tries something else that needs a person too, then approve that."""
    model = Recorder(tool_call("delete_file", path="/prod"), tool_call("delete_file", path="/staging"),
                     text("Deleted staging instead."))
    agent = Agent(model=ScriptedModel(model), tools=ops.all)
    out = agent.run("free some space")
    out.requirements[0].reject("not prod")
    again = agent.continue_run(out)
    assert again.status == "paused" and again.requirements[0].arguments == {"path": "/staging"}
    again.requirements[0].confirm()
    done = agent.continue_run(again)
    assert done.content == "Deleted staging instead." and ops.log == [("delete_file", "/staging")]
    assert_tool_protocol(model.seen[2])


def test_metrics_of_a_continued_run_include_the_part_before_the_pause(ops):
    model = Recorder(tool_calls(("delete_file", {"path": "/a"}), ("lookup", {"key": "k"})), text("done"))
    agent = Agent(model=ScriptedModel(model), tools=ops.all)
    out = agent.run("go")
    assert out.metrics.model_requests == 1 and out.metrics.tool_calls == 1
    first_tokens = out.metrics.input_tokens
    out.requirements[0].confirm()
    done = agent.continue_run(out)
    assert done.metrics.model_requests == 2
    assert done.metrics.tool_calls == 2
    assert done.metrics.input_tokens == first_tokens + sum(
        e.input_tokens for e in done.iter_events(ModelRequestCompleted))


# ------------------------------------------------------------------------------------ wrong continues


def test_continuing_with_unresolved_requirements_names_them(ops):
    model = Recorder(tool_calls(("delete_file", {"path": "/a"}), ("run_shell", {"command": "df"})), text("x"))
    agent = Agent(model=ScriptedModel(model), tools=ops.all)
    out = agent.run("go")
    with pytest.raises(ConfigurationError) as info:
        agent.continue_run(out)
    message = str(info.value)
    for req in out.requirements:
        assert req.tool_name in message and req.tool_call_id in message
    out.requirements[0].confirm()
    with pytest.raises(ConfigurationError) as info:
        agent.continue_run(out)
    assert "run_shell" in str(info.value) and out.requirements[1].tool_call_id in str(info.value)
    assert "delete_file" not in str(info.value)
    assert ops.log == [] and model.calls == 1  # nothing ran, the model was not asked again


def test_requirements_from_another_run_are_refused(ops):
    a = Agent(model=ScriptedModel([tool_call("delete_file", path="/a"), text("x")]), tools=ops.all)
    b = Agent(model=ScriptedModel([tool_call("delete_file", path="/b"), text("y")]), tools=ops.all)
    out_a, out_b = a.run("go"), b.run("go")
    out_b.requirements[0].confirm()
    with pytest.raises(ConfigurationError, match=out_b.requirements[0].tool_call_id):
        a.continue_run(out_a, [out_b.requirements[0]])
    assert ops.log == []


def test_continue_run_on_a_run_that_is_not_paused_raises(ops):
    agent = Agent(model=ScriptedModel([text("hello")]), tools=ops.all)
    out = agent.run("hi")
    assert out.status == "completed"
    with pytest.raises(ConfigurationError, match="not paused"):
        agent.continue_run(out)
    with pytest.raises(ConfigurationError, match="not paused"):
        agent.acontinue_run(out)


def test_continuing_by_run_id_needs_a_store(ops):
    agent = Agent(model=ScriptedModel([text("x")]), tools=ops.all)
    with pytest.raises(ConfigurationError, match="db="):
        agent.continue_run("some-run-id")


def test_continuing_the_same_pause_twice_does_not_run_the_tool_again(ops):
    agent = Agent(model=ScriptedModel([tool_call("delete_file", path="/a"), text("done"), text("again")]),
                  tools=ops.all)
    out = agent.run("go")
    out.requirements[0].confirm()
    assert agent.continue_run(out).ok
    try:
        agent.continue_run(out)
    except ConfigurationError:
        pass
    assert ops.log == [("delete_file", "/a")]


# ----------------------------------------------------------------------------------------- streaming


def test_streaming_pause_and_streaming_continuation(ops):
    model = Recorder(tool_call("delete_file", path="/a"), text("The file is gone now."))
    agent = Agent(model=ScriptedModel(model), tools=ops.all)
    events = list(agent.run("go", stream=True))
    assert types(events)[-2:] == ["ToolCallPaused", "RunPaused"]
    out = fold(events)
    assert out.status == "paused" and out.requirements[0].tool_name == "delete_file"

    out.requirements[0].confirm()
    stream = agent.continue_run(out, stream=True)
    assert not isinstance(stream, RunOutput)
    more = list(stream)
    assert isinstance(more[0], RunContinued) and isinstance(more[-1], RunCompleted)
    deltas = [e.content for e in more if isinstance(e, RunContentDelta)]
    assert len(deltas) > 1 and "".join(deltas) == "The file is gone now."
    assert more[-1].content == "The file is gone now." and more[-1].status == "completed"
    assert ops.log == [("delete_file", "/a")]
    assert all(e.run_id == out.run_id for e in more)


def test_a_paused_run_object_itself_can_be_continued(ops):
    agent = Agent(model=ScriptedModel([tool_call("delete_file", path="/a"), text("ok")]), tools=ops.all)
    events = list(agent.run("go", stream=True))
    paused = events[-1].paused
    assert isinstance(paused, PausedRun)
    paused.requirements[0].confirm()
    assert agent.continue_run(paused).content == "ok"


async def test_acontinue_run_awaitable_and_streaming(ops):
    agent = Agent(model=ScriptedModel([tool_call("delete_file", path="/a"), text("first done"),
                                       tool_call("delete_file", path="/b"), text("second done")]), tools=ops.all)
    out = await agent.arun("go")
    out.requirements[0].confirm()
    done = await agent.acontinue_run(out)
    assert done.content == "first done"

    out = await agent.arun("again")
    out.requirements[0].reject("no")
    events = [e async for e in agent.acontinue_run(out, stream=True)]
    assert types(events)[:2] == ["RunContinued", "ToolCallRejected"]
    assert "".join(e.content for e in events if isinstance(e, RunContentDelta)) == "second done"
    assert events[-1].status == "completed"
    assert ops.log == [("delete_file", "/a")]


async def test_concurrent_continuations_of_different_runs(ops):
    def responder(messages, tools):
        last = messages[-1]
        if last["role"] == "tool":
            return text(f"finished: {last['content']}")
        return tool_call("delete_file", path=last["content"])

    agent = Agent(model=ScriptedModel(responder), tools=ops.all)
    outs = await asyncio.gather(*(agent.arun(f"/f{i}") for i in range(5)))
    for out in outs:
        out.requirements[0].confirm()
    done = await asyncio.gather(*(agent.acontinue_run(out) for out in outs))
    assert [d.content for d in done] == [f"finished: deleted /f{i}" for i in range(5)]
    assert sorted(ops.log) == sorted(("delete_file", f"/f{i}") for i in range(5))


def test_tool_hooks_wrap_calls_approved_by_a_person(ops):
    seen = []

    def audit(name, call, arguments):
        seen.append((name, dict(arguments)))
        return call(**arguments)

    agent = Agent(model=ScriptedModel([tool_call("delete_file", path="/a"), text("ok")]), tools=ops.all,
                  tool_hooks=[audit])
    out = agent.run("go")
    assert seen == []
    out.requirements[0].confirm(path="/edited")
    assert agent.continue_run(out).ok
    assert seen == [("delete_file", {"path": "/edited"})]


# ------------------------------------------------------------------------------------------- storage


def _stateless_model():
    """What a fresh process would use: answers from the conversation, not from a position in a list."""

    def responder(messages, tools):
        last = messages[-1]
        if last["role"] == "tool":
            done = [m for m in messages if m["role"] == "tool"]
            if len(done) == 1 and "two steps" in messages[1 if messages[0]["role"] == "system" else 0]["content"]:
                return tool_call("delete_file", path="/second")
            return text(f"Finished: {last['content']}")
        return tool_call("delete_file", path="/first")

    return ScriptedModel(responder)


def _agent(ops, store):
    return Agent(name="ops-bot", model=_stateless_model(), tools=ops.all, db=store)


def _event_types(store, run_id):
    rows = store.get_events(run_id)
    assert [r["seq"] for r in rows] == list(range(len(rows))), "event seq must increase without gaps"
    return [r["type"] for r in rows]


def test_paused_run_is_stored_and_a_new_agent_continues_it_by_id(ops, store):
    out = _agent(ops, store).run("delete the file", session_id="s-hitl", user_id="u1")
    assert out.status == "paused"

    run = store.get_run(out.run_id)
    assert run.status == "paused" and run.error is None
    approval = store.get_approval(out.run_id)
    assert approval is not None
    assert (approval["session_id"], approval["user_id"], approval["component_id"]) == ("s-hitl", "u1", "ops-bot")
    assert [(r["tool_name"], r["arguments"], r["decision"]) for r in approval["requirements"]] == [
        ("delete_file", {"path": "/first"}, None)]
    assert store.get_session("s-hitl").run_count == 1
    first_part = _event_types(store, out.run_id)
    assert first_part[0] == "RunStarted" and first_part[-1] == "RunPaused"

    # A new Agent object (a new kernel): only the store and the run id connect it to the pause.
    fresh = _agent(ops, store)
    requirements = fresh.get_run_requirements(out.run_id, user_id="u1")
    assert [(r.tool_name, r.arguments, r.kind) for r in requirements] == [
        ("delete_file", {"path": "/first"}, "confirmation")]
    requirements[0].confirm()
    done = fresh.continue_run(out.run_id, requirements=requirements, user_id="u1")

    assert done.status == "completed" and done.content == "Finished: deleted /first"
    assert done.run_id == out.run_id and done.session_id == "s-hitl"
    assert ops.log == [("delete_file", "/first")]
    run = store.get_run(out.run_id)
    assert run.status == "completed" and run.content == "Finished: deleted /first"
    assert run.metrics["model_requests"] == 2 and run.metrics["tool_calls"] == 1
    assert [m["role"] for m in run.messages] == ["user", "assistant", "tool", "assistant"]
    assert store.get_approval(out.run_id) is None
    all_events = _event_types(store, out.run_id)
    assert all_events[:len(first_part)] == first_part
    assert all_events[len(first_part):] == ["RunContinued", "ToolCallStarted", "ToolCallCompleted",
                                            "ModelRequestStarted", "ModelRequestCompleted", "RunCompleted"]
    session = store.get_session("s-hitl")
    assert session.run_count == 1  # one run, paused and continued, counted once
    assert [r.run_id for r in store.list_runs(session_id="s-hitl")] == [out.run_id]
    with pytest.raises(NotFoundError):
        fresh.get_run_requirements(out.run_id)  # nothing waits any more


def test_rejection_by_id_from_a_new_agent(ops, store):
    out = _agent(ops, store).run("delete the file", session_id="s-rej")
    fresh = _agent(ops, store)
    requirements = fresh.get_run_requirements(out.run_id)
    requirements[0].reject("not today")
    done = fresh.continue_run(out.run_id, requirements=requirements)
    assert done.ok and ops.log == []
    assert "not today" in done.content
    assert "ToolCallRejected" in _event_types(store, out.run_id)
    assert store.get_approval(out.run_id) is None


def test_continuing_by_id_with_unresolved_requirements_keeps_the_pause(ops, store):
    out = _agent(ops, store).run("delete the file", session_id="s-open")
    fresh = _agent(ops, store)
    with pytest.raises(ConfigurationError, match="delete_file"):
        fresh.continue_run(out.run_id)
    assert store.get_approval(out.run_id) is not None and store.get_run(out.run_id).status == "paused"
    assert ops.log == []


def test_two_pauses_in_one_stored_run_across_new_agents(ops, store):
    first = _agent(ops, store).run("delete in two steps", session_id="s-two")
    assert first.status == "paused"
    n1 = len(store.get_events(first.run_id))

    second_agent = _agent(ops, store)
    reqs = second_agent.get_run_requirements(first.run_id)
    reqs[0].confirm()
    second = second_agent.continue_run(first.run_id, requirements=reqs)
    assert second.status == "paused" and second.run_id == first.run_id
    assert store.get_run(first.run_id).status == "paused"
    approval = store.get_approval(first.run_id)
    assert [r["arguments"] for r in approval["requirements"]] == [{"path": "/second"}]
    n2 = len(store.get_events(first.run_id))
    assert n2 > n1

    third_agent = _agent(ops, store)
    reqs = third_agent.get_run_requirements(first.run_id)
    assert [r.arguments for r in reqs] == [{"path": "/second"}]
    reqs[0].confirm()
    done = third_agent.continue_run(first.run_id, requirements=reqs)
    assert done.status == "completed" and done.content == "Finished: deleted /second"
    assert ops.log == [("delete_file", "/first"), ("delete_file", "/second")]

    types_ = _event_types(store, first.run_id)
    assert len(types_) > n2
    assert types_.count("RunPaused") == 2 and types_.count("RunContinued") == 2 and types_.count("RunStarted") == 1
    assert types_[-1] == "RunCompleted"
    run = store.get_run(first.run_id)
    assert run.status == "completed" and run.metrics["model_requests"] == 3
    assert_tool_protocol(run.messages)
    assert store.get_approval(first.run_id) is None
    assert store.get_session("s-two").run_count == 1


def test_unknown_run_id_is_not_found(ops, store):
    agent = _agent(ops, store)
    with pytest.raises(NotFoundError, match="no-such-run"):
        agent.get_run_requirements("no-such-run")
    with pytest.raises(NotFoundError):
        agent.continue_run("no-such-run")
    # A completed run is not paused either.
    done = Agent(name="plain", model=ScriptedModel([text("hi")]), db=store).run("hello")
    with pytest.raises(NotFoundError):
        agent.get_run_requirements(done.run_id)


# --------------------------------------------------------------------------------- another process


_APP = '''
import os

from agno_nb import Agent, ScriptedModel, tool
from agno_nb.models.scripts import Turn


@tool(requires_confirmation=True)
def wire_money(to: str, amount: float) -> str:
    """Send money to someone."""
    with open(os.environ["HITL_MARKER"], "a") as handle:
        handle.write(f"{os.getpid()} {to} {amount}\\n")
    return f"sent {amount} to {to}"


def model(messages, tools):
    last = messages[-1]
    if last["role"] == "tool":
        return Turn(f"Done: {last['content']}")
    return Turn(None, [("wire_money", {"to": "alice", "amount": 10})])


agent = Agent(name="bank", model=ScriptedModel(model), tools=[wire_money], db=os.environ["HITL_DB"])
'''

_RESUME = '''
import sys

from hitl_app import agent

run_id = sys.argv[1]
requirements = agent.get_run_requirements(run_id)
print("pending", [(r.tool_name, r.arguments) for r in requirements])
for requirement in requirements:
    requirement.confirm(amount=25)
out = agent.continue_run(run_id, requirements=requirements)
print("status", out.status)
print("content", out.content)
agent.store().close()
'''


def test_a_new_process_continues_the_paused_run_by_id(tmp_path, monkeypatch):
    (tmp_path / "hitl_app.py").write_text(textwrap.dedent(_APP))
    (tmp_path / "resume.py").write_text(textwrap.dedent(_RESUME))
    db, marker = tmp_path / "bank.duckdb", tmp_path / "marker.txt"
    monkeypatch.setenv("HITL_DB", str(db))
    monkeypatch.setenv("HITL_MARKER", str(marker))
    spec = importlib.util.spec_from_file_location(f"hitl_app_{os.getpid()}", tmp_path / "hitl_app.py")
    app = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(app)

    out = app.agent.run("pay alice", session_id="s-bank")
    assert out.status == "paused" and not marker.exists()
    store = app.agent.store()
    store.close()  # free the DuckDB file for the other process

    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), REPO, os.environ.get("PYTHONPATH", "")])}
    result = subprocess.run([sys.executable, str(tmp_path / "resume.py"), out.run_id], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "pending [('wire_money', {'to': 'alice', 'amount': 10})]" in result.stdout
    assert "status completed" in result.stdout
    assert "content Done: sent 25.0 to alice" in result.stdout

    pid, to, amount = marker.read_text().split()
    assert int(pid) != os.getpid() and (to, amount) == ("alice", "25.0")  # ran once, in the child, edited
    try:
        run = store.get_run(out.run_id)  # the parent's store reconnects
        assert run.status == "completed" and run.content == "Done: sent 25.0 to alice"
        assert store.get_approval(out.run_id) is None
        rows = store.get_events(out.run_id)
        assert [r["seq"] for r in rows] == list(range(len(rows)))
        assert [r["type"] for r in rows].index("RunPaused") < [r["type"] for r in rows].index("RunContinued")
        assert store.get_session("s-bank").run_count == 1
    finally:
        store.close()
