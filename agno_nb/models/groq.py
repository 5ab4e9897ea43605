"""Groq models: ``Groq(id=...)`` (Agno's import path; see ``agno_nb.models.providers``)."""

from .providers import Groq

__all__ = ["Groq"]
