"""What flows through a knowledge base: documents in, chunks stored, results out, a report per ingest."""

from __future__ import annotations

import hashlib
import html
import json
from typing import Any

__all__ = ["Document", "Chunk", "SearchResult", "IngestReport", "SourceError", "RESERVED_FIELDS",
           "clean_metadata"]

#: metadata keys agno_nb sets on every chunk; user metadata may not use them
RESERVED_FIELDS = frozenset({"doc_id", "content_hash", "chunk_index", "chunk_count"})


class Document:
    """One unit of content as a reader produced it: a file, a PDF page, a table row, a web page.

    ``id`` identifies the document across ingests (a path, a URL, a row key): adding a document with a
    known id and new content replaces its chunks; with the same content it costs nothing.
    """

    __slots__ = ("id", "content", "source", "metadata", "kind")

    def __init__(self, content: str, *, id: str, source: str, metadata: dict[str, Any] | None = None,
                 kind: str = "text"):
        self.id = id
        self.content = content
        self.source = source
        self.metadata = metadata or {}
        #: how the text is structured: ``markdown`` (headings), ``text`` or ``row`` (one record)
        self.kind = kind

    def content_hash(self, chunker_signature: str) -> str:
        """What decides whether re-adding this document changes anything: text, metadata and chunking."""
        digest = hashlib.sha256()
        for part in (self.content, json.dumps(self.metadata, sort_keys=True, default=str), chunker_signature):
            digest.update(part.encode("utf-8", "surrogatepass"))
            digest.update(b"\x00")
        return digest.hexdigest()[:32]

    def __repr__(self) -> str:
        return f"Document(id={self.id!r}, {len(self.content):,} chars)"


class Chunk:
    """A piece of a document as stored: its text and the metadata search results carry."""

    __slots__ = ("id", "content", "metadata")

    def __init__(self, id: str, content: str, metadata: dict[str, Any]):
        self.id = id
        self.content = content
        self.metadata = metadata

    def __repr__(self) -> str:
        return f"Chunk(id={self.id!r}, {len(self.content):,} chars)"


class SearchResult:
    """One retrieved chunk: ``content``, ``source``, ``score`` (higher is better) and ``metadata``.

    ``scores`` holds every score known for the chunk: ``vector`` (cosine similarity), ``keyword``
    (BM25), ``hybrid`` (reciprocal rank fusion) and ``rerank``; ``search_type`` says which produced
    ``score``.
    """

    __slots__ = ("id", "content", "metadata", "score", "scores", "search_type")

    def __init__(self, id: str, content: str, metadata: dict[str, Any], score: float, search_type: str,
                 scores: dict[str, float] | None = None):
        self.id = id
        self.content = content
        self.metadata = metadata
        self.score = score
        self.search_type = search_type
        self.scores = scores if scores is not None else {search_type: score}

    @property
    def source(self) -> str:
        return self.metadata.get("source", "")

    @property
    def name(self) -> str:
        """Agno's ``Document.name``: the source."""
        return self.source

    def to_dict(self) -> dict[str, Any]:
        """A JSON-friendly reference (what the trace, the store and ``RunOutput.references`` keep)."""
        return {"id": self.id, "content": self.content, "source": self.source, "score": round(self.score, 6),
                "search_type": self.search_type, "scores": {k: round(v, 6) for k, v in self.scores.items()},
                "metadata": {k: v for k, v in self.metadata.items() if k not in RESERVED_FIELDS}}

    def __repr__(self) -> str:
        text = self.content if len(self.content) <= 60 else self.content[:57] + "..."
        return f"SearchResult({self.search_type} {self.score:.4f}, source={self.source!r}, {text!r})"


class SourceError:
    """A source that could not be read or stored; the rest of the ingest went on."""

    __slots__ = ("source", "error")

    def __init__(self, source: str, error: str):
        self.source = source
        self.error = error

    def __repr__(self) -> str:
        return f"{self.source}: {self.error}"


