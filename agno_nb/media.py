"""Images, audio, video and files as run input: ``agent.run("...", images=[Image(path="chart.png")])``.

Each becomes the content part LiteLLM and OpenAI-compatible providers expect. Before a call, the
model's capabilities (LiteLLM's model map) are checked, so unsupported media fails with a clear
error instead of a provider 400. Stored history keeps a reference (source and sha256), never the
bytes: Agno's sessions grew to hundreds of MB from inline base64.
"""

from __future__ import annotations

import base64
import hashlib
import mimetypes
import os
from typing import Any, Iterable

from .errors import ConfigurationError

__all__ = ["Media", "Image", "Audio", "Video", "File", "media_parts", "strip_media", "check_support"]

#: media kind -> the model-map capability that allows it
_CAPABILITY = {"image": "supports_vision", "audio": "supports_audio_input", "video": "supports_video_input",
               "file": "supports_pdf_input"}


class Media:
    """One piece of media from exactly one source: ``url``, ``path`` or ``content`` (bytes)."""

    __slots__ = ("url", "path", "content", "mime_type", "name", "_sha256")
    kind = "media"

    def __init__(self, *, url: str | None = None, path: str | os.PathLike[str] | None = None,
                 content: bytes | None = None, mime_type: str | None = None, name: str | None = None):
        sources = [s for s in (url, path, content) if s is not None]
        if len(sources) != 1:
            raise ConfigurationError(f"{type(self).__name__} needs exactly one of url=, path= or content= "
                                     f"(got {len(sources)}).")
        self.url = url
        self.path = os.fspath(path) if path is not None else None
        if self.path is not None and not os.path.isfile(self.path):
            raise ConfigurationError(f"{type(self).__name__}: no file at {self.path!r}.")
        self.content = content
        guessed = mimetypes.guess_type(self.path or self.url or "")[0]
        self.mime_type = mime_type or guessed or _DEFAULT_MIME[self.kind]
        self.name = name or (os.path.basename(self.path) if self.path else None)
        self._sha256: str | None = None

    def data(self) -> bytes:
        """The bytes (read from ``path`` on demand). URL media has none until fetched by the caller."""
        if self.content is not None:
            return self.content
        if self.path is not None:
            with open(self.path, "rb") as handle:
                return handle.read()
        raise ConfigurationError(f"{type(self).__name__} from a URL has no local bytes.")

    @property
    def sha256(self) -> str | None:
        if self._sha256 is None and self.url is None:
            self._sha256 = hashlib.sha256(self.data()).hexdigest()
        return self._sha256

    def data_uri(self) -> str:
        return f"data:{self.mime_type};base64,{base64.b64encode(self.data()).decode()}"

    def to_part(self) -> dict[str, Any]:
        """The content part sent to the model."""
        raise NotImplementedError  # pragma: no cover - every kind below implements it

    def reference(self) -> dict[str, Any]:
        """What history keeps instead of the bytes."""
        ref = {"type": "media_ref", "kind": self.kind, "mime_type": self.mime_type, "sha256": self.sha256}
        if self.url:
            ref["url"] = self.url
        if self.path:
            ref["path"] = self.path
        if self.name:
            ref["name"] = self.name
        return ref

    def __repr__(self) -> str:
        source = self.url or self.path or f"{len(self.content or b'')} bytes"
        return f"{type(self).__name__}({source!r}, {self.mime_type})"


class Image(Media):
    __slots__ = ("detail",)
    kind = "image"

    def __init__(self, *, detail: str | None = None, **source: Any):
        super().__init__(**source)
        self.detail = detail

    def to_part(self) -> dict[str, Any]:
        image_url: dict[str, Any] = {"url": self.url or self.data_uri()}
        if self.detail:
            image_url["detail"] = self.detail
        return {"type": "image_url", "image_url": image_url}


class Audio(Media):
    __slots__ = ()
    kind = "audio"

    def to_part(self) -> dict[str, Any]:
        # Providers take audio as base64 data only; URL audio is fetched before the call (see media_parts).
        fmt = (self.mime_type.split("/")[-1] or "wav").replace("mpeg", "mp3").replace("x-wav", "wav")
        return {"type": "input_audio", "input_audio": {"data": base64.b64encode(self.data()).decode(),
                                                       "format": fmt}}


