"""``from agno.vectordb.chroma import ChromaDb`` after the import rewrite: agno_nb's ``ChromaDb``."""

from ..knowledge.agno import ChromaDb

__all__ = ["ChromaDb"]
