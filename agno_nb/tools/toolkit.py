"""``Toolkit``: a named group of tools that share instructions and can be filtered."""

from __future__ import annotations

import asyncio
from typing import Any, Callable, Iterable

from ..errors import ToolDefinitionError
from .function import Function

__all__ = ["Toolkit", "prepare_toolkits"]


class Toolkit:
    """A group of tools. Subclass it and pass bound methods, or pass functions directly.

    ``include_tools`` / ``exclude_tools`` pick which of the group reach the model; unknown names are an
    error rather than a silent no-op, since a typo there would hide a tool the user expects.
    """

    def __init__(
        self,
        name: str = "toolkit",
        tools: Iterable[Callable[..., Any] | Function] = (),
        *,
        instructions: str | None = None,
        include_tools: Iterable[str] | None = None,
        exclude_tools: Iterable[str] | None = None,
        requires_confirmation_tools: Iterable[str] = (),
        external_execution_required_tools: Iterable[str] = (),
        stop_after_tool_call_tools: Iterable[str] = (),
        show_result_tools: Iterable[str] = (),
    ):
        self.name = name
        self.instructions = instructions
        self._tools = list(tools)
        self._include = list(include_tools) if include_tools is not None else None
        self._exclude = list(exclude_tools or ())
        #: option -> tool names it applies to (Agno's per-toolkit lists)
        self._flags = {"requires_confirmation": list(requires_confirmation_tools),
                       "external_execution": list(external_execution_required_tools),
                       "stop_after_tool_call": list(stop_after_tool_call_tools),
                       "show_result": list(show_result_tools)}
        self._functions: dict[str, Function] | None = None

    @property
    def functions(self) -> dict[str, Function]:
        """The toolkit's tools by name, after include/exclude (built once)."""
        if self._functions is None:
            functions = {}
            for item in self._tools:
                fn = item if isinstance(item, Function) else Function(item)
                functions[fn.name] = fn
            lists = [("include_tools", self._include or ()), ("exclude_tools", self._exclude)]
            lists += [(f"{flag} tools", names) for flag, names in self._flags.items()]
            for label, names in lists:
                unknown = [n for n in names if n not in functions]
                if unknown:
                    raise ToolDefinitionError(
                        f"Toolkit {self.name!r}: {label} names unknown tools {unknown}; "
                        f"it has {sorted(functions)}.")
            if self._include is not None:
                functions = {n: f for n, f in functions.items() if n in self._include}
            for n in self._exclude:
                functions.pop(n, None)
            for flag, names in self._flags.items():
                for n in names:
                    if n in functions:
                        functions[n] = functions[n].replace(**{flag: True})
            self._functions = functions
        return self._functions

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r}, tools={list(self.functions)})"


async def prepare_toolkits(tools: Iterable[Any], resolved: dict[str, Function] | None) -> bool:
    """Let toolkits that must connect before use (MCP: ``async def prepare()``) do so, concurrently.

    Returns whether ``resolved`` (an agent's tools as it last resolved them) is out of date: a toolkit
    connected for the first time, or its server now lists different tools.
    """
    kits = [t for t in tools if isinstance(t, Toolkit) and getattr(t, "prepare", None) is not None]
    if not kits:
        return False
    await asyncio.gather(*(kit.prepare() for kit in kits))
    if resolved is None:
        return True
    return any(resolved.get(name) is not fn for kit in kits for name, fn in kit.functions.items())
