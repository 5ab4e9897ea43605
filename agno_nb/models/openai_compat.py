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
from ..jsonsafe import _clean as _clean_text
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
        text = json.dumps(body, ensure_ascii=False)
        try:
            return text.encode()
        except UnicodeEncodeError:  # a lone surrogate (pasted text): send U+FFFD, as the store keeps it
            return _clean_text(text).encode()

    async def respond(self, messages, *, tools, response_format, stream) -> Stream:
        import aiohttp

        session = await _session()
        body = self._body(messages, tools, response_format, stream)
        # The agent loop bounds each wait (model_call's watchdog); these are the socket-level backstops.
        timeout = aiohttp.ClientTimeout(total=None, sock_connect=10, sock_read=self.timeout)
        try:
            async with session.post(self._url, data=body, headers=self._headers, timeout=timeout) as response:
                if response.status >= 400:
                    text = (await response.read()).decode(errors="replace")
                    raise self._error(response.status, text, _retry_after(response.headers))
                kind = response.headers.get("Content-Type", "")
                if stream and "text/event-stream" in kind:
                    async for item in self._parse_stream(response):
                        yield item
                    return
                # Not a stream (also when a server ignored stream=true and answered with one JSON body).
                response_ = self._parse(await response.read(), kind)
                if stream and response_.content:
                    yield response_.content
                yield response_
        except asyncio.TimeoutError:
            raise ModelTimeoutError(f"{self.id}: no answer from {self.api_base} within {self.timeout}s.",
                                    model=self.id) from None
        except aiohttp.ClientError as exc:
            raise ProviderError(f"{self.id}: cannot reach {self.api_base} or the connection broke: "
                                f"{exc or type(exc).__name__}.", model=self.id) from None

    def _parse(self, raw: bytes, kind: str) -> ModelResponse:
        """A complete chat completion, or a clear error naming the provider and quoting what came back."""
        try:
            data = json.loads(raw)
        except ValueError:
            raise ProviderError(f"{self._where()}: the answer is not JSON ({kind or 'no content type'}): "
                                f"{_preview(raw)}", model=self.id) from None
        if isinstance(data, dict) and data.get("error") and not data.get("choices"):
            raise self._body_error(data["error"], raw)
        choices = data.get("choices") if isinstance(data, dict) else None
        if not choices or not isinstance(choices, list) or not isinstance(choices[0], dict):
            raise ProviderError(f"{self._where()}: the answer has no choices: {_preview(raw)}", model=self.id)
        choice = choices[0]
        message = choice.get("message")
        if not isinstance(message, dict):
            raise ProviderError(f"{self._where()}: the answer's choice has no message: {_preview(raw)}", model=self.id)
        calls = message.get("tool_calls") or []
        if not isinstance(calls, list):
            raise ProviderError(f"{self._where()}: the answer's tool_calls is not a list: {_preview(raw)}",
                                model=self.id)
        calls = [_tool_call(call, i) for i, call in enumerate(calls)]
        usage = data.get("usage") or {}
        return self._response(message.get("content"), calls, message.get("reasoning_content"), usage,
                              choice.get("finish_reason"))

    async def _parse_stream(self, response: Any) -> Stream:
        parts: list[str] = []
        reasoning: list[str] = []
        calls: dict[int, list[str]] = {}  # index -> [id, name, arguments]
        usage: dict[str, Any] = {}
        finish_reason = None
        done = choices_seen = False
        head = b""  # the first bytes, quoted when the stream makes no sense
        async for data in _sse_data(response.content, self._where()):
            if len(head) < 200:
                head += data[:200]
            if data == b"[DONE]":
                done = True
                break
            try:
                chunk = json.loads(data)
            except ValueError:
                raise ProviderError(f"{self._where()}: a stream event is not JSON: {_preview(data)}",
                                    model=self.id) from None
            if not isinstance(chunk, dict):
                raise ProviderError(f"{self._where()}: unexpected stream event: {_preview(data)}", model=self.id)
            if chunk.get("error"):
                raise self._body_error(chunk["error"], data)
            if chunk.get("usage"):
                usage = chunk["usage"]
            for choice in chunk.get("choices") or ():
                choices_seen = True
                delta = choice.get("delta") or {}
                finish_reason = choice.get("finish_reason") or finish_reason
                if delta.get("reasoning_content"):
                    reasoning.append(delta["reasoning_content"])
                    yield Reasoning(delta["reasoning_content"])
                if delta.get("content"):
                    parts.append(delta["content"])
                    yield delta["content"]
                for call in delta.get("tool_calls") or ():
                    # a malformed piece (no function, arguments as an object) is kept: see _tool_call
                    whole = _tool_call(call, 0)
                    index = call.get("index", 0) if isinstance(call, dict) else len(calls)
                    slot = calls.setdefault(index if isinstance(index, int) else len(calls), ["", "", ""])
                    slot[0] = (call.get("id") if isinstance(call, dict) else None) or slot[0]
                    slot[1] += whole.name
                    slot[2] += "" if whole.arguments == "{}" and not _has_arguments(call) else whole.arguments
        if not choices_seen:
            raise ProviderError(f"{self._where()}: the stream carried no answer (no choices): "
                                f"{_preview(head) if head else 'empty body'}", model=self.id)
        if not done and finish_reason is None:
            raise ProviderError(f"{self._where()}: the stream was cut before its end (no finish_reason, no [DONE]) "
                                f"after {len(''.join(parts))} characters; the answer would be incomplete.",
                                model=self.id)
        tool_calls = [ToolCall(i or f"call_{n}", name, args or "{}")
                      for n, (i, name, args) in sorted(calls.items())]
        yield self._response("".join(parts) or None, tool_calls, "".join(reasoning) or None, usage, finish_reason)

    def _where(self) -> str:
        return f"{self.id} at {self.api_base}"

    def _response(self, content, calls, reasoning, usage, finish_reason) -> ModelResponse:
        input_tokens = usage.get("prompt_tokens") or 0
        output_tokens = usage.get("completion_tokens") or 0
        return ModelResponse(content, calls, reasoning=reasoning, input_tokens=input_tokens,
                             output_tokens=output_tokens, finish_reason=finish_reason,
                             cost=price_of(self.id, input_tokens, output_tokens) if usage else None)

    def _error(self, status: int, body: str, retry_after: float | None = None) -> ModelError:
        detail = _error_detail(body)
        where = self._where()
        if status in (401, 403):
            _, key_var, _ = PROVIDERS[self.provider]
            return AuthenticationError(f"{where} rejected the API key (HTTP {status}): {detail}. "
                                       f"Check {key_var}.", status_code=status, model=self.id)
        if status == 404:
            return UnknownModelError(f"{where}: model {self.name!r} not found (HTTP 404): {detail}.",
                                     status_code=status, model=self.id)
        if status == 429:
            return RateLimitError(f"{where}: rate limited (HTTP 429): {detail}.", status_code=status, model=self.id,
                                  retry_after=retry_after)
        if status == 408:
            return ModelTimeoutError(f"{where}: timed out (HTTP 408): {detail}.", status_code=status, model=self.id)
        if status >= 500:
            return ProviderError(f"{where}: server error (HTTP {status}): {detail}.", status_code=status,
                                 model=self.id, retry_after=retry_after)
        return BadRequestError(f"{where}: request rejected (HTTP {status}): {detail}.", status_code=status,
                               model=self.id)

    def _body_error(self, error: Any, raw: bytes) -> ModelError:
        """An error object inside a 200 answer (some proxies and servers report failures that way)."""
        if isinstance(error, dict):
            code = str(error.get("code") or error.get("type") or "")
            message = str(error.get("message") or error)[:300]
        else:
            code, message = "", str(error)[:300]
        where = f"{self._where()} answered with an error"
        if "rate" in code or "429" in code:
            return RateLimitError(f"{where} ({code}): {message}.", model=self.id)
        if any(word in code for word in ("invalid", "context_length", "not_found", "unsupported")):
            return BadRequestError(f"{where} ({code}): {message}.", model=self.id)
        return ProviderError(f"{where}{f' ({code})' if code else ''}: {message}.", model=self.id)


