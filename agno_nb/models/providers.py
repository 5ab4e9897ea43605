"""Agno's model classes (``OpenAIChat(id=...)``, ``Claude``, ``Ollama``, ``LiteLLM``, ...) as agno_nb models.

Agno code builds a model object per provider; agno_nb has one ``Model`` interface and picks the transport
from the id. Each name here is a constructor that maps Agno's keywords onto ``get_model`` and returns
agno_nb's model, so ``Agent(model=OpenAIChat(id="gpt-4o"))`` runs unchanged:

- ``id`` becomes ``provider/id`` (``OpenAIChat(id="gpt-4o").id == "openai/gpt-4o"``);
- ``api_key`` and ``base_url`` / ``api_base`` / ``host`` go to the transport;
- request parameters (``temperature``, ``max_tokens``, ``top_p``, ``seed``, ``stop``, ...) and
  ``request_params`` / ``extra_body`` are sent with every request; ``timeout`` and ``max_retries`` bound it;
- a keyword with no agno_nb meaning (a custom ``http_client``, ``role_map``, ...) is refused by name
  rather than silently dropped.

They are functions, not classes: what they return is agno_nb's ``Model`` (``isinstance(m, OpenAIChat)``
has no meaning here). The per-provider modules (``agno_nb.models.openai``, ``.anthropic``, ...) re-export
them under Agno's import paths.
"""

from __future__ import annotations

from typing import Any

from ..errors import ConfigurationError
from . import get_model
from .base import Model

__all__ = ["OpenAIChat", "OpenAILike", "OpenAIResponses", "Claude", "Ollama", "Gemini", "Groq", "LiteLLM",
           "DeepSeek", "OpenRouter", "MistralChat"]

#: sent in the request body as they are (every provider LiteLLM or an OpenAI-compatible server knows)
_REQUEST_PARAMS = frozenset({
    "temperature", "max_tokens", "max_completion_tokens", "top_p", "seed", "stop", "frequency_penalty",
    "presence_penalty", "logit_bias", "logprobs", "top_logprobs", "user", "n", "reasoning_effort",
    "service_tier", "store", "metadata", "modalities", "audio", "verbosity", "parallel_tool_calls",
})
#: Agno's display fields: they name the model object, nothing is sent
_COSMETIC = frozenset({"name", "provider"})


def _build(agno_name: str, model_id: str, transport: str | None, params: dict[str, Any],
           extra: frozenset[str] = frozenset()) -> Model:
    options: dict[str, Any] = {}
    for key, value in params.items():
        if value is None or key in _COSMETIC:
            continue
        if key in _REQUEST_PARAMS or key in extra:
            options[key] = value
        elif key in ("request_params", "extra_body"):
            if not isinstance(value, dict):
                raise ConfigurationError(
                    f"{agno_name}({key}=...) must be a dict, got {type(value).__name__}.")
            options.update(value)
        elif key in ("timeout", "max_retries", "api_key", "api_base"):
            options[key] = str(value) if key == "api_base" else value
        else:
            raise ConfigurationError(
                f"{agno_name}({key}=...) has no agno_nb equivalent. agno_nb models take the id, api_key, "
                f"base_url, timeout, max_retries and request parameters "
                f"({', '.join(sorted(_REQUEST_PARAMS))}); put anything else the provider accepts in "
                f"request_params={{...}}.")
    return get_model(model_id, transport=transport, **options)


def _with_provider(provider: str, model_id: str) -> str:
    return model_id if model_id.startswith(provider + "/") else f"{provider}/{model_id}"


def OpenAIChat(id: str = "gpt-5.4-mini", *, api_key: str | None = None, base_url: Any = None,
               **params: Any) -> Model:
    """Agno's ``OpenAIChat``: ``openai/<id>`` over the direct OpenAI-compatible transport (``base_url``, or
    ``OPENAI_BASE_URL`` / ``OPENAI_API_BASE``, points it at any compatible server)."""
    return _build("OpenAIChat", _with_provider("openai", id), "direct",
                  {"api_key": api_key, "api_base": base_url, **params})


def OpenAIResponses(id: str = "gpt-5.4-mini", *, api_key: str | None = None, base_url: Any = None,
                    **params: Any) -> Model:
    """Agno's ``OpenAIResponses``: the same OpenAI model, called through Chat Completions (agno_nb has no
    Responses-API transport; its built-in tools and ``previous_response_id`` are not available)."""
    return _build("OpenAIResponses", _with_provider("openai", id), "direct",
                  {"api_key": api_key, "api_base": base_url, **params})


