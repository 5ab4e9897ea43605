"""MCP client: real servers over stdio and HTTP (mcp-server-time, server-everything, the SDK-written fault
server), from sync and async runs, notebooks' running loops, team members and workflow steps; faults
(slow, crash, restart, huge, malformed) and bad input. Only the model is scripted.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import textwrap

import pytest
from mcp_servers import everything_command, everything_http, fault_command, fault_http
from recorder import Recorder

from agno_nb import Agent, ScriptedModel, Step, Team, Workflow
from agno_nb.errors import ConfigurationError, ToolDefinitionError
from agno_nb.models.scripts import text, tool_call
from agno_nb.run_events import ToolCallCompleted, ToolCallError
from agno_nb.tools.mcp import MCPConnectionError, MCPTools, MultiMCPTools
from agno_nb.tools.result import ToolResult

TIME = f"{sys.executable} -m mcp_server_time --local-timezone UTC"


@pytest.fixture(scope="module")
def fault():
    """One fault server for the module's read-only tests (each stdio start costs a Python start-up)."""
    tools = MCPTools(fault_command(), timeout=2.0).connect()
    yield tools
    tools.close()


def scripted(*turns, tools, name="a"):
    rec = Recorder(*turns)
    return Agent(name=name, model=ScriptedModel(rec), tools=tools), rec


def tool_messages(rec: Recorder, call: int = -1) -> list[str]:
    return [m["content"] for m in rec.seen[call] if m["role"] == "tool"]


# --------------------------------------------------------------------------- a real server, every way


def test_time_server_over_stdio_from_run_arun_and_stream_on_one_connection():
    tools = MCPTools(TIME)
    assert tools.functions == {} and "not connected" in repr(tools)  # construction does no I/O
    turns = [tool_call("get_current_time", timezone="Asia/Tokyo"), text("It is evening in Tokyo.")]
    agent, rec = scripted(*turns, *turns, *turns, tools=[tools])
    out = agent.run("What time is it in Tokyo?")  # sync, no context manager: connects on first use
    assert out.status == "completed", out.status_reason
    result = json.loads(out.tools[0].result)
    assert result["timezone"] == "Asia/Tokyo" and result["datetime"].endswith("+09:00")
    # the model was offered the server's tools with the server's own schema
    offered = {t["function"]["name"]: t["function"] for t in agent._schemas()}
    assert set(offered) == {"get_current_time", "convert_time"}
    assert offered["get_current_time"]["parameters"]["required"] == ["timezone"]

    async def async_runs():
        out = await agent.arun("again")
        events = [e async for e in agent.arun("streamed", stream=True)]
        return out, events

    out2, events = asyncio.run(async_runs())  # another loop, another thread's loop: same session
    assert out2.status == "completed" and json.loads(out2.tools[0].result)["timezone"] == "Asia/Tokyo"
    assert any(isinstance(e, ToolCallCompleted) for e in events)
    assert tools._connection.generation == 1  # connected once, reused across runs and loops
    tools.close()
    assert not tools.connected


def test_sync_run_inside_a_running_loop_like_a_notebook_cell(fault):
    """A notebook cell: a loop is running in this thread; agent.run() blocks it while the run goes on
    the background loop. An ``async with`` on the cell's loop must not deadlock that."""
    agent, _ = scripted(tool_call("echo", text="cell"), text("ok"), tools=[fault])

    async def cell():
        async with MCPTools(fault_command(), include_tools=["pid"]) as own:
            assert list(own.functions) == ["pid"]
            out = agent.run("sync inside a running loop")
            assert own.connected
        return out

    out = asyncio.run(cell())
    assert out.status == "completed" and out.tools[0].result == "cell"


def test_team_member_and_workflow_step_use_mcp_tools(fault):
    worker, w = scripted(tool_call("echo", text="from the member", times=2), text("member done"), tools=[fault],
                         name="Worker")
    lead = Recorder(tool_call("delegate_task_to_member", member_id="worker", task="echo it"), text("team done"))
    team = Team(name="Crew", members=[worker], model=ScriptedModel(lead))
    out = team.run("go")
    assert out.status == "completed", out.status_reason
    assert tool_messages(w, 1) == ["from the member from the member"]

    stepper, s = scripted(tool_call("echo", text="in a step"), text("step done"), tools=[fault], name="Stepper")
    wf = Workflow(name="Flow", steps=[Step("echo", stepper)])
    result = wf.run("start")
    assert result.content == "step done"
    assert tool_messages(s, 1) == ["in a step"]


# ---------------------------------------------------------------------------------- results and schemas


