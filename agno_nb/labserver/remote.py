"""The sidebar pointed at a served runtime (``agno-nb serve``): its sessions, runs and traces, read through
this Jupyter server.

The page sends the runtime's URL and API key (from Lab's settings) in headers; the server calls the
runtime with ``Authorization: Bearer <key>``. So the runtime needs no CORS for the page, and only the
read routes the sidebar uses are forwarded (sessions, a session's runs, a run, a trace, health).
A refused key, an unreachable runtime or a runtime that answers something else is one message.
"""

from __future__ import annotations

import json
import re
from typing import Any

import tornado.web
from jupyter_server.base.handlers import APIHandler

__all__ = ["RemoteHandler", "FORWARDED"]

#: the runtime's read routes the sidebar may reach (AgentOS-style paths of issue 12)
FORWARDED = re.compile(r"^(health|sessions|sessions/[^/]+/runs|runs/[^/]+|traces/[^/]+)$")
TIMEOUT = 10.0


class RemoteHandler(APIHandler):
    @tornado.web.authenticated
    async def get(self, path: str) -> None:
        from tornado.httpclient import AsyncHTTPClient, HTTPClientError
        from tornado.httputil import url_concat

        base = (self.request.headers.get("X-Agno-Runtime-URL") or "").rstrip("/")
        key = self.request.headers.get("X-Agno-Runtime-Key") or ""
        if not re.match(r"^https?://[^\s/]+", base):
            return self._fail(400, f"{base or 'No runtime URL'} is not an http(s) URL: set the runtime's URL in "
                                   f"Settings > Agno (e.g. http://127.0.0.1:7777).")
        if not FORWARDED.match(path):
            return self._fail(400, f"{path!r} is not a route the sidebar reads from a runtime.")
        query = {k: self.get_query_argument(k) for k in ("limit", "offset", "user_id") if self.get_query_argument(k, None)}
        headers = {"Accept": "application/json"}
        if key:
            headers["Authorization"] = f"Bearer {key}"
        try:
            response = await AsyncHTTPClient().fetch(url_concat(f"{base}/{path}", query), headers=headers,
                                                      request_timeout=TIMEOUT, connect_timeout=TIMEOUT,
                                                      follow_redirects=False)
        except HTTPClientError as exc:
            detail = _detail(exc.response.body if exc.response is not None else b"")
            if exc.code in (401, 403):
                return self._fail(exc.code, f"The runtime at {base} refused the API key ({exc.code}"
                                            f"{': ' + detail if detail else ''}). Check the key in Settings > Agno.",
                                  refused=True)
            if exc.code == 599:
                return self._fail(502, f"Cannot reach the runtime at {base}: {exc.message}.")
            return self._fail(exc.code if 400 <= exc.code < 600 else 502,
                              f"The runtime at {base} answered {exc.code}{': ' + detail if detail else ''}.")
        except OSError as exc:
            return self._fail(502, f"Cannot reach the runtime at {base}: {exc}.")
        try:
            data = json.loads(response.body)
        except ValueError:
            return self._fail(502, f"{base}/{path} did not answer JSON: is this an agno_nb runtime?")
        self.finish(json.dumps(data))

    def _fail(self, status: int, message: str, **extra: Any) -> None:
        self.set_status(status)
        self.finish(json.dumps({"message": message, **extra}))


def _detail(body: bytes) -> str:
    try:
        data = json.loads(body)
    except ValueError:
        return ""
    detail = data.get("detail") if isinstance(data, dict) else None
    return detail if isinstance(detail, str) else ""
