"""``ScriptedModel``: the deterministic model of tests, examples and the offline quickstart.

In-process: no provider client, no HTTP, so it is also the instant model of the run-overhead
benchmark. The same scripts reach LiteLLM (``scripted/<name>``) and the loopback HTTP server.
"""

from __future__ import annotations

import asyncio
from typing import Any, Callable, Iterable

from ..errors import ModelTimeoutError
from .base import Model, ModelResponse, Reasoning, Stream, ToolCall
from .scripts import Script, Turn, estimate_tokens, get_script

__all__ = ["ScriptedModel", "stream_pieces", "input_tokens"]


class ScriptedModel(Model):
    """A model that answers from a script.

    ``script`` is a list of turns (``text``, ``tool_call``, ``json_reply``, ``error`` from
    ``agno_nb.models.scripts``; plain strings mean text), a responder ``(messages, tools) -> Turn``,
    a ``Script``, or the name of a registered script.
    """

    __slots__ = ("script",)
    transport = "in-process"

    def __init__(self, script: Iterable[Turn | str] | Callable[..., Turn] | Script | str = "echo", *,
                 id: str | None = None, cycle: bool = False, **kwargs: Any):
        if isinstance(script, str):
            script = get_script(script)
        elif not isinstance(script, Script):
            script = Script(script, name=id or "inline", cycle=cycle)
        kwargs.setdefault("retry_backoff", 0.01)
        super().__init__(id or f"scripted/{script.name}", **kwargs)
        self.script = script

    @property
    def supports_native_schema(self) -> bool:
        return True

    def supports(self, capability: str) -> bool | None:
        return True  # a script can be written for any input

    async def respond(self, messages, *, tools, response_format, stream) -> Stream:
        turn = self.script.next_turn(messages, tools)
        if turn.delay:
            if self.timeout is not None and turn.delay > self.timeout:
                await asyncio.sleep(self.timeout)
                raise ModelTimeoutError(f"{self.id}: no answer within {self.timeout}s (scripted delay).",
                                        status_code=408, model=self.id)
            await asyncio.sleep(turn.delay)
        if turn.error:
            turn.raise_error(self.id)
        if stream:
            if turn.reasoning:
                for piece in stream_pieces(turn.reasoning):
                    yield Reasoning(piece)
            if turn.content:
                for piece in stream_pieces(turn.content):
                    yield piece
        calls = [ToolCall(c["id"], c["function"]["name"], c["function"]["arguments"])
                 for c in turn.openai_tool_calls()] if turn.tool_calls else None
        yield ModelResponse(
            turn.content, calls, reasoning=turn.reasoning, input_tokens=input_tokens(messages),
            output_tokens=estimate_tokens(turn.content) + 8 * len(turn.tool_calls),
            finish_reason="tool_calls" if calls else "stop")


def stream_pieces(text: str) -> list[str]:
    """Split text the way a provider streams it: word by word, whitespace kept."""
    pieces, start = [], 0
    for i, ch in enumerate(text):
        if ch == " " and i > start:
            pieces.append(text[start:i])
            start = i
    pieces.append(text[start:])
    return pieces


def input_tokens(messages: list[dict[str, Any]]) -> int:
    total = 0
    for message in messages:
        content = message.get("content")
        total += 4 + (estimate_tokens(content) if isinstance(content, str) else 16)
    return total
