"""Run an app with uvicorn in a background thread: from a notebook cell, a script or a test.

    server = start_server(app)            # 127.0.0.1, a free port
    client = OpenAI(base_url=server.url + "/v1", api_key="...")
    server.stop()                          # graceful: runs end with an event, streams close

For production use ``agno-nb serve`` (signals, workers, reload).
"""

from __future__ import annotations

import socket
import threading
import time
from typing import Any

__all__ = ["RunningServer", "start_server"]


class RunningServer:
    """A uvicorn server on its own thread and event loop."""

    def __init__(self, app: Any, host: str, port: int, log_level: str):
        import uvicorn

        self.app = app
        self.sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((host, port))
        self.host, self.port = host, self.sock.getsockname()[1]
        config = uvicorn.Config(
            app, log_level=log_level, lifespan="on", timeout_graceful_shutdown=_grace(app) + 5
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self._run, name=f"agno_nb-serve-{self.port}", daemon=True)
        self.error: BaseException | None = None

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def _run(self) -> None:
        try:
            self.server.run(sockets=[self.sock])
        except BaseException as exc:  # reported by start() / stop()
            self.error = exc

    def start(self, timeout: float = 30.0) -> "RunningServer":
        self.thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"The server did not start on {self.url}: {self.error or 'timed out'}")
            time.sleep(0.01)
        return self

    def stop(self, timeout: float = 60.0) -> None:
        """Drain (running runs get the grace period, then end with RunCancelled), then stop."""
        state = getattr(getattr(self.app, "state", None), "agno", None)
        loop = getattr(state, "loop", None)
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(state.begin_shutdown)
        self.server.should_exit = True
        self.thread.join(timeout)
        self.sock.close()

    def __enter__(self) -> "RunningServer":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"RunningServer({self.url})"


def _grace(app: Any) -> float:
    state = getattr(getattr(app, "state", None), "agno", None)
    return state.settings.shutdown_grace if state is not None else 10.0


def start_server(
    app: Any, *, host: str = "127.0.0.1", port: int = 0, log_level: str = "warning"
) -> RunningServer:
    """Serve ``app`` on ``host:port`` (port 0: a free one) in a background thread; returns once it listens."""
    return RunningServer(app, host, port, log_level).start()
