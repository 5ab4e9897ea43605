"""Deterministic model scripts: what the scripted model says, turn by turn.

One script can be served three ways, so every model code path is exercised with the same answers:
in-process (``ScriptedModel``), through LiteLLM as the custom provider ``scripted/<name>``, and over
HTTP by the loopback OpenAI-compatible server (``agno_nb.models.scripted_server``).

A script is either a list of turns, replayed in order (``cycle=True`` starts over at the end), or a
responder ``(messages, tools) -> Turn`` that decides from the conversation, which is what a server
hit by many clients at once needs.

    from agno_nb.models.scripts import text, tool_call, error
    script = [tool_call("get_weather", city="Paris"), text("Sunny in Paris.")]
"""

from __future__ import annotations

import itertools
import json
import threading
from typing import Any, Callable, Iterable, Sequence

from ..errors import ConfigurationError, ModelTimeoutError, ProviderError, RateLimitError

__all__ = ["Turn", "Script", "text", "tool_call", "tool_calls", "json_reply", "error", "register_script",
           "get_script", "script_names", "estimate_tokens"]

_ERRORS = {"rate_limit": (429, "Rate limit reached (scripted)"),
           "timeout": (408, "Request timed out (scripted)"),
           "server": (500, "Internal server error (scripted)"),
           "unavailable": (503, "Service unavailable (scripted)")}
_call_ids = itertools.count(1)


class Turn:
    """One model answer: text, tool calls, or an error; optionally after ``delay`` seconds."""

    __slots__ = ("content", "tool_calls", "error", "delay", "reasoning")

    def __init__(self, content: str | None = None, tool_calls: Sequence[tuple[str, dict]] = (), *,
                 error: str | None = None, delay: float = 0.0, reasoning: str | None = None):
        if error is not None and error not in _ERRORS:
            raise ConfigurationError(f"Unknown scripted error {error!r}; use one of {sorted(_ERRORS)}.")
        self.content = content
        self.tool_calls = list(tool_calls)
        self.error = error
        self.delay = delay
        self.reasoning = reasoning

    @property
    def error_status(self) -> int:
        return _ERRORS[self.error][0] if self.error else 200

    @property
    def error_message(self) -> str:
        return _ERRORS[self.error][1] if self.error else ""

    def raise_error(self, model: str) -> None:
        """Raise the agno_nb exception this turn's error stands for (in-process transport)."""
        status, message = _ERRORS[self.error]  # type: ignore[index]
        cls = {429: RateLimitError, 408: ModelTimeoutError}.get(status, ProviderError)
        raise cls(f"{model}: {message}", status_code=status, model=model)

    def openai_tool_calls(self) -> list[dict[str, Any]]:
        """The tool calls in OpenAI's wire format, with fresh ids."""
        return [{"id": f"call_{next(_call_ids)}", "type": "function",
                 "function": {"name": name, "arguments": json.dumps(args)}}
                for name, args in self.tool_calls]

    def __repr__(self) -> str:
        if self.error:
            return f"Turn(error={self.error!r})"
        return f"Turn(content={self.content!r}, tool_calls={self.tool_calls!r})"


def text(content: str, *, delay: float = 0.0, reasoning: str | None = None) -> Turn:
    """A turn that answers with ``content``."""
    return Turn(content, delay=delay, reasoning=reasoning)


def tool_call(name: str, /, *, delay: float = 0.0, **arguments: Any) -> Turn:
    """A turn that calls one tool."""
    return Turn(None, [(name, arguments)], delay=delay)


def tool_calls(*calls: tuple[str, dict], delay: float = 0.0) -> Turn:
    """A turn that calls several tools at once: ``tool_calls(("a", {...}), ("b", {...}))``."""
    return Turn(None, calls, delay=delay)


def json_reply(obj: Any, *, delay: float = 0.0) -> Turn:
    """A turn that answers with ``obj`` as JSON text (for ``output_schema`` runs)."""
    return Turn(json.dumps(obj), delay=delay)


def error(kind: str, *, delay: float = 0.0) -> Turn:
    """A turn that fails: ``rate_limit`` (429), ``timeout`` (408), ``server`` (500), ``unavailable`` (503)."""
    return Turn(error=kind, delay=delay)


Responder = Callable[[list[dict[str, Any]], list[dict[str, Any]] | None], Turn]


class Script:
    """A named sequence of turns or a responder. Thread-safe: servers call it from many requests."""

    def __init__(self, turns: Iterable[Turn | str] | Responder, *, name: str = "script", cycle: bool = False):
        self.name = name
        self.cycle = cycle
        self._responder: Responder | None = turns if callable(turns) else None
        self._turns = [] if callable(turns) else [_as_turn(t) for t in turns]
        self._position = 0
        self._lock = threading.Lock()

    def next_turn(self, messages: list[dict[str, Any]], tools: list[dict[str, Any]] | None = None) -> Turn:
        if self._responder is not None:
            return _as_turn(self._responder(messages, tools))
        with self._lock:
            if self._position >= len(self._turns):
                if not self.cycle or not self._turns:
                    raise ConfigurationError(
                        f"Scripted model {self.name!r} has no turns left (it had {len(self._turns)}); "
                        f"add turns or pass cycle=True.")
                self._position = 0
            turn = self._turns[self._position]
            self._position += 1
            return turn

    def reset(self) -> None:
        with self._lock:
            self._position = 0

    def __repr__(self) -> str:
        kind = "responder" if self._responder else f"{len(self._turns)} turns"
        return f"Script({self.name!r}, {kind})"


def _as_turn(value: Turn | str) -> Turn:
    if isinstance(value, Turn):
        return value
    if isinstance(value, str):
        return Turn(value)
    raise ConfigurationError(f"A script turn must be a Turn or a string, got {type(value).__name__}.")


# ------------------------------------------------------------------------------------ registry

_registry: dict[str, Script] = {}
_registry_lock = threading.Lock()


def register_script(name: str, turns: Iterable[Turn | str] | Responder | Script, *, cycle: bool = False) -> Script:
    """Make a script reachable by name: ``scripted/<name>`` in LiteLLM and ``model=<name>`` over HTTP."""
    script = turns if isinstance(turns, Script) else Script(turns, name=name, cycle=cycle)
    with _registry_lock:
        _registry[name] = script
    return script


def get_script(name: str) -> Script:
    try:
        return _registry[name]
    except KeyError:
        raise ConfigurationError(
            f"No scripted model named {name!r}; registered: {sorted(_registry)}. "
            f"Register one with agno_nb.models.scripts.register_script({name!r}, [...]).") from None


def script_names() -> list[str]:
    return sorted(_registry)


def estimate_tokens(text: str | None) -> int:
    """A deterministic token count (about four characters a token) for scripted usage figures."""
    return (len(text) + 3) // 4 if text else 0


def _last_user_text(messages: list[dict[str, Any]]) -> str:
    for message in reversed(messages):
        if message.get("role") == "user":
            content = message.get("content")
            return content if isinstance(content, str) else json.dumps(content)
    return ""


def _echo(messages, tools):
    return Turn(f"You said: {_last_user_text(messages)}")


def _weather(messages, tools):
    # Call the tool once per user question, then answer from its result.
    if messages and messages[-1].get("role") == "tool":
        return Turn("It is sunny in Paris.")
    return Turn(None, [("get_weather", {"city": "Paris"})])


register_script("echo", _echo)
register_script("weather", _weather)
register_script("bench-text", lambda messages, tools: Turn("ok"))
register_script("bench-tool", _weather)