async def _sse_data(content: Any, where: str, limit: int = 64 * 1024 * 1024) -> AsyncIterator[bytes]:
    """The ``data`` of each server-sent event, however large (aiohttp's line reader stops at 128 KiB).

    Comments (``: keep-alive``) and other fields are skipped; multi-line data is joined with newlines.
    """
    buffer = b""
    data: list[bytes] = []
    async for block in content.iter_any():
        buffer = buffer + block if buffer else block
        start = 0
        while True:
            cut = buffer.find(b"\n", start)
            if cut < 0:
                break
            line = buffer[start:cut]
            start = cut + 1
            if line.endswith(b"\r"):
                line = line[:-1]
            if not line:
                if data:
                    yield b"\n".join(data)
                    data = []
            elif line.startswith(b"data:"):
                data.append(line[6:] if line.startswith(b"data: ") else line[5:])
        buffer = buffer[start:]
        if len(buffer) > limit:
            raise ProviderError(f"{where}: a stream event is larger than {limit // (1024 * 1024)} MiB; refusing it.")
    line = buffer.rstrip(b"\r")
    if line.startswith(b"data:"):
        data.append(line[6:] if line.startswith(b"data: ") else line[5:])
    if data:
        yield b"\n".join(data)


def _tool_call(call: Any, index: int) -> ToolCall:
    """One tool call as the model sent it, even a malformed one.

    Small local models and lenient servers send calls with no name, arguments as an object, or no
    ``function`` at all. Failing the whole answer would end the run; instead the call goes to the loop
    as it is, and the loop answers it with a ``ToolCallError`` (unknown or missing tool name, arguments
    that are not JSON) the model sees and the trace shows.
    """
    if not isinstance(call, dict):
        return ToolCall(f"call_{index}", "", json.dumps(call, ensure_ascii=False, default=str))
    function = call.get("function")
    if not isinstance(function, dict):
        function = {"arguments": json.dumps(function, ensure_ascii=False, default=str)} if function else {}
    name = function.get("name")
    arguments = function.get("arguments")
    if arguments is not None and not isinstance(arguments, str):
        arguments = json.dumps(arguments, ensure_ascii=False, default=str)
    return ToolCall(str(call.get("id") or f"call_{index}"), name if isinstance(name, str) else "",
                    arguments or "{}")


def _has_arguments(call: Any) -> bool:
    function = call.get("function") if isinstance(call, dict) else None
    return isinstance(function, dict) and bool(function.get("arguments"))


def _retry_after(headers: Any) -> float | None:
    """``Retry-After`` (seconds or an HTTP date) or ``retry-after-ms``, in seconds."""
    value = headers.get("retry-after-ms")
    if value:
        try:
            return max(0.0, float(value) / 1000)
        except ValueError:
            pass
    value = headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        from email.utils import parsedate_to_datetime
        import time as _time

        try:
            return max(0.0, parsedate_to_datetime(value).timestamp() - _time.time())
        except (TypeError, ValueError):
            return None


def _preview(raw: bytes, limit: int = 160) -> str:
    text = raw[:limit].decode(errors="replace").strip()
    return repr(text + ("..." if len(raw) > limit else "")) if text else "an empty body"


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
