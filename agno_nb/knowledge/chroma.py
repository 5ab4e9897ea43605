"""``ChromaStore``: one Chroma collection, embedded (a ``PersistentClient`` folder), in memory, or on a
Chroma server; chromadb is imported on first use.

The collection remembers which embedder built it (``agno_nb:embedder`` and ``agno_nb:dimensions`` in its
metadata), so opening it with another embedder is an error naming both, not a silent mix of vector
spaces. Every chromadb failure is translated: an unreachable server names its URL, a vector of the wrong
size names both sizes. Chunk metadata carries ``doc_id``, ``content_hash``, ``chunk_index`` and
``chunk_count``, which is all the keyword index needs to rebuild itself from the collection.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence, TypeVar

from .documents import Chunk
from .errors import EmbedderMismatchError, KnowledgeError, KnowledgeUnavailableError, missing

__all__ = ["ChromaStore", "EMBEDDER_KEY", "DIMENSIONS_KEY", "TOKEN_KEY"]

EMBEDDER_KEY = "agno_nb:embedder"
DIMENSIONS_KEY = "agno_nb:dimensions"
#: changes on every write; other processes compare it with their keyword index's copy
TOKEN_KEY = "agno_nb:token"

T = TypeVar("T")


def _chromadb() -> Any:
    # No usage telemetry (and no network attempt for it). Set in the environment rather than in a Settings
    # object: Chroma refuses a second client of the same folder with other settings, so a user's own
    # chromadb.PersistentClient(path) in the same kernel must see the very same defaults.
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    try:
        import chromadb
    except ImportError:
        raise missing("chromadb", "Knowledge") from None
    return chromadb


class ChromaStore:
    """A Chroma collection and how to reach it.

    Args:
        collection: the collection name.
        path: a ``PersistentClient`` folder (Chroma's own tools open it too).
        host / port / ssl / headers: a Chroma server (``chroma run --path DIR --host H --port P``).
        client: an existing chromadb client (``chromadb.HttpClient(...)``, ``PersistentClient``, ...).
        ephemeral: an in-memory collection (Agno's ``persistent_client=False``): gone when the process ends.
    """

    def __init__(self, collection: str, *, path: str | Path | None = None, client: Any = None,
                 host: str | None = None, port: int | None = None, ssl: bool = False,
                 headers: dict[str, str] | None = None, ephemeral: bool = False):
        if sum(x is not None and x is not False for x in (path, client, host, ephemeral or None)) > 1:
            raise KnowledgeError("Give one of path=, client=, host= (a Chroma server) or ephemeral=True.")
        self.name = collection
        self.path = Path(path).expanduser() if path is not None else None
        self.host, self.port, self.ssl, self.headers = host, port, ssl, headers
        self.ephemeral = ephemeral
        self._client = client
        self._collection: Any = None
        self._lock = threading.Lock()
        if client is None and path is None and host is None and not ephemeral:
            self.path = Path("kb")

    # -------------------------------------------------------------------------------- identity

    @property
    def remote(self) -> bool:
        """Whether the collection lives on a Chroma server."""
        if self.host is not None:
            return True
        if self._client is not None:
            settings = self._client.get_settings()
            return bool(settings.chroma_server_host) and not settings.is_persistent
        return False

    @property
    def url(self) -> str:
        if self.host is not None:
            return f"{'https' if self.ssl else 'http'}://{self.host}:{self.port or 8000}"
        if self._client is not None:
            settings = self._client.get_settings()
            if settings.chroma_server_host and not settings.is_persistent:
                scheme = "https" if settings.chroma_server_ssl_enabled else "http"
                return f"{scheme}://{settings.chroma_server_host}:{settings.chroma_server_http_port}"
            if settings.is_persistent:
                return str(Path(settings.persist_directory).resolve())
            return "memory"
        if self.path is not None:
            return str(self.path.resolve())
        return "memory"

    @property
    def location(self) -> str:
        """Where the collection is, for messages: ``<url or folder>/<collection>``."""
        return f"{self.url} (collection {self.name!r})"

    def default_keyword_path(self) -> Path | None:
        """Where the keyword index lives: inside the Chroma folder for embedded collections, in the user's
        cache (one file per server and collection) for a server; ``None`` (memory) for ephemeral ones."""
        if self.remote:
            safe = self.url.split("://", 1)[-1].replace(":", "_").replace("/", "_")
            return Path.home() / ".cache" / "agno_nb" / "keyword" / safe / f"{self.name}.sqlite3"
        folder = self.path
        if folder is None and self._client is not None:
            settings = self._client.get_settings()
            folder = Path(settings.persist_directory) if settings.is_persistent else None
        return folder / f"agno_nb-keyword-{self.name}.sqlite3" if folder is not None else None

    # ------------------------------------------------------------------------------------ calls

    def _call(self, action: Callable[[], T]) -> T:
        """Run a chromadb call, translating its failures into errors a person can act on."""
        try:
            return action()
        except KnowledgeError:
            raise
        except Exception as exc:
            raise self._translate(exc) from exc

    def _translate(self, exc: Exception) -> Exception:
        text = str(exc)
        name = type(exc).__name__
        if "expecting embedding with dimension" in text:
            return EmbedderMismatchError(f"{self.location}: {text}. The collection was built with another "
                                         f"embedder; use that embedder, or another collection for this one.")
        connection = ("Could not connect", "Connection refused", "timed out", "Name or service not known",
                      "Temporary failure in name resolution")
        network = ("ConnectError", "ConnectTimeout", "ReadTimeout", "RemoteProtocolError", "ConnectionError")
        if name in network or isinstance(exc, (ConnectionError, TimeoutError)) \
                or any(s in text for s in connection):
            return KnowledgeUnavailableError(
                f"The Chroma server at {self.url} is unreachable ({name}: {text}). Start it "
                f"(chroma run --path DIR --host HOST --port PORT) or fix the address.")
        return KnowledgeError(f"Chroma ({self.location}) failed: {name}: {text}")

    def client(self) -> Any:
        if self._client is None:
            with self._lock:
                if self._client is None:
                    chromadb = _chromadb()
                    if self.host is not None:
                        self._client = self._call(lambda: chromadb.HttpClient(
                            host=self.host, port=self.port or 8000, ssl=self.ssl, headers=self.headers))
                    elif self.ephemeral:
                        self._client = chromadb.EphemeralClient()
                    else:
                        assert self.path is not None
                        self.path.mkdir(parents=True, exist_ok=True)
                        self._client = self._call(lambda: chromadb.PersistentClient(path=str(self.path)))
        return self._client

    def collection(self, embedder_id: str | None = None, dimensions: int | None = None) -> Any:
        """The collection, created on first use with the embedder's identity in its metadata."""
        if self._collection is None:
            client = self.client()
            metadata = {EMBEDDER_KEY: embedder_id} if embedder_id else {}
            if dimensions:
                metadata[DIMENSIONS_KEY] = dimensions
            self._collection = self._call(lambda: client.get_or_create_collection(
                self.name, metadata=metadata or None, configuration={"hnsw": {"space": "cosine"}},
                embedding_function=None))
        return self._collection

    def metadata(self) -> dict[str, Any]:
        """The collection's metadata as stored now (not a cached copy: another process may have written)."""
        collection = self.collection()
        fresh = self._call(lambda: self.client().get_collection(self.name, embedding_function=None))
        self._collection = fresh if fresh is not None else collection
        return dict(self._collection.metadata or {})

    def update_metadata(self, **values: Any) -> None:
        current = self.metadata()
        current.update(values)
        # "hnsw:*" keys are configuration that Chroma refuses to change through metadata
        current = {k: v for k, v in current.items() if not k.startswith("hnsw:")}
        self._call(lambda: self.collection().modify(metadata=current))

    def check_embedder(self, embedder_id: str, dimensions: int | None) -> None:
        """Refuse an embedder other than the one the collection was built with, naming both."""
        metadata = self.metadata()
        stored, stored_dims = metadata.get(EMBEDDER_KEY), metadata.get(DIMENSIONS_KEY)
        if stored and stored != embedder_id:
            raise EmbedderMismatchError(
                f"{self.location} was built with the embedder {stored!r} ({stored_dims or '?'} dimensions), "
                f"not {embedder_id!r} ({dimensions or '?'} dimensions). Use embedder={stored!r}, or another "
                f"collection for the new embedder.")
        if stored_dims and dimensions and int(stored_dims) != int(dimensions):
            raise EmbedderMismatchError(
                f"{self.location} holds {stored_dims}-dimensional vectors; the embedder {embedder_id!r} "
                f"makes {dimensions}-dimensional ones. Use the collection's embedder, or another collection.")
        if not stored and self.count() == 0:
            identity = {EMBEDDER_KEY: embedder_id, **({DIMENSIONS_KEY: dimensions} if dimensions else {})}
            self.update_metadata(**identity)

    # ----------------------------------------------------------------------------------- writes

    def upsert(self, chunks: Sequence[Chunk], embeddings: Any) -> None:
        if not chunks:
            return
        collection = self.collection()
        self._call(lambda: collection.upsert(ids=[c.id for c in chunks], embeddings=embeddings,
                                             documents=[c.content for c in chunks],
                                             metadatas=[c.metadata for c in chunks]))

    def delete(self, ids: Sequence[str]) -> None:
        if ids:
            collection = self.collection()
            for start in range(0, len(ids), 5000):
                batch = list(ids[start:start + 5000])
                self._call(lambda batch=batch: collection.delete(ids=batch))

    def drop(self) -> None:
        client = self.client()
        self._call(lambda: client.delete_collection(self.name))
        self._collection = None

    # ------------------------------------------------------------------------------------ reads

    def count(self) -> int:
        collection = self.collection()
        return self._call(collection.count)

    def query(self, embedding: Any, limit: int, where: dict[str, Any] | None
              ) -> list[tuple[str, str, dict[str, Any], float]]:
        """Nearest chunks: (id, content, metadata, cosine similarity), best first."""
        collection = self.collection()
        if limit <= 0:
            return []
        include = ["documents", "metadatas", "distances"]
        result = self._call(lambda: collection.query(query_embeddings=[embedding], n_results=limit,
                                                     where=where, include=include))
        ids, documents = result["ids"][0], result["documents"][0]
        metadatas, distances = result["metadatas"][0], result["distances"][0]
        return [(ids[i], documents[i], metadatas[i] or {}, 1.0 - distances[i]) for i in range(len(ids))]

    def get(self, ids: Sequence[str], *, embeddings: bool = False,
            documents: bool = True) -> dict[str, dict[str, Any]]:
        """id -> {"content", "metadata"[, "embedding"]} for the ids that exist."""
        if not ids:
            return {}
        include = ["metadatas"] + ["documents"] * documents + ["embeddings"] * embeddings
        collection = self.collection()
        found: dict[str, dict[str, Any]] = {}
        for start in range(0, len(ids), 1000):
            batch = list(ids[start:start + 1000])
            result = self._call(lambda batch=batch: collection.get(ids=batch, include=include))
            for i, chunk_id in enumerate(result["ids"]):
                item = {"metadata": result["metadatas"][i] or {}}
                if documents:
                    item["content"] = result["documents"][i]
                if embeddings:
                    item["embedding"] = result["embeddings"][i]
                found[chunk_id] = item
        return found

    def iter_hashes(self, page: int = 5000) -> Iterator[tuple[str, str]]:
        """(chunk id, content hash) of every chunk, a page at a time (for reconciling the keyword index)."""
        collection = self.collection()
        offset = 0
        while True:
            result = self._call(lambda offset=offset: collection.get(include=["metadatas"], limit=page,
                                                                     offset=offset))
            ids = result["ids"]
            for chunk_id, metadata in zip(ids, result["metadatas"]):
                yield chunk_id, str((metadata or {}).get("content_hash", ""))
            if len(ids) < page:
                return
            offset += page
