"""Helpers for the served-runtime tests: SSE parsing, servers on real sockets, store counts."""

from __future__ import annotations

import json
import time
from contextlib import contextmanager
from typing import Any, Iterator

import httpx


class SSE:
    """One server-sent event as a client sees it."""

    def __init__(self, event: str | None, id: str | None, data: str):
        self.event = event
        self.id = id
        self.data = data

    @property
    def json(self) -> Any:
        return json.loads(self.data)

    def __repr__(self) -> str:
        return f"SSE({self.event!r}, id={self.id!r})"


def iter_sse(response: httpx.Response) -> Iterator[SSE]:
    """Parse an ``text/event-stream`` response line by line (comments skipped)."""
    fields: dict[str, list[str]] = {}
    for line in response.iter_lines():
        if line == "":
            if fields:
                yield SSE(
                    fields.get("event", [None])[0],
                    fields.get("id", [None])[0],
                    "\n".join(fields.get("data", [])),
                )
                fields = {}
            continue
        if line.startswith(":"):
            continue
        name, _, value = line.partition(":")
        fields.setdefault(name, []).append(value[1:] if value.startswith(" ") else value)
    if fields:
        yield SSE(
            fields.get("event", [None])[0], fields.get("id", [None])[0], "\n".join(fields.get("data", []))
        )


def read_sse(client: httpx.Client, method: str, url: str, **kwargs: Any) -> tuple[httpx.Response, list[SSE]]:
    with client.stream(method, url, **kwargs) as response:
        if response.status_code != 200 or not response.headers.get("content-type", "").startswith(
            "text/event-stream"
        ):
            response.read()
            return response, []
        return response, list(iter_sse(response))


@contextmanager
def serving(app: Any, **headers: str) -> Iterator[httpx.Client]:
    """The app on 127.0.0.1 (a free port, uvicorn in a thread) and an httpx client for it."""
    from agno_nb.serve.server import start_server

    server = start_server(app)
    try:
        with httpx.Client(base_url=server.url, timeout=30, headers=headers) as client:
            client.server = server  # type: ignore[attr-defined]
            yield client
    finally:
        server.stop()


def wait_for(predicate: Any, timeout: float = 10.0, interval: float = 0.02) -> Any:
    """Poll until ``predicate()`` is truthy (waiting on a real condition, never asserting on time)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s: {predicate}")
        time.sleep(interval)


def count(store: Any, table: str, where: str = "", params: list | None = None) -> int:
    with store.transaction() as cur:
        cur.execute(f"SELECT count(*) FROM {table}" + (f" WHERE {where}" if where else ""), params or [])
        return cur.fetchall()[0][0]
