"""The floor: a bare FastAPI route that forwards the message to the model stub with a pooled client and
returns the text (HTTP in, one LLM call, HTTP out, nothing else). ``/runs`` answers JSON; with
``stream=true`` it relays the stub's stream as SSE, one event per chunk.

    BENCH_STUB=http://127.0.0.1:PORT/v1 uvicorn benchmarks.serve_apps.floor:app
"""

from __future__ import annotations

import json
import os

import aiohttp
from fastapi import FastAPI, Form
from fastapi.responses import JSONResponse, StreamingResponse

STUB = os.environ["BENCH_STUB"].rstrip("/") + "/chat/completions"
app = FastAPI()
_session: aiohttp.ClientSession | None = None


def session() -> aiohttp.ClientSession:
    global _session
    if _session is None:
        _session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=1000))
    return _session


@app.post("/agents/{agent_id}/runs")
async def run(agent_id: str, message: str = Form(...), stream: bool = Form(False)):
    model = "bench-hold" if agent_id == "hold" else "bench-text"
    body = {"model": model, "messages": [{"role": "user", "content": message}], "stream": stream}
    if not stream:
        async with session().post(STUB, json=body) as response:
            data = await response.json()
        return JSONResponse({"content": data["choices"][0]["message"]["content"]})

    async def relay():
        async with session().post(STUB, json=body) as response:
            async for line in response.content:
                if line.startswith(b"data: {"):
                    chunk = json.loads(line[6:])
                    text = chunk["choices"][0]["delta"].get("content") if chunk["choices"] else None
                    if text is not None:
                        yield f"event: RunContent\ndata: {json.dumps({'content': text})}\n\n".encode()
        yield b"event: RunCompleted\ndata: {}\n\n"

    return StreamingResponse(relay(), media_type="text/event-stream")
