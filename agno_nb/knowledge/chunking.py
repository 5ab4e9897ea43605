"""Chunkers: a document's text cut into the pieces that are embedded and searched.

- ``FixedSizeChunker``: windows of ``size`` characters with ``overlap``, cut at a space when one is near.
- ``RecursiveChunker``: paragraphs, then lines, sentences and words, merged up to ``size``.
- ``MarkdownChunker``: one chunk per heading section (the heading path kept as ``heading`` metadata),
  long sections split recursively with their heading repeated on top.
- ``RowChunker``: the whole document is one chunk (a table row, a short record).
- ``AutoChunker`` (the default): markdown for markdown, HTML and DOCX; rows for tables; recursive else.

Any callable ``text -> list[str]`` is a chunker too. Sizes are characters: the offline embedder reads
256 tokens, about 1,000 characters of English, so the default size fills its window without truncation.
"""

from __future__ import annotations

import re
from typing import Any, Callable, Union

from .documents import Document
from .errors import KnowledgeError

__all__ = ["Chunker", "FixedSizeChunker", "RecursiveChunker", "MarkdownChunker", "RowChunker", "AutoChunker",
           "get_chunker", "ChunkerLike"]

Piece = tuple[str, dict[str, Any]]


class Chunker:
    """Base class: ``split(document)`` returns ``(text, extra metadata)`` pieces.

    ``signature`` names the chunker and its settings; it is part of each document's content hash, so
    changing the chunking re-chunks documents on the next ingest instead of keeping stale chunks.
    """

    signature = "chunker"

    def split(self, document: Document) -> list[Piece]:
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.signature})"


class _Sized(Chunker):
    def __init__(self, size: int = 1000, overlap: int = 100):
        if size < 50:
            raise KnowledgeError(f"chunk size must be at least 50 characters, got {size}.")
        if not 0 <= overlap < size // 2:
            raise KnowledgeError(f"overlap must be between 0 and half the chunk size ({size // 2}), "
                                 f"got {overlap}.")
        self.size = size
        self.overlap = overlap


class FixedSizeChunker(_Sized):
    """Windows of ``size`` characters, each starting ``size - overlap`` after the last."""

    @property
    def signature(self) -> str:  # type: ignore[override]
        return f"fixed:{self.size}:{self.overlap}"

    def split(self, document: Document) -> list[Piece]:
        return [(text, {}) for text in fixed_windows(document.content, self.size, self.overlap)]


