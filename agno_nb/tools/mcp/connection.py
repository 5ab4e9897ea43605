"""One MCP server connection: opened, used and closed on the MCP loop, reopened after a crash.

A connection is a long-lived task on the MCP loop (``_keep``) that holds the SDK's ``Client`` open:
the SDK's transports are anyio task groups, which must be entered and left by the same task. Calls
from other tasks of that loop share the session. When the server dies (its stderr pipe closes, or a
call finds the transport gone) the connection is marked dead; the next use opens a new one.

Every wait is bounded: connecting by ``connect_timeout``, each call by ``timeout``.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import os
import shlex
import shutil
import threading
from contextlib import AsyncExitStack
from typing import Any

from ...errors import AgnoNBError, ConfigurationError

__all__ = ["ServerSpec", "Connection", "MCPConnectionError", "MCPCallError", "warm_imports"]

logger = logging.getLogger("agno_nb.mcp")
#: servers' stderr lines; not propagated (agent debug logging would print every line): attach a handler to see them
stderr_logger = logging.getLogger("agno_nb.mcp.stderr")
stderr_logger.propagate = False

TRANSPORTS = ("stdio", "sse", "streamable-http")
#: pages of tools/list, prompts/list, resources/list read at most (a server that pages forever)
_MAX_PAGES = 100
#: how long closing a connection may take (the SDK: close stdin, wait 2 s, terminate, wait 2 s)
_CLOSE_TIMEOUT = 6.0


class MCPConnectionError(ConfigurationError):
    """An MCP server could not be reached: command not found, exited at start, URL refused, timed out."""


class MCPCallError(AgnoNBError):
    """A call to an MCP server failed (timeout, lost connection, protocol error). The model sees it."""


class ServerSpec:
    """How to reach one server: a command over stdio, or a URL over streamable HTTP or SSE."""

    __slots__ = ("transport", "command", "args", "env", "cwd", "url", "headers", "timeout", "connect_timeout")

    def __init__(self, *, command: str | None, args: list[str] | None, url: str | None, transport: str | None,
                 env: dict[str, str] | None, cwd: str | None, headers: dict[str, str] | None, timeout: float,
                 connect_timeout: float):
        if (command is None) == (url is None):
            raise ConfigurationError("MCPTools needs exactly one of command= (a server to start over stdio) "
                                     "or url= (a running server over streamable HTTP or SSE).")
        if transport is None:
            transport = "stdio" if command is not None else ("sse" if url.rstrip("/").endswith("/sse")
                                                            else "streamable-http")
        if transport not in TRANSPORTS:
            raise ConfigurationError(f"Unknown MCP transport {transport!r}; use one of {list(TRANSPORTS)}.")
        if transport == "stdio" and command is None:
            raise ConfigurationError(f"transport='stdio' starts a command: pass command=..., not url={url!r}.")
        if transport != "stdio" and url is None:
            raise ConfigurationError(f"transport={transport!r} connects to a URL: pass url=..., not command=.")
        if url is not None and not url.startswith(("http://", "https://")):
            raise ConfigurationError(f"MCP server URL {url!r} must start with http:// or https://.")
        for name, value in (("timeout", timeout), ("connect_timeout", connect_timeout)):
            if not value or value <= 0:
                raise ConfigurationError(f"MCPTools {name} must be positive seconds, got {value!r}.")
        parts = shlex.split(command) if command is not None else []
        if command is not None and not parts:
            raise ConfigurationError("MCPTools command= is empty; give the server's command line.")
        self.transport = transport
        self.command = parts[0] if parts else None
        self.args = parts[1:] + list(args or ())
        self.env = dict(env) if env else None
        self.cwd = cwd
        self.url = url
        self.headers = dict(headers) if headers else None
        self.timeout = float(timeout)
        self.connect_timeout = float(connect_timeout)

    @property
    def label(self) -> str:
        """The server as a person named it: its command line or its URL."""
        if self.command is not None:
            return shlex.join([self.command, *self.args])
        return str(self.url)

    def executable(self) -> str:
        """The command's path, or a clear error naming the command and the PATH searched."""
        path = (self.env or {}).get("PATH", os.environ.get("PATH", ""))
        found = shutil.which(self.command, path=path)  # type: ignore[arg-type]
        if found is not None:
            return found
        hint = ""
        if self.command in ("uvx", "uv"):
            hint = (" uvx comes with uv (pip install uv). Or run the server's own command instead: a Python "
                    "server installed with pip has a console script (e.g. command='mcp-server-time') or runs "
                    "as 'python -m <module>' (e.g. 'python -m mcp_server_time').")
        elif self.command in ("npx", "node", "npm"):
            hint = " Install Node.js (it brings npx), or point command= at the server's installed script."
        raise MCPConnectionError(
            f"Cannot start MCP server {self.label!r}: command {self.command!r} was not found on PATH "
            f"({path or 'empty'}).{hint}")


