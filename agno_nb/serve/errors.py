"""HTTP errors with one-line messages that say what to do, and the mapping from agno_nb's own errors."""

from __future__ import annotations

from typing import Any

from ..errors import (
    AccessDeniedError,
    AgnoNBError,
    ConfigurationError,
    InputValidationError,
    ModelError,
    TemplateVariableError,
)

__all__ = ["HTTPError", "http_error_for"]


class HTTPError(Exception):
    """An answer other than 2xx: ``status``, a one-line ``detail``, optional headers."""

    def __init__(
        self, status: int, detail: str, *, headers: dict[str, str] | None = None, code: str | None = None
    ):
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.headers = headers or {}
        #: a stable machine-readable name (``not_found``, ``forbidden``, ...)
        self.code = code or _CODES.get(status, "error")


_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "request_too_large",
    415: "unsupported_media_type",
    422: "invalid_input",
    429: "too_many_requests",
    502: "model_error",
    503: "unavailable",
    504: "timeout",
}


def one_line(text: str) -> str:
    return " ".join(str(text).split())


def http_error_for(exc: BaseException) -> HTTPError:
    """The HTTP answer for an error raised before a run started (bad input, unknown session, store down)."""
    from ..storage.base import NotFoundError, StoreConnectionError, StoreError, StoreLockedError

    if isinstance(exc, HTTPError):
        return exc
    message = one_line(str(exc) or type(exc).__name__)
    if isinstance(exc, NotFoundError):
        return HTTPError(404, message)
    if isinstance(exc, AccessDeniedError):  # another user's: as if it did not exist
        return HTTPError(404, "Not found among yours: it does not exist or belongs to another user.")
    if isinstance(exc, (StoreConnectionError, StoreLockedError)):
        return HTTPError(503, f"The store is unavailable: {message}", headers={"Retry-After": "1"})
    if isinstance(exc, StoreError):
        return HTTPError(500, f"Store error: {message}", code="store_error")
    if isinstance(exc, (InputValidationError, TemplateVariableError)):
        return HTTPError(422, message)
    if isinstance(exc, ModelError) and not isinstance(exc, ConfigurationError):
        return HTTPError(502, f"The model provider failed: {message}")
    if isinstance(exc, (ConfigurationError, AgnoNBError, ValueError)):
        return HTTPError(422, message)
    return HTTPError(
        500, f"Internal error ({type(exc).__name__}); the server log has the details.", code="internal_error"
    )


def error_body(error: HTTPError) -> dict[str, Any]:
    return {"detail": error.detail, "code": error.code}
