"""``Knowledge``: a searchable collection of documents in Chroma, for people and agents.

    kb = Knowledge("docs")                                  # ./kb, a Chroma folder next to the notebook
    kb.add_content(path="handbook/")                        # files, folders, globs, URLs, text, DataFrames
    kb.search("How many days can I work from home?")        # hybrid: vector + BM25, fused by rank
    Agent(knowledge=kb, search_knowledge=True)              # agentic RAG: a search_knowledge_base tool

Agno's spelling works too: ``Knowledge(vector_db=ChromaDb(collection="docs", path="kb",
persistent_client=True))``. Every method has an async twin (``aadd_content``, ``asearch``, ...); the sync
ones work inside notebooks (see ``agno_nb._sync``). chromadb and the embedding model load on first use.
"""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence, Union

from .._sync import run_sync
from .chroma import TOKEN_KEY, ChromaStore
from .chunking import ChunkerLike, get_chunker
from .documents import Chunk, IngestReport, SearchResult
from .embedders import Embedder, get_embedder
from .errors import EmbedderMismatchError, KnowledgeError
from .filters import normalize_filters, to_sql
from .ingest import Source, ingest
from .keyword import KeywordIndex
from .rerank import Reranker, get_reranker
from .search import hybrid_search, keyword_search, normalize_search_type, vector_search

if TYPE_CHECKING:
    from ..tools.function import Function

__all__ = ["Knowledge"]

Paths = Union[str, Path, Sequence[Union[str, Path]], None]
Columns = Union[str, Sequence[str], None]


