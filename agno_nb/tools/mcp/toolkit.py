"""``MCPTools`` and ``MultiMCPTools``: the tools of MCP servers as toolkits.

Use them anywhere a toolkit goes: ``agent.run()`` and ``arun``, a notebook cell, team members and
workflow steps, with or without ``async with`` / ``with``. Without a context manager a toolkit
connects on the first run that needs it (the agent awaits ``prepare()`` before calling the model),
stays connected across runs, and is closed at process (kernel) exit. A server that crashed or
restarted is reconnected on the next call; a call to a dead or slow server fails after ``timeout``
seconds as a tool error the model sees, never a hang.

The sessions themselves live on one dedicated loop thread (see ``_loop``), so the same toolkit works
from every event loop agno_nb runs on.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any, Iterable, Sequence

from ...errors import ToolDefinitionError
from ..toolkit import Toolkit
from ._loop import call_on_mcp_loop, on_shutdown, wait_on_mcp_loop
from .connection import Connection, ServerSpec, warm_imports
from .function import MCPFunction, compile_schema, exposed_name, function_options
from .results import prompt_text, tool_result

__all__ = ["MCPTools", "MultiMCPTools"]

logger = logging.getLogger("agno_nb.mcp")

#: extra seconds the caller waits beyond the connection's own timeouts before giving up on the MCP loop
_GUARD = 5.0


class MCPTools(Toolkit):
    """The tools of one MCP server.

    Args:
        command: a command line that starts the server over stdio (``"uvx mcp-server-time"``,
            ``"npx -y @modelcontextprotocol/server-everything"``).
        url: a running server's endpoint (streamable HTTP: ``http://host:port/mcp``; SSE: ``.../sse``).
        transport: ``"stdio"``, ``"streamable-http"`` or ``"sse"``; inferred from command/url when omitted.
        env: extra environment variables for a stdio server (the SDK passes only a safe subset of ours:
            PATH, HOME, USER, ...; give API keys here).
        args, cwd: more arguments, and the working directory, for a stdio server.
        headers: HTTP headers for a URL server (authorization, say).
        timeout: seconds one tool call may take before it fails as a tool error.
        connect_timeout: seconds starting and initializing the server may take.
        include_tools / exclude_tools: server tool names to keep / drop (unknown names are an error).
        tool_name_prefix: prepended to every tool name (``prefix_name``), to tell servers apart.
        requires_confirmation_tools, external_execution_required_tools, stop_after_tool_call_tools,
            show_result_tools: per-tool options, by server tool name.
        name: the toolkit's name (default: the name the server reports).
        instructions: text for the system prompt (default: the server's own instructions).
    """

    def __init__(
        self,
        command: str | None = None,
        *,
        url: str | None = None,
        transport: str | None = None,
        env: dict[str, str] | None = None,
        args: Sequence[str] | None = None,
        cwd: str | None = None,
        headers: dict[str, str] | None = None,
        timeout: float = 30.0,
        connect_timeout: float = 30.0,
        include_tools: Iterable[str] | None = None,
        exclude_tools: Iterable[str] | None = None,
        tool_name_prefix: str | None = None,
        requires_confirmation_tools: Iterable[str] = (),
        external_execution_required_tools: Iterable[str] = (),
        stop_after_tool_call_tools: Iterable[str] = (),
        show_result_tools: Iterable[str] = (),
        name: str | None = None,
        instructions: str | None = None,
    ):
        super().__init__(name or "mcp", instructions=instructions, include_tools=include_tools,
                         exclude_tools=exclude_tools, requires_confirmation_tools=requires_confirmation_tools,
                         external_execution_required_tools=external_execution_required_tools,
                         stop_after_tool_call_tools=stop_after_tool_call_tools, show_result_tools=show_result_tools)
        self.spec = ServerSpec(command=command, args=list(args or ()), url=url, transport=transport, env=env,
                               cwd=cwd, headers=headers, timeout=timeout, connect_timeout=connect_timeout)
        self.tool_name_prefix = tool_name_prefix
        self._named = name is not None
        self._own_instructions = instructions is not None
        self._connection = Connection(self.spec)
        warm_imports()
        self._functions: dict[str, MCPFunction] = {}
        self._built = 0  # the connection generation the functions were built from
        #: tools the server offers that cannot be used (malformed schema), with the reason
        self.skipped: dict[str, str] = {}

    # ------------------------------------------------------------------------------ lifecycle

    @property
    def functions(self) -> dict[str, MCPFunction]:  # type: ignore[override]
        """The server's tools after filtering, as of the last connection (empty before the first).

        Connecting is I/O, so it never happens here: runs connect through ``prepare()``; call
        ``connect()`` (or ``await aconnect()``) to look at the tools before any run.
        """
        return self._functions

    @property
    def connected(self) -> bool:
        return self._connection.alive

    async def prepare(self) -> None:
        """Connect if needed (the agent calls this before the model's first request)."""
        await call_on_mcp_loop(self._open(), timeout=self._open_guard)
        if self._built != self._connection.generation:
            self._build()

    async def aconnect(self) -> "MCPTools":
        await self.prepare()
        return self

    def connect(self) -> "MCPTools":
        """Connect now, blocking (works in scripts and notebook cells alike)."""
        wait_on_mcp_loop(self._open(), timeout=self._open_guard)
        if self._built != self._connection.generation:
            self._build()
        return self

    async def aclose(self) -> None:
        await call_on_mcp_loop(self._close(), timeout=15.0)

    def close(self) -> None:
        """Disconnect (a stdio server is stopped). The toolkit reconnects if it is used again."""
        wait_on_mcp_loop(self._close(), timeout=15.0)

    async def __aenter__(self) -> "MCPTools":
        return await self.aconnect()

    async def __aexit__(self, *exc: Any) -> None:
        await self.aclose()

    def __enter__(self) -> "MCPTools":
        return self.connect()

    def __exit__(self, *exc: Any) -> None:
        self.close()

    @property
    def _open_guard(self) -> float:
        return self.spec.connect_timeout + 10.0 + _GUARD  # connecting may first close a dead session

    async def _open(self) -> None:  # on the MCP loop
        connection = self._connection
        if await connection.ensure_open():
            on_shutdown(id(connection), connection.close)

    async def _close(self) -> None:  # on the MCP loop
        on_shutdown(id(self._connection), None)
        await self._connection.close()

    # ---------------------------------------------------------------------------------- tools

    def _build(self) -> None:
        """The functions for the tools the server listed at the current connection."""
        connection = self._connection
        generation, tools = connection.generation, list(connection.tools)
        if not self._named and connection.server_name:
            self.name = connection.server_name
        if not self._own_instructions:
            self.instructions = connection.instructions or None
        offered = {tool.name for tool in tools}
        lists = [("include_tools", self._include or ()), ("exclude_tools", self._exclude)]
        lists += [(f"{flag} tools", names) for flag, names in self._flags.items()]
        for label, names in lists:
            unknown = [n for n in names if n not in offered]
            if unknown:
                raise ToolDefinitionError(
                    f"MCPTools({self.spec.label!r}): {label} names {unknown}, which the server does not offer; "
                    f"it offers {sorted(offered)}.")
        previous = {fn._signature: fn for fn in self._functions.values()}
        functions: dict[str, MCPFunction] = {}
        skipped: dict[str, str] = {}
        for tool in tools:
            if (self._include is not None and tool.name not in self._include) or tool.name in self._exclude:
                continue
            try:
                validator = compile_schema(tool.input_schema)
            except ValueError as exc:
                if self._include is not None:  # asked for by name: say so rather than drop it
                    raise ToolDefinitionError(f"MCPTools({self.spec.label!r}): the tool {tool.name!r} cannot be "
                                              f"used: {exc}.") from None
                skipped[tool.name] = str(exc)
                logger.warning("agno_nb: MCP server %s: tool %r skipped: %s", self.spec.label, tool.name, exc)
                continue
            name = exposed_name(tool.name, self.tool_name_prefix)
            if name in functions:
                raise ToolDefinitionError(
                    f"MCPTools({self.spec.label!r}): tools {functions[name].mcp_name!r} and {tool.name!r} both "
                    f"become {name!r} as function names; exclude one with exclude_tools=.")
            fn = MCPFunction(self, tool, name, validator, **function_options(tool.name, self._flags))
            functions[name] = previous.get(fn._signature, fn)
        self.skipped = skipped
        self._functions = functions
        self._built = generation

    async def _call(self, tool_name: str, arguments: dict[str, Any]) -> Any:
        """``tools/call`` from any loop; the result mapped to text (and media)."""
        spec = self.spec
        result = await call_on_mcp_loop(self._connection.call_tool(tool_name, arguments),
                                        timeout=spec.connect_timeout + spec.timeout + 10.0 + _GUARD)
        return tool_result(result, tool_name)

    # ------------------------------------------------------------------ prompts and resources

    async def alist_prompts(self) -> list[Any]:
        """The server's prompts (``mcp.types.Prompt``: name, description, arguments)."""
        return await call_on_mcp_loop(self._connection.list_all("prompts"), timeout=self._open_guard * 2)

    async def alist_resources(self) -> list[Any]:
        """The server's resources and resource templates (``mcp.types.Resource`` / ``ResourceTemplate``)."""
        connection = self._connection

        async def both() -> list[Any]:
            return [*await connection.list_all("resources"), *await connection.list_all("resource_templates")]

        return await call_on_mcp_loop(both(), timeout=self._open_guard * 3)

    async def aget_prompt(self, name: str, arguments: dict[str, str] | None = None) -> str:
        """A prompt rendered by the server, as ``role: text`` lines."""
        connection = self._connection

        async def get() -> Any:
            await connection.ensure_open()
            return await connection.request(lambda c: c.get_prompt(name, arguments or {}), f"the prompt {name!r}")

        return prompt_text(await call_on_mcp_loop(get(), timeout=self._open_guard * 2))

    async def aread_resource(self, uri: str) -> list[Any]:
        """A resource's contents (``TextResourceContents`` / ``BlobResourceContents``)."""
        connection = self._connection

        async def read() -> Any:
            await connection.ensure_open()
            return await connection.request(lambda c: c.read_resource(uri), f"the resource {uri!r}")

        return list((await call_on_mcp_loop(read(), timeout=self._open_guard * 2)).contents)

    def list_prompts(self) -> list[Any]:
        return _blocking(self.alist_prompts(), self._open_guard * 2)

    def list_resources(self) -> list[Any]:
        return _blocking(self.alist_resources(), self._open_guard * 3)

    def get_prompt(self, name: str, arguments: dict[str, str] | None = None) -> str:
        return _blocking(self.aget_prompt(name, arguments), self._open_guard * 2)

    def read_resource(self, uri: str) -> list[Any]:
        return _blocking(self.aread_resource(uri), self._open_guard * 2)

    def __repr__(self) -> str:
        state = f"tools={sorted(self._functions)}" if self._built else "not connected yet"
        return f"MCPTools({self.spec.label!r}, {state})"


def _blocking(coro: Any, timeout: float) -> Any:
    """Run an ``a...`` method to completion from sync code, on a loop of its own (any thread)."""

    async def run() -> Any:
        return await coro

    return wait_on_mcp_loop(run(), timeout=timeout)


class MultiMCPTools(Toolkit):
    """The tools of several MCP servers as one toolkit.

    ``servers`` are command lines (stdio), URLs (``http://...``) or ``MCPTools`` objects; ``commands=``
    and ``urls=`` are Agno's spelling of the same. With ``allow_partial_failure=True`` a server that
    cannot be reached is left out (logged, and retried on later runs); otherwise the run fails with
    its error. Tool names that clash across servers are an error: give one a ``tool_name_prefix``.
    """

    #: seconds before a server that failed to connect is tried again
    retry_after = 30.0

    def __init__(
        self,
        servers: Sequence[str | MCPTools] = (),
        *,
        commands: Sequence[str] = (),
        urls: Sequence[str] = (),
        urls_transports: Sequence[str] | None = None,
        env: dict[str, str] | None = None,
        timeout: float = 30.0,
        connect_timeout: float = 30.0,
        allow_partial_failure: bool = False,
        include_tools: Iterable[str] | None = None,
        exclude_tools: Iterable[str] | None = None,
        requires_confirmation_tools: Iterable[str] = (),
        name: str = "mcp",
        instructions: str | None = None,
    ):
        super().__init__(name, instructions=instructions, include_tools=include_tools, exclude_tools=exclude_tools,
                         requires_confirmation_tools=requires_confirmation_tools)
        if urls_transports is not None and len(urls_transports) != len(urls):
            raise ToolDefinitionError(f"urls_transports has {len(urls_transports)} entries for {len(urls)} urls.")
        kits: list[MCPTools] = []
        options = {"timeout": timeout, "connect_timeout": connect_timeout}
        for item in [*servers, *commands]:
            if isinstance(item, MCPTools):
                kits.append(item)
            elif isinstance(item, str) and item.startswith(("http://", "https://")):
                kits.append(MCPTools(url=item, **options))
            elif isinstance(item, str):
                kits.append(MCPTools(item, env=env, **options))
            else:
                raise ToolDefinitionError(f"MultiMCPTools takes command lines, URLs or MCPTools; got {item!r}.")
        for i, url in enumerate(urls):
            kits.append(MCPTools(url=url, transport=urls_transports[i] if urls_transports else None, **options))
        if not kits:
            raise ToolDefinitionError("MultiMCPTools needs at least one server (a command line, URL or MCPTools).")
        self.toolkits = kits
        self._own_instructions = instructions is not None
        self.allow_partial_failure = allow_partial_failure
        #: servers that could not be reached at the last attempt: label -> error
        self.failures: dict[str, BaseException] = {}
        self._failed_at: dict[int, float] = {}
        self._functions: dict[str, Any] = {}
        self._merged_from: tuple = ()

    @property
    def functions(self) -> dict[str, Any]:  # type: ignore[override]
        return self._functions

    async def prepare(self) -> None:
        now = time.monotonic()
        due = [k for k in self.toolkits
               if id(k) not in self._failed_at or now - self._failed_at[id(k)] >= self.retry_after]
        outcomes = await asyncio.gather(*(k.prepare() for k in due), return_exceptions=True)
        for kit, outcome in zip(due, outcomes):
            if isinstance(outcome, BaseException):
                if isinstance(outcome, asyncio.CancelledError):
                    raise outcome
                if not self.allow_partial_failure:
                    raise outcome
                self.failures[kit.spec.label] = outcome
                self._failed_at[id(kit)] = now
                logger.warning("agno_nb: MCP server %s left out: %s", kit.spec.label, outcome)
            else:
                self.failures.pop(kit.spec.label, None)
                self._failed_at.pop(id(kit), None)
        self._merge()

    async def aconnect(self) -> "MultiMCPTools":
        await self.prepare()
        return self

    def connect(self) -> "MultiMCPTools":
        async def run() -> None:
            await self.prepare()

        # prepare() hops to the MCP loop itself; run it from a neutral loop thread
        from ..._sync import run_sync

        run_sync(run())
        return self

    async def aclose(self) -> None:
        await asyncio.gather(*(k.aclose() for k in self.toolkits), return_exceptions=True)

    def close(self) -> None:
        for kit in self.toolkits:
            kit.close()

    async def __aenter__(self) -> "MultiMCPTools":
        return await self.aconnect()

    async def __aexit__(self, *exc: Any) -> None:
        await self.aclose()

    def __enter__(self) -> "MultiMCPTools":
        return self.connect()

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def _merge(self) -> None:
        sources = tuple((id(k), id(k._functions)) for k in self.toolkits)
        if sources == self._merged_from:
            return
        merged: dict[str, Any] = {}
        owner: dict[str, MCPTools] = {}
        for kit in self.toolkits:
            for name, fn in kit.functions.items():
                if name in merged:
                    raise ToolDefinitionError(
                        f"MultiMCPTools: the tool name {name!r} is offered by both {owner[name].spec.label!r} and "
                        f"{kit.spec.label!r}. Give one of them a prefix: MCPTools({kit.spec.label!r}, "
                        f"tool_name_prefix='...'), or exclude the tool from one.")
                merged[name] = fn
                owner[name] = kit
        complete = not self.failures
        for label, names in [("include_tools", self._include or ()), ("exclude_tools", self._exclude),
                             ("requires_confirmation tools", self._flags["requires_confirmation"])]:
            unknown = [n for n in names if n not in merged]
            if unknown and complete:
                raise ToolDefinitionError(f"MultiMCPTools: {label} names {unknown}, which no server offers; "
                                          f"they offer {sorted(merged)}.")
        if self._include is not None:
            merged = {n: f for n, f in merged.items() if n in self._include}
        for n in self._exclude:
            merged.pop(n, None)
        for n in self._flags["requires_confirmation"]:
            if n in merged:
                merged[n] = _confirming(merged[n])
        if not self._own_instructions:
            texts = [k.instructions for k in self.toolkits if k.instructions and k.functions]
            self.instructions = "\n\n".join(texts) or None
        self._functions = merged
        self._merged_from = sources

    def __repr__(self) -> str:
        return f"MultiMCPTools({[k.spec.label for k in self.toolkits]}, tools={sorted(self._functions)})"


def _confirming(fn: MCPFunction) -> MCPFunction:
    """The same MCP tool, pausing for confirmation (a shallow copy: it shares the connection)."""
    copy = object.__new__(type(fn))
    for cls in type(fn).__mro__:
        for slot in getattr(cls, "__slots__", ()):
            if hasattr(fn, slot):
                setattr(copy, slot, getattr(fn, slot))
    copy.requires_confirmation = True
    return copy

