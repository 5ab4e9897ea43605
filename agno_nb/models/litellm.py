"""Any LiteLLM model (``LiteLLM(id=..., api_base=...)``) under Agno's import path; see
``agno_nb.models.providers``."""

from .providers import LiteLLM

__all__ = ["LiteLLM"]
