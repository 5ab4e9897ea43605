"""Anthropic models: ``Claude(id=...)`` (Agno's import path; see ``agno_nb.models.providers``)."""

from .providers import Claude

__all__ = ["Claude"]
