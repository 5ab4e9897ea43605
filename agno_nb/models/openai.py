"""OpenAI models (``OpenAIChat(id=...)``, ``OpenAIResponses``, ``OpenAILike``) under Agno's import
path; see ``agno_nb.models.providers``."""

from .providers import OpenAIChat, OpenAILike, OpenAIResponses

__all__ = ["OpenAIChat", "OpenAILike", "OpenAIResponses"]
