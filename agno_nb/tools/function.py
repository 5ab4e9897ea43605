"""``Function``: a Python callable the model can call, with its JSON schema built once.

The schema comes from the signature (type hints: Literal, Optional, unions, lists, dicts, pydantic
models) and the docstring. Arguments from the model are validated by a pydantic model built from the
same signature, so what the model is told and what is checked can never drift apart. Both are built on
first use and cached on the ``Function``; plain functions passed to many agents share one ``Function``.

Parameters the framework fills in (``run_context``, ``session_state``, ``agent``) are hidden from the
schema and injected at call time.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import re
import time
from typing import TYPE_CHECKING, Any, Callable

from ..jsonsafe import dumps
from .._sync import may_block_loop, run_in_thread
from ..errors import ToolDefinitionError
from .docstrings import parse_docstring
from .result import ToolResult

if TYPE_CHECKING:
    from pydantic import BaseModel

__all__ = ["Function", "INJECTED_PARAMETERS", "ToolArgumentsError", "ToolTimeoutError", "serialize_result"]

#: Parameter names the framework injects; a tool declares them to receive per-run objects.
INJECTED_PARAMETERS = frozenset({"run_context", "session_state", "agent", "team", "tool_span"})

_VALID_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
#: where ``from_callable`` keeps a plain function's shared ``Function`` (on the function itself, so the
#: two live and die together)
_SHARED_ATTRIBUTE = "__agno_nb_function__"


class ToolArgumentsError(ValueError):
    """The model sent arguments that do not fit the tool's signature. The message goes back to it."""


class ToolTimeoutError(Exception):
    """The tool ran past its ``timeout`` (distinct from a ``TimeoutError`` the tool raises itself)."""


