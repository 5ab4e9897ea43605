"""Agno's ``agno.vectordb`` import paths: ``chroma.ChromaDb`` and ``search.SearchType`` (knowledge lives
in Chroma here, so Chroma is the one vector database). Thin aliases of ``agno_nb.knowledge``."""
