"""Agno's ``agno.knowledge.embedder`` import paths (``openai.OpenAIEmbedder``), as thin aliases of
``agno_nb.knowledge.embedders``; agno_nb's own names live there."""