class Function:
    """A tool: a callable plus the schema and options that describe it to a model."""

    __slots__ = ("entrypoint", "name", "description", "instructions", "show_result",
                 "stop_after_tool_call", "cache_results", "cache_ttl", "timeout", "requires_confirmation",
                 "requires_user_input", "user_input_fields", "external_execution", "emits_events", "_schema",
                 "_args_model", "_injected", "_kind", "_cache")

    def __init__(
        self,
        entrypoint: Callable[..., Any],
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
    ):
        if not callable(entrypoint):
            raise ToolDefinitionError(f"A tool must be callable; got {type(entrypoint).__name__}: {entrypoint!r}.")
        self.entrypoint = entrypoint
        self.name = name or getattr(entrypoint, "__name__", None) or type(entrypoint).__name__
        if not _VALID_NAME.match(self.name):
            raise ToolDefinitionError(
                f"Tool name {self.name!r} is not allowed: use 1-64 letters, digits, '_' or '-' "
                f"(pass name=... to @tool).")
        self.description = description
        self.instructions = instructions
        self.show_result = show_result
        self.stop_after_tool_call = stop_after_tool_call
        self.cache_results = cache_results
        self.cache_ttl = cache_ttl
        if timeout is not None and timeout <= 0:
            raise ToolDefinitionError(f"Tool {self.name!r}: timeout must be positive seconds, got {timeout!r}.")
        self.timeout = timeout
        #: human in the loop: the run pauses before this tool runs (see ``agno_nb.agent.hitl``)
        self.requires_confirmation = requires_confirmation
        self.requires_user_input = requires_user_input or bool(user_input_fields)
        self.user_input_fields = list(user_input_fields or ())
        self.external_execution = external_execution
        #: the tool streams events of its own while it runs (a team's delegation: the member's run)
        self.emits_events = False
        self._schema: dict[str, Any] | None = None
        self._args_model: type[BaseModel] | None = None
        self._injected: tuple[str, ...] = ()
        self._kind = _kind_of(entrypoint)
        self._cache: dict[str, tuple[float, Any]] | None = {} if cache_results else None

    @classmethod
    def from_callable(cls, fn: Callable[..., Any]) -> "Function":
        """The shared ``Function`` for a plain callable (built once, reused by every agent)."""
        if isinstance(fn, Function):
            return fn
        cached = getattr(fn, _SHARED_ATTRIBUTE, None)
        if isinstance(cached, Function) and cached.entrypoint is fn:
            return cached
        function = cls(fn)
        try:
            setattr(fn, _SHARED_ATTRIBUTE, function)
        except (AttributeError, TypeError):  # bound methods, builtins: no sharing, still a tool
            pass
        return function

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Call the underlying function directly, as if it were not a tool."""
        return self.entrypoint(*args, **kwargs)

    def __get__(self, instance: Any, owner: type | None = None) -> "Function":
        """``@tool`` on a method: ``obj.method`` is a tool bound to ``obj`` (built once per instance)."""
        if instance is None:
            return self
        bound = self.replace(entrypoint=self.entrypoint.__get__(instance, owner))
        try:  # a non-data descriptor: the instance attribute now wins on later lookups
            instance.__dict__[getattr(self.entrypoint, "__name__", self.name)] = bound
        except AttributeError:  # __slots__ classes: rebuild on each access
            pass
        return bound

    def __repr__(self) -> str:
        return f"Function({self.name!r})"

    @property
    def needs_human(self) -> bool:
        """Whether a call pauses the run for a person (confirmation, input, or running it themselves)."""
        return self.requires_confirmation or self.requires_user_input or self.external_execution

    def replace(self, **changes: Any) -> "Function":
        """A copy with some options changed (the schema is rebuilt lazily for the copy)."""
        options = {name: getattr(self, name) for name in _OPTIONS}
        options.update(changes)
        return Function(options.pop("entrypoint", self.entrypoint), **options)

    # ------------------------------------------------------------------------------------ schema

    @property
    def schema(self) -> dict[str, Any]:
        """The OpenAI-style tool definition: ``{"type": "function", "function": {...}}``."""
        if self._schema is None:
            self._build()
        return self._schema  # type: ignore[return-value]

    @property
    def parameters(self) -> dict[str, Any]:
        return self.schema["function"]["parameters"]

    @property
    def injected_parameters(self) -> tuple[str, ...]:
        if self._schema is None:
            self._build()
        return self._injected

    def _build(self) -> None:
        from pydantic import ConfigDict, Field, create_model

        fn = self.entrypoint
        target = fn if inspect.isroutine(fn) else getattr(fn, "__call__", fn)
        try:
            signature = inspect.signature(target)
        except (TypeError, ValueError) as exc:
            raise ToolDefinitionError(f"Cannot read the signature of tool {self.name!r}: {exc}") from exc
        hints = _type_hints(target)
        doc = parse_docstring(inspect.getdoc(target))
        fields: dict[str, Any] = {}
        injected: list[str] = []
        for pname, param in signature.parameters.items():
            if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
                continue
            if pname in INJECTED_PARAMETERS or _is_run_context(hints.get(pname)):
                injected.append(pname)
                continue
            annotation = hints.get(pname, Any)
            default = ... if param.default is param.empty else param.default
            fields[pname] = (annotation, Field(default, description=doc.params.get(pname) or None))
        try:
            self._args_model = create_model(  # type: ignore[call-overload]
                f"{self.name}_arguments", __config__=ConfigDict(arbitrary_types_allowed=True, extra="forbid"),
                **fields)
            parameters = self._args_model.model_json_schema()
        except Exception as exc:  # pydantic raises several kinds for unsupported annotations
            raise ToolDefinitionError(
                f"Tool {self.name!r}: a parameter type cannot be described to a model ({exc}). "
                f"Use JSON-friendly types (str, int, float, bool, Literal, list, dict, pydantic models).") from exc
        parameters.pop("title", None)
        parameters.pop("additionalProperties", None)
        for field in self.user_input_fields:  # a person fills these in when the run pauses; never the model
            parameters.get("properties", {}).pop(field, None)
            if field in parameters.get("required", []):
                parameters["required"].remove(field)
        for prop in parameters.get("properties", {}).values():
            prop.pop("title", None)
        parameters.setdefault("properties", {})
        parameters.setdefault("required", [])
        description = self.description or doc.description or ""
        self._injected = tuple(injected)
        self._schema = {"type": "function",
                        "function": {"name": self.name, "description": description, "parameters": parameters}}

    # -------------------------------------------------------------------------------------- call

    def validate(self, arguments: Any) -> dict[str, Any]:
        """Check the model's arguments against the signature and return the call's keyword arguments."""
        if self._args_model is None:
            self._build()
        if arguments is None or arguments == "":
            arguments = {}
        if isinstance(arguments, str):
            try:
                arguments = json.loads(arguments)
            except json.JSONDecodeError as exc:
                raise ToolArgumentsError(f"arguments are not valid JSON ({exc.msg} at char {exc.pos})") from None
        if not isinstance(arguments, dict):
            raise ToolArgumentsError(f"arguments must be a JSON object, got {type(arguments).__name__}")
        from pydantic import ValidationError

        try:
            validated = self._args_model.model_validate(arguments)  # type: ignore[union-attr]
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in err['loc']) or 'arguments'}: {err['msg']}" for err in exc.errors())
            raise ToolArgumentsError(f"invalid arguments for {self.name}: {problems}") from None
        # Attribute access keeps nested pydantic models as objects, which is what the function expects.
        return {name: getattr(validated, name) for name in type(validated).model_fields}

    async def acall(self, kwargs: dict[str, Any], *, in_thread: bool) -> tuple[Any, bool]:
        """Run the tool with validated ``kwargs``; return ``(result, came_from_cache)``.

        A sync tool runs inline unless ``in_thread`` (several calls of one turn should overlap), a
        ``timeout`` is set (a timeout can only interrupt the caller if the tool is off the loop's thread),
        or the loop is shared (a notebook cell's run, so the Stop button ends it at once; an async app or a
        served replica, whose other runs must not wait for this tool): see ``_sync.may_block_loop``. Off the loop, it runs on a daemon thread: a tool that timed out or whose run
        was cancelled cannot be killed, so it runs to its end, but it never keeps the process alive.
        """
        key = None
        if self._cache is not None:
            key = _cache_key(kwargs, self._injected)
            hit = self._cache.get(key)
            if hit is not None and hit[0] > time.monotonic():
                return hit[1], True
        call = self._invoke(kwargs, in_thread or self.timeout is not None or not may_block_loop())
        if self.timeout is None:
            result = await call
        else:
            task = asyncio.ensure_future(call)
            done, _ = await asyncio.wait((task,), timeout=self.timeout)
            if not done:
                task.cancel()
                raise ToolTimeoutError(f"the tool {self.name} timed out after {self.timeout}s")
            result = task.result()
        if key is not None:
            cache = self._cache
            now = time.monotonic()
            if len(cache) >= _CACHE_SIZE:  # drop expired entries, then the oldest, to stay bounded
                for stale in [k for k, (expires, _) in cache.items() if expires <= now]:
                    del cache[stale]
                while len(cache) >= _CACHE_SIZE:
                    del cache[next(iter(cache))]
            cache[key] = (now + self.cache_ttl, result)
        return result, False

    async def _invoke(self, kwargs: dict[str, Any], in_thread: bool) -> Any:
        fn, kind = self.entrypoint, self._kind
        if kind == "async":
            return await fn(**kwargs)
        if kind == "async_gen":
            return _join_chunks([chunk async for chunk in fn(**kwargs)])
        if kind == "gen":
            runner = lambda: _join_chunks(list(fn(**kwargs)))  # noqa: E731
        else:
            runner = lambda: fn(**kwargs)  # noqa: E731
        if in_thread:
            return await run_in_thread(runner)
        return runner()


#: results kept per cached tool (the cache is per tool and per process, keyed by the visible arguments)
_CACHE_SIZE = 1024

_OPTIONS = ("name", "description", "instructions", "show_result", "stop_after_tool_call", "cache_results",
            "cache_ttl", "timeout", "requires_confirmation", "requires_user_input", "user_input_fields",
            "external_execution")


def serialize_result(result: Any) -> str:
    """The text the model sees for a tool result; never fails (see ``jsonsafe``).

    Tables stay readable and bounded: a pandas object becomes its text table (at most 60 rows), a numpy
    array over 1,000 values its abbreviated repr; everything else becomes JSON.
    """
    if isinstance(result, str):
        return result
    if isinstance(result, ToolResult):
        return result.content
    if result is None:
        return "null"
    dump = getattr(result, "model_dump_json", None)
    if dump is not None:
        try:
            return dump()
        except Exception:
            pass
    module = type(result).__module__.partition(".")[0]
    if module == "pandas" and hasattr(result, "to_string"):
        try:
            return result.to_string(max_rows=60, max_cols=30)
        except Exception:
            pass
    if module == "numpy" and getattr(result, "size", 0) > 1000:
        return repr(result)
    return dumps(result)


def _kind_of(fn: Callable[..., Any]) -> str:
    target = fn if inspect.isroutine(fn) else getattr(fn, "__call__", fn)
    if inspect.isasyncgenfunction(target):
        return "async_gen"
    if inspect.iscoroutinefunction(target):
        return "async"
    if inspect.isgeneratorfunction(target):
        return "gen"
    return "sync"


def _join_chunks(chunks: list[Any]) -> Any:
    if all(isinstance(c, str) for c in chunks):
        return "".join(chunks)
    return chunks


def _cache_key(kwargs: dict[str, Any], injected: tuple[str, ...]) -> str:
    visible = {k: v for k, v in kwargs.items() if k not in injected}
    return json.dumps(visible, sort_keys=True, default=str)


def _type_hints(fn: Callable[..., Any]) -> dict[str, Any]:
    import typing

    try:
        return typing.get_type_hints(fn, include_extras=True)
    except Exception:
        # Unresolvable forward references: fall back to raw annotations rather than refusing the tool.
        return dict(getattr(fn, "__annotations__", {}))


def _is_run_context(annotation: Any) -> bool:
    return getattr(annotation, "__name__", None) == "RunContext" and \
        getattr(annotation, "__module__", "").startswith("agno_nb")