class IngestReport:
    """What one ``add_content`` call did, per document: added, unchanged (no embedding), replaced, failed.

    ``errors`` names every source that failed and why; ``skipped`` lists files a folder or glob
    matched that no reader handles. ``chunks`` counts chunks written (embedded) by this call.
    """

    def __init__(self) -> None:
        self.added: list[str] = []
        self.unchanged: list[str] = []
        self.replaced: list[str] = []
        self.errors: list[SourceError] = []
        self.skipped: list[str] = []
        self.removed: list[str] = []
        self.chunks = 0
        self.duration = 0.0

    @property
    def failed(self) -> list[str]:
        return [e.source for e in self.errors]

    @property
    def ok(self) -> bool:
        return not self.errors

    def fail(self, source: str, error: BaseException | str) -> None:
        message = error if isinstance(error, str) else (str(error) or type(error).__name__)
        if not isinstance(error, str) and type(error).__name__ not in message:
            message = f"{type(error).__name__}: {message}"
        self.errors.append(SourceError(source, message))

    def summary(self) -> str:
        parts = [f"{len(self.added)} added", f"{len(self.unchanged)} unchanged",
                 f"{len(self.replaced)} replaced", f"{len(self.errors)} failed"]
        if self.removed:
            parts.append(f"{len(self.removed)} removed")
        if self.skipped:
            parts.append(f"{len(self.skipped)} skipped")
        return f"{', '.join(parts)}; {self.chunks:,} chunks embedded in {self.duration:.2f}s"

    def to_dict(self) -> dict[str, Any]:
        return {"added": self.added, "unchanged": self.unchanged, "replaced": self.replaced,
                "failed": [{"source": e.source, "error": e.error} for e in self.errors],
                "skipped": self.skipped, "removed": self.removed, "chunks": self.chunks,
                "duration": round(self.duration, 3)}

    def __repr__(self) -> str:
        lines = [f"IngestReport({self.summary()})"]
        lines += [f"  failed  {e.source}: {e.error}" for e in self.errors]
        lines += [f"  skipped {s}" for s in self.skipped]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        rows = "".join(f"<tr><td>failed</td><td>{html.escape(e.source)}</td><td>{html.escape(e.error)}"
                       f"</td></tr>" for e in self.errors)
        rows += "".join(f"<tr><td>skipped</td><td>{html.escape(s)}</td><td></td></tr>" for s in self.skipped)
        table = f"<table><tr><th></th><th>source</th><th>why</th></tr>{rows}</table>" if rows else ""
        color = "#cf222e" if self.errors else "#1a7f37"
        return f"<div><b style='color:{color}'>ingest</b>: {html.escape(self.summary())}{table}</div>"


def clean_metadata(metadata: dict[str, Any], where: str) -> dict[str, Any]:
    """Metadata as Chroma stores it: str, int, float, bool or lists of one of those; ``None`` is dropped,
    other values (dicts, dates) become text. Reserved keys are refused."""
    from .errors import KnowledgeError

    clash = RESERVED_FIELDS.intersection(metadata)
    if clash:
        raise KnowledgeError(f"{where}: the metadata keys {sorted(clash)} are reserved by agno_nb; "
                             f"rename them.")
    cleaned: dict[str, Any] = {}
    for key, value in metadata.items():
        if hasattr(value, "item") and callable(value.item) and not isinstance(value, (list, tuple)):
            try:  # numpy scalars (DataFrame cells)
                value = value.item()
            except (TypeError, ValueError):
                pass
        if value is None or (isinstance(value, float) and value != value):  # None and NaN: no value
            continue
        if not isinstance(key, str) or not key:
            raise KnowledgeError(f"{where}: metadata keys must be non-empty strings, got {key!r}.")
        if isinstance(value, (str, bool, int, float)):
            cleaned[key] = value
        elif isinstance(value, (list, tuple)) and value and len({type(v) for v in value}) == 1 \
                and isinstance(value[0], (str, int, float, bool)):
            cleaned[key] = list(value)  # Chroma takes lists of one scalar type
        else:
            cleaned[key] = json.dumps(value, default=str, ensure_ascii=False)
    return cleaned
