"""Knowledge errors. Each message says what was wrong and how to fix it."""

from __future__ import annotations

from ..errors import AgnoNBError, ConfigurationError

__all__ = ["KnowledgeError", "KnowledgeUnavailableError", "EmbedderMismatchError", "FilterError",
           "UnsupportedSourceError", "EmbeddingError", "MissingDependencyError"]


class KnowledgeError(AgnoNBError):
    """Base class of the knowledge errors."""


class KnowledgeUnavailableError(KnowledgeError):
    """The Chroma server cannot be reached. The message names its URL."""


class EmbedderMismatchError(KnowledgeError, ConfigurationError):
    """The collection was built with another embedder (or another vector size) than the one configured."""


class FilterError(KnowledgeError, ConfigurationError):
    """A metadata filter names a field the knowledge base does not have, or uses an unknown operator."""


class UnsupportedSourceError(KnowledgeError, ValueError):
    """A file type or source kind that no reader handles. The message lists the supported ones."""


class EmbeddingError(KnowledgeError):
    """The embedder failed (a provider error, a bad response)."""


class MissingDependencyError(KnowledgeError, ImportError):
    """An optional package is not installed; the message says which extra brings it."""


def missing(package: str, what: str) -> MissingDependencyError:
    return MissingDependencyError(f"{what} needs the {package!r} package: pip install 'agno_nb[knowledge]'.")
