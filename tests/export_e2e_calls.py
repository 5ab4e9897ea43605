"""The calls the export e2e test makes, in one fixed order, against any base URL or an in-process app.

Run as a script (``python export_e2e_calls.py APP_DIR``) it imports ``app.py`` from APP_DIR in this
fresh process and makes the same calls through FastAPI's TestClient: that is the reference answer,
with the scripted models at the same point of their scripts as a freshly started server.
"""

from __future__ import annotations

import json
import re
import sys
from typing import Any, Callable

ROUTES = {"agent": "agents", "team": "teams", "workflow": "workflows"}
MESSAGE = "Hello from the export test"


def components(client: Any) -> list[tuple[str, str]]:
    """(kind, id) of every served component, from the OpenAI model list (``owned_by: agno_nb:<kind>``)."""
    models = client.get("/v1/models").json()["data"]
    return sorted((m["owned_by"].split(":", 1)[1], m["id"]) for m in models)


def http_chat(client: Any) -> Callable[[str, str], str]:
    """``/v1/chat/completions`` through a plain HTTP client (the reference side)."""
    def chat(model: str, message: str) -> str:
        reply = client.post("/v1/chat/completions", json={
            "model": model, "messages": [{"role": "user", "content": message}]})
        assert reply.status_code == 200, reply.text
        return reply.json()["choices"][0]["message"]["content"]
    return chat


def sdk_chat(base_url: str) -> Callable[[str, str], str]:
    """``/v1/chat/completions`` through the official ``openai`` SDK (the served side)."""
    from openai import OpenAI

    sdk = OpenAI(base_url=f"{base_url}/v1", api_key="unused-on-loopback", max_retries=0)

    def chat(model: str, message: str) -> str:
        reply = sdk.chat.completions.create(model=model, messages=[{"role": "user", "content": message}])
        return reply.choices[0].message.content
    return chat


def call_all(client: Any, chat: Callable[[str, str], str] | None = None) -> dict[str, str]:
    """For each component: the OpenAI chat completion, then the native run; answer texts by key."""
    chat = chat or http_chat(client)
    answers: dict[str, str] = {}
    for kind, cid in components(client):
        answers[f"{cid}:openai"] = _RUN_ID.sub("<run id>", chat(cid, MESSAGE))
        native = client.post(f"/{ROUTES[kind]}/{cid}/runs", json={"message": MESSAGE, "stream": False})
        assert native.status_code == 200, native.text
        content = native.json()["content"]
        text = content if isinstance(content, str) else json.dumps(content, sort_keys=True)
        answers[f"{cid}:native"] = _RUN_ID.sub("<run id>", text)
    return answers


#: run ids differ between two processes (a paused run's answer names its own): compared as a placeholder
_RUN_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


if __name__ == "__main__":
    import os

    app_dir = sys.argv[1]
    os.chdir(app_dir)
    sys.path.insert(0, app_dir)
    from fastapi.testclient import TestClient

    import app as exported  # noqa: E402

    # a loopback address: without auth the app serves only 127.0.0.1, like the served process
    with TestClient(exported.app, base_url="http://127.0.0.1") as client:
        print(json.dumps(call_all(client), sort_keys=True))
