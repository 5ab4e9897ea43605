"""Knowledge (RAG) in Chroma: readers, chunkers, embedders, hybrid search, reranking, agent tools.

Importing this package is light: chromadb, onnxruntime and the readers' libraries load on first use.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

_EXPORTS = {
    "Knowledge": ".knowledge",
    "ChromaDb": ".agno", "SearchType": ".agno",
    "Document": ".documents", "Chunk": ".documents", "SearchResult": ".documents",
    "IngestReport": ".documents",
    "Chunker": ".chunking", "FixedSizeChunker": ".chunking", "RecursiveChunker": ".chunking",
    "MarkdownChunker": ".chunking", "RowChunker": ".chunking", "AutoChunker": ".chunking",
    "get_chunker": ".chunking",
    "Embedder": ".embedders", "get_embedder": ".embedders", "MiniLMEmbedder": ".embedders",
    "LiteLLMEmbedder": ".embedders", "OpenAIEmbedder": ".embedders",
    "Reranker": ".rerank", "OfflineReranker": ".rerank", "LiteLLMReranker": ".rerank",
    "KnowledgeError": ".errors", "KnowledgeUnavailableError": ".errors", "EmbedderMismatchError": ".errors",
    "FilterError": ".errors", "UnsupportedSourceError": ".errors",
}

__all__ = sorted(_EXPORTS)

if TYPE_CHECKING:
    from .agno import ChromaDb, SearchType
    from .chunking import (AutoChunker, Chunker, FixedSizeChunker, MarkdownChunker, RecursiveChunker,
                           RowChunker, get_chunker)
    from .documents import Chunk, Document, IngestReport, SearchResult
    from .embedders import Embedder, LiteLLMEmbedder, MiniLMEmbedder, OpenAIEmbedder, get_embedder
    from .errors import (EmbedderMismatchError, FilterError, KnowledgeError, KnowledgeUnavailableError,
                         UnsupportedSourceError)
    from .knowledge import Knowledge
    from .rerank import LiteLLMReranker, OfflineReranker, Reranker


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'agno_nb.knowledge' has no attribute {name!r}")
    value = getattr(import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