def test_results_map_text_images_and_embedded_resources(fault, tmp_path):
    from agno_nb.storage.duckdb import DuckDBStore

    store = DuckDBStore(tmp_path / "runs.duckdb")
    rec = Recorder(tool_call("picture"), tool_call("document"), text("seen"))
    agent = Agent(model=ScriptedModel(rec), tools=[fault], db=store)
    out = agent.run("show me")
    picture = out.tools[0].result
    assert isinstance(picture, ToolResult) and picture.media[0].mime_type == "image/png"
    assert picture.content.startswith("a tiny image\n[image 1: image/png, 70 bytes]")
    # the model got the caption as the tool message and the image as a content part right after it
    after_picture = rec.seen[1]
    assert after_picture[-2]["role"] == "tool" and after_picture[-2]["content"] == picture.content
    shown = after_picture[-1]
    assert shown["role"] == "user" and shown["content"][1]["type"] == "image_url"
    assert shown["content"][1]["image_url"]["url"].startswith("data:image/png;base64,")
    assert tool_messages(rec)[-1] == "[resource fault://doc]\nthe document body"
    # storage keeps a reference to the image, not its bytes
    stored = json.dumps(store.get_run(out.run_id).messages)
    assert "base64" not in stored and "media_ref" in stored


def test_schemas_are_used_as_given_and_bad_arguments_go_back_to_the_model(fault):
    echo = fault.functions["echo"]
    listed = next(t for t in fault._connection.tools if t.name == "echo").input_schema
    assert echo.schema["function"]["parameters"] == listed  # not re-derived
    rec = Recorder(tool_call("echo", text=42), tool_call("echo", text="fixed"), text("ok"))
    agent = Agent(model=ScriptedModel(rec), tools=[fault])
    out = agent.run("echo")
    error = next(out.iter_events(ToolCallError))
    assert error.error_type == "ToolArgumentsError" and "text: 42 is not of type 'string'" in error.error
    assert tool_messages(rec, 1)[0].startswith("Error: invalid arguments for echo")
    assert out.tools[-1].result == "fixed"


def test_malformed_schema_is_skipped_with_its_reason_or_refused_when_asked_for(fault):
    assert "malformed" not in fault.functions and "integr" in fault.skipped["malformed"]
    with pytest.raises(ToolDefinitionError, match="the tool 'malformed' cannot be used: not a valid JSON schema"):
        MCPTools(fault_command(), include_tools=["malformed"]).connect()


def test_huge_result_and_server_errors(fault):
    rec = Recorder(tool_call("huge", size=2_000_000), tool_call("fails", reason="no such book"), text("ok"))
    out = Agent(model=ScriptedModel(rec), tools=[fault]).run("big")
    assert len(out.tools[0].result) == 2_000_000
    error = next(out.iter_events(ToolCallError))
    assert error.error_type == "MCPToolError" and "no such book" in error.error


def test_prompts_and_resources_are_listable(fault):
    assert [p.name for p in fault.list_prompts()] == ["greet"]
    assert fault.get_prompt("greet", {"name": "Ann"}) == "user: Say hello to Ann."
    assert [str(r.uri) for r in fault.list_resources()] == ["fault://readme"]
    assert fault.read_resource("fault://readme")[0].text == "The fault server's readme."
    assert fault.instructions.startswith("The fault server")


# ------------------------------------------------------------------------------------------ faults


def test_slow_server_is_a_bounded_tool_error_and_the_connection_survives(fault):
    rec = Recorder(tool_call("slow", seconds=30), tool_call("echo", text="still here"), text("ok"))
    out = Agent(model=ScriptedModel(rec), tools=[fault]).run("slow")
    error = next(out.iter_events(ToolCallError))
    assert "did not answer the tool 'slow' within 2s" in error.error
    assert error.duration < 10
    assert out.tools[-1].result == "still here" and out.status == "completed"


def test_crash_mid_call_is_a_tool_error_and_the_next_call_reconnects():
    tools = MCPTools(fault_command(), timeout=5.0)
    rec = Recorder(tool_call("pid"), tool_call("crash"), tool_call("pid"), text("ok"))
    out = Agent(model=ScriptedModel(rec), tools=[tools]).run("crash it")
    first, crash, second = out.tools
    assert crash.result is None
    error = next(out.iter_events(ToolCallError))
    assert "Lost the connection" in error.error and "crashing on purpose" in error.error  # stderr tail
    assert first.result != second.result  # a new server process answered
    assert tools._connection.generation == 2
    tools.close()


def test_http_server_restart_reconnects():
    server = fault_http().start()
    try:
        tools = MCPTools(url=server.url, timeout=5.0)
        agent, rec = scripted(tool_call("pid"), text("one"), tool_call("pid"), tool_call("pid"), text("two"),
                              tools=[tools])
        before = agent.run("pid").tools[0].result
        server.stop()
        server.start()
        out = agent.run("pid again")
        results = [t.result for t in out.tools]
        assert results[-1] not in (None, before)  # answered by the restarted server
        assert out.status == "completed"
        tools.close()
    finally:
        server.stop()


