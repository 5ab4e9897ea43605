"""Local models served by Ollama (``Ollama(id=..., host=...)``) under Agno's import path; see
``agno_nb.models.providers``."""

from .providers import Ollama

__all__ = ["Ollama"]
