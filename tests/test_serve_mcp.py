"""The served app's components as MCP tools at /mcp, behind the app's own auth: an agno_nb agent in
another process's role uses a served agent through MCP (streamable HTTP), with an API key."""

from __future__ import annotations

import pytest

from agno_nb import Agent, ScriptedModel
from agno_nb.models.scripts import get_script, text, tool_call
from agno_nb.serve import create_app
from agno_nb.serve.auth import Auth
from agno_nb.serve.keys import create_key
from agno_nb.serve.settings import ServeSettings
from agno_nb.storage.duckdb import DuckDBStore
from agno_nb.tools.mcp import MCPTools
from serve_helpers import serving


@pytest.fixture
def store(tmp_path):
    store = DuckDBStore(tmp_path / "mcp.duckdb")
    yield store
    store.close()


def test_served_agents_are_mcp_tools_behind_the_apps_auth(store):
    echo = Agent(name="echo", model=ScriptedModel(get_script("echo")))
    secret = Agent(name="secret", model=ScriptedModel(["classified"], cycle=True))
    app = create_app(agents=[echo, secret], db=store, auth=Auth(api_keys=True), mcp=True,
                     settings=ServeSettings(api_key_cache_ttl=0))
    ana, _ = create_key(store, user_id="ana", scopes=["agents:echo:run"])
    with serving(app) as client:
        url = f"{client.server.url}/mcp"
        # no credentials: refused like any route
        assert client.post("/mcp", json={}).status_code == 401

        tools = MCPTools(url=url, transport="streamable-http", headers={"Authorization": f"Bearer {ana}"})
        try:
            caller = Agent(model=ScriptedModel([tool_call("echo", input="hello over MCP"), text("done"),
                                                tool_call("secret", input="tell me"), text("refused")]),
                           tools=[tools])
            out = caller.run("ask echo")
            assert out.ok and "hello over MCP" in str(out.tools[0].result)
            assert sorted(caller.functions) == ["echo", "secret"]
            out = caller.run("ask secret")  # ana's key may run echo only
            assert out.tools[0].error and "lacks the scope 'agents:secret:run'" in out.tools[0].error
        finally:
            tools.close()
    runs = store.list_runs(user_id="ana")
    assert [r.component_id for r in runs] == ["echo"]  # the MCP run is ana's, in a session of its own
    assert store.get_session(runs[0].session_id).user_id == "ana"
