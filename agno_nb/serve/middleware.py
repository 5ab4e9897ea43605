"""One ASGI middleware around every request: request id, body limit, loopback guard, metrics and audit.

Pure ASGI (not ``BaseHTTPMiddleware``, which costs a task and a copy per request). It measures until
the response's last byte, so a stream's duration is the stream's; the audit row and metrics are
recorded in memory and written later, off the request path.
"""

from __future__ import annotations

import ipaddress
import json
import random
import time
from functools import lru_cache
from typing import Any

from .errors import HTTPError

__all__ = ["RuntimeMiddleware", "PRINCIPAL_KEY"]

#: where the auth dependency leaves the principal in the ASGI scope, for the audit row
PRINCIPAL_KEY = "agno_nb.principal"


class RuntimeMiddleware:
    def __init__(self, app: Any, state: Any):
        self.app = app
        self.state = state

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        state = self.state
        started = time.perf_counter()
        headers = scope["headers"]
        request_id = _header(headers, b"x-request-id")
        if not request_id or len(request_id) > 128 or not request_id.isprintable():
            request_id = "%032x" % random.getrandbits(128)
        status = 500
        limit = state.settings.max_body_bytes

        async def send_wrapper(message: dict) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), (b"x-request-id", request_id.encode())]
            await send(message)

        try:
            refusal = self._refuse(scope, headers, limit)
            if refusal is not None:
                status = refusal.status
                await _send_error(send_wrapper, refusal, request_id)
                return
            await self.app(scope, _limited(receive, limit) if limit else receive, send_wrapper)
        finally:
            elapsed = time.perf_counter() - started
            route = scope.get("route")
            template = getattr(route, "path", None) or "(unmatched)"
            principal = scope.get(PRINCIPAL_KEY)
            method = scope["method"]
            state.metrics.observe_request(method, template, status, elapsed)
            if state.settings.audit:
                client = scope.get("client")
                state.audit.record(
                    (
                        time.time(),
                        request_id,
                        getattr(principal, "user_id", None),
                        getattr(principal, "credential", None),
                        method,
                        template,
                        scope["path"][:512],
                        status,
                        round(elapsed * 1000, 3),
                        client[0] if client else None,
                    )
                )

    def _refuse(self, scope: dict, headers: list, limit: int) -> HTTPError | None:
        state = self.state
        if state.auth is None and not state.settings.insecure_no_auth:
            server = scope.get("server")
            if server and not _loopback(server[0]):
                return HTTPError(
                    403,
                    "This app has no auth configured, so it serves 127.0.0.1 only: configure auth "
                    "(API keys or JWT) or start it with --insecure-no-auth.",
                )
        length = _header(headers, b"content-length")
        if limit and length:
            try:
                too_big = int(length) > limit
            except ValueError:
                return HTTPError(400, "The Content-Length header is not a number.")
            if too_big:
                return _too_large(limit)
        return None


def _limited(receive: Any, limit: int) -> Any:
    """``receive`` that stops a body (chunked, or longer than announced) at ``limit`` bytes."""
    seen = 0

    async def wrapped() -> dict:
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > limit:
                raise _too_large(limit)
        return message

    return wrapped


def _too_large(limit: int) -> HTTPError:
    return HTTPError(
        413,
        f"The request body is larger than this server's limit of {limit} bytes "
        f"(AGNO_NB_MAX_BODY_BYTES); send less, or raise the limit.",
    )


def _header(headers: list, name: bytes) -> str | None:
    for key, value in headers:
        if key == name:
            return value.decode("latin-1")
    return None


@lru_cache(maxsize=64)
def _loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host.split("%", 1)[0]).is_loopback
    except ValueError:
        return host == "localhost"


async def _send_error(send: Any, error: HTTPError, request_id: str) -> None:
    body = json.dumps({"detail": error.detail, "code": error.code}).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        *((k.lower().encode(), v.encode()) for k, v in error.headers.items()),
    ]
    await send({"type": "http.response.start", "status": error.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
