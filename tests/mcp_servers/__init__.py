"""MCP servers the tests start: the SDK-written fault server, and server-everything (npm) over HTTP."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).parent
FAULT = HERE / "fault_server.py"
NPM_BIN = HERE.parent / "npm" / "node_modules" / ".bin"
EVERYTHING = NPM_BIN / "mcp-server-everything"


def fault_command(*flags: str) -> str:
    return " ".join([sys.executable, str(FAULT), *flags])


def everything_command() -> str:
    if not EVERYTHING.exists():
        raise RuntimeError(f"{EVERYTHING} is missing: run `npm ci --prefix tests/npm` (scripts/test.sh does).")
    return str(EVERYTHING)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class HttpServer:
    """A server process listening on 127.0.0.1:port; stopped by its pid."""

    def __init__(self, argv: list[str], port: int, env: dict[str, str] | None = None, path: str = "/mcp"):
        self.argv, self.port, self.env, self.path = argv, port, env, path
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}{self.path}"

    def start(self, timeout: float = 30.0) -> "HttpServer":
        self.process = subprocess.Popen(self.argv, env={**os.environ, **(self.env or {})},
                                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.argv} exited: {self.process.stderr.read().decode()[-2000:]}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return self
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"{self.argv} did not listen on {self.port} within {timeout}s")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        if self.process is not None and self.process.stderr:
            self.process.stderr.close()


def fault_http(port: int | None = None) -> HttpServer:
    port = port or free_port()
    return HttpServer([sys.executable, str(FAULT), "--http", str(port)], port)


def everything_http(mode: str = "streamableHttp") -> HttpServer:
    port = free_port()
    env = {"PORT": str(port), "NODE_OPTIONS": f"--require {HERE / 'loopback.cjs'}"}
    return HttpServer([everything_command(), mode], port, env, "/mcp" if mode == "streamableHttp" else "/sse")
