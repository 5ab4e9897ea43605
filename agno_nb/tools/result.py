"""``ToolResult``: a tool's answer that carries media (images, audio) besides its text.

The tool message holds the text: providers take only text there (OpenAI rejects images in tool
messages). The media are shown to the model in a user message right after the turn's tool messages,
when the model can see them; stored history keeps references, never the bytes (``media.strip_media``).
"""

from __future__ import annotations

from typing import Any, Sequence

__all__ = ["ToolResult"]


class ToolResult:
    """Text for the model's tool message, media (``agno_nb.media`` objects) to show it, and raw ``data``."""

    __slots__ = ("content", "media", "data")

    def __init__(self, content: str, media: Sequence[Any] = (), data: Any = None):
        self.content = content
        self.media = list(media)
        #: the structured value behind the text, when the tool gave one (MCP ``structuredContent``)
        self.data = data

    def model_dump(self, mode: str = "json") -> dict[str, Any]:
        """What traces and stored events keep: the text and media references (no bytes)."""
        dumped: dict[str, Any] = {"content": self.content, "media": [m.reference() for m in self.media]}
        if self.data is not None:
            dumped["data"] = self.data
        return dumped

    def __str__(self) -> str:
        return self.content

    def __repr__(self) -> str:
        return f"ToolResult({self.content[:60]!r}, media={self.media!r})"


def media_message(results: Sequence[Any], model: Any) -> dict[str, Any] | None:
    """The user message that shows the model the media of this turn's ``ToolResult``s (``None``: none).

    A model that cannot see images (LiteLLM's model map) keeps only the tool text, which says what the
    media were.
    """
    media = [m for r in results if isinstance(r, ToolResult) for m in r.media]
    if not media or model.supports("supports_vision") is False:
        return None
    parts: list[dict[str, Any]] = [{"type": "text", "text": "Media returned by the tool calls above:"}]
    parts += [m.to_part() for m in media]
    return {"role": "user", "content": parts}
