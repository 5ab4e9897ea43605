"""Mistral models: ``MistralChat(id=...)`` (Agno's import path; see ``agno_nb.models.providers``)."""

from .providers import MistralChat

__all__ = ["MistralChat"]
