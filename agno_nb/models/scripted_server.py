"""A loopback OpenAI-compatible server that answers from the registered scripts.

``POST /v1/chat/completions`` with ``model=<script name>`` (JSON, or SSE with ``stream: true``),
``GET /v1/models``, a scripted ``POST /v1/moderations`` (flags a few violent words) and deterministic
``POST /v1/embeddings`` (hashed bags of words). It proves the ``openai/<x>`` path over real sockets, in
tests and benchmarks, for agno_nb and for peer frameworks alike.

It is a small HTTP/1.1 server on asyncio streams rather than a web framework, so that what a benchmark
measures is the client, not the server: keep-alive, ``TCP_NODELAY`` and a large listen backlog.

    python -m agno_nb.models.scripted_server --port 8765      # prints "listening on http://127.0.0.1:8765/v1"
"""

from __future__ import annotations

import argparse
import asyncio
import json
import socket
import threading
import time
from typing import Any, Callable

from .scripted import input_tokens, stream_pieces
from .scripts import Turn, estimate_tokens, get_script

__all__ = ["ScriptedServer", "serve_in_thread"]

_REASONS = {200: "OK", 400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed", 408: "Request Timeout",
            429: "Too Many Requests", 500: "Internal Server Error", 503: "Service Unavailable"}


