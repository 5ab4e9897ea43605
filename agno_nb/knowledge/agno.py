"""Agno's spellings: ``ChromaDb(...)`` as a ``vector_db`` and ``SearchType``.

    Knowledge(vector_db=ChromaDb(collection="docs", path="kb", persistent_client=True))

As in Agno, ``persistent_client=False`` (Agno's default) is an in-memory collection; ``host``/``port``
reach a Chroma server. The default embedder differs on purpose: Agno's is OpenAI's (a key and network);
ours is the offline all-MiniLM-L6-v2.
"""

from __future__ import annotations

from enum import Enum
from typing import Any

from .chroma import ChromaStore

__all__ = ["ChromaDb", "SearchType"]


class SearchType(str, Enum):
    vector = "vector"
    keyword = "keyword"
    hybrid = "hybrid"


class ChromaDb:
    """Where a ``Knowledge`` keeps its vectors, in Agno's terms (see the module docstring)."""

    def __init__(self, collection: str | None = None, *, name: str | None = None, path: str = "tmp/chromadb",
                 persistent_client: bool = False, host: str | None = None, port: int | None = None,
                 ssl: bool = False, headers: dict[str, str] | None = None, client: Any = None,
                 embedder: Any = None, search_type: Any = None, reranker: Any = None, **_: Any):
        if collection is None:
            if name is None:
                raise ValueError("ChromaDb needs collection= (or name=).")
            collection = name.lower().replace(" ", "_")
        self.collection = collection
        self.path = path
        self.persistent_client = persistent_client
        self.host, self.port, self.ssl, self.headers = host, port, ssl, headers
        self.client = client
        self.embedder = embedder
        self.search_type = search_type
        self.reranker = reranker

    def store(self) -> ChromaStore:
        if self.client is not None:
            return ChromaStore(self.collection, client=self.client)
        if self.host is not None:
            return ChromaStore(self.collection, host=self.host, port=self.port, ssl=self.ssl,
                               headers=self.headers)
        if self.persistent_client:
            return ChromaStore(self.collection, path=self.path)
        return ChromaStore(self.collection, ephemeral=True)

    def __repr__(self) -> str:
        return (f"ChromaDb(collection={self.collection!r}, path={self.path!r}, "
                f"persistent_client={self.persistent_client})")