def test_server_processes_are_closed_at_process_exit(tmp_path):
    script = tmp_path / "leave_open.py"
    script.write_text(textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {str(os.path.dirname(__file__))!r})
        from agno_nb import Agent, ScriptedModel
        from agno_nb.models.scripts import tool_call, text
        from agno_nb.tools.mcp import MCPTools
        from mcp_servers import fault_command
        out = Agent(model=ScriptedModel([tool_call("pid"), text("ok")]), tools=[MCPTools(fault_command())]).run("x")
        print(out.tools[0].result)
    """))
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    pid = int(done.stdout.strip())
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


# ------------------------------------------------------------------------------------------ bad input


def test_missing_command_names_it_and_the_path(tmp_path):
    with pytest.raises(MCPConnectionError) as info:
        MCPTools("uvx mcp-server-time", env={"PATH": str(tmp_path)}).connect()
    message = str(info.value)
    assert "'uvx' was not found on PATH" in message and str(tmp_path) in message
    assert "python -m mcp_server_time" in message  # how to do without uvx
    agent = Agent(model=ScriptedModel(["never"]), tools=[MCPTools("no-such-mcp-server --flag")])
    with pytest.raises(MCPConnectionError, match="'no-such-mcp-server' was not found"):
        agent.run("x")


def test_server_that_exits_at_start_shows_its_stderr():
    with pytest.raises(MCPConnectionError, match="(?s)exited.*missing FAULT_TOKEN; refusing to start"):
        MCPTools(fault_command("--exit-at-start")).connect()


def test_refused_url():
    from mcp_servers import free_port

    with pytest.raises(MCPConnectionError, match="connection refused"):
        MCPTools(url=f"http://127.0.0.1:{free_port()}/mcp", connect_timeout=10).connect()


def test_configuration_errors():
    with pytest.raises(ConfigurationError, match="exactly one of command= .* or url="):
        MCPTools()
    with pytest.raises(ConfigurationError, match="Unknown MCP transport 'websocket'"):
        MCPTools(url="http://127.0.0.1:1/mcp", transport="websocket")
    with pytest.raises(ConfigurationError, match="must start with http"):
        MCPTools(url="127.0.0.1:8000/mcp")


def test_unknown_include_tools_and_clashing_names(fault):
    with pytest.raises(ToolDefinitionError, match=r"include_tools names \['nope'\], which the server does not "
                                                  r"offer; it offers \['crash', 'document'"):
        MCPTools(fault_command(), include_tools=["echo", "nope"]).connect()
    twice = MultiMCPTools([fault, MCPTools(fault_command(), include_tools=["echo"])])
    with pytest.raises(ToolDefinitionError, match="'echo' is offered by both .* tool_name_prefix"):
        twice.connect()
    prefixed = MCPTools(fault_command(), include_tools=["echo"], tool_name_prefix="second")
    both = MultiMCPTools([fault, prefixed]).connect()
    assert {"echo", "second_echo"} <= set(both.functions)
    rec = Recorder(tool_call("second_echo", text="via prefix"), text("ok"))
    assert Agent(model=ScriptedModel(rec), tools=[both]).run("x").tools[0].result == "via prefix"
    twice.toolkits[1].close()
    prefixed.close()


def test_partial_failure_leaves_out_the_unreachable_server(fault):
    from mcp_servers import free_port

    dead = f"http://127.0.0.1:{free_port()}/mcp"
    with pytest.raises(MCPConnectionError):
        MultiMCPTools([fault, dead], connect_timeout=10).connect()
    multi = MultiMCPTools([fault, dead], allow_partial_failure=True, connect_timeout=10).connect()
    assert "echo" in multi.functions and list(multi.failures) == [dead]


# ------------------------------------------------------------------------------ server-everything (npm)


def test_server_everything_over_stdio():
    tools = MCPTools(everything_command(), include_tools=["echo", "get-sum", "get-tiny-image"])
    rec = Recorder(tool_call("echo", message="hi"), tool_call("get-sum", a=2, b=3), tool_call("get-tiny-image"),
                   text("ok"))
    out = Agent(model=ScriptedModel(rec), tools=[tools]).run("everything")
    echo, total, image = (t.result for t in out.tools)
    assert "hi" in echo and "5" in total
    assert isinstance(image, ToolResult) and image.media[0].kind == "image"
    assert tools.list_prompts() and tools.list_resources()
    tools.close()


@pytest.mark.parametrize("mode", ["streamableHttp", "sse"])
def test_server_everything_over_http(mode):
    server = everything_http(mode).start()
    try:
        tools = MCPTools(url=server.url, include_tools=["echo"])
        assert tools.spec.transport == ("sse" if mode == "sse" else "streamable-http")
        rec = Recorder(tool_call("echo", message="over http"), text("ok"))
        out = Agent(model=ScriptedModel(rec), tools=[tools]).run("x")
        assert "over http" in out.tools[0].result
        tools.close()
    finally:
        server.stop()