class ScriptedServer:
    """The server. ``await start()`` binds 127.0.0.1 (port 0 picks a free one); ``url`` is the ``/v1`` base."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0):
        self.host = host
        self.port = port
        self.requests = 0
        self._server: asyncio.base_events.Server | None = None
        self._connections: set[asyncio.Task] = set()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/v1"

    async def start(self) -> "ScriptedServer":
        self._server = await asyncio.start_server(self._handle, self.host, self.port, backlog=1024,
                                                  reuse_address=True)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def close(self) -> None:
        """Stop listening and end open keep-alive connections (Python 3.11 leaves them open)."""
        if self._server is not None:
            self._server.close()
            for task in list(self._connections):
                task.cancel()
            await asyncio.gather(*self._connections, return_exceptions=True)
            await self._server.wait_closed()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        self._connections.add(task)  # type: ignore[arg-type]
        try:
            await self._serve_connection(reader, writer)
        except asyncio.CancelledError:
            pass  # close() ends idle keep-alive connections this way; the task just ends
        finally:
            self._connections.discard(task)  # type: ignore[arg-type]

    async def _serve_connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        sock = writer.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            while True:
                request_line = await reader.readline()
                if not request_line:
                    return
                method, path, _ = request_line.decode("latin-1").split(" ", 2)
                headers: dict[str, str] = {}
                while True:
                    line = await reader.readline()
                    if line in (b"\r\n", b"\n", b""):
                        break
                    name, _, value = line.decode("latin-1").partition(":")
                    headers[name.strip().lower()] = value.strip()
                length = int(headers.get("content-length") or 0)
                body = await reader.readexactly(length) if length else b""
                self.requests += 1
                keep_alive = headers.get("connection", "").lower() != "close"
                await self._route(method, path, body, writer)
                if not keep_alive:
                    return
        except (ConnectionError, asyncio.IncompleteReadError, ValueError):
            return
        finally:
            writer.close()

    async def _route(self, method: str, path: str, body: bytes, writer: asyncio.StreamWriter) -> None:
        path = path.split("?", 1)[0].rstrip("/")
        if path.endswith("/models") and method == "GET":
            from .scripts import script_names

            data = {"object": "list", "data": [{"id": n, "object": "model", "owned_by": "agno_nb"}
                                               for n in script_names()]}
            return _send_json(writer, 200, data)
        if path.endswith("/moderations") and method == "POST":
            return _send_json(writer, 200, _moderation(json.loads(body or b"{}")))
        if path.endswith("/embeddings") and method == "POST":
            return _send_json(writer, 200, _embeddings(json.loads(body or b"{}")))
        if not path.endswith("/chat/completions"):
            return _send_json(writer, 404, {"error": {"message": f"no route {path}", "type": "not_found"}})
        if method != "POST":
            return _send_json(writer, 405, {"error": {"message": "use POST", "type": "invalid_request_error"}})
        try:
            request = json.loads(body)
            script = get_script(request["model"])
            turn = script.next_turn(request.get("messages") or [], request.get("tools"))
        except Exception as exc:  # bad JSON, unknown script, exhausted script
            return _send_json(writer, 404 if "No scripted model" in str(exc) else 400,
                              {"error": {"message": str(exc), "type": "invalid_request_error"}})
        if turn.delay:
            await asyncio.sleep(turn.delay)
        if turn.error:
            return _send_json(writer, turn.error_status, {"error": {"message": turn.error_message,
                                                                     "type": turn.error, "code": turn.error}})
        if request.get("stream"):
            await _send_stream(writer, request, turn)
        else:
            _send_json(writer, 200, _completion(request, turn))
        await writer.drain()


#: the scripted moderation model flags text containing any of these words (category "violence")
FLAGGED_WORDS = ("kill", "bomb", "attack", "massacre")


def _moderation(request: dict[str, Any]) -> dict[str, Any]:
    inputs = request.get("input") or ""
    texts = inputs if isinstance(inputs, list) else [inputs]
    results = []
    for text in texts:
        flagged = any(word in str(text).lower() for word in FLAGGED_WORDS)
        categories = {"violence": flagged, "hate": False, "harassment": False, "self-harm": False,
                      "sexual": False}
        results.append({"flagged": flagged, "categories": categories,
                        "category_scores": {k: (0.97 if v else 0.01) for k, v in categories.items()}})
    return {"id": "modr-scripted", "model": request.get("model") or "omni-moderation-latest", "results": results}


def _embeddings(request: dict[str, Any]) -> dict[str, Any]:
    """Deterministic embeddings: each lower-cased word hashed into one of ``dimensions`` (default 64)
    buckets, the counts L2-normalised. Texts that share words are close, so retrieval behaves sensibly."""
    import hashlib
    import math
    import re

    inputs = request.get("input") or ""
    texts = inputs if isinstance(inputs, list) else [inputs]
    size = int(request.get("dimensions") or 64)
    data = []
    for index, text in enumerate(texts):
        vector = [0.0] * size
        for word in re.findall(r"\w+", str(text).lower()):
            vector[int.from_bytes(hashlib.md5(word.encode()).digest()[:4], "big") % size] += 1.0
        norm = math.sqrt(sum(v * v for v in vector)) or 1.0
        data.append({"object": "embedding", "index": index, "embedding": [v / norm for v in vector]})
    words = sum(len(str(t).split()) for t in texts)
    return {"object": "list", "model": request.get("model") or "text-embedding-3-small", "data": data,
            "usage": {"prompt_tokens": words, "total_tokens": words}}


def _usage(request: dict[str, Any], turn: Turn) -> dict[str, int]:
    prompt = input_tokens(request.get("messages") or [])
    completion = estimate_tokens(turn.content) + 8 * len(turn.tool_calls)
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}


def _completion(request: dict[str, Any], turn: Turn) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": turn.content}
    if turn.tool_calls:
        message["tool_calls"] = turn.openai_tool_calls()
    if turn.reasoning:
        message["reasoning_content"] = turn.reasoning
    return {"id": "chatcmpl-scripted", "object": "chat.completion", "created": int(time.time()),
            "model": request["model"], "usage": _usage(request, turn),
            "choices": [{"index": 0, "message": message,
                         "finish_reason": "tool_calls" if turn.tool_calls else "stop"}]}


def _send_json(writer: asyncio.StreamWriter, status: int, data: Any) -> None:
    body = json.dumps(data).encode()
    writer.write(f"HTTP/1.1 {status} {_REASONS.get(status, 'Error')}\r\ncontent-type: application/json\r\n"
                 f"content-length: {len(body)}\r\n\r\n".encode() + body)


async def _send_stream(writer: asyncio.StreamWriter, request: dict[str, Any], turn: Turn) -> None:
    writer.write(b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncache-control: no-cache\r\n"
                 b"transfer-encoding: chunked\r\n\r\n")
    base = {"id": "chatcmpl-scripted", "object": "chat.completion.chunk", "created": int(time.time()),
            "model": request["model"]}

    def event(delta: dict[str, Any], finish: str | None = None, usage: dict | None = None) -> None:
        chunk = {**base, "choices": [{"index": 0, "delta": delta, "finish_reason": finish}] if usage is None else []}
        if usage is not None:
            chunk["usage"] = usage
        _write_chunk(writer, f"data: {json.dumps(chunk)}\n\n".encode())

    event({"role": "assistant", "content": ""})
    for piece in stream_pieces(turn.reasoning) if turn.reasoning else ():
        event({"reasoning_content": piece})
    for piece in stream_pieces(turn.content) if turn.content else ():
        event({"content": piece})
        await writer.drain()
    for index, call in enumerate(turn.openai_tool_calls()):
        event({"tool_calls": [{"index": index, **call}]})
    event({}, "tool_calls" if turn.tool_calls else "stop")
    if (request.get("stream_options") or {}).get("include_usage"):
        event({}, usage=_usage(request, turn))
    _write_chunk(writer, b"data: [DONE]\n\n")
    writer.write(b"0\r\n\r\n")


def _write_chunk(writer: asyncio.StreamWriter, data: bytes) -> None:
    writer.write(b"%x\r\n%s\r\n" % (len(data), data))


def serve_in_thread(port: int = 0) -> tuple[ScriptedServer, Callable[[], None]]:
    """Start a server on its own loop in a daemon thread; return it and a function that stops it."""
    loop = asyncio.new_event_loop()
    server = ScriptedServer(port=port)
    started = threading.Event()

    def run() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(server.start())
        started.set()
        loop.run_forever()

    thread = threading.Thread(target=run, name="scripted-server", daemon=True)
    thread.start()
    started.wait(10)

    def stop() -> None:
        asyncio.run_coroutine_threadsafe(server.close(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()

    return server, stop


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0: any free port)")
    args = parser.parse_args()

    async def serve() -> None:
        server = await ScriptedServer(port=args.port).start()
        print(f"listening on {server.url}", flush=True)
        await asyncio.Event().wait()

    try:
        asyncio.run(serve())
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
