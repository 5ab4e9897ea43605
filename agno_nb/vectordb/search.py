"""``from agno.vectordb.search import SearchType`` after the import rewrite."""

from ..knowledge.agno import SearchType

__all__ = ["SearchType"]