class _StderrTail:
    """The server's stderr: the last lines kept for error messages (and logged at debug level).

    A pipe read by a small thread: its end of file also tells us when the server process is gone.
    """

    def __init__(self, label: str):
        read_fd, write_fd = os.pipe()
        self.writer = os.fdopen(write_fd, "w")
        self.lines: collections.deque[str] = collections.deque(maxlen=30)
        self.closed = threading.Event()
        self._thread = threading.Thread(target=self._read, args=(read_fd, label), daemon=True,
                                        name="agno_nb-mcp-stderr")
        self._thread.start()

    def _read(self, fd: int, label: str) -> None:
        with os.fdopen(fd, "r", errors="replace") as pipe:
            for line in pipe:
                line = line.rstrip()
                self.lines.append(line)
                stderr_logger.debug("[%s] %s", label, line)
        self.closed.set()

    def release_writer(self) -> None:
        """Close our copy of the write end, so end of file comes when the server exits."""
        if not self.writer.closed:
            self.writer.close()

    def tail(self, wait: float = 0.0) -> str:
        self.release_writer()
        if wait:
            self._thread.join(wait)
        return "\n".join(self.lines)


class Connection:
    """One server's session, living on the MCP loop. Use it only from there (see ``_loop``)."""

    def __init__(self, spec: ServerSpec):
        self.spec = spec
        self.client: Any = None
        #: the server's tools as listed at the last (re)connection (``mcp.types.Tool``)
        self.tools: list[Any] = []
        self.server_name: str | None = None
        self.instructions: str | None = None
        self.capabilities: Any = None
        #: increases with every successful (re)connection
        self.generation = 0
        self._keeper: asyncio.Task | None = None
        self._closing: asyncio.Event | None = None
        self._opening: asyncio.Future | None = None
        self._stderr: _StderrTail | None = None
        self._dead = False

    # ---------------------------------------------------------------------------------- lifecycle

    @property
    def alive(self) -> bool:
        if self.client is None or self._dead or self._keeper is None or self._keeper.done():
            return False
        return not (self._stderr is not None and self._stderr.closed.is_set())

    async def ensure_open(self) -> bool:
        """Connect unless connected; ``True`` if this call (re)connected. Concurrent callers share one try."""
        if self.alive:
            return False
        if self._opening is not None:
            await asyncio.shield(self._opening)
            return True
        opening = asyncio.get_running_loop().create_future()
        self._opening = opening
        try:
            await self._shut()
            await self._open()
        except BaseException as exc:
            opening.set_exception(exc)
            opening.exception()  # retrieved: concurrent waiters re-raise it, nobody else must
            raise
        else:
            opening.set_result(None)
        finally:
            self._opening = None
        return True

    async def _open(self) -> None:
        spec = self.spec
        ready = asyncio.get_running_loop().create_future()
        self._closing = asyncio.Event()
        self._dead = False
        self._stderr = _StderrTail(spec.label) if spec.transport == "stdio" else None
        self._keeper = asyncio.ensure_future(self._keep(ready))
        try:
            await asyncio.wait_for(asyncio.shield(ready), spec.connect_timeout)
        except asyncio.TimeoutError:
            await self._shut()
            raise MCPConnectionError(
                f"MCP server {spec.label!r} did not finish connecting within {spec.connect_timeout:g}s"
                f"{self._stderr_note()}. Raise connect_timeout= if it is just slow to start.") from None
        except BaseException as exc:
            await self._shut()
            raise self._connect_error(exc) from None

    async def _keep(self, ready: asyncio.Future) -> None:
        """Hold the session open until closed; record why it ended."""
        try:
            async with AsyncExitStack() as stack:
                client = await stack.enter_async_context(await self._client(stack))
                if self._stderr is not None:
                    self._stderr.release_writer()
                tools = await _list_all(client.list_tools, "tools")
                _pay_schema_imports(client, tools)
                self.tools = tools
                info = client.server_info
                self.server_name = getattr(info, "name", None)
                self.instructions = client.instructions
                self.capabilities = client.server_capabilities
                self.client = client
                self.generation += 1
                ready.set_result(None)
                await self._closing.wait()  # type: ignore[union-attr]
        except BaseException as exc:
            if not ready.done():
                ready.set_exception(exc)
            elif not isinstance(exc, asyncio.CancelledError):
                logger.debug("MCP server %s: connection ended: %r", self.spec.label, exc)
            if isinstance(exc, asyncio.CancelledError):
                raise
        finally:
            self.client = None
            if self._stderr is not None:
                self._stderr.release_writer()

    async def _client(self, stack: AsyncExitStack) -> Any:
        _imports_warmed()
        try:
            from mcp import Client
        except ImportError as exc:
            raise MCPConnectionError(f"MCP needs the official SDK: pip install 'agno_nb[mcp]' (mcp>=2.3) "
                                     f"({exc}).") from None
        from mcp.types import Implementation

        spec = self.spec
        if spec.transport == "stdio":
            from mcp.client.stdio import StdioServerParameters, stdio_client

            params = StdioServerParameters(command=spec.executable(), args=spec.args, env=spec.env, cwd=spec.cwd)
            transport = stdio_client(params, errlog=self._stderr.writer)  # type: ignore[union-attr]
        elif spec.transport == "streamable-http":
            from mcp.client.streamable_http import streamable_http_client
            from mcp.shared._httpx_utils import create_mcp_http_client

            http = await stack.enter_async_context(create_mcp_http_client(headers=spec.headers))
            transport = streamable_http_client(spec.url, http_client=http)  # type: ignore[arg-type]
        else:
            from mcp.client.sse import sse_client

            transport = sse_client(spec.url, headers=spec.headers, timeout=spec.connect_timeout)  # type: ignore
        from ... import __version__

        return Client(transport, read_timeout_seconds=spec.timeout,
                      client_info=Implementation(name="agno_nb", version=__version__))

    async def close(self) -> None:
        """Close the session (stdio: the server is asked to stop, then terminated)."""
        await self._shut()

    async def _shut(self) -> None:
        keeper, self._keeper = self._keeper, None
        self.client = None
        if keeper is None:
            return
        if self._closing is not None:
            self._closing.set()
        if not keeper.done():
            done, _ = await asyncio.wait({keeper}, timeout=_CLOSE_TIMEOUT)
            if not done:
                keeper.cancel()
                await asyncio.wait({keeper}, timeout=2.0)
        if self._stderr is not None:
            self._stderr.release_writer()

    def mark_dead(self) -> None:
        """The transport is gone: the next use reconnects (the old session is closed then)."""
        self._dead = True

    # ------------------------------------------------------------------------------------ calls

    async def call_tool(self, name: str, arguments: dict[str, Any], timeout: float | None = None) -> Any:
        """``tools/call``, bounded by ``timeout``; failures become ``MCPCallError`` with what happened."""
        await self.ensure_open()
        return await self.request(lambda client: client.call_tool(name, arguments), f"the tool {name!r}",
                                  timeout)

    async def request(self, send: Any, what: str, timeout: float | None = None) -> Any:
        """Send one request with the current session; a lost transport marks the connection dead."""
        timeout = timeout or self.spec.timeout
        client = self.client
        if client is None:
            await self.ensure_open()
            client = self.client
        try:
            return await asyncio.wait_for(send(client), timeout)
        except asyncio.TimeoutError:
            raise MCPCallError(f"MCP server {self.spec.label!r} did not answer {what} within {timeout:g}s "
                               f"(timeout=). The call was cancelled; the server may still be busy.") from None
        except Exception as exc:
            leaf = _leaf(exc)
            if _is_transport_failure(leaf) or not self.alive:
                self.mark_dead()
                raise MCPCallError(
                    f"Lost the connection to MCP server {self.spec.label!r} during {what} ({_describe(leaf)}): "
                    f"it crashed, restarted or closed the connection. agno_nb reconnects on the next call."
                    f"{self._stderr_note(wait=0.5)}") from None
            raise MCPCallError(f"MCP server {self.spec.label!r} refused {what}: {_describe(leaf)}") from None

    async def list_all(self, kind: str) -> list[Any]:
        """Every page of ``prompts``, ``resources`` or ``resource_templates`` (empty if not offered)."""
        await self.ensure_open()
        capability = "resources" if kind.startswith("resource") else kind
        if getattr(self.capabilities, capability, None) is None:
            return []
        method = {"prompts": "list_prompts", "resources": "list_resources",
                  "resource_templates": "list_resource_templates"}[kind]
        return await self.request(lambda client: _list_all(getattr(client, method), kind), f"{kind}/list")

    # ---------------------------------------------------------------------------------- errors

    def _stderr_note(self, wait: float = 1.0) -> str:
        if self._stderr is None:
            return ""
        tail = self._stderr.tail(wait)
        if not tail:
            return ""
        return "\nIts stderr ended with:\n" + "\n".join("    " + line for line in tail.splitlines()[-15:])

    def _connect_error(self, exc: BaseException) -> BaseException:
        leaf = _leaf(exc)
        if isinstance(leaf, MCPConnectionError):
            return leaf
        spec = self.spec
        if spec.transport == "stdio":
            if isinstance(leaf, (FileNotFoundError, PermissionError)):
                return MCPConnectionError(f"Cannot start MCP server {spec.label!r}: {leaf}.")
            return MCPConnectionError(
                f"MCP server {spec.label!r} exited or stopped answering during start-up ({_describe(leaf)})."
                f"{self._stderr_note() or ' It wrote nothing to stderr.'}")
        if _is_refused(leaf):
            return MCPConnectionError(
                f"Could not connect to MCP server at {spec.url}: connection refused. Is the server running, "
                f"and listening on that host and port?")
        return MCPConnectionError(
            f"Could not open an MCP session with {spec.url} over {spec.transport} ({_describe(leaf)}). "
            f"Check the URL (streamable HTTP endpoints usually end in /mcp, SSE ones in /sse) and transport=.")


