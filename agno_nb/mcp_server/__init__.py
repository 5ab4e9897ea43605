"""agno_nb agents, teams and workflows served as MCP tools (stdio: ``agno-nb mcp``; HTTP: ``MCPEndpoint``).

A floor above the core (design §7): it imports agents, teams and workflows, and the ``mcp`` SDK on use.
"""

from .server import MCPEndpoint, mcp_endpoint, mcp_server, tool_name_for

__all__ = ["MCPEndpoint", "mcp_endpoint", "mcp_server", "tool_name_for"]
