"""What every model transport speaks: the ``Model`` base class and the shapes it yields.

A transport turns one request (messages, tools, response format) into a stream of text deltas
(``str``), reasoning deltas (``Reasoning``) and exactly one final ``ModelResponse``. Non-streaming
calls yield only the final response. The agent loop handles retries, events and timing, so a
transport stays a thin adapter.
"""

from __future__ import annotations

from typing import Any, AsyncIterator

__all__ = ["Model", "ModelResponse", "Reasoning", "ToolCall", "Stream"]


class ToolCall:
    """A tool call the model asked for. ``arguments`` is the raw JSON text the model produced."""

    __slots__ = ("id", "name", "arguments")

    def __init__(self, id: str, name: str, arguments: str):
        self.id = id
        self.name = name
        self.arguments = arguments

    def to_message(self) -> dict[str, Any]:
        return {"id": self.id, "type": "function", "function": {"name": self.name, "arguments": self.arguments}}

    def __repr__(self) -> str:
        return f"ToolCall({self.name}({self.arguments}), id={self.id!r})"


class Reasoning(str):
    """A piece of provider-native reasoning text (a ``str`` subclass so it is cheap to yield)."""

    __slots__ = ()


class ModelResponse:
    """The complete answer of one model call."""

    __slots__ = ("content", "tool_calls", "reasoning", "input_tokens", "output_tokens", "cost",
                 "finish_reason")

    def __init__(self, content: str | None = None, tool_calls: list[ToolCall] | None = None, *,
                 reasoning: str | None = None, input_tokens: int = 0, output_tokens: int = 0,
                 cost: float | None = None, finish_reason: str | None = None):
        self.content = content
        self.tool_calls = tool_calls or []
        self.reasoning = reasoning
        self.input_tokens = input_tokens
        self.output_tokens = output_tokens
        self.cost = cost
        self.finish_reason = finish_reason

    def to_message(self) -> dict[str, Any]:
        """The assistant message to append to the conversation."""
        message: dict[str, Any] = {"role": "assistant", "content": self.content}
        if self.tool_calls:
            message["tool_calls"] = [call.to_message() for call in self.tool_calls]
        return message

    def __repr__(self) -> str:
        return f"ModelResponse(content={self.content!r}, tool_calls={self.tool_calls!r})"


Stream = AsyncIterator["str | Reasoning | ModelResponse"]


class Model:
    """Base of all model transports.

    ``id`` is the model id as the user wrote it (normalised to ``provider/model``); ``transport``
    names the code path (``direct``, ``litellm``, ``in-process``) so traces and benchmarks can show
    which one served a call. ``max_retries`` and ``retry_backoff`` drive the agent loop's retries of
    transient errors (429, 5xx, timeouts); ``timeout`` and ``call_deadline`` bound how long a call can
    wait (defaults: 60 s without progress, 90 s in all; a slow reasoning model may need more).
    """

    __slots__ = ("id", "max_retries", "retry_backoff", "timeout", "call_deadline", "options")
    transport = "abstract"

    def __init__(self, id: str, *, max_retries: int = 2, retry_backoff: float = 1.0,
                 timeout: float | None = 60.0, call_deadline: float | None = 90.0, **options: Any):
        self.id = id
        self.max_retries = max_retries
        self.retry_backoff = retry_backoff
        #: seconds one attempt may wait for progress: the whole answer, or (streaming) each next token
        self.timeout = timeout
        #: seconds all attempts of one call may take together (a silent provider gives control back)
        self.call_deadline = call_deadline
        #: extra request parameters sent as-is (temperature, max_tokens, seed, ...)
        self.options = options

    def respond(self, messages: list[dict[str, Any]], *, tools: list[dict[str, Any]] | None,
                response_format: dict[str, Any] | None, stream: bool) -> Stream:
        """Call the model once. Yield deltas when ``stream``, then one ``ModelResponse``."""
        raise NotImplementedError  # pragma: no cover - every transport overrides it

    def check(self) -> None:
        """Raise a clear ``ConfigurationError`` if this model cannot be called (e.g. a missing key)."""

    @property
    def supports_native_schema(self) -> bool:
        """Whether the provider accepts ``response_format={"type": "json_schema", ...}``."""
        return False

    def supports(self, capability: str) -> bool | None:
        """A capability from LiteLLM's model map (``supports_vision``, ...); ``None`` when unknown."""
        from .pricing import model_info

        info = model_info(self.id)
        if not info:
            return None
        return bool(info.get(capability, False))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.id!r})"