async def _list_all(method: Any, kind: str) -> list[Any]:
    items: list[Any] = []
    cursor = None
    for _ in range(_MAX_PAGES):
        page = await method(cursor=cursor)
        items.extend(getattr(page, kind))
        cursor = page.next_cursor
        if cursor is None:
            break
    return items


_warming: threading.Thread | None = None
_warming_lock = threading.Lock()


def warm_imports() -> None:
    """Start importing the SDK and the JSON-schema library on a thread, once per process.

    ``jsonschema`` takes seconds to import where ``rfc3987_syntax`` is installed (it builds a grammar at
    import), and the SDK imports it lazily on the first call of a tool with an output schema: a model
    would wait for it mid-run. Toolkits start this when they are created, so the import overlaps with
    whatever comes before the first connection, which then waits for whatever is left of it.
    """
    global _warming
    with _warming_lock:
        if _warming is None:
            _warming = threading.Thread(target=_import_heavy, name="agno_nb-mcp-imports", daemon=True)
            _warming.start()


def _import_heavy() -> None:
    try:
        import mcp  # noqa: F401  (the package root first: its submodules import each other in a cycle)
        import mcp.client.stdio  # noqa: F401
        import mcp.client.streamable_http  # noqa: F401
        import jsonschema  # noqa: F401
        import referencing  # noqa: F401
    except ImportError:  # reported with its fix when a connection is opened
        pass


