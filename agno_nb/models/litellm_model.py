"""The LiteLLM transport: every provider LiteLLM knows (Anthropic, Gemini, Bedrock, Ollama, ...).

LiteLLM is imported on the first call, never at ``import agno_nb``: it takes seconds and 165 MiB. Before
importing it, two offline defaults are set unless the user set them: a local cost map (else LiteLLM
fetches one from the internet at import) and offline Hugging Face lookups (else tokenizer lookups
stall for ~24 s without a network).
"""

from __future__ import annotations

import os
import threading
from typing import Any

from ..errors import (AuthenticationError, BadRequestError, MissingAPIKeyError, ModelError,
                      ModelTimeoutError, ProviderError, RateLimitError, UnknownModelError)
from .base import Model, ModelResponse, Reasoning, Stream, ToolCall

__all__ = ["LiteLLMModel", "load_litellm"]

_lock = threading.Lock()
_litellm: Any = None


def load_litellm() -> Any:
    """Import and configure LiteLLM once (offline-safe defaults, the ``scripted`` provider)."""
    global _litellm
    if _litellm is None:
        with _lock:
            if _litellm is None:
                os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
                os.environ.setdefault("HF_HUB_OFFLINE", "1")
                import litellm

                from .litellm_scripted import scripted_handler

                litellm.suppress_debug_info = True
                litellm.telemetry = False
                providers = [p for p in (litellm.custom_provider_map or []) if p.get("provider") != "scripted"]
                litellm.custom_provider_map = providers + [{"provider": "scripted",
                                                            "custom_handler": scripted_handler()}]
                _litellm = litellm
    return _litellm


