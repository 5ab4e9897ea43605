"""An MCP server for the tests, written with the official SDK: well-behaved tools and faulty ones.

    python fault_server.py                  # stdio
    python fault_server.py --http PORT      # streamable HTTP at http://127.0.0.1:PORT/mcp
    python fault_server.py --exit-at-start  # writes to stderr and exits with status 2
"""

from __future__ import annotations

import base64
import os
import sys

import anyio
from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import EmbeddedResource, ImageContent, TextContent, TextResourceContents

#: a 1x1 transparent PNG
PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==")

server = MCPServer("fault", instructions="The fault server: echo things, or misbehave on request.")


@server.tool()
def echo(text: str, times: int = 1) -> str:
    """Repeat the text."""
    return " ".join([text] * times)


@server.tool()
async def slow(seconds: float) -> str:
    """Answer after some seconds."""
    await anyio.sleep(seconds)
    return f"slept {seconds}"


@server.tool()
def crash() -> str:
    """Kill the server process in the middle of the call."""
    sys.stderr.write("fault server: crashing on purpose\n")
    sys.stderr.flush()
    os._exit(3)


@server.tool()
def huge(size: int) -> str:
    """A result of `size` characters."""
    return "x" * size


@server.tool()
def pid() -> int:
    """The server's process id (tells a restarted server apart)."""
    return os.getpid()


@server.tool(structured_output=False)
def picture() -> list:
    """A caption and a tiny image."""
    return [TextContent(text="a tiny image"), ImageContent(data=base64.b64encode(PNG).decode(), mime_type="image/png")]


@server.tool(structured_output=False)
def document() -> list:
    """An embedded text resource."""
    return [EmbeddedResource(resource=TextResourceContents(uri="fault://doc", text="the document body",
                                                            mime_type="text/plain"))]


@server.tool()
def fails(reason: str = "it went wrong") -> str:
    """Always fails."""
    raise ToolError(reason)


@server.tool()
def malformed(x: int) -> str:
    """Listed with a broken input schema."""
    return str(x)


# The SDK derives schemas from signatures; break this one by hand, as a buggy server would.
server._tool_manager.get_tool("malformed").parameters = {"type": "object", "properties": {"x": {"type": "integr"}}}


@server.prompt()
def greet(name: str) -> str:
    """Greet someone."""
    return f"Say hello to {name}."


@server.resource("fault://readme", mime_type="text/plain")
def readme() -> str:
    """What this server is."""
    return "The fault server's readme."


if __name__ == "__main__":
    if "--exit-at-start" in sys.argv:
        sys.stderr.write("fault server: missing FAULT_TOKEN; refusing to start\n")
        sys.exit(2)
    if "--http" in sys.argv:
        import uvicorn

        port = int(sys.argv[sys.argv.index("--http") + 1])
        uvicorn.run(server.streamable_http_app(), host="127.0.0.1", port=port, log_level="warning")
    else:
        server.run("stdio")
