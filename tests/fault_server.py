"""A loopback OpenAI-compatible server that misbehaves on purpose, for the fault-injection tests.

Each request names a scenario through its model name (``openai/<scenario>``); a scenario is a list of
behaviours served one per request (the last one repeats), so a test can script "fail, then answer".
Real sockets, real HTTP: what the direct transport sees is what a broken proxy would send.
"""

from __future__ import annotations

import asyncio
import json
import threading
from typing import Any, Callable

__all__ = ["FaultServer", "ok", "stream_ok"]

Behaviour = Callable[[Any, dict], Any]  # async (request, body) -> response


def _completion(text: str, finish: str | None = "stop") -> dict:
    return {"id": "x", "object": "chat.completion", "model": "m",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": finish}],
            "usage": {"prompt_tokens": 3, "completion_tokens": 2}}


def _chunk(text: str | None = None, finish: str | None = None) -> bytes:
    delta = {"content": text} if text is not None else {}
    data = {"id": "x", "object": "chat.completion.chunk",
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
    return b"data: " + json.dumps(data).encode() + b"\n\n"


def ok(text: str = "fine") -> Behaviour:
    """A normal answer (streamed when the request asks for a stream)."""
    async def behave(request, body):
        from aiohttp import web

        if body.get("stream"):
            response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
            await response.prepare(request)
            for word in text.split(" "):
                await response.write(_chunk(word + " " if word != text.split(" ")[-1] else word))
            await response.write(_chunk(None, "stop"))
            await response.write(b"data: [DONE]\n\n")
            return response
        return web.json_response(_completion(text))
    return behave


stream_ok = ok


def status(code: int, body: str = '{"error": {"message": "nope"}}', headers: dict | None = None) -> Behaviour:
    async def behave(request, body_):
        from aiohttp import web

        return web.Response(status=code, text=body, content_type="application/json", headers=headers or {})
    return behave


def raw(body: bytes, content_type: str = "text/html") -> Behaviour:
    """Whatever bytes, with status 200."""
    async def behave(request, body_):
        from aiohttp import web

        return web.Response(status=200, body=body, headers={"Content-Type": content_type})
    return behave


def hang(seconds: float = 3600) -> Behaviour:
    """Accept the request and say nothing."""
    async def behave(request, body):
        await asyncio.sleep(seconds)
    return behave


def keepalive_forever(interval: float = 0.05) -> Behaviour:
    """A stream that sends SSE comments and never a token."""
    async def behave(request, body):
        from aiohttp import web

        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        while True:
            await response.write(b": keep-alive\n\n")
            await asyncio.sleep(interval)
    return behave


def cut_stream(text: str = "The answer is forty", then_close: bool = True) -> Behaviour:
    """Some deltas, then the connection ends without a finish_reason or [DONE]."""
    async def behave(request, body):
        from aiohttp import web

        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        for word in text.split(" "):
            await response.write(_chunk(word + " "))
        await response.write_eof()
        return response
    return behave


def stream_events(*events: bytes) -> Behaviour:
    """A stream of the given raw SSE bytes."""
    async def behave(request, body):
        from aiohttp import web

        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        for event in events:
            await response.write(event)
        await response.write_eof()
        return response
    return behave


def huge_event(size: int) -> Behaviour:
    """One content delta of ``size`` characters, then a normal end."""
    return stream_events(_chunk("x" * size), _chunk(None, "stop"), b"data: [DONE]\n\n")


class FaultServer:
    """The server, on 127.0.0.1 in a thread of its own; ``url`` ends in ``/v1``."""

    def __init__(self) -> None:
        self.scenarios: dict[str, list[Behaviour]] = {}
        self.requests: dict[str, int] = {}
        self.url = ""
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: Any = None

    def script(self, name: str, *behaviours: Behaviour) -> str:
        """Register a scenario; returns the model id to use (``openai/<name>``)."""
        self.scenarios[name] = list(behaviours)
        self.requests[name] = 0
        return f"openai/{name}"

    async def _handle(self, request: Any) -> Any:
        body = await request.json()
        name = body.get("model", "")
        behaviours = self.scenarios.get(name) or [status(404, '{"error": {"message": "no such scenario"}}')]
        index = min(self.requests.get(name, 0), len(behaviours) - 1)
        self.requests[name] = self.requests.get(name, 0) + 1
        return await behaviours[index](request, body)

    def start(self) -> "FaultServer":
        from aiohttp import web

        ready = threading.Event()

        def serve() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            app = web.Application(client_max_size=64 * 1024 * 1024)
            app.router.add_post("/v1/chat/completions", self._handle)
            runner = web.AppRunner(app, handle_signals=False, shutdown_timeout=0.5)
            loop.run_until_complete(runner.setup())
            site = web.TCPSite(runner, "127.0.0.1", 0)
            loop.run_until_complete(site.start())
            port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
            self.url = f"http://127.0.0.1:{port}/v1"
            self._runner = runner
            ready.set()
            loop.run_forever()
            pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
            for task in pending:  # handlers still "hanging" on purpose
                task.cancel()
            loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
            loop.run_until_complete(runner.cleanup())
            loop.close()

        self._thread = threading.Thread(target=serve, name="fault-server", daemon=True)
        self._thread.start()
        ready.wait(10)
        return self

    def stop(self) -> None:
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(5)
