"""Start a real, throwaway Chroma server on 127.0.0.1 for the knowledge tests.

``chroma run --path DIR --host 127.0.0.1 --port N`` from the test venv (chromadb ships the server), on a
free port, with telemetry off; stopped by its PID at the end and its data directory deleted.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request


class ChromaUnavailable(RuntimeError):
    """Why the server could not be started (the server tests skip with this reason, loudly)."""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ChromaServer:
    def __init__(self) -> None:
        self.root = tempfile.mkdtemp(prefix="agno_nb_chroma_")
        self.port = _free_port()
        self.host = "127.0.0.1"
        self.url = f"http://{self.host}:{self.port}"
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 90.0) -> "ChromaServer":
        chroma = os.path.join(os.path.dirname(sys.executable), "chroma")
        if not os.path.exists(chroma):
            raise ChromaUnavailable(f"no chroma executable next to {sys.executable}: install agno_nb[knowledge]")
        env = {**os.environ, "ANONYMIZED_TELEMETRY": "False"}
        self.log = open(os.path.join(self.root, "server.log"), "wb")
        self.process = subprocess.Popen([chroma, "run", "--path", os.path.join(self.root, "data"), "--host", self.host,
                                         "--port", str(self.port)], stdout=self.log, stderr=subprocess.STDOUT,
                                        env=env, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise ChromaUnavailable(f"chroma run exited with {self.process.returncode}: {self.tail()}")
            try:
                with urllib.request.urlopen(f"{self.url}/api/v2/heartbeat", timeout=1) as response:
                    if response.status == 200:
                        return self
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise ChromaUnavailable(f"the Chroma server did not answer within {timeout:.0f}s: {self.tail()}")

    def tail(self) -> str:
        try:
            with open(os.path.join(self.root, "server.log"), "rb") as handle:
                return handle.read()[-600:].decode(errors="replace")
        except OSError:
            return ""

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)  # its own session: the server and nothing else
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(10)
        self.process = None
        shutil.rmtree(self.root, ignore_errors=True)
