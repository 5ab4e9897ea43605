"""llama.cpp servers for ``local/...`` models: one process per GGUF file, started on first use, shared
by every agent in this interpreter, restarted if it died, stopped at exit.

The registry is keyed by the GGUF file's resolved path: a second agent on the same model reuses the
running server (loading a model takes ~1 s and its memory once). A server found dead on the next call
(crashed, killed, out of memory) is started again, which is what a user expects from "the model is
local". Readiness is llama.cpp's ``/health`` answering 200, polled until ``start_timeout``; a server
that exits first fails with the tail of its log, which is where llama.cpp says why.

Threads: one by default, and ``OMP_WAIT_POLICY=PASSIVE`` in the server's environment. Measured on this
2-core machine, two busy-waiting threads sharing the cores with the notebook drop generation from ~80
to 1-2 tokens/s; one thread is the robust default, ``threads=`` raises it on a bigger machine.
"""

from __future__ import annotations

import atexit
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

from ...errors import ConfigurationError, ModelError
from .catalog import MissingLocalPackageError

__all__ = ["LocalServer", "LocalServerError", "ensure_server", "running_servers", "stop_all"]

_CHILD = Path(__file__).with_name("_child.py")


class LocalServerError(ModelError):
    """The llama.cpp server did not start or answer; the message carries the tail of its log."""


class LocalServer:
    """One running llama.cpp server process (ours: we started it, we stop it by its PID)."""

    __slots__ = ("gguf", "port", "threads", "ctx", "process", "log_path", "started_at", "load_seconds")

    def __init__(self, gguf: Path, port: int, threads: int, ctx: int, process: subprocess.Popen,
                 log_path: Path):
        self.gguf = gguf
        self.port = port
        self.threads = threads
        self.ctx = ctx
        self.process = process
        self.log_path = log_path
        self.started_at = time.time()
        #: seconds from spawning the process to ``/health`` answering 200
        self.load_seconds: float | None = None

    @property
    def pid(self) -> int:
        """The server's process id."""
        return self.process.pid

    @property
    def base_url(self) -> str:
        """The OpenAI-compatible base URL (``http://127.0.0.1:PORT/v1``)."""
        return f"http://127.0.0.1:{self.port}/v1"

    def alive(self) -> bool:
        """Whether the process is still running."""
        return self.process.poll() is None

    def log_tail(self, lines: int = 12) -> str:
        """The last lines the server wrote (llama.cpp logs to stderr)."""
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.strip().splitlines()[-lines:])

    def stop(self, timeout: float = 5.0) -> None:
        """Stop this server: close its stdin (it exits), then SIGTERM, then SIGKILL; only this PID."""
        process = self.process
        if process.poll() is None:
            try:
                process.stdin.close()
                process.wait(timeout)
            except (OSError, subprocess.TimeoutExpired, ValueError):
                process.terminate()
                try:
                    process.wait(timeout)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait(timeout)
        elif process.stdin is not None and not process.stdin.closed:
            process.stdin.close()
        try:
            self.log_path.unlink()
        except OSError:
            pass

    def __repr__(self) -> str:
        state = "running" if self.alive() else f"exited {self.process.returncode}"
        return f"LocalServer({self.gguf.name}, pid={self.pid}, {self.base_url}, {state})"


_servers: dict[Path, LocalServer] = {}
_lock = threading.Lock()  # agents in threads (teams, the server runtime) may start the same model at once
_atexit_registered = False


def ensure_server(gguf: Path, *, port: int | None = None, threads: int = 1, ctx: int = 4096,
                  start_timeout: float = 120.0) -> LocalServer:
    """The running server for ``gguf``: the one already running, or a new one (also after a crash).

    Blocks while a new server loads (about a second for a small model); call it off the event loop.
    """
    with _lock:
        server = _servers.get(gguf)
        if server is not None and server.alive():
            if port is not None and port != server.port:
                raise ConfigurationError(
                    f"local model {gguf.name} is already served on port {server.port} in this process; "
                    f"port={port} was asked. Leave port unset to share that server, or stop_all() first.")
            return server
        if server is not None:  # it died: keep its last words for the log, then start afresh
            server.stop()
            del _servers[gguf]
        server = _start(gguf, port, threads, ctx, start_timeout)
        _servers[gguf] = server
        return server


