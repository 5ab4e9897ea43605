"""Ingest: sources -> documents -> (what changed) chunks -> embeddings in batches -> Chroma + keyword index.

A document's content hash (text, metadata and chunker settings) decides what happens to it:

- unknown id: **added**;
- known id, same hash, all its chunks present: **unchanged**: not chunked, not embedded, not written;
- known id, other hash (or chunks missing after a crash): **replaced**: its chunks are rewritten under
  the same ids and the ones it no longer has are deleted.

Chunks are embedded ``batch`` at a time (not one by one), then written to Chroma and the keyword index.
A source that cannot be read is recorded in the report with its error and the batch goes on; a failure
of the embedder or of Chroma stops the ingest (they would fail for every other document too), after
recording which documents were not stored.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Sequence

from . import readers
from .chunking import Chunker
from .documents import Chunk, Document, IngestReport, clean_metadata
from .errors import KnowledgeError, UnsupportedSourceError

if TYPE_CHECKING:
    from .knowledge import Knowledge

__all__ = ["Source", "ingest"]

#: chunks embedded and written per step (the embedder batches within it, by length)
WRITE_BATCH = 512
#: from this many chunks to embed, a progress bar is shown (unless progress=False)
PROGRESS_FROM = 256


@dataclass
class Source:
    """One thing to add: a path/glob/folder, a URL, a text, or a DataFrame (with its options)."""

    kind: str  # path | url | text | dataframe
    value: Any
    name: str | None = None
    metadata: dict[str, Any] | None = None
    text_column: str | Sequence[str] | None = None
    metadata_columns: Sequence[str] | None = None
    id_column: str | None = None
    chunker: Chunker | None = None

    @property
    def label(self) -> str:
        if self.kind in ("path", "url"):
            return str(self.value)
        return self.name or self.kind

    def options(self) -> dict[str, Any]:
        return {"text_column": self.text_column, "metadata_columns": self.metadata_columns,
                "id_column": self.id_column}


async def read_source(source: Source, report: IngestReport) -> list[Document]:
    """The documents of one source; failures go into the report and give no documents."""
    try:
        if source.kind == "text":
            if not isinstance(source.value, str) or not source.value.strip():
                raise ValueError("the text is empty: there is no text to index")
            return [readers.read_text(source.value, name=source.name)]
        if source.kind == "dataframe":
            name = source.name or "dataframe"
            return await asyncio.to_thread(readers.read_dataframe, source.value, name=name,
                                           **source.options())
        if source.kind == "url":
            data, content_type = await readers.fetch_url(source.value)
            return await asyncio.to_thread(readers.read_bytes, source.value, data, content_type,
                                           **source.options())
        files, skipped = await asyncio.to_thread(readers.expand_path, source.value)
        report.skipped.extend(skipped)
        documents: list[Document] = []
        for path in files:
            try:
                documents.extend(await asyncio.to_thread(readers.read_file, path, **source.options()))
            except Exception as exc:  # this file only: the others still go in
                report.fail(readers.source_name(path), exc)
        return documents
    except (UnsupportedSourceError, FileNotFoundError) as exc:
        report.fail(source.label, str(exc))
    except Exception as exc:
        report.fail(source.label, exc)
    return []


def _chunks(document: Document, chunker: Chunker, content_hash: str) -> list[Chunk]:
    pieces = chunker.split(document)
    chunks = []
    for index, (text, extra) in enumerate(pieces):
        metadata = {**document.metadata, **extra, "source": document.source, "doc_id": document.id,
                    "content_hash": content_hash, "chunk_index": index, "chunk_count": len(pieces)}
        chunks.append(Chunk(f"{document.id}#{index}", text, metadata))
    return chunks


async def ingest(kb: "Knowledge", sources: Sequence[Source], *, progress: bool | None = None) -> IngestReport:
    report = IngestReport()
    started = time.perf_counter()
    await kb._aopen()
    # 1. read (concurrently: URLs and files overlap), keep the last document of each id
    batches = await asyncio.gather(*(read_source(s, report) for s in sources))
    documents: dict[str, tuple[Document, Chunker]] = {}
    for source, docs in zip(sources, batches):
        for doc in docs:
            try:
                doc.metadata = clean_metadata({**doc.metadata, **(source.metadata or {})}, doc.source)
            except KnowledgeError as exc:
                report.fail(doc.source, str(exc))
                continue
            documents[doc.id] = (doc, source.chunker or kb.chunker)
    # 2. what changed, by content hash
    known = await asyncio.to_thread(kb.index.documents, list(documents))
    pending: list[tuple[Document, str, bool]] = []  # document, hash, existed
    for doc_id, (doc, chunker) in documents.items():
        content_hash = doc.content_hash(chunker.signature)
        stored_hash, _ = known.get(doc_id, (None, 0))
        if stored_hash == content_hash:
            report.unchanged.append(doc_id)
        else:
            pending.append((doc, content_hash, doc_id in known))
    if not pending:
        report.duration = time.perf_counter() - started
        return report
    # 3. chunk
    work: list[tuple[Document, bool, list[Chunk]]] = []
    for doc, content_hash, existed in pending:
        try:
            chunks = _chunks(doc, documents[doc.id][1], content_hash)
        except Exception as exc:
            report.fail(doc.source, exc)
            continue
        if not chunks:
            report.fail(doc.source, "the document is empty after chunking: there is no text to index")
            continue
        work.append((doc, existed, chunks))
    total = sum(len(chunks) for _, _, chunks in work)
    # 4. embed and write, batch by batch; the keyword index is marked dirty until the end
    await asyncio.to_thread(kb._begin_write)
    bar = _progress_bar(total, kb.name, progress)
    stored: list[tuple[Document, bool, list[Chunk]]] = []
    failed = True
    try:
        queue = [(item, chunk) for item in work for chunk in item[2]]
        for start in range(0, len(queue), WRITE_BATCH):
            batch = queue[start:start + WRITE_BATCH]
            chunks = [chunk for _, chunk in batch]
            embeddings = await kb.embedder.aembed([c.content for c in chunks])
            kb._check_dimensions(embeddings)
            await asyncio.to_thread(kb._write_chunks, chunks, embeddings)
            report.chunks += len(chunks)
            if bar is not None:
                bar.update(len(chunks))
            for item, chunk in batch:
                if chunk.metadata["chunk_index"] == chunk.metadata["chunk_count"] - 1:
                    stored.append(item)
        # 5. chunks that replaced documents no longer have
        for doc, existed, chunks in stored:
            if existed:
                keep = {c.id for c in chunks}
                stale = [i for i in await asyncio.to_thread(kb.index.chunk_ids, doc.id) if i not in keep]
                if stale:
                    await asyncio.to_thread(kb._delete_chunks, stale)
            (report.replaced if existed else report.added).append(doc.id)
        failed = False
    except BaseException as exc:
        done = {doc.id for doc, _, _ in stored}
        for doc, _, _ in work:
            if doc.id not in done:
                report.fail(doc.source, exc if isinstance(exc, Exception) else "the ingest was interrupted")
        if not isinstance(exc, Exception):
            raise
        if isinstance(exc, KnowledgeError) and report.chunks == 0:
            raise  # nothing could be stored at all (server down, embedder mismatch): say so loudly
    finally:
        if bar is not None:
            bar.close()
        try:
            await asyncio.to_thread(kb._end_write, failed)
        except Exception as exc:  # the collection is unreachable now: the index stays dirty, repaired on open
            if not failed:
                raise
            report.fail(kb.store.location, f"the keyword index could not be repaired yet: {exc}")
    report.duration = time.perf_counter() - started
    return report


def _progress_bar(total: int, name: str, progress: bool | None) -> Any:
    if progress is False or (progress is None and total < PROGRESS_FROM):
        return None
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return None
    return tqdm(total=total, desc=f"embedding {name}", unit="chunk", leave=False)
