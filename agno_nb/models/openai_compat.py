"""The direct transport: OpenAI's chat-completions wire format over one pooled aiohttp session.

Why not always LiteLLM: measured here, ``litellm.acompletion`` costs ~2 ms of Python per call even
against an instant server, more than an entire Agno run. OpenAI, vLLM, llama.cpp, Ollama's ``/v1``,
Groq, OpenRouter and DeepSeek all speak this one format, so those ids take this lean path; every other
provider goes through LiteLLM. Both produce identical events.

Why aiohttp rather than httpx: against a loopback server a request costs ~0.28 ms with aiohttp and
~0.73 ms with httpx (measured here), and aiohttp is already installed as a LiteLLM dependency. Like
httpx it honours the proxy environment variables (``trust_env``).
"""

from __future__ import annotations

import asyncio
import atexit
import json
import os
from typing import Any, AsyncIterator

from ..errors import (AuthenticationError, BadRequestError, MissingAPIKeyError, ModelError,
                      ModelTimeoutError, ProviderError, RateLimitError, UnknownModelError)
from .base import Model, ModelResponse, Reasoning, Stream, ToolCall
from .pricing import price_of

__all__ = ["OpenAICompatModel", "PROVIDERS"]

#: provider -> (default base URL, key variable, base URL variables). All speak OpenAI's format.
PROVIDERS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "openai": ("https://api.openai.com/v1", "OPENAI_API_KEY", ("OPENAI_API_BASE", "OPENAI_BASE_URL")),
    "groq": ("https://api.groq.com/openai/v1", "GROQ_API_KEY", ("GROQ_API_BASE",)),
    "openrouter": ("https://openrouter.ai/api/v1", "OPENROUTER_API_KEY", ("OPENROUTER_API_BASE",)),
    "deepseek": ("https://api.deepseek.com/v1", "DEEPSEEK_API_KEY", ("DEEPSEEK_API_BASE",)),
}

_sessions: dict[Any, tuple[Any, Any]] = {}  # loop -> (aiohttp session, its closer)


async def _session() -> Any:
    """One pooled session per event loop: connections cannot move between loops.

    The session is closed when its loop shuts down (``asyncio.run`` and pytest close loops with
    ``shutdown_asyncgens``): a suspended async generator registered on the loop closes it then.
    """
    import asyncio

    loop = asyncio.get_running_loop()
    entry = _sessions.get(loop)
    if entry is not None:
        return entry[0]
    import aiohttp

    for stale in [other for other in _sessions if other.is_closed()]:
        del _sessions[stale]
    if not _sessions:
        atexit.register(_close_sessions_at_exit)
    session = aiohttp.ClientSession(trust_env=True, connector=aiohttp.TCPConnector(limit=200))
    closer = _close_on_shutdown(session)
    await closer.__anext__()
    _sessions[loop] = (session, closer)
    return session


def _close_sessions_at_exit() -> None:
    """Close sessions on loops that outlive the program (agno_nb's own sync-call loops) quietly."""
    import asyncio

    for loop, (session, _) in list(_sessions.items()):
        try:
            if loop.is_closed() or session.closed:
                continue
            if loop.is_running():
                asyncio.run_coroutine_threadsafe(session.close(), loop).result(2)
            else:
                loop.run_until_complete(session.close())
        except Exception:  # the interpreter is going away; nothing useful to report
            pass
    _sessions.clear()


async def _close_on_shutdown(session: Any) -> AsyncIterator[None]:
    try:
        yield
    finally:
        await session.close()