def running_servers() -> list[LocalServer]:
    """The servers this process started that are still running."""
    with _lock:
        return [s for s in _servers.values() if s.alive()]


def stop_all() -> None:
    """Stop every server this process started (also run at interpreter exit)."""
    with _lock:
        servers = list(_servers.values())
        _servers.clear()
    for server in servers:
        server.stop()


def _start(gguf: Path, port: int | None, threads: int, ctx: int, start_timeout: float) -> LocalServer:
    import importlib.util

    if importlib.util.find_spec("xllamacpp") is None:
        raise MissingLocalPackageError(
            "local/... models run on llama.cpp through the 'xllamacpp' package, which is not installed: "
            "pip install 'agno_nb[local]'.")
    if port is not None:
        if not _port_free(port):
            raise ConfigurationError(
                f"port {port} on 127.0.0.1 is in use by another program; pass another port=..., or leave "
                f"port unset and agno_nb picks a free one.")
        return _spawn(gguf, port, threads, ctx, start_timeout)
    attempts = 0
    while True:
        try:
            return _spawn(gguf, _free_port(), threads, ctx, start_timeout)
        except _PortTaken:  # another program took the free port before llama.cpp bound it: pick again
            attempts += 1
            if attempts == 3:
                raise


class _PortTaken(LocalServerError):
    """llama.cpp could not bind the port it was given."""


def _spawn(gguf: Path, port: int, threads: int, ctx: int, start_timeout: float) -> LocalServer:
    global _atexit_registered
    env = dict(os.environ)
    # passive OpenMP threads sleep instead of spinning between tokens (see the module docstring)
    env.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    log = tempfile.NamedTemporaryFile(prefix="agno_nb-llama-", suffix=".log", delete=False)
    command = [sys.executable, str(_CHILD), str(gguf), str(port), str(threads), str(ctx), log.name]
    process = subprocess.Popen(command,
                               stdin=subprocess.PIPE, stdout=log, stderr=log, env=env,
                               # Ctrl-C in the notebook interrupts the cell, not the model
                               start_new_session=True)
    log.close()
    if not _atexit_registered:
        atexit.register(stop_all)
        _atexit_registered = True
    server = LocalServer(gguf, port, threads, ctx, process, Path(log.name))
    try:
        _wait_ready(server, start_timeout)
    except BaseException:
        server.stop()
        raise
    return server


def _wait_ready(server: LocalServer, timeout: float) -> None:
    started = time.monotonic()
    url = f"http://127.0.0.1:{server.port}/health"
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback: never via a proxy
    delay = 0.02
    while True:
        if not server.alive():
            code = server.process.returncode
            tail = server.log_tail()
            raise (_PortTaken if "couldn't bind" in tail else LocalServerError)(
                f"the llama.cpp server for {server.gguf} exited (code {code}) before it was ready. "
                f"Its log ends with:\n{tail}", model=f"local/{server.gguf.name}")
        try:
            with opener.open(url, timeout=2) as response:
                if response.status == 200:
                    server.load_seconds = time.monotonic() - started
                    return
        except (urllib.error.URLError, OSError):
            pass  # not listening yet, or 503 while the model loads
        if time.monotonic() - started > timeout:
            raise LocalServerError(
                f"the llama.cpp server for {server.gguf} was not ready after {timeout:.0f}s (start_timeout). "
                f"Its log ends with:\n{server.log_tail()}", model=f"local/{server.gguf.name}")
        time.sleep(delay)
        delay = min(delay * 1.5, 0.25)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True
