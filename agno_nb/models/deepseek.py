"""DeepSeek models: ``DeepSeek(id=...)`` (Agno's import path; see ``agno_nb.models.providers``)."""

from .providers import DeepSeek

__all__ = ["DeepSeek"]
