"""Google models: ``Gemini(id=...)`` (Agno's import path; see ``agno_nb.models.providers``)."""

from .providers import Gemini

__all__ = ["Gemini"]