def OpenAILike(id: str = "not-provided", *, api_key: str | None = None, base_url: Any = None,
               **params: Any) -> Model:
    """Agno's ``OpenAILike``: any OpenAI-compatible server (vLLM, llama.cpp, LM Studio, a proxy) at
    ``base_url``."""
    return _build("OpenAILike", f"openai/{id}", "direct",
                  {"api_key": api_key, "api_base": base_url, **params})


def Groq(id: str = "openai/gpt-oss-120b", *, api_key: str | None = None, base_url: Any = None,
         **params: Any) -> Model:
    """Agno's ``Groq``: ``groq/<id>`` over the direct transport."""
    return _build("Groq", f"groq/{id}", "direct", {"api_key": api_key, "api_base": base_url, **params})


def DeepSeek(id: str = "deepseek-v4-flash", *, api_key: str | None = None, base_url: Any = None,
             **params: Any) -> Model:
    """Agno's ``DeepSeek``: ``deepseek/<id>`` over the direct transport."""
    return _build("DeepSeek", _with_provider("deepseek", id), "direct",
                  {"api_key": api_key, "api_base": base_url, **params})


def OpenRouter(id: str = "gpt-5.4-mini", *, api_key: str | None = None, base_url: Any = None,
               **params: Any) -> Model:
    """Agno's ``OpenRouter``: ``openrouter/<id>`` over the direct transport."""
    return _build("OpenRouter", f"openrouter/{id}", "direct",
                  {"api_key": api_key, "api_base": base_url, **params})


def Claude(id: str = "claude-sonnet-5-5", *, api_key: str | None = None, max_tokens: int | None = 8192,
           **params: Any) -> Model:
    """Agno's ``Claude``: ``anthropic/<id>`` through LiteLLM (``thinking={...}``, ``top_k`` pass through)."""
    return _build("Claude", _with_provider("anthropic", id), "litellm",
                  {"api_key": api_key, "max_tokens": max_tokens, **params}, frozenset({"thinking", "top_k"}))


def Gemini(id: str = "gemini-3.7-flash", *, api_key: str | None = None, vertexai: bool = False,
           project_id: str | None = None, location: str | None = None, **params: Any) -> Model:
    """Agno's ``Gemini``: ``gemini/<id>`` (Google AI Studio) or, with ``vertexai=True``, ``vertex_ai/<id>``
    with ``project_id`` / ``location``; through LiteLLM."""
    if vertexai:
        params = {"vertex_project": project_id, "vertex_location": location, **params}
        return _build("Gemini", f"vertex_ai/{id}", "litellm", params,
                      frozenset({"vertex_project", "vertex_location", "top_k", "thinking_budget"}))
    return _build("Gemini", f"gemini/{id}", "litellm", {"api_key": api_key, **params},
                  frozenset({"top_k", "thinking_budget"}))


def Ollama(id: str = "llama3.1", *, host: str | None = None, options: dict[str, Any] | None = None,
           keep_alive: Any = None, **params: Any) -> Model:
    """Agno's ``Ollama``: ``ollama_chat/<id>`` through LiteLLM, at ``host`` (default ``http://localhost:11434``);
    Ollama's ``options`` (temperature, num_ctx, ...) are sent with each request."""
    options = dict(options or {})
    if keep_alive is not None:
        options["keep_alive"] = keep_alive
    return _build("Ollama", f"ollama_chat/{id}", "litellm", {"api_base": host, **options, **params},
                  frozenset(options) | {"top_k"})


def MistralChat(id: str = "mistral-large-latest", *, api_key: str | None = None, **params: Any) -> Model:
    """Agno's ``MistralChat``: ``mistral/<id>`` through LiteLLM."""
    return _build("MistralChat", f"mistral/{id}", "litellm", {"api_key": api_key, **params})


def LiteLLM(id: str = "gpt-4o", *, api_key: str | None = None, api_base: str | None = None,
            **params: Any) -> Model:
    """Agno's ``LiteLLM``: ``id`` is a LiteLLM model id (``anthropic/claude-...``, ``ollama/llama3``, ...),
    always through LiteLLM, at ``api_base`` when given."""
    return _build("LiteLLM", id, "litellm", {"api_key": api_key, "api_base": api_base, **params})
