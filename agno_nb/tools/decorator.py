"""The ``@tool`` decorator."""

from __future__ import annotations

from typing import Any, Callable, overload

from .function import Function

__all__ = ["tool"]


@overload
def tool(fn: Callable[..., Any], /) -> Function: ...
@overload
def tool(
    *,
    name: str | None = None,
    description: str | None = None,
    instructions: str | None = None,
    show_result: bool = False,
    stop_after_tool_call: bool = False,
    cache_results: bool = False,
    cache_ttl: float = 3600.0,
    timeout: float | None = None,
    requires_confirmation: bool = False,
    requires_user_input: bool = False,
    user_input_fields: list[str] | None = None,
    external_execution: bool = False,
) -> Callable[[Callable[..., Any]], Function]: ...


def tool(fn: Callable[..., Any] | None = None, /, **options: Any) -> Any:
    """Turn a function (sync, async, generator or async generator) into a tool.

    Use bare (``@tool``) or with options (``@tool(timeout=5, cache_results=True)``):

    - ``name`` / ``description``: override the function's name and docstring summary,
    - ``instructions``: text added to the agent's system prompt when this tool is available,
    - ``show_result``: append the tool's result to the run's answer,
    - ``stop_after_tool_call``: end the run right after this tool; its result becomes the answer,
    - ``cache_results`` / ``cache_ttl``: reuse results for identical arguments for ``cache_ttl`` seconds,
    - ``timeout``: seconds before the call is abandoned and the model told it timed out.

    Human in the loop (the run pauses with status ``paused``; see ``Agent.continue_run``):

    - ``requires_confirmation``: a person approves, edits or rejects each call first,
    - ``requires_user_input`` / ``user_input_fields``: a person supplies those arguments (hidden from
      the model),
    - ``external_execution``: the caller runs the tool and hands back its result.

    The decorated object still behaves like the function when called directly.
    """
    if fn is not None:
        return Function(fn, **options)
    return lambda f: Function(f, **options)
