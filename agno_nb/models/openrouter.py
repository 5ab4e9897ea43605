"""Models through OpenRouter (``OpenRouter(id=...)``) under Agno's import path; see
``agno_nb.models.providers``."""

from .providers import OpenRouter

__all__ = ["OpenRouter"]