class Knowledge:
    """Documents in a Chroma collection, with a BM25 keyword index kept in step, searchable three ways.

    Args:
        name: the knowledge base's name; also the collection name unless ``collection`` is given.
        path: the Chroma folder (default ``kb``, next to the notebook).
        client: a chromadb client, e.g. ``chromadb.HttpClient(host=..., port=...)`` for a Chroma server.
        host / port: a Chroma server, connected to on first use (an unreachable one is an error naming it).
        embedder: an ``Embedder`` or a model id (``openai/text-embedding-3-small``, any LiteLLM id);
            default: the offline all-MiniLM-L6-v2 (no network, no key).
        chunker: a ``Chunker``, a name (``auto``, ``fixed``, ``recursive``, ``markdown``, ``row``, with
            sizes: ``recursive:800:80``) or a callable ``text -> list[str]``; default ``auto``.
        reranker: ``True`` for the offline reranker, a LiteLLM rerank model id, a ``Reranker``; default none.
        search_type: the default of ``search`` and of agents' searches: ``hybrid``, ``vector`` or ``keyword``.
        max_results: the default number of results.
        description: what the knowledge base holds (agents are told).
        keyword_path: where the keyword index lives (default: inside the Chroma folder; for a server, the
            user's cache).
        vector_db: Agno's ``ChromaDb(...)``; its collection, location, embedder, search type and reranker
            are used.
        progress: show a progress bar for long ingests (default: from 256 chunks to embed).
        rrf_k / keyword_weight: reciprocal rank fusion's constant and the keyword list's weight.
        sync_interval: how often (seconds, at most) searches check whether another process changed
            the collection, to bring the keyword index up to date.
    """

    def __init__(self, name: str | None = None, *, path: str | Path | None = None, client: Any = None,
                 host: str | None = None, port: int | None = None, collection: str | None = None,
                 embedder: Embedder | str | None = None, chunker: ChunkerLike = None, reranker: Any = None,
                 search_type: Any = "hybrid", max_results: int = 5, description: str | None = None,
                 keyword_path: str | Path | None = None, vector_db: Any = None, progress: bool | None = None,
                 rrf_k: float = 2.0, keyword_weight: float = 0.5, sync_interval: float = 2.0,
                 contents_db: Any = None):
        if vector_db is not None:
            from .agno import ChromaDb

            if not isinstance(vector_db, ChromaDb):
                raise KnowledgeError(f"vector_db must be agno_nb.knowledge.ChromaDb(...), got "
                                     f"{type(vector_db).__name__} (knowledge lives in Chroma).")
            store = vector_db.store()
            embedder = embedder if embedder is not None else vector_db.embedder
            reranker = reranker if reranker is not None else vector_db.reranker
            if vector_db.search_type is not None and search_type == "hybrid":
                search_type = vector_db.search_type
            name = name or vector_db.collection
        else:
            collection = collection or _collection_name(name or "knowledge")
            store = ChromaStore(collection, path=path, client=client, host=host, port=port)
        self.name = name or store.name
        self.description = description
        self.store = store
        self.embedder: Embedder = get_embedder(embedder)
        self.chunker = get_chunker(chunker)
        self.reranker: Reranker | None = get_reranker(reranker)
        self.search_type = normalize_search_type(search_type)
        self.max_results = max_results
        self.progress = progress
        self.rrf_k = rrf_k
        self.keyword_weight = keyword_weight
        self.sync_interval = sync_interval
        self._keyword_path = Path(keyword_path) if keyword_path is not None else None
        self._index: KeywordIndex | None = None
        self._open_lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._checked_at = 0.0
        #: the last searched query and its embedding (a reranker's scores reuse it)
        self._query_vectors: tuple[str | None, Any] = (None, None)

    def __repr__(self) -> str:
        return (f"Knowledge({self.name!r}, {self.store.url}, embedder={self.embedder.id!r}, "
                f"search_type={self.search_type!r})")

    # ------------------------------------------------------------------------------- opening

    @property
    def index(self) -> KeywordIndex:
        if self._index is None:
            self._open()
        assert self._index is not None
        return self._index

    def _open(self) -> None:
        """Reach the collection, check the embedder, open (and if needed repair) the keyword index."""
        with self._open_lock:
            if self._index is not None:
                return
            self.store.collection(self.embedder.id, self.embedder.dimensions)
            self.store.check_embedder(self.embedder.id, self.embedder.dimensions)
            path = self._keyword_path or self.store.default_keyword_path()
            index = KeywordIndex(path)
            self._index = index
            self._sync_keyword(force=True)

    async def _aopen(self) -> None:
        if self._index is None:
            await asyncio.to_thread(self._open)
        elif self.sync_interval >= 0 and time.monotonic() - self._checked_at >= self.sync_interval:
            await asyncio.to_thread(self._sync_keyword)

    def _sync_keyword(self, force: bool = False) -> bool:
        """Bring the keyword index in line with the collection if it may differ; True if it was repaired."""
        index = self._index
        assert index is not None
        self._checked_at = time.monotonic()
        with self._write_lock:
            token = self.store.metadata().get(TOKEN_KEY)
            if not force and index.get_state("dirty") is None and token == index.get_state("token"):
                return False
            if index.get_state("dirty") is None and token == index.get_state("token") \
                    and index.count() == self.store.count():
                return False
            self._reconcile(token)
            return True

    def _reconcile(self, token: str | None) -> None:
        index, store = self.index_unchecked, self.store
        remote = dict(store.iter_hashes())
        local = index.hashes()
        stale = [i for i, h in local.items() if remote.get(i) != h]
        missing = [i for i, h in remote.items() if local.get(i) != h]
        index.delete(stale)
        for start in range(0, len(missing), 1000):
            found = store.get(missing[start:start + 1000])
            chunks = []
            for chunk_id, item in found.items():
                metadata = dict(item["metadata"])
                metadata.setdefault("doc_id", chunk_id)
                metadata.setdefault("content_hash", "")
                metadata.setdefault("chunk_count", 1)
                chunks.append(Chunk(chunk_id, item.get("content") or "", metadata))
            index.upsert(chunks)
        index.set_state(token=token, dirty=None)

    @property
    def index_unchecked(self) -> KeywordIndex:
        assert self._index is not None
        return self._index

    def sync_keyword_index(self) -> bool:
        """Compare the keyword index with the collection now and repair what differs (nothing is
        re-embedded). Searches do this on their own every ``sync_interval`` seconds."""
        if self._index is None:
            self._open()
            return True
        return self._sync_keyword(force=True)

    # -------------------------------------------------------------------------------- writing

    def _begin_write(self) -> None:
        self._write_lock.acquire()
        self.index_unchecked.set_state(dirty="1")

    def _write_chunks(self, chunks: Sequence[Chunk], embeddings: Any) -> None:
        self.store.upsert(chunks, embeddings)
        self.index_unchecked.upsert(chunks)

    def _delete_chunks(self, ids: Sequence[str]) -> None:
        self.store.delete(ids)
        self.index_unchecked.delete(ids)

    def _end_write(self, failed: bool = False) -> None:
        """Publish the write (a new token in the collection) and mark the index clean. After a failed
        write the two stores may differ: the index is repaired from the collection now, or stays dirty
        (and is repaired on the next open) if even that fails."""
        try:
            token = uuid.uuid4().hex
            self.store.update_metadata(**{TOKEN_KEY: token})
            if failed:
                self._reconcile(token)
            else:
                self.index_unchecked.set_state(token=token, dirty=None)
        finally:
            self._write_lock.release()

    def _check_dimensions(self, embeddings: Any) -> None:
        size = int(embeddings.shape[1]) if hasattr(embeddings, "shape") else len(embeddings[0])
        metadata = self.store.metadata()
        stored = metadata.get("agno_nb:dimensions")
        if stored and int(stored) != size:
            raise EmbedderMismatchError(
                f"{self.store.location} holds {stored}-dimensional vectors; the embedder "
                f"{self.embedder.id!r} made {size}-dimensional ones. Use the collection's embedder, or "
                f"another collection.")
        if not stored:
            self.store.update_metadata(**{"agno_nb:dimensions": size, "agno_nb:embedder": self.embedder.id})

    # ------------------------------------------------------------------------------- adding

    async def aadd_content(self, path: Paths = None, *, url: str | Sequence[str] | None = None,
                           text_content: str | None = None, dataframe: Any = None, name: str | None = None,
                           metadata: dict[str, Any] | None = None, text_column: Columns = None,
                           metadata_columns: Sequence[str] | None = None, id_column: str | None = None,
                           chunker: ChunkerLike = None, progress: bool | None = None,
                           **agno: Any) -> IngestReport:
        """Add content; return what happened to each document (added, unchanged, replaced, failed).

        Args:
            path: a file, a folder (recursively), a glob (``docs/**/*.md``), or a list of them.
            url: a web page or a file URL (or a list); the content type picks the reader.
            text_content: a string; ``name`` makes it a document that re-adding replaces.
            dataframe: a pandas DataFrame, one document per row: ``text_column`` (one or several) is the
                text, the other columns (or ``metadata_columns``) its metadata; ``id_column`` keys rows.
            name: the name of a text or DataFrame (its documents' source).
            metadata: added to every document of this call (filterable in searches).
            chunker: this call's chunker (default: the knowledge base's).
        """
        sources = _sources(path, url, text_content, dataframe, name, metadata, text_column, metadata_columns,
                           id_column, get_chunker(chunker) if chunker is not None else None, agno)
        return await ingest(self, sources, progress=self.progress if progress is None else progress)

    def add_content(self, path: Paths = None, **kwargs: Any) -> IngestReport:
        """Add content (see ``aadd_content``)."""
        return run_sync(self.aadd_content(path, **kwargs))

    def insert(self, path: Paths = None, **kwargs: Any) -> IngestReport:
        """Agno 3's name for ``add_content``."""
        return self.add_content(path, **kwargs)

    async def ainsert(self, path: Paths = None, **kwargs: Any) -> IngestReport:
        """Agno 3's name for ``aadd_content``."""
        return await self.aadd_content(path, **kwargs)

    async def aadd_contents(self, sources: Sequence[Any], *, metadata: dict[str, Any] | None = None,
                            progress: bool | None = None) -> IngestReport:
        """Several sources in one ingest: paths, globs, URLs, or dicts of ``add_content`` arguments."""
        specs: list[Source] = []
        for item in sources:
            if isinstance(item, dict):
                options = dict(item)
                merged = {**(metadata or {}), **(options.pop("metadata", None) or {})}
                chunker = options.pop("chunker", None)
                take = options.pop
                specs += _sources(take("path", None), take("url", None), take("text_content", None),
                                  take("dataframe", None), take("name", None), merged,
                                  take("text_column", None), take("metadata_columns", None),
                                  take("id_column", None), get_chunker(chunker) if chunker else None, options)
            elif isinstance(item, str) and item.startswith(("http://", "https://")):
                specs.append(Source("url", item, metadata=metadata))
            else:
                specs.append(Source("path", item, metadata=metadata))
        return await ingest(self, specs, progress=self.progress if progress is None else progress)

    def add_contents(self, sources: Sequence[Any], **kwargs: Any) -> IngestReport:
        return run_sync(self.aadd_contents(sources, **kwargs))

    # ------------------------------------------------------------------------------ removing

    async def aremove(self, doc_id: str | Sequence[str] | None = None, *, source: str | None = None,
                      filters: dict[str, Any] | None = None) -> list[str]:
        """Remove documents (all their chunks) by id, by source, or by a metadata filter; return their ids."""
        if doc_id is None and source is None and not filters:
            raise KnowledgeError("remove what? Give a document id, source=... or filters={...}; "
                                 "to empty the knowledge base use drop().")
        await self._aopen()
        conditions: list[dict[str, Any]] = []
        if doc_id is not None:
            conditions.append({"doc_id": [doc_id] if isinstance(doc_id, str) else list(doc_id)})
        if source is not None:
            conditions.append({"source": source})
        if filters:
            conditions.append(filters)
        node = normalize_filters({"$and": conditions} if len(conditions) > 1 else conditions[0],
                                 {*self.index.fields(), "doc_id", "source"})
        condition, args = to_sql(node)  # type: ignore[arg-type]
        ids = await asyncio.to_thread(self.index.ids_where, condition, args)
        if not ids:
            return []
        removed = sorted({i.rsplit("#", 1)[0] for i in ids})
        await asyncio.to_thread(self._begin_write)
        failed = True
        try:
            await asyncio.to_thread(self._delete_chunks, ids)
            failed = False
        finally:
            await asyncio.to_thread(self._end_write, failed)
        return removed

    def remove(self, doc_id: str | Sequence[str] | None = None, **kwargs: Any) -> list[str]:
        """Remove documents by id, ``source=`` or ``filters=`` (see ``aremove``)."""
        return run_sync(self.aremove(doc_id, **kwargs))

    def remove_content_by_id(self, content_id: str) -> list[str]:
        """Agno's name for ``remove(doc_id)``."""
        return self.remove(content_id)

    def remove_vectors_by_metadata(self, metadata: dict[str, Any]) -> list[str]:
        """Agno's name for ``remove(filters=metadata)``."""
        return self.remove(filters=metadata)

    def drop(self) -> None:
        """Delete the collection and the keyword index: everything in this knowledge base."""
        self.store.drop()
        if self._index is not None:
            self._index.clear()
            self._index.set_state(token=None, dirty=None)
            self._index.close()
            self._index = None

    # ------------------------------------------------------------------------------ searching

    async def asearch(self, query: str, limit: int | None = None, *, search_type: Any = None,
                      filters: dict[str, Any] | None = None, rerank: bool | None = None,
                      max_results: int | None = None) -> list[SearchResult]:
        """The chunks most relevant to ``query``, best first (see ``search``)."""
        if not isinstance(query, str) or not query.strip():
            raise KnowledgeError("the search query is empty.")
        limit = limit or max_results or self.max_results
        kind = normalize_search_type(search_type) if search_type is not None else self.search_type
        await self._aopen()
        where = normalize_filters(filters, self.index.fields())
        reranker = self.reranker if rerank is not False else None
        if rerank and reranker is None:
            from .rerank import OfflineReranker

            reranker = OfflineReranker()
        depth = max(20, 4 * limit) if (kind == "hybrid" or reranker is not None) else limit
        embedding = None
        if kind != "keyword":  # embedded once, also for the reranker's scores
            embedding = await self.embedder.aembed_query(query)
        if kind == "vector":
            results = await vector_search(self, query, depth, where, embedding)
        elif kind == "keyword":
            results = await keyword_search(self, query, depth, where)
        else:
            results = await hybrid_search(self, query, depth, where, depth, embedding)
        if reranker is not None:
            self._query_vectors = (query, embedding)
            return await reranker.arerank(query, results, limit, knowledge=self)
        return results[:limit]

    def search(self, query: str, limit: int | None = None, **kwargs: Any) -> list[SearchResult]:
        """The chunks most relevant to ``query``, best first.

        Args:
            query: what to look for.
            limit: how many results (default ``max_results``); Agno's ``max_results=`` works too.
            search_type: ``hybrid`` (default), ``vector`` or ``keyword`` (BM25).
            filters: metadata conditions: ``{"team": "data", "year": {"$gte": 2024}}``.
            rerank: rerank the candidates (default: when the knowledge base has a reranker).
        """
        return run_sync(self.asearch(query, limit, **kwargs))

    async def score_candidates(self, query: str, results: list[SearchResult]) -> None:
        """Fill in the vector and keyword scores a candidate lacks (for rerankers that blend them)."""
        need_vector = [r for r in results if "vector" not in r.scores]
        need_keyword = [r.id for r in results if "keyword" not in r.scores]
        if need_vector:
            import numpy

            known_query, known_vector = self._query_vectors
            vector = known_vector if known_query == query and known_vector is not None \
                else await self.embedder.aembed_query(query)
            query_vector = numpy.asarray(vector, dtype=numpy.float32)
            found = await asyncio.to_thread(self.store.get, [r.id for r in need_vector], embeddings=True,
                                            documents=False)
            for result in need_vector:
                item = found.get(result.id)
                if item is not None and item.get("embedding") is not None:
                    result.scores["vector"] = float(numpy.dot(query_vector, numpy.asarray(item["embedding"])))
        if need_keyword:
            rows = await asyncio.to_thread(self.index.search, query, len(need_keyword), None, need_keyword)
            scores = {row[0]: row[3] for row in rows}
            for result in results:
                result.scores.setdefault("keyword", scores.get(result.id, 0.0))

    # -------------------------------------------------------------------------------- looking

    def count(self) -> int:
        """Chunks stored."""
        if self._index is None:
            self._open()
        return self.store.count()

    def __len__(self) -> int:
        return self.count()

    def fields(self) -> dict[str, int]:
        """The metadata fields filters can use, with how many chunks have each."""
        return self.index.fields()

    def documents(self) -> Any:
        """A DataFrame of the stored documents: id, source, chunks and content hash."""
        import pandas

        rows = self.index._db.execute(
            "SELECT doc_id, json_extract(metadata, '$.source'), count(*), min(content_hash) FROM chunks "
            "GROUP BY doc_id ORDER BY doc_id").fetchall()
        return pandas.DataFrame(rows, columns=["doc_id", "source", "chunks", "content_hash"])

    # ------------------------------------------------------------------------ agents (protocol)

    def agent_tools(self, *, filters: dict[str, Any] | None = None, agentic_filters: bool = False,
                    references_format: str = "json", limit: int | None = None) -> "list[Function]":
        """The tools an agent with ``search_knowledge=True`` gets (``search_knowledge_base``)."""
        from .agent_tools import search_tool

        return [search_tool(self, filters=filters, agentic_filters=agentic_filters,
                            references_format=references_format, limit=limit)]

    async def acontext(self, query: str, run_context: Any, *, filters: dict[str, Any] | None = None,
                       references_format: str = "json", limit: int | None = None) -> str:
        """The system-prompt section of classic RAG (``add_knowledge_to_context=True``) for ``query``."""
        from .agent_tools import context_section

        return await context_section(self, query, run_context, filters=filters,
                                     references_format=references_format, limit=limit)


