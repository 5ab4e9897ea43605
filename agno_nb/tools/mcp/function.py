"""``MCPFunction``: one MCP tool as an agno_nb ``Function``.

The model is given the server's JSON schema exactly as the server wrote it; re-deriving it through
Python types would lose constraints (patterns, enums, nested ``$defs``). Arguments are checked against
that same schema with a validator compiled at connect time, and problems go back to the model as a
tool error it can correct.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

from ..function import Function, ToolArgumentsError

if TYPE_CHECKING:
    from .toolkit import MCPTools

__all__ = ["MCPFunction", "exposed_name", "compile_schema", "function_options"]

_INVALID = re.compile(r"[^A-Za-z0-9_-]")


def exposed_name(tool_name: str, prefix: str | None) -> str:
    """The name the model sees: ``prefix_name``, with characters providers refuse replaced by ``_``.

    MCP allows dots and slashes and up to 128 characters; OpenAI-style function names allow neither.
    """
    name = f"{prefix}_{tool_name}" if prefix else tool_name
    name = _INVALID.sub("_", name)
    return name[:64]


def compile_schema(schema: Any) -> Any:
    """A compiled ``jsonschema`` validator for a tool's input schema; ``ValueError`` says why it is not one."""
    from jsonschema import SchemaError
    from jsonschema.validators import validator_for
    from referencing import Registry

    if not isinstance(schema, dict):
        raise ValueError(f"the input schema is a {type(schema).__name__}, not a JSON object")
    if schema.get("type", "object") != "object":
        raise ValueError(f"the input schema's type is {schema.get('type')!r}; tool arguments are an object")
    if "properties" in schema and not isinstance(schema["properties"], dict):
        raise ValueError("the input schema's 'properties' is not an object")
    cls = validator_for(schema)
    try:
        cls.check_schema(schema)
    except SchemaError as exc:
        raise ValueError(f"not a valid JSON schema: {exc.message}") from None
    return cls(schema, registry=Registry())


class MCPFunction(Function):
    """A tool served by an MCP server; calling it sends ``tools/call`` through the toolkit's connection."""

    __slots__ = ("mcp_name", "input_schema", "_validator", "_toolkit", "_signature")

    def __init__(self, toolkit: "MCPTools", tool: Any, name: str, validator: Any, **options: Any):
        mcp_name = tool.name

        async def call(**arguments: Any) -> Any:
            return await toolkit._call(mcp_name, arguments)

        call.__name__ = name
        super().__init__(call, name=name, description=tool.description or tool.title or "", **options)
        self.mcp_name = mcp_name
        self.input_schema = tool.input_schema
        self._validator = validator
        self._toolkit = toolkit
        #: what this tool was built from: a reconnection that lists the same tool keeps this object
        self._signature = (mcp_name, name, self.description, json.dumps(tool.input_schema, sort_keys=True),
                           tuple(sorted(options.items())))

    def _build(self) -> None:
        parameters = dict(self.input_schema)
        parameters.setdefault("properties", {})
        self._schema = {"type": "function",
                        "function": {"name": self.name, "description": self.description or "",
                                     "parameters": parameters}}
        self._injected = ()

    def validate(self, arguments: Any) -> dict[str, Any]:
        if arguments is None or arguments == "":
            arguments = {}
        if isinstance(arguments, str):
            try:
                arguments = json.loads(arguments)
            except json.JSONDecodeError as exc:
                raise ToolArgumentsError(f"arguments are not valid JSON ({exc.msg} at char {exc.pos})") from None
        if not isinstance(arguments, dict):
            raise ToolArgumentsError(f"arguments must be a JSON object, got {type(arguments).__name__}")
        problems = sorted(self._validator.iter_errors(arguments), key=lambda e: list(e.path))
        if problems:
            text = "; ".join(f"{'.'.join(str(p) for p in e.path) or 'arguments'}: {e.message}"
                             for e in problems[:5])
            raise ToolArgumentsError(f"invalid arguments for {self.name}: {text}")
        return arguments

    def replace(self, **changes: Any) -> "MCPFunction":
        raise TypeError("MCP tools are configured on their toolkit (MCPTools(..., requires_confirmation_tools=...)).")


def function_options(name: str, flags: dict[str, list[str]]) -> dict[str, Any]:
    """The per-tool options (``requires_confirmation`` ...) that the toolkit's lists give ``name``."""
    return {flag: True for flag, names in flags.items() if name in names}

