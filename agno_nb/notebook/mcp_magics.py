"""The notebook's MCP options: ``%%agent NAME --mcp "uvx mcp-server-time"`` and ``%agno mcp list NAME``."""

from __future__ import annotations

from typing import Any

from IPython.core.error import UsageError

from .magics import add_agent_option

__all__ = ["mcp_toolkits", "mcp_list"]


def mcp_toolkits(specs: list[str]) -> list[Any]:
    """One connected ``MCPTools`` per ``--mcp`` value (a command line, or an ``http(s)://`` URL).

    Connecting here, in the defining cell, reports a wrong command or URL where it was written rather
    than at the first question.
    """
    from ..tools.mcp import MCPTools

    kits = []
    for spec in specs:
        spec = spec.strip()
        if not spec:
            raise UsageError('--mcp needs a server: a command line ("uvx mcp-server-time") or a URL.')
        kit = MCPTools(url=spec) if spec.startswith(("http://", "https://")) else MCPTools(spec)
        kits.append(kit.connect())
    return kits


def mcp_list(namespace: dict[str, Any], name: str | None) -> Any:
    """A table of the tools, prompts and resources of an agent's MCP servers (or of one toolkit)."""
    import pandas

    from ..agent.agent import Agent
    from ..tools.mcp import MCPTools, MultiMCPTools

    if name is None:
        raise UsageError("%agno mcp list NAME: name an agent defined with --mcp, or an MCPTools variable.")
    target = namespace.get(name)
    if isinstance(target, (MCPTools, MultiMCPTools)):
        kits = [target]
    elif isinstance(target, Agent):
        kits = [t for t in target.tools or () if isinstance(t, (MCPTools, MultiMCPTools))]
        if not kits:
            raise UsageError(f"%agno mcp list: the agent {name} has no MCP tools (add them with --mcp).")
    else:
        raise UsageError(f"%agno mcp list: {name!r} is not an agent or MCPTools in this notebook.")
    servers = [k for kit in kits for k in (kit.toolkits if isinstance(kit, MultiMCPTools) else [kit])]
    rows = []
    for kit in servers:
        kit.connect()
        server = kit.name
        rows += [{"server": server, "kind": "tool", "name": fn.name, "description": fn.description,
                  "arguments": ", ".join(fn.input_schema.get("properties", {}))} for fn in kit.functions.values()]
        rows += [{"server": server, "kind": "tool (skipped)", "name": tool, "description": why, "arguments": ""}
                 for tool, why in kit.skipped.items()]
        rows += [{"server": server, "kind": "prompt", "name": p.name, "description": p.description or "",
                  "arguments": ", ".join(a.name for a in p.arguments or ())} for p in kit.list_prompts()]
        rows += [{"server": server, "kind": "resource", "name": str(getattr(r, "uri", None) or r.uri_template),
                  "description": r.description or r.name, "arguments": ""} for r in kit.list_resources()]
    return pandas.DataFrame(rows, columns=["server", "kind", "name", "description", "arguments"])


def _apply_mcp(args: Any, agent_kwargs: dict[str, Any], magics: Any) -> None:
    if not args.mcp:
        return
    try:
        toolkits = mcp_toolkits(args.mcp)
    except UsageError:
        raise
    except Exception as exc:  # the server cannot be started or reached: one line, the kernel goes on
        raise UsageError(str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__) from None
    agent_kwargs["tools"] = list(agent_kwargs.get("tools") or []) + toolkits


add_agent_option("--mcp", apply=_apply_mcp, action="append", default=[],
                 help="an MCP server: a command line or a URL (repeatable)")