def _collection_name(name: str) -> str:
    """Chroma wants 3-512 characters of [a-zA-Z0-9._-], starting and ending with a letter or digit."""
    import re

    slug = re.sub(r"[^a-zA-Z0-9._-]+", "-", name).strip("-._") or "knowledge"
    return slug if len(slug) >= 3 else f"{slug}-kb"


#: Agno's add_content arguments that change nothing here (its readers, upsert and skip flags: the content
#: hash decides)
_AGNO_ARGUMENTS = {"reader", "topics", "upsert", "skip_if_exists", "include", "exclude", "description",
                   "auth"}


def _sources(path: Any, url: Any, text: Any, dataframe: Any, name: str | None,
             metadata: dict[str, Any] | None, text_column: Any, metadata_columns: Any, id_column: Any,
             chunker: Any, agno: dict[str, Any]) -> list[Source]:
    unknown = set(agno) - _AGNO_ARGUMENTS
    if unknown:
        raise KnowledgeError(f"add_content got unknown arguments {sorted(unknown)}.")
    options = dict(metadata=metadata, text_column=text_column, metadata_columns=metadata_columns,
                   id_column=id_column, chunker=chunker, name=name)
    sources: list[Source] = []
    for item in ([] if path is None else [path] if isinstance(path, (str, Path)) else list(path)):
        kind = "url" if str(item).startswith(("http://", "https://")) else "path"
        sources.append(Source(kind, item, **options))
    for item in ([] if url is None else [url] if isinstance(url, str) else list(url)):
        sources.append(Source("url", item, **options))
    if text is not None:
        sources.append(Source("text", text, **options))
    if dataframe is not None:
        if not hasattr(dataframe, "to_dict") or not hasattr(dataframe, "columns"):
            raise KnowledgeError(f"dataframe must be a pandas DataFrame, got {type(dataframe).__name__}.")
        sources.append(Source("dataframe", dataframe, **options))
    if not sources:
        raise KnowledgeError("add_content needs something to add: path=, url=, text_content= or dataframe=.")
    return sources
