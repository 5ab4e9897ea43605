"""Request helpers shared by the routes: the caller (``principal``), JSON responses, reading bodies."""

from __future__ import annotations

import json
from typing import Any

from fastapi import Request, Response

from ..storage.records import to_json
from .auth import ANONYMOUS, Principal
from .errors import HTTPError
from .middleware import PRINCIPAL_KEY

__all__ = ["principal", "json_response", "read_body", "parse_bool", "parse_object", "check_id"]


async def principal(request: Request) -> Principal:
    """The caller; 401 when auth is on and the credentials do not prove who they are.

    Called by each route itself rather than through ``Depends``: FastAPI's dependency solving costs about
    a quarter of a millisecond per request, more than the rest of a route. ``create_app`` documents the
    Bearer scheme in the OpenAPI document when auth is on.
    """
    auth = request.app.state.agno.auth
    found = ANONYMOUS if auth is None else await auth.authenticate(request.headers.get("authorization"))
    request.scope[PRINCIPAL_KEY] = found
    return found


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """JSON bytes straight from our serializer (not FastAPI's encoder: slower, and it fails on tool
    results)."""
    try:
        body = json.dumps(data, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    except (TypeError, ValueError):
        body = to_json(data) or "null"
    return Response(body.encode(), status_code=status, media_type="application/json", headers=headers)


async def read_body(request: Request, *, allow_form: bool = True) -> tuple[dict[str, Any], list[Any]]:
    """The body as fields (JSON object, or form fields) and uploaded files (multipart)."""
    kind = (request.headers.get("content-type") or "").split(";", 1)[0].strip().lower()
    if kind == "application/json" or (not kind and not allow_form):
        raw = await request.body()
        if not raw.strip():
            raise HTTPError(422, "The body is empty; send a JSON object.")
        try:
            data = json.loads(raw)
        except (ValueError, UnicodeDecodeError) as exc:
            raise HTTPError(400, f"The body is not valid JSON: {exc}.") from None
        if not isinstance(data, dict):
            raise HTTPError(422, f"Send a JSON object, not a {type(data).__name__}.")
        return data, []
    if allow_form and kind in ("application/x-www-form-urlencoded", "multipart/form-data"):
        from starlette.datastructures import UploadFile

        try:
            form = await request.form()
        except HTTPError:
            raise
        except Exception as exc:  # a malformed multipart body
            raise HTTPError(400, f"The form body cannot be parsed: {exc}.") from None
        fields: dict[str, Any] = {}
        files: list[Any] = []
        for key, value in form.multi_items():
            if isinstance(value, UploadFile):
                files.append(value)
            elif key in fields:
                raise HTTPError(422, f"The form field {key!r} is given twice.")
            else:
                fields[key] = value
        return fields, files
    if not kind:
        raw = await request.body()
        if not raw:
            raise HTTPError(
                422, "The body is empty: send JSON (Content-Type: application/json) or form fields."
            )
    accepted = (
        "application/json, application/x-www-form-urlencoded or multipart/form-data"
        if allow_form
        else "application/json"
    )
    raise HTTPError(415, f"Content-Type {kind or 'missing'!r} is not accepted here; send {accepted}.")


def parse_bool(fields: dict[str, Any], name: str, default: bool) -> bool:
    value = fields.get(name, default)
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in _BOOLS:
        return _BOOLS[value.strip().lower()]
    raise HTTPError(422, f"{name} must be true or false, got {_show(value)}.")


_BOOLS = {
    "true": True,
    "1": True,
    "yes": True,
    "on": True,
    "false": False,
    "0": False,
    "no": False,
    "off": False,
}


def parse_object(fields: dict[str, Any], name: str) -> dict[str, Any] | None:
    """A JSON object field (form fields carry it as JSON text)."""
    value = fields.get(name)
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise HTTPError(422, f"{name} must be a JSON object; the text given is not JSON.") from None
    if not isinstance(value, dict):
        raise HTTPError(422, f"{name} must be a JSON object, got {_show(value)}.")
    return value


def check_id(value: Any, name: str) -> str | None:
    """An optional id from the client: a short printable string."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise HTTPError(422, f"{name} must be a string, got {_show(value)}.")
    if len(value) > 256 or not value.isprintable():
        raise HTTPError(422, f"{name} must be at most 256 printable characters.")
    return value


def _show(value: Any) -> str:
    text = json.dumps(value, default=str) if not isinstance(value, str) else repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
