"""MCP client: the tools of any MCP server (stdio, streamable HTTP, SSE) as agno_nb toolkits.

    from agno_nb.tools.mcp import MCPTools
    agent = Agent(model=..., tools=[MCPTools("uvx mcp-server-time")])
    agent.run("What time is it in Tokyo?")          # connects on first use, stays connected

Importing this package is cheap; the ``mcp`` SDK (``pip install agno_nb[mcp]``) loads when a toolkit
first connects.
"""

from .connection import MCPCallError, MCPConnectionError
from .results import MCPToolError
from .toolkit import MCPTools, MultiMCPTools

__all__ = ["MCPTools", "MultiMCPTools", "MCPConnectionError", "MCPCallError", "MCPToolError"]
