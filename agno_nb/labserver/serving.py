"""Notebooks served from JupyterLab: ``agno-nb serve NOTEBOOK`` children of the Jupyter server.

Each runs on a free port of 127.0.0.1 (no auth is needed there), is listed until it exits, and is
stopped by its PID: on request, and when the Jupyter server stops. Only children this registry started
are ever signalled.
"""

from __future__ import annotations

import atexit
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["Served", "ServedNotebooks", "ServeFailed"]

START_TIMEOUT = 60.0  # seconds for the export, the imports and uvicorn's start
STOP_GRACE = 10.0  # seconds between SIGTERM (the app drains) and SIGKILL


class ServeFailed(RuntimeError):
    """The child did not answer ``/health``: the message ends with the tail of its output."""


@dataclass
class Served:
    """One served notebook: the child process and where it answers."""

    id: str
    path: str  # the notebook, relative to the Jupyter root
    url: str
    process: subprocess.Popen
    log: Path
    started: float = field(default_factory=time.time)

    def as_json(self) -> dict:
        code = self.process.poll()
        return {"id": self.id, "path": self.path, "url": self.url, "pid": self.process.pid,
                "started": self.started, "running": code is None, "exit_code": code}

    def output_tail(self, lines: int = 15) -> str:
        try:
            text = self.log.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.strip().splitlines()[-lines:])


class ServedNotebooks:
    """The registry of served notebooks of one Jupyter server."""

    def __init__(self) -> None:
        self._served: dict[str, Served] = {}
        self._lock = threading.Lock()
        atexit.register(self.stop_all)

    def start(self, root: str, relative: str) -> Served:
        """Serve the notebook ``relative`` (to ``root``) and wait until it answers (blocking: call it from a
        worker thread)."""
        notebook = Path(root, relative).resolve()
        port = _free_port()
        log = Path(tempfile.mkstemp(prefix="agno-nb-serve-", suffix=".log")[1])
        with log.open("w") as sink:
            process = subprocess.Popen(
                [sys.executable, "-m", "agno_nb.cli", "serve", str(notebook), "--host", "127.0.0.1",
                 "--port", str(port), "--log-level", "warning"],
                cwd=notebook.parent, stdin=subprocess.DEVNULL, stdout=sink, stderr=subprocess.STDOUT,
                env={**os.environ, "PYTHONUNBUFFERED": "1"})
        served = Served(uuid.uuid4().hex[:12], relative, f"http://127.0.0.1:{port}", process, log)
        try:
            _wait_for_health(served)
        except ServeFailed:
            _stop(served.process)
            raise
        with self._lock:
            self._served[served.id] = served
        return served

    def list(self) -> list[dict]:
        """Every served notebook, running or exited (an exited one is listed once more, then dropped)."""
        with self._lock:
            listed = [s.as_json() for s in self._served.values()]
            for item in listed:
                if not item["running"]:
                    gone = self._served.pop(item["id"])
                    gone.log.unlink(missing_ok=True)
        return listed

    def stop(self, served_id: str) -> bool:
        """Stop one (SIGTERM, then SIGKILL after a grace); ``False`` if this registry has no such id."""
        with self._lock:
            served = self._served.pop(served_id, None)
        if served is None:
            return False
        _stop(served.process)
        served.log.unlink(missing_ok=True)
        return True

    def stop_all(self) -> None:
        for served_id in list(self._served):
            self.stop(served_id)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_for_health(served: Served) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if served.process.poll() is not None:
            raise ServeFailed(f"agno-nb serve {served.path} exited with code {served.process.returncode}:\n"
                              f"{served.output_tail()}")
        try:
            with urllib.request.urlopen(served.url + "/health", timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.25)
    raise ServeFailed(f"agno-nb serve {served.path} did not answer /health within {START_TIMEOUT:.0f} s:\n"
                      f"{served.output_tail()}")


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=STOP_GRACE)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)