def fixed_windows(text: str, size: int, overlap: int) -> list[str]:
    text = text.strip()
    chunks, start = [], 0
    while start < len(text):
        end = min(start + size, len(text))
        if end < len(text):
            space = text.rfind(" ", start + size * 4 // 5, end)
            if space > start:
                end = space
        chunk = text[start:end].strip()
        if chunk:
            chunks.append(chunk)
        if end >= len(text):
            break
        start = max(end - overlap, start + 1)
        if overlap and start > 0 and text[start - 1] != " ":  # start the overlap at a word
            space = text.find(" ", start, end)
            start = space + 1 if space != -1 else start
    return chunks


class RecursiveChunker(_Sized):
    """Split at the coarsest boundary that fits: paragraphs, lines, sentences, words, then characters."""

    SEPARATORS = ("\n\n", "\n", ". ", "? ", "! ", "; ", ", ", " ")

    @property
    def signature(self) -> str:  # type: ignore[override]
        return f"recursive:{self.size}:{self.overlap}"

    def split(self, document: Document) -> list[Piece]:
        return [(text, {}) for text in recursive_split(document.content, self.size, self.overlap)]


def recursive_split(text: str, size: int, overlap: int,
                    separators: tuple[str, ...] = RecursiveChunker.SEPARATORS) -> list[str]:
    text = text.strip()
    if len(text) <= size:
        return [text] if text else []
    pieces = _pieces(text, size, separators)
    chunks: list[str] = []
    current: list[str] = []
    length = 0
    for piece in pieces:
        if current and length + len(piece) > size:
            chunks.append("".join(current).strip())
            # carry the tail of the chunk over, up to ``overlap`` characters, as the next chunk's start
            carried: list[str] = []
            kept = 0
            for previous in reversed(current):
                if kept + len(previous) > overlap:
                    break
                carried.insert(0, previous)
                kept += len(previous)
            current, length = carried, kept
        current.append(piece)
        length += len(piece)
    if current:
        chunks.append("".join(current).strip())
    return [c for c in chunks if c]


def _pieces(text: str, size: int, separators: tuple[str, ...]) -> list[str]:
    """``text`` cut into pieces no longer than ``size``, each keeping its separator at its end."""
    for index, separator in enumerate(separators):
        if separator not in text:
            continue
        parts = text.split(separator)
        pieces: list[str] = []
        for i, part in enumerate(parts):
            piece = part + (separator if i < len(parts) - 1 else "")
            if len(piece) > size:
                pieces.extend(_pieces(piece, size, separators[index + 1:]))
            elif piece:
                pieces.append(piece)
        return pieces
    return [text[i:i + size] for i in range(0, len(text), size)]


_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")


class MarkdownChunker(_Sized):
    """One chunk per section; ``heading`` metadata holds the path (``Install > Linux``)."""

    @property
    def signature(self) -> str:  # type: ignore[override]
        return f"markdown:{self.size}:{self.overlap}"

    def split(self, document: Document) -> list[Piece]:
        pieces: list[Piece] = []
        for path, heading_line, body in markdown_sections(document.content):
            meta = {"heading": " > ".join(path)} if path else {}
            section = f"{heading_line}\n{body}".strip() if heading_line else body.strip()
            if not body.strip():
                continue  # a heading directly followed by a sub-heading: the sub-section carries it
            if len(section) <= self.size:
                pieces.append((section, meta))
                continue
            prefix = f"{heading_line}\n" if heading_line else ""
            for text in recursive_split(body, self.size - len(prefix), self.overlap):
                pieces.append((prefix + text, meta))
        return pieces


def markdown_sections(text: str) -> list[tuple[list[str], str, str]]:
    """(heading path, heading line, body) per section; headings inside code fences are not headings."""
    sections: list[tuple[list[str], str, str]] = []
    stack: list[tuple[int, str]] = []
    heading_line, body, fenced = "", [], False
    for line in text.splitlines():
        if line.lstrip().startswith(("```", "~~~")):
            fenced = not fenced
        match = None if fenced else _HEADING.match(line)
        if match is None:
            body.append(line)
            continue
        sections.append(([h for _, h in stack], heading_line, "\n".join(body)))
        level, title = len(match.group(1)), match.group(2).strip()
        stack = [(lvl, h) for lvl, h in stack if lvl < level] + [(level, title)]
        heading_line, body = line.strip(), []
    sections.append(([h for _, h in stack], heading_line, "\n".join(body)))
    return sections


class RowChunker(Chunker):
    """The document is one chunk: for rows of a table and other short records."""

    signature = "row"

    def split(self, document: Document) -> list[Piece]:
        text = document.content.strip()
        return [(text, {})] if text else []


class AutoChunker(Chunker):
    """Markdown-aware for structured text, one chunk per row for records, recursive otherwise."""

    def __init__(self, size: int = 1000, overlap: int = 100):
        self.markdown = MarkdownChunker(size, overlap)
        self.recursive = RecursiveChunker(size, overlap)
        self.row = RowChunker()

    @property
    def signature(self) -> str:  # type: ignore[override]
        return f"auto:{self.markdown.size}:{self.markdown.overlap}"

    def split(self, document: Document) -> list[Piece]:
        if document.kind == "row":
            # a long record (a review, a ticket) still has to fit the embedder's window
            if len(document.content) <= self.recursive.size:
                return self.row.split(document)
            return self.recursive.split(document)
        if document.kind == "markdown":
            return self.markdown.split(document)
        return self.recursive.split(document)


class _CallableChunker(Chunker):
    def __init__(self, fn: Callable[..., Any]):
        self.fn = fn
        self.signature = f"callable:{getattr(fn, '__module__', '')}.{getattr(fn, '__qualname__', repr(fn))}"

    def split(self, document: Document) -> list[Piece]:
        try:
            result = self.fn(document.content)
        except TypeError:
            result = self.fn(document)
        pieces: list[Piece] = []
        for item in result or ():
            if isinstance(item, str):
                pieces.append((item, {}))
            elif isinstance(item, tuple) and len(item) == 2:
                pieces.append((str(item[0]), dict(item[1] or {})))
            else:
                raise KnowledgeError(f"chunker {self.signature} returned {type(item).__name__}; return "
                                     f"strings or (text, metadata) pairs.")
        return [(t, m) for t, m in pieces if t.strip()]


ChunkerLike = Union[Chunker, str, Callable[..., Any], None]
_NAMES = {"fixed": FixedSizeChunker, "recursive": RecursiveChunker, "markdown": MarkdownChunker,
          "auto": AutoChunker}


def get_chunker(spec: ChunkerLike = None) -> Chunker:
    """A chunker from an object, a callable or a name: ``auto``, ``fixed``, ``recursive``, ``markdown``,
    ``row``, optionally with size and overlap (``recursive:800:80``)."""
    if spec is None:
        return AutoChunker()
    if isinstance(spec, Chunker):
        return spec
    if isinstance(spec, str):
        name, *numbers = spec.strip().lower().split(":")
        if name == "row" and not numbers:
            return RowChunker()
        cls = _NAMES.get(name)
        if cls is None or len(numbers) > 2 or not all(n.isdigit() for n in numbers):
            raise KnowledgeError(f"Unknown chunker {spec!r}; use auto, fixed, recursive, markdown or row, "
                                 f"optionally with size and overlap, e.g. 'recursive:800:80'.")
        return cls(*(int(n) for n in numbers))
    if callable(spec):
        return _CallableChunker(spec)
    raise KnowledgeError(f"chunker must be a Chunker, a name or a callable, got {type(spec).__name__}.")