class Video(Media):
    __slots__ = ()
    kind = "video"

    def to_part(self) -> dict[str, Any]:
        if self.url:
            return {"type": "file", "file": {"file_id": self.url, "format": self.mime_type}}
        return {"type": "file", "file": {"file_data": self.data_uri(), "format": self.mime_type}}


class File(Media):
    __slots__ = ()
    kind = "file"

    def to_part(self) -> dict[str, Any]:
        if self.url:
            return {"type": "file", "file": {"file_id": self.url, "format": self.mime_type}}
        file: dict[str, Any] = {"file_data": self.data_uri()}
        if self.name:
            file["filename"] = self.name
        return {"type": "file", "file": file}


_DEFAULT_MIME = {"image": "image/png", "audio": "audio/wav", "video": "video/mp4", "file": "application/pdf",
                 "media": "application/octet-stream"}


def check_support(model: Any, media: Iterable[Media]) -> None:
    """Refuse media the model cannot take, before any call (unknown models are given the benefit)."""
    kinds = sorted({m.kind for m in media})
    for kind in kinds:
        allowed = model.supports(_CAPABILITY[kind])
        if allowed is False:
            raise ConfigurationError(
                f"Model {model.id!r} does not accept {kind} input (LiteLLM's model map: "
                f"{_CAPABILITY[kind]} is false). Use a model that does, e.g. 'openai/gpt-4o-mini' for images "
                f"and files, or 'openai/gpt-4o-audio-preview' for audio.")


async def media_parts(media: Iterable[Media]) -> list[dict[str, Any]]:
    """Content parts for the user message; audio given by URL is downloaded first."""
    parts = []
    for item in media:
        if isinstance(item, Audio) and item.url:
            item = Audio(content=await _fetch(item.url), mime_type=item.mime_type, name=item.name)
        parts.append(item.to_part())
    return parts


async def _fetch(url: str) -> bytes:
    import aiohttp

    async with aiohttp.ClientSession(trust_env=True) as session:
        async with session.get(url, timeout=aiohttp.ClientTimeout(total=60)) as response:
            if response.status >= 400:
                raise ConfigurationError(f"Could not download {url}: HTTP {response.status}.")
            return await response.read()


def strip_media(messages: list[dict[str, Any]], media: list[Media] = ()) -> list[dict[str, Any]]:
    """The messages with media parts replaced by references (for storage).

    ``media`` (the run's own objects, in order) gives references with paths and names; parts without
    one (a continued run's, say) are described from the part itself: the sha256 of inline data, or the URL.
    """
    refs = [m.reference() for m in media]
    stripped = []
    for message in messages:
        content = message.get("content")
        if isinstance(content, list) and any(p.get("type") in _MEDIA_PARTS for p in content):
            kept = []
            for part in content:
                if part.get("type") in _MEDIA_PARTS:
                    kept.append(refs.pop(0) if refs else _reference_of_part(part))
                else:
                    kept.append(part)
            message = {**message, "content": kept}
        stripped.append(message)
    return stripped


_MEDIA_PARTS = {"image_url": "image", "input_audio": "audio", "file": "file"}


def _reference_of_part(part: dict[str, Any]) -> dict[str, Any]:
    kind = _MEDIA_PARTS[part["type"]]
    body = part.get(part["type"]) or {}
    source = body.get("url") or body.get("data") or body.get("file_data") or body.get("file_id") or ""
    ref: dict[str, Any] = {"type": "media_ref", "kind": kind, "mime_type": body.get("format")}
    if source.startswith("data:") or part["type"] == "input_audio":
        header, _, data = source.partition(",") if source.startswith("data:") else ("", "", source)
        ref["mime_type"] = header[5:].split(";")[0] or ref["mime_type"]
        ref["sha256"] = hashlib.sha256(base64.b64decode(data or b"")).hexdigest()
    else:
        ref["url"], ref["sha256"] = source, None
    if body.get("filename"):
        ref["name"] = body["filename"]
    return ref


def describe_refs(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """History from storage: media references become short text notes (the bytes are not resent)."""
    out = []
    for message in messages:
        content = message.get("content")
        if isinstance(content, list) and any(p.get("type") == "media_ref" for p in content):
            parts = [p if p.get("type") != "media_ref" else
                     {"type": "text", "text": f"[{p['kind']} shared earlier: {p.get('name') or p.get('url') or p.get('path') or ''}"
                                              f" sha256={str(p.get('sha256'))[:12]}]"} for p in content]
            message = {**message, "content": parts}
        out.append(message)
    return out
