"""agno_nb served over MCP: `agno-nb mcp MODULE` over stdio and the streamable-HTTP endpoint (uvicorn on
127.0.0.1), checked with the SDK's own client and by an agno_nb agent that uses another through MCP.
"""

from __future__ import annotations

import asyncio
import json
import sys
import textwrap
import threading

import pytest

from agno_nb import Agent, ScriptedModel, Step, Team, Workflow
from agno_nb.errors import ConfigurationError
from agno_nb.mcp_server import MCPEndpoint, mcp_server
from agno_nb.mcp_server.cli import load_components
from agno_nb.models.scripts import error, text, tool_call
from agno_nb.tools.mcp import MCPTools

MODULE = """
from agno_nb import Agent, ScriptedModel, Team
from agno_nb.models.scripts import Turn

def _helper(messages, tools):
    if messages[-1]["role"] == "tool":
        return Turn("The helper says: " + messages[-1]["content"])
    return Turn(None, [("shout", {"text": messages[-1]["content"]})])

def shout(text: str) -> str:
    "Upper-case the text."
    return text.upper()

print("this goes to stderr, not into the protocol")
helper = Agent(name="Helper", description="Answers loudly.", model=ScriptedModel(_helper), tools=[shout])
_private = Agent(name="Hidden", model=ScriptedModel("echo"))
"""


@pytest.fixture
def module(tmp_path):
    path = tmp_path / "served_agents.py"
    path.write_text(textwrap.dedent(MODULE))
    return path


def _stdio_params(path):
    from mcp.client.stdio import StdioServerParameters

    return StdioServerParameters(command=sys.executable, args=["-m", "agno_nb.cli", "mcp", str(path)])


async def _call_with_progress(client, name, arguments):
    progress: list[dict] = []

    async def on_progress(done, total, message):
        progress.append(json.loads(message))

    result = await client.call_tool(name, arguments, progress_callback=on_progress)
    return result, progress


def test_cli_serves_a_module_over_stdio_to_the_sdk_client(module):
    from mcp import Client

    async def main():
        async with Client(_stdio_params(module)) as client:
            tools = (await client.list_tools()).tools
            assert [t.name for t in tools] == ["helper"]  # _private is not served
            schema = tools[0].input_schema
            assert schema["required"] == ["input"] and set(schema["properties"]) == {"input", "session_id"}
            assert "Answers loudly" in tools[0].description
            result, progress = await _call_with_progress(client, "helper", {"input": "hello"})
            return result, progress

    result, progress = asyncio.run(main())
    assert not result.is_error and result.content[0].text == "The helper says: HELLO"
    types = [p["type"] for p in progress]
    assert types[0] == "RunStarted" and types[-1] == "RunCompleted" and "ToolCallCompleted" in types
    assert next(p for p in progress if p["type"] == "ToolCallCompleted")["tool_name"] == "shout"


def test_an_agent_uses_another_agent_through_mcp(module):
    remote = MCPTools(f"{sys.executable} -m agno_nb.cli mcp {module}")
    outer = Agent(model=ScriptedModel([tool_call("helper", input="psst"), text("relayed")]), tools=[remote])
    out = outer.run("ask the helper")
    assert out.status == "completed" and out.tools[0].result == "The helper says: PSST"
    remote.close()


def test_bad_targets():
    with pytest.raises(ConfigurationError, match="a notebook; serve it with `agno-nb mcp"):
        load_components("analysis.ipynb")
    with pytest.raises(ConfigurationError, match="Cannot import 'no_such_module_xyz'"):
        load_components("no_such_module_xyz")
    with pytest.raises(ConfigurationError, match="defines no agent, team or workflow"):
        load_components("json")
    with pytest.raises(ConfigurationError, match="only agents, teams and workflows|Only agents"):
        mcp_server([object()])


def _components():
    writer = Agent(name="Writer", model=ScriptedModel(["draft"], cycle=True))
    broken = Agent(name="Broken", model=ScriptedModel([error("server")] * 10), retries=0)
    team = Team(name="Desk", members=[writer], model=ScriptedModel(
        [tool_call("delegate_task_to_member", member_id="writer", task="write"), text("team answer")], cycle=True))
    flow = Workflow(name="Pipeline", steps=[Step("shout", lambda si: str(si.input).upper())])
    return [writer, broken, team, flow]


class _Uvicorn:
    """uvicorn on 127.0.0.1, port chosen by the OS, in a thread."""

    def __init__(self, app):
        import uvicorn

        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self):
        self.thread.start()
        while not self.server.started:
            if not self.thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            threading.Event().wait(0.02)
        self.port = self.server.servers[0].sockets[0].getsockname()[1]
        return self

    def __exit__(self, *exc):
        self.server.should_exit = True
        self.thread.join(10)


def test_streamable_http_endpoint_serves_agents_teams_and_workflows():
    from mcp import Client

    endpoint = MCPEndpoint(_components())

    async def main(url):
        async with Client(url) as client:
            names = sorted(t.name for t in (await client.list_tools()).tools)
            assert names == ["broken", "desk", "pipeline", "writer"]
            writer, progress = await _call_with_progress(client, "writer", {"input": "go", "session_id": "s1"})
            team, team_progress = await _call_with_progress(client, "desk", {"input": "go"})
            flow, _ = await _call_with_progress(client, "pipeline", {"input": "loud"})
            broken, _ = await _call_with_progress(client, "broken", {"input": "x"})
            return writer, progress, team, team_progress, flow, broken

    with _Uvicorn(endpoint.app()) as server:
        writer, progress, team, team_progress, flow, broken = asyncio.run(main(
            f"http://127.0.0.1:{server.port}/mcp"))
    assert writer.content[0].text == "draft" and progress[0]["session_id"] == "s1"
    assert team.content[0].text == "team answer"
    # the member's run streamed through the team's progress notifications
    assert {p["emitter_name"] for p in team_progress} >= {"Desk", "Writer"}
    assert flow.content[0].text == "LOUD"
    assert broken.is_error and "status error" in broken.content[0].text


def test_endpoint_mounts_as_a_route_of_another_app():
    from contextlib import asynccontextmanager

    from mcp import Client
    from starlette.applications import Starlette
    from starlette.responses import PlainTextResponse
    from starlette.routing import Route

    endpoint = MCPEndpoint(_components()[:1])

    @asynccontextmanager
    async def lifespan(app):
        async with endpoint.lifespan():
            yield

    app = Starlette(routes=[Route("/health", lambda r: PlainTextResponse("ok")), endpoint.route("/mcp")],
                    lifespan=lifespan)

    async def main(url):
        async with Client(url) as client:
            return await client.call_tool("writer", {"input": "mounted"})

    with _Uvicorn(app) as server:
        result = asyncio.run(main(f"http://127.0.0.1:{server.port}/mcp"))
    assert result.content[0].text == "draft"
