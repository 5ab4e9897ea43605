"""Models: one ``Model`` interface, three transports.

- ``OpenAICompatModel`` (``direct``): OpenAI-format endpoints over pooled aiohttp; the fast path.
- ``LiteLLMModel`` (``litellm``): every other provider LiteLLM supports, and ``scripted/<name>``.
- ``LocalModel`` (``direct``, ``local/smollm2`` or ``local/path/to/model.gguf``): llama.cpp on 127.0.0.1.
- ``ScriptedModel`` (``in-process``): deterministic scripts for tests, examples and benchmarks.

``get_model`` turns a model id into the right one. Ids are LiteLLM's ``provider/model``; Agno's
``provider:model`` is accepted too.
"""

from __future__ import annotations

import os
import re
from typing import Any

from ..errors import ConfigurationError, UnknownModelError
from .base import Model, ModelResponse, Reasoning, ToolCall

__all__ = ["Model", "ModelResponse", "Reasoning", "ToolCall", "get_model", "normalize_model_id",
           "DEFAULT_MODEL"]

#: Used when an agent names no model and ``AGNO_NB_MODEL`` is not set.
DEFAULT_MODEL = "openai/gpt-4o-mini"

_AGNO_FORM = re.compile(r"^([A-Za-z0-9_\-]+):(.+)$")
_BARE_OPENAI = re.compile(r"^(gpt-|o\d|chatgpt-|text-embedding-)")
_dotenv_loaded = False


def normalize_model_id(model_id: str) -> str:
    """``openai:gpt-4o`` -> ``openai/gpt-4o``; bare OpenAI names get their provider; others unchanged."""
    model_id = model_id.strip()
    if not model_id:
        raise UnknownModelError("The model id is empty; use e.g. 'openai/gpt-4o-mini'.")
    match = _AGNO_FORM.match(model_id)
    if match and "/" not in match.group(1):
        model_id = f"{match.group(1)}/{match.group(2)}"
    if "/" not in model_id and _BARE_OPENAI.match(model_id):
        model_id = f"openai/{model_id}"
    return model_id


def get_model(model: "str | Model | None" = None, *, transport: str | None = None, **options: Any) -> Model:
    """The ``Model`` for an id (or the default model), with request ``options`` (temperature, api_base, ...).

    ``transport="litellm"`` forces LiteLLM for an OpenAI-compatible provider; ``"direct"`` insists on
    the lean aiohttp path.
    """
    if isinstance(model, Model):
        return model
    if model is None:
        model = os.environ.get("AGNO_NB_MODEL") or DEFAULT_MODEL
    if not isinstance(model, str):
        raise ConfigurationError(f"model must be a model id string or a Model, got {type(model).__name__}.")
    _load_dotenv_once()
    from .ids import check_model_id

    model_id = check_model_id(model)
    provider = model_id.split("/", 1)[0] if "/" in model_id else ""
    from .openai_compat import PROVIDERS

    if transport not in (None, "direct", "litellm"):
        raise ConfigurationError(f"transport must be 'direct' or 'litellm', got {transport!r}.")
    if provider == "local":  # llama.cpp on loopback, spoken to over the direct transport
        if transport == "litellm":
            raise ConfigurationError(f"{model_id!r} runs on agno_nb's own llama.cpp server over the direct "
                                     f"transport; transport='litellm' is not available for it.")
        from .local import LocalModel

        return LocalModel(model_id, **options)
    if transport == "direct" or (transport is None and provider in PROVIDERS):
        from .openai_compat import OpenAICompatModel

        return OpenAICompatModel(model_id, **options)
    from .litellm_model import LiteLLMModel

    return LiteLLMModel(model_id, **options)


def _load_dotenv_once() -> None:
    """Read a ``.env`` from the working directory (or a parent) once; real environment variables win."""
    global _dotenv_loaded
    if not _dotenv_loaded:
        _dotenv_loaded = True
        from dotenv import find_dotenv, load_dotenv

        path = find_dotenv(usecwd=True)
        if path:
            load_dotenv(path, override=False)