class LiteLLMModel(Model):
    """A model called through ``litellm.acompletion``."""

    __slots__ = ("api_base", "api_key")
    transport = "litellm"

    def __init__(self, id: str, *, api_base: str | None = None, api_key: str | None = None, **kwargs: Any):
        super().__init__(id, **kwargs)
        self.api_base = api_base
        self.api_key = api_key

    @property
    def supports_native_schema(self) -> bool:
        if self.id.startswith("scripted/"):
            return True
        try:
            return bool(load_litellm().supports_response_schema(model=self.id))
        except Exception:
            return False

    def check(self) -> None:
        litellm = load_litellm()
        provider = self.id.split("/", 1)[0] if "/" in self.id else None
        custom = {entry.get("provider") for entry in litellm.custom_provider_map or ()}
        if provider and provider not in litellm.provider_list and provider not in custom:
            raise UnknownModelError(
                f"Unknown model provider {provider!r} in {self.id!r}. Use a LiteLLM id such as "
                f"'openai/gpt-4o-mini', 'anthropic/claude-sonnet-4-5' or 'ollama/llama3' "
                f"(providers: https://docs.litellm.ai/docs/providers).", model=self.id)
        if self.api_key or self.api_base:
            return
        missing = litellm.validate_environment(model=self.id).get("missing_keys") or []
        # Local providers (Ollama, vLLM, ...) list their base URL as "missing" but have a default.
        missing = [name for name in missing if not name.endswith("_API_BASE")]
        if missing:
            raise MissingAPIKeyError(
                f"Model {self.id!r} needs {' and '.join(missing)}: set it in the environment or in a .env "
                f"file (or pass api_key=/api_base= to the model).", model=self.id)

    async def respond(self, messages, *, tools, response_format, stream) -> Stream:
        litellm = load_litellm()
        kwargs: dict[str, Any] = dict(self.options)
        if tools:
            kwargs["tools"] = tools
            # LiteLLM 1.10x imports its MCP bridge whenever tools are passed, and fails without the
            # optional `mcp` package; we never route tools through it.
            kwargs["_skip_mcp_handler"] = True
        if response_format is not None:
            kwargs["response_format"] = response_format
            if response_format.get("type") == "json_object":
                # JSON mode is a best effort (the schema is also in the prompt): where a provider has
                # no JSON mode, drop the parameter rather than fail the call.
                kwargs["drop_params"] = True
        if stream:
            kwargs["stream_options"] = {"include_usage": True}
        if self.api_base:
            kwargs["api_base"] = self.api_base
        if self.api_key:
            kwargs["api_key"] = self.api_key
        try:
            response = await litellm.acompletion(model=self.id, messages=messages, stream=stream,
                                                 timeout=self.timeout, num_retries=0, **kwargs)
            if not stream:
                yield self._parse(response)
                return
            async for item in self._parse_stream(response):
                yield item
        except ModelError:
            raise
        except Exception as exc:
            raise _translate(exc, self.id) from None

    def _parse(self, response: Any) -> ModelResponse:
        choice = response.choices[0]
        message = choice.message
        calls = [ToolCall(c.id, c.function.name, c.function.arguments or "{}") for c in (message.tool_calls or ())]
        usage = getattr(response, "usage", None)
        cost = (getattr(response, "_hidden_params", None) or {}).get("response_cost")
        return ModelResponse(message.content, calls, reasoning=getattr(message, "reasoning_content", None),
                             input_tokens=getattr(usage, "prompt_tokens", 0) or 0,
                             output_tokens=getattr(usage, "completion_tokens", 0) or 0,
                             cost=cost, finish_reason=choice.finish_reason)

    async def _parse_stream(self, response: Any) -> Stream:
        parts: list[str] = []
        reasoning: list[str] = []
        calls: dict[int, list[str]] = {}
        usage = None
        finish_reason = None
        async for chunk in response:
            usage = getattr(chunk, "usage", None) or usage
            for choice in chunk.choices or ():
                finish_reason = choice.finish_reason or finish_reason
                delta = choice.delta
                piece = getattr(delta, "reasoning_content", None)
                if piece:
                    reasoning.append(piece)
                    yield Reasoning(piece)
                if delta.content:
                    parts.append(delta.content)
                    yield delta.content
                for call in delta.tool_calls or ():
                    slot = calls.setdefault(call.index or 0, ["", "", ""])
                    slot[0] = call.id or slot[0]
                    slot[1] += call.function.name or ""
                    slot[2] += call.function.arguments or ""
        input_tokens = getattr(usage, "prompt_tokens", 0) or 0
        output_tokens = getattr(usage, "completion_tokens", 0) or 0
        yield ModelResponse(
            "".join(parts) or None,
            [ToolCall(i or f"call_{n}", name, args or "{}") for n, (i, name, args) in sorted(calls.items())],
            reasoning="".join(reasoning) or None, input_tokens=input_tokens, output_tokens=output_tokens,
            cost=self._stream_cost(input_tokens, output_tokens) if usage else None, finish_reason=finish_reason)

    def _stream_cost(self, input_tokens: int, output_tokens: int) -> float | None:
        try:
            prompt, completion = load_litellm().cost_per_token(
                model=self.id, prompt_tokens=input_tokens, completion_tokens=output_tokens)
        except Exception:  # no price known for this model
            return None
        return prompt + completion


def _translate(exc: Exception, model: str) -> ModelError:
    """Map LiteLLM's (OpenAI-derived) exceptions onto agno_nb's, keeping the provider's message."""
    original = getattr(exc, "original_exception", None)  # MidStreamFallbackError wraps the real one
    if original is not None and original is not exc:
        exc = original
    status = getattr(exc, "status_code", None)
    name = type(exc).__name__
    message = f"{model}: {str(exc).removeprefix('litellm.')}"
    if "LLM Provider NOT provided" in str(exc) or name in ("NotFoundError", "LiteLLMUnknownProvider"):
        return UnknownModelError(message, status_code=status, model=model)
    if name in ("AuthenticationError", "PermissionDeniedError") or status in (401, 403):
        return AuthenticationError(message, status_code=status, model=model)
    if name == "RateLimitError" or status == 429:
        return RateLimitError(message, status_code=status, model=model)
    if name == "Timeout" or status == 408:
        return ModelTimeoutError(message, status_code=status, model=model)
    if name == "BadRequestError" or (status is not None and 400 <= status < 500):
        return BadRequestError(message, status_code=status, model=model)
    return ProviderError(message, status_code=status, model=model)