class OpenAICompatModel(Model):
    """A model served by an OpenAI-compatible endpoint, called directly over aiohttp."""

    __slots__ = ("provider", "name", "api_base", "api_key", "_headers", "_url")
    transport = "direct"

    def __init__(self, id: str, *, api_base: str | None = None, api_key: str | None = None, **kwargs: Any):
        provider, _, name = id.partition("/")
        if provider not in PROVIDERS or not name:
            raise UnknownModelError(f"{id!r} is not an OpenAI-compatible model id ({sorted(PROVIDERS)}/<model>).")
        super().__init__(id, **kwargs)
        default_base, key_var, base_vars = PROVIDERS[provider]
        self.provider = provider
        self.name = name
        self.api_base = (api_base or _first_env(base_vars) or default_base).rstrip("/")
        self.api_key = api_key or os.environ.get(key_var)
        self._url = self.api_base + "/chat/completions"
        self._headers = {"Content-Type": "application/json"}
        if self.api_key:
            self._headers["Authorization"] = f"Bearer {self.api_key}"

    @property
    def supports_native_schema(self) -> bool:
        return True

    def check(self) -> None:
        default_base, key_var, _ = PROVIDERS[self.provider]
        # A custom base (a local vLLM, llama.cpp, Ollama, a test server) usually needs no key.
        if not self.api_key and self.api_base == default_base:
            raise MissingAPIKeyError(
                f"Model {self.id!r} needs an API key: set {key_var} in the environment or in a .env file "
                f"(or pass api_key=... to the model).", model=self.id)

    def _body(self, messages, tools, response_format, stream) -> bytes:
        body: dict[str, Any] = {"model": self.name, "messages": messages}
        if tools:
            body["tools"] = tools
        if response_format is not None:
            body["response_format"] = response_format
        if stream:
            body["stream"] = True
            body["stream_options"] = {"include_usage": True}
        if self.options:
            body.update(self.options)
        return json.dumps(body, ensure_ascii=False).encode()

    async def respond(self, messages, *, tools, response_format, stream) -> Stream:
        import aiohttp

        session = await _session()
        body = self._body(messages, tools, response_format, stream)
        # A stream may legitimately run for minutes: bound the wait between chunks, not the total.
        timeout = (aiohttp.ClientTimeout(total=None, sock_connect=10, sock_read=self.timeout) if stream
                   else aiohttp.ClientTimeout(total=self.timeout, sock_connect=10))
        try:
            async with session.post(self._url, data=body, headers=self._headers, timeout=timeout) as response:
                if response.status >= 400:
                    raise self._error(response.status, (await response.read()).decode(errors="replace"))
                if not stream:
                    yield self._parse(json.loads(await response.read()))
                    return
                async for item in self._parse_stream(response):
                    yield item
        except asyncio.TimeoutError:
            raise ModelTimeoutError(f"{self.id}: no answer from {self.api_base} within {self.timeout}s.",
                                    model=self.id) from None
        except aiohttp.ClientError as exc:
            raise ProviderError(f"{self.id}: cannot reach {self.api_base}: {exc or type(exc).__name__}.",
                                model=self.id) from None

    def _parse(self, data: dict[str, Any]) -> ModelResponse:
        choice = data["choices"][0]
        message = choice.get("message") or {}
        calls = [ToolCall(c.get("id") or f"call_{i}", c["function"]["name"], c["function"].get("arguments") or "{}")
                 for i, c in enumerate(message.get("tool_calls") or ())]
        usage = data.get("usage") or {}
        return self._response(message.get("content"), calls, message.get("reasoning_content"), usage,
                              choice.get("finish_reason"))

    async def _parse_stream(self, response: Any) -> Stream:
        parts: list[str] = []
        reasoning: list[str] = []
        calls: dict[int, list[str]] = {}  # index -> [id, name, arguments]
        usage: dict[str, Any] = {}
        finish_reason = None
        async for raw in response.content:
            if not raw.startswith(b"data:"):
                continue
            payload = raw[5:].strip()
            if payload == b"[DONE]":
                break
            chunk = json.loads(payload)
            if chunk.get("usage"):
                usage = chunk["usage"]
            for choice in chunk.get("choices") or ():
                delta = choice.get("delta") or {}
                finish_reason = choice.get("finish_reason") or finish_reason
                if delta.get("reasoning_content"):
                    reasoning.append(delta["reasoning_content"])
                    yield Reasoning(delta["reasoning_content"])
                if delta.get("content"):
                    parts.append(delta["content"])
                    yield delta["content"]
                for call in delta.get("tool_calls") or ():
                    slot = calls.setdefault(call.get("index", 0), ["", "", ""])
                    function = call.get("function") or {}
                    slot[0] = call.get("id") or slot[0]
                    slot[1] += function.get("name") or ""
                    slot[2] += function.get("arguments") or ""
        tool_calls = [ToolCall(i or f"call_{n}", name, args or "{}")
                      for n, (i, name, args) in sorted(calls.items())]
        yield self._response("".join(parts) or None, tool_calls, "".join(reasoning) or None, usage, finish_reason)

    def _response(self, content, calls, reasoning, usage, finish_reason) -> ModelResponse:
        input_tokens = usage.get("prompt_tokens") or 0
        output_tokens = usage.get("completion_tokens") or 0
        return ModelResponse(content, calls, reasoning=reasoning, input_tokens=input_tokens,
                             output_tokens=output_tokens, finish_reason=finish_reason,
                             cost=price_of(self.id, input_tokens, output_tokens) if usage else None)

    def _error(self, status: int, body: str) -> ModelError:
        detail = _error_detail(body)
        where = f"{self.id} at {self.api_base}"
        if status in (401, 403):
            _, key_var, _ = PROVIDERS[self.provider]
            return AuthenticationError(f"{where} rejected the API key (HTTP {status}): {detail}. "
                                       f"Check {key_var}.", status_code=status, model=self.id)
        if status == 404:
            return UnknownModelError(f"{where}: model {self.name!r} not found (HTTP 404): {detail}.",
                                     status_code=status, model=self.id)
        if status == 429:
            return RateLimitError(f"{where}: rate limited (HTTP 429): {detail}.", status_code=status, model=self.id)
        if status == 408:
            return ModelTimeoutError(f"{where}: timed out (HTTP 408): {detail}.", status_code=status, model=self.id)
        if status >= 500:
            return ProviderError(f"{where}: server error (HTTP {status}): {detail}.", status_code=status,
                                 model=self.id)
        return BadRequestError(f"{where}: request rejected (HTTP {status}): {detail}.", status_code=status,
                               model=self.id)


def _first_env(names: tuple[str, ...]) -> str | None:
    for name in names:
        value = os.environ.get(name)
        if value:
            return value
    return None


def _error_detail(body: str) -> str:
    try:
        data = json.loads(body)
    except ValueError:
        return body.strip()[:300] or "no details"
    error = data.get("error", data) if isinstance(data, dict) else data
    if isinstance(error, dict):
        return str(error.get("message") or error)[:300]
    return str(error)[:300]
