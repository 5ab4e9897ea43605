"""``Agent``: configuration of a model with tools and instructions, and the entry points of a run.

An agent is configuration; it holds no per-run state, so one instance can serve many concurrent runs.
Construction does no work beyond storing arguments (a served app or a notebook cell may build agents
often); tool schemas, the system prompt template and the model are resolved on the first run and
cached.
"""

from __future__ import annotations

import copy
import re
from contextlib import aclosing
from typing import TYPE_CHECKING, Any, AsyncIterator, Callable, Sequence

from .._sync import iterate_sync, run_sync
from ..errors import ConfigurationError, ToolDefinitionError
from ..events import Event, RunOutput, RunRef, new_run_id
from ..models import Model, get_model
from ..tools.function import Function
from ..tools.toolkit import Toolkit
from .context import RunContext
from .loop import RunPlan, run_loop
from .prompt import Template, build_system_prompt, json_mode_hint, user_message, validate_input
from .structured import response_format_for, schema_of

if TYPE_CHECKING:
    from pydantic import BaseModel

__all__ = ["Agent"]

ToolLike = Callable[..., Any] | Function | Toolkit


class Agent:
    """An LLM with instructions and tools.

    Args:
        model: a LiteLLM model id (``"openai/gpt-4o-mini"``; Agno's ``"openai:gpt-4o"`` works too) or a
            ``Model``. Defaults to ``$AGNO_NB_MODEL``, else ``openai/gpt-4o-mini``.
        name: display name; also the source of the default ``id``.
        id: stable identifier (routes and storage use it).
        description: who the agent is; the first paragraph of the system prompt.
        instructions: a string or list of strings; ``{name}`` fields are filled per run from
            ``context`` and ``session_state`` (``{{``/``}}`` for literal braces).
        tools: functions, ``@tool`` functions and ``Toolkit`` instances.
        session_state: initial state that tools can read and change (copied per run).
        context: values for the ``{name}`` fields; a callable value is called on every run.
        input_schema: a pydantic model the run input must match.
        output_schema: a pydantic model; ``RunOutput.content`` is then a validated instance.
        use_json_mode: ask for plain JSON mode even where native JSON-schema output is available.
        markdown: ask the model to format answers with markdown.
        retries: retries of transient model errors (429, 5xx, timeouts); default: the model's.
        tool_call_limit: the most tool calls one run may make. Hard: when reached, the run ends with
            status ``limit_reached``.
        debug: log every event of every run to stderr.
    """

    __slots__ = ("name", "_id", "model", "description", "instructions", "tools", "session_state", "context",
                 "input_schema", "output_schema", "use_json_mode", "markdown", "retries", "tool_call_limit",
                 "debug", "user_id", "session_id", "_model", "_functions", "_tool_schemas", "_templates")

    def __init__(
        self,
        *,
        model: str | Model | None = None,
        name: str | None = None,
        id: str | None = None,
        description: str | None = None,
        instructions: str | Sequence[str] | None = None,
        tools: Sequence[ToolLike] | None = None,
        session_state: dict[str, Any] | None = None,
        context: dict[str, Any] | None = None,
        input_schema: "type[BaseModel] | None" = None,
        output_schema: "type[BaseModel] | None" = None,
        use_json_mode: bool = False,
        markdown: bool = False,
        retries: int | None = None,
        tool_call_limit: int | None = None,
        debug: bool = False,
        user_id: str | None = None,
        session_id: str | None = None,
    ):
        self.model = model
        self.name = name
        self._id = id
        self.description = description
        self.instructions = instructions
        self.tools = tools
        self.session_state = session_state
        self.context = context
        self.input_schema = input_schema
        self.output_schema = output_schema
        self.use_json_mode = use_json_mode
        self.markdown = markdown
        self.retries = retries
        if tool_call_limit is not None and tool_call_limit < 0:
            raise ConfigurationError(f"tool_call_limit must be 0 or more, got {tool_call_limit}.")
        self.tool_call_limit = tool_call_limit
        self.debug = debug
        self.user_id = user_id
        self.session_id = session_id
        self._model: Model | None = None
        self._functions: dict[str, Function] | None = None
        self._tool_schemas: list[dict[str, Any]] | None = None
        self._templates: dict[bool, Template] = {}

    # --------------------------------------------------------------------------------- identity

    @property
    def id(self) -> str:
        if self._id is None:
            self._id = _slug(self.name) if self.name else new_run_id()
        return self._id

    def __repr__(self) -> str:
        return f"Agent(name={self.name!r}, model={self.model if isinstance(self.model, str) else self.model!r})"

    # --------------------------------------------------------------------------- resolved config

    @property
    def functions(self) -> dict[str, Function]:
        """The agent's tools by name (resolved once)."""
        if self._functions is None:
            functions: dict[str, Function] = {}
            for item in self.tools or ():
                if isinstance(item, Toolkit):
                    found = list(item.functions.values())
                elif isinstance(item, Function) or callable(item):
                    found = [Function.from_callable(item)]
                else:
                    raise ToolDefinitionError(
                        f"Agent {self.name or ''}: {item!r} is not a tool; pass functions, @tool functions "
                        f"or Toolkit instances.")
                for fn in found:
                    if fn.name in functions and functions[fn.name] is not fn:
                        raise ToolDefinitionError(
                            f"Agent {self.name or ''}: two tools are named {fn.name!r}; rename one with "
                            f"@tool(name=...).")
                    functions[fn.name] = fn
            self._functions = functions
        return self._functions

    def resolved_model(self) -> Model:
        """The ``Model`` this agent calls (resolved and checked once: unknown id, missing key)."""
        if self._model is None:
            model = get_model(self.model)
            model.check()
            self._model = model
        return self._model

    def _schemas(self) -> list[dict[str, Any]] | None:
        if self._tool_schemas is None:
            self._tool_schemas = [fn.schema for fn in self.functions.values()]
        return self._tool_schemas or None

    def _template(self, native_schema: bool) -> Template:
        template = self._templates.get(native_schema)
        if template is None:
            instructions = [self.instructions] if isinstance(self.instructions, str) else list(self.instructions or ())
            tool_texts = [fn.instructions for fn in self.functions.values() if fn.instructions]
            tool_texts += [t.instructions for t in self.tools or () if isinstance(t, Toolkit) and t.instructions]
            hint = None
            if self.output_schema is not None and not native_schema:
                hint = json_mode_hint(schema_of(self.output_schema))
            template = Template(build_system_prompt(self.description, instructions, markdown=self.markdown,
                                                    tool_instructions=tool_texts, schema_hint=hint))
            self._templates[native_schema] = template
        return template

    # ------------------------------------------------------------------------------------- runs

    def _plan(self, input: Any, *, stream: bool, session_id: str | None, user_id: str | None,
              context: dict[str, Any] | None, session_state: dict[str, Any] | None,
              run_id: str | None) -> RunPlan:
        """Resolve everything a run needs; raises on bad input or configuration before any event."""
        input = validate_input(input, self.input_schema)
        model = self.resolved_model()
        native = self.output_schema is not None and not self.use_json_mode and model.supports_native_schema
        state = copy.deepcopy(self.session_state) if self.session_state else {}
        if session_state:
            # Deep-copied: tools change the run's state, never the caller's objects.
            state.update(copy.deepcopy(session_state))
        values = _context_values(self.context, context)
        template = self._template(native)
        system = template.render({**state, **values} if template.fields else values)
        messages = [{"role": "system", "content": system}] if system else []
        messages.append(user_message(input))
        run_id = run_id or new_run_id()
        session_id = session_id or self.session_id
        user_id = user_id or self.user_id
        ref = RunRef(run_id, session_id, user_id, "agent", self.name, self.id)
        ctx = RunContext(run_id, session_id, user_id, state, values, self)
        response_format = response_format_for(self.output_schema, native) if self.output_schema else None
        return RunPlan(self, model, messages, self._schemas(), response_format, ctx, ref, stream, input)

    async def _collect(self, plan: RunPlan) -> RunOutput:
        out = RunOutput(plan.ref)
        apply = out.apply
        debug = self.debug
        async for event in run_loop(plan):
            apply(event)
            if debug:
                _log_event(event)
        return out

    async def _stream(self, plan: RunPlan) -> AsyncIterator[Event]:
        # aclosing: a consumer that stops early closes the whole chain of generators right away.
        async with aclosing(run_loop(plan)) as events:
            async for event in events:
                if self.debug:
                    _log_event(event)
                yield event

    def arun(self, input: Any = None, *, stream: bool = False, session_id: str | None = None,
             user_id: str | None = None, context: dict[str, Any] | None = None,
             session_state: dict[str, Any] | None = None, run_id: str | None = None) -> Any:
        """Run asynchronously.

        ``await agent.arun(...)`` gives a ``RunOutput``; ``agent.arun(..., stream=True)`` is an async
        iterator of events (``async for event in agent.arun(..., stream=True)``).
        Bad input or configuration raises here, before the run starts.
        """
        plan = self._plan(input, stream=stream, session_id=session_id, user_id=user_id, context=context,
                          session_state=session_state, run_id=run_id)
        return self._stream(plan) if stream else self._collect(plan)

    def run(self, input: Any = None, *, stream: bool = False, session_id: str | None = None,
            user_id: str | None = None, context: dict[str, Any] | None = None,
            session_state: dict[str, Any] | None = None, run_id: str | None = None) -> Any:
        """Run synchronously: a ``RunOutput``, or an iterator of events with ``stream=True``.

        Works in scripts and inside notebook cells (whose event loop is already running).
        """
        plan = self._plan(input, stream=stream, session_id=session_id, user_id=user_id, context=context,
                          session_state=session_state, run_id=run_id)
        if stream:
            return iterate_sync(self._stream(plan))
        return run_sync(self._collect(plan))

    def print_response(self, input: Any = None, **kwargs: Any) -> RunOutput:
        """Run with streaming, print the answer as it arrives (handy in terminals), return the output."""
        from ..events import RunContentDelta

        out: RunOutput | None = None
        streamed = False
        for event in self.run(input, stream=True, **kwargs):
            if out is None:
                out = RunOutput(event.ref)
            out.apply(event)
            if isinstance(event, RunContentDelta):
                streamed = True
                print(event.content, end="", flush=True)
        assert out is not None
        if not streamed:
            print(out, end="")
        print()
        return out


def _context_values(defaults: dict[str, Any] | None, overrides: dict[str, Any] | None) -> dict[str, Any]:
    if not defaults and not overrides:
        return {}
    values = {**(defaults or {}), **(overrides or {})}
    for key, value in values.items():
        if callable(value):
            values[key] = value()
    return values


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "agent"


def _log_event(event: Event) -> None:
    import logging

    logger = logging.getLogger("agno_nb")
    if not logger.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("agno_nb %(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.DEBUG)
    logger.debug("%s", event)