def _imports_warmed() -> None:
    """Wait for the warming thread: importing the SDK from two threads at once can see its modules
    half-initialized (the SDK's package imports are circular)."""
    warming = _warming
    if warming is not None and warming.is_alive():
        warming.join()


def _pay_schema_imports(client: Any, tools: list[Any]) -> None:
    """Import the JSON-schema library and compile output validators now, not on the first tool call."""
    import jsonschema  # noqa: F401
    import referencing  # noqa: F401

    session = client.session
    compile_validator = getattr(session, "_output_schema_validator", None)
    for tool in tools:
        if tool.output_schema is not None and compile_validator is not None:
            try:
                compile_validator(tool.name, tool.output_schema)
            except Exception:  # an invalid output schema fails that tool's calls, with the SDK's message
                pass


def _leaf(exc: BaseException) -> BaseException:
    """The first real error inside (possibly nested) exception groups from anyio task groups."""
    while isinstance(getattr(exc, "exceptions", None), tuple) and exc.exceptions:  # (Base)ExceptionGroup
        exc = exc.exceptions[0]
    return exc


def _describe(exc: BaseException) -> str:
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _is_refused(exc: BaseException) -> bool:
    text = f"{type(exc).__name__} {exc}".lower()
    return isinstance(exc, ConnectionRefusedError) or "connecterror" in text or "connection refused" in text \
        or "all connection attempts failed" in text


def _is_transport_failure(exc: BaseException) -> bool:
    from mcp.shared.exceptions import MCPError

    if isinstance(exc, MCPError):
        from mcp.types import CONNECTION_CLOSED

        # 404: a streamable-HTTP server that restarted no longer knows our session id
        return exc.code == CONNECTION_CLOSED or "session not found" in exc.message.lower() \
            or "404" in exc.message
    import anyio

    return isinstance(exc, (OSError, EOFError, anyio.ClosedResourceError, anyio.BrokenResourceError,
                            anyio.EndOfStream)) or type(exc).__module__.startswith(("httpx", "httpcore"))
