"""Checking a model id when an agent is defined, not at its first run.

``Agent(model="gpt4o-mini")`` used to pass construction and fail at the first run, after LiteLLM's
seconds-long import, with LiteLLM's multi-line text. Here a string id is checked at once and cheaply
(a regex and a set lookup): it needs a known provider prefix. A mistake gets one line that lists the
prefixes and suggests the closest known id (LiteLLM's cost map, read without importing LiteLLM, only on
that error path).
"""

from __future__ import annotations

import difflib
from functools import lru_cache

from ..errors import UnknownModelError

__all__ = ["check_model_id", "known_providers"]

#: the providers people use most, known without reading anything
COMMON_PROVIDERS = frozenset({
    "openai", "azure", "azure_ai", "anthropic", "gemini", "vertex_ai", "vertex_ai_beta", "bedrock", "sagemaker",
    "ollama", "ollama_chat", "groq", "mistral", "codestral", "cohere", "cohere_chat", "deepseek", "openrouter",
    "together_ai", "fireworks_ai", "perplexity", "xai", "huggingface", "replicate", "watsonx", "databricks",
    "cerebras", "sambanova", "nvidia_nim", "hosted_vllm", "vllm", "lm_studio", "llamafile", "litellm_proxy",
    "custom_openai", "text-completion-openai", "ai21", "deepinfra", "cloudflare", "voyage", "jina_ai",
    "github", "dashscope", "moonshot", "nebius", "novita", "friendliai", "predibase", "clarifai", "nlp_cloud",
    "aleph_alpha", "petals", "baseten", "openai_like",
    # agno_nb's own
    "scripted", "local",
})


@lru_cache(maxsize=1)
def _cost_map_providers() -> frozenset[str]:
    from .pricing import _cost_map

    return frozenset(entry.get("litellm_provider", "").split("-", 1)[0] for entry in _cost_map().values()
                     if isinstance(entry, dict) and entry.get("litellm_provider"))


def known_providers() -> frozenset[str]:
    """Every provider prefix agno_nb can route (the common ones, then LiteLLM's cost map)."""
    return COMMON_PROVIDERS | _cost_map_providers()


def check_model_id(model_id: str) -> str:
    """``model_id`` normalised (``provider:model`` -> ``provider/model``), or an ``UnknownModelError``."""
    from . import normalize_model_id

    normalized = normalize_model_id(model_id)
    provider, _, name = normalized.partition("/")
    if name and provider == "local":  # a file on this machine: say now if it is missing or not a GGUF
        from .local.catalog import resolve_gguf

        resolve_gguf(name)
        return normalized
    if name and (provider in COMMON_PROVIDERS or provider in _cost_map_providers()):
        return normalized
    if not name:
        problem = f"{model_id!r} has no provider prefix"
    else:
        problem = f"{provider!r} is not a known provider (in {model_id!r})"
    raise UnknownModelError(f"Unknown model: {problem}. {_suggestion(normalized)}Write provider/model, e.g. "
                            f"'openai/gpt-4o-mini'; providers include {', '.join(_SHOWN)}, ... (any LiteLLM "
                            f"provider).", model=model_id)


_SHOWN = ("openai", "anthropic", "gemini", "vertex_ai", "bedrock", "azure", "ollama", "groq", "mistral",
          "deepseek", "openrouter", "together_ai", "local")


def _suggestion(model_id: str) -> str:
    from .pricing import _cost_map

    ids = []
    for key, entry in _cost_map().items():
        if not isinstance(entry, dict) or entry.get("mode") not in (None, "chat", "responses"):
            continue
        provider = (entry.get("litellm_provider") or "").split("-", 1)[0]
        ids.append(key if "/" in key or not provider else f"{provider}/{key}")
    provider, _, name = model_id.partition("/")
    if not name:  # no provider given: match the model name alone, preferring OpenAI's
        name, provider = model_id, ""
    names = {}
    for full in ids:
        names.setdefault(full.partition("/")[2], []).append(full)
    best = difflib.get_close_matches(name, list(names), n=1, cutoff=0.6)
    if not best:
        return ""
    candidates = names[best[0]]
    full = next((c for c in candidates if c.startswith("openai/")), candidates[0])
    return f"Did you mean {full!r}? "
