"""MCP tool results as agno_nb tool results.

Text blocks become the tool message; images and audio become ``agno_nb.media`` objects the model is
shown after the turn (``ToolResult``); embedded resources are inlined (text) or become media (blobs);
resource links are named. A result with ``isError`` raises ``MCPToolError``, so it reaches the model
as a tool error and the trace as an error span.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from ..result import ToolResult
from .connection import MCPCallError

__all__ = ["MCPToolError", "tool_result", "prompt_text"]


class MCPToolError(MCPCallError):
    """The server ran the tool and reported a failure (``isError``); the message is the server's text."""


def tool_result(result: Any, tool_name: str) -> str | ToolResult:
    """A ``CallToolResult`` as the model and the trace should see it: text, or text with media."""
    if result.is_error:
        text = "\n".join(_texts(result.content, [])) or "the tool reported an error without a message"
        raise MCPToolError(text)
    media: list[Any] = []
    texts = _texts(result.content, media)
    structured = result.structured_content
    if not texts and structured is not None:
        texts = [json.dumps(structured, ensure_ascii=False, default=str)]
    text = "\n".join(texts)
    if not media:
        return text
    return ToolResult(text, media, structured)


def _texts(blocks: list[Any], media: list[Any]) -> list[str]:
    from ...media import Audio, File, Image

    texts = []
    for block in blocks:
        kind = block.type
        if kind == "text":
            texts.append(block.text)
        elif kind in ("image", "audio"):
            item = (Image if kind == "image" else Audio)(content=base64.b64decode(block.data),
                                                         mime_type=block.mime_type)
            media.append(item)
            texts.append(f"[{kind} {len(media)}: {block.mime_type}, {len(item.content or b'')} bytes]")
        elif kind == "resource":
            resource = block.resource
            uri = str(resource.uri)
            if getattr(resource, "text", None) is not None:
                texts.append(f"[resource {uri}]\n{resource.text}")
            else:
                mime = resource.mime_type or "application/octet-stream"
                data = base64.b64decode(resource.blob)
                cls = Image if mime.startswith("image/") else Audio if mime.startswith("audio/") else File
                media.append(cls(content=data, mime_type=mime, **({"name": uri} if cls is File else {})))
                texts.append(f"[resource {uri}: {mime}, {len(data)} bytes]")
        elif kind == "resource_link":
            about = f" ({block.description})" if block.description else ""
            texts.append(f"[resource link {block.name}: {block.uri}{about}]")
        else:  # a block type newer than this code: say so rather than drop it silently
            texts.append(f"[{kind} content]")
    return texts


def prompt_text(result: Any) -> str:
    """A rendered MCP prompt (``GetPromptResult``) as plain text, one ``role: text`` line per message."""
    lines = []
    for message in result.messages:
        content = message.content
        text = getattr(content, "text", None)
        if text is None and getattr(content, "type", "") == "resource":
            text = getattr(content.resource, "text", None) or f"[resource {content.resource.uri}]"
        lines.append(f"{message.role}: {text if text is not None else '[' + content.type + ']'}")
    return "\n".join(lines)
