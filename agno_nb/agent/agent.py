"""``Agent``: configuration of a model with tools and instructions, and the entry points of a run.

An agent is configuration; it holds no per-run state, so one instance can serve many concurrent runs.
Construction does no work beyond storing arguments (a served app or a notebook cell may build agents
often); tool schemas, the system prompt template and the model are resolved on the first run and
cached.
"""

from __future__ import annotations

import asyncio
import copy
from contextlib import aclosing
from typing import TYPE_CHECKING, Any, AsyncIterator, Callable, Sequence

from .._sync import iterate_sync, run_sync
from ..errors import ConfigurationError, ToolDefinitionError
from ..run_events import Event, RunOutput, RunRef, new_run_id, slug_id
from ..models import Model, get_model
from ..observe import notify, observers_for
from ..tools.function import Function
from ..tools.toolkit import Toolkit, prepare_toolkits
from .context import RunContext
from .loop import RunPlan, run_loop
from .builtin_tools import builtin_tools
from .hitl import PausedRun
from .prompt import context_sections
from .prompt import Template, build_system_prompt, json_mode_hint, user_message, validate_input
from .continuation import AgentContinuation
from .sessions import AgentSessions
from .structured import check_output_schema, response_format_for, schema_of

if TYPE_CHECKING:
    from pydantic import BaseModel

    from ..memory.manager import MemoryManager
    from ..memory.summary import SessionSummaryManager
    from ..storage.base import Store

__all__ = ["Agent"]

ToolLike = Callable[..., Any] | Function | Toolkit


class Agent(AgentSessions, AgentContinuation):
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
        output_schema: what the answer must be: a pydantic model, a dataclass, a TypedDict, a type such
            as ``list[City]``, or a JSON-schema dict; ``RunOutput.content`` is then the validated value.
        use_json_mode: ask for plain JSON mode even where native JSON-schema output is available.
        markdown: ask the model to format answers with markdown.
        retries: retries of transient model errors (429, 5xx, timeouts); default: the model's.
        tool_call_limit: the most tool calls one run may make. Hard: when reached, the run ends with
            status ``limit_reached``.
        run_timeout: seconds a run may take in all; past it, the run ends with a ``RunTimeoutError``
            (model waits are cut to what is left; a running tool is bounded by its own ``timeout``).
        show_tool_calls: show tool calls in ``print_response`` (Agno's option; traces always show them).
        role: what this agent does in a team (the team leader reads it when choosing members).
        stream: whether ``print_response`` streams by default (Agno's option).
        stream_events: with ``stream=True``, ``False`` gives only the text deltas (Agno's default is to
            give only content; here every typed event is given unless you say ``False``).

    Agno's spellings also accepted: ``dependencies`` (= ``context``), ``add_dependencies_to_context``
    (show those values to the model), ``debug_mode`` (= ``debug``), ``timezone_identifier`` (= ``timezone``),
    ``add_name_to_context``, ``telemetry`` (agno_nb sends none either way).
        debug: log every event of every run to stderr.
        user_id, session_id: defaults for runs that name none.

    Storage and memory (all need a store: ``db=`` or ``agno_nb.storage.set_default_store``):
        db: a ``Store`` (``DuckDBStore``, ``PostgresStore``) or a DuckDB path / PostgreSQL DSN.
        add_history_to_context: put the session's last ``num_history_runs`` runs (at most
            ``num_history_messages`` messages) before the new input.
        read_chat_history: give the model a ``get_chat_history`` tool instead of (or besides) history.
        enable_user_memories: after each run, let ``memory_manager`` update the user's memories (in the
            background, off the run's path).
        enable_agentic_memory: give the model an ``update_user_memory`` tool.
        add_memories_to_context: put the user's memories (the ``num_memories_in_context`` most relevant
            to the input) in the system prompt; on by default when memories are enabled.
        enable_session_summaries / add_session_summary_to_context: keep a running summary of the
            session (``session_summary_manager``) and show it to the model.

    Hooks and guardrails:
        pre_hooks / post_hooks: callables run before / after the model (input / output); each may
            return a replacement or raise ``GuardrailTripped`` (status ``blocked``). Guardrails from
            ``agno_nb.guardrails`` are such hooks.
        tool_hooks: middleware around every tool call: ``hook(name, call, arguments)``.

    Reasoning:
        reasoning: think in steps (``ReasoningStep`` events) before answering, with ``reasoning_model``
            (default: the agent's model), between ``reasoning_min_steps`` and ``reasoning_max_steps``.

    Context:
        add_datetime_to_context, timezone: tell the model the current date and time.
        additional_context: text appended to the system prompt.
        expected_output: what a good answer looks like.
        add_session_state_to_context: show the session state to the model.
    """

    __slots__ = ("name", "_id", "model", "description", "instructions", "tools", "session_state", "context",
                 "input_schema", "output_schema", "use_json_mode", "markdown", "retries", "tool_call_limit",
                 "debug", "user_id", "session_id", "run_timeout", "show_tool_calls", "role", "stream",
                 "stream_events", "add_dependencies_to_context", "add_name_to_context", "background_memory",
                 # storage and memory
                 "db", "add_history_to_context", "num_history_runs", "num_history_messages", "read_chat_history",
                 "enable_user_memories", "enable_agentic_memory", "add_memories_to_context",
                 "num_memories_in_context", "_memory_manager", "enable_session_summaries",
                 "add_session_summary_to_context", "_session_summary_manager",
                 # hooks, reasoning, context
                 "pre_hooks", "post_hooks", "tool_hooks", "reasoning", "reasoning_model", "reasoning_min_steps",
                 "reasoning_max_steps", "add_datetime_to_context", "timezone", "additional_context",
                 "expected_output", "add_session_state_to_context",
                 # resolved on first use; _internal: an agent agno_nb runs for itself (memory, reasoning)
                 "_model", "_functions", "_tool_schemas", "_templates", "_store", "_internal", "_kind")

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
        output_schema: Any = None,
        use_json_mode: bool = False,
        markdown: bool = False,
        retries: int | None = None,
        tool_call_limit: int | None = None,
        run_timeout: float | None = None,
        show_tool_calls: bool = False,
        role: str | None = None,
        stream: bool | None = None,
        stream_events: bool | None = None,
        background_memory: bool = False,
        debug: bool = False,
        user_id: str | None = None,
        session_id: str | None = None,
        db: "Store | str | None" = None,
        add_history_to_context: bool = False,
        num_history_runs: int = 3,
        num_history_messages: int | None = None,
        read_chat_history: bool = False,
        enable_user_memories: bool = False,
        enable_agentic_memory: bool = False,
        add_memories_to_context: bool | None = None,
        num_memories_in_context: int = 20,
        memory_manager: "MemoryManager | None" = None,
        enable_session_summaries: bool = False,
        add_session_summary_to_context: bool | None = None,
        session_summary_manager: "SessionSummaryManager | None" = None,
        pre_hooks: Sequence[Callable[..., Any]] | None = None,
        post_hooks: Sequence[Callable[..., Any]] | None = None,
        tool_hooks: Sequence[Callable[..., Any]] | None = None,
        reasoning: bool = False,
        reasoning_model: str | Model | None = None,
        reasoning_min_steps: int = 1,
        reasoning_max_steps: int = 10,
        add_datetime_to_context: bool = False,
        timezone: str | None = None,
        additional_context: str | None = None,
        expected_output: str | None = None,
        add_session_state_to_context: bool = False,
        # Agno's spellings
        dependencies: dict[str, Any] | None = None,
        add_dependencies_to_context: bool = False,
        debug_mode: bool | None = None,
        timezone_identifier: str | None = None,
        add_name_to_context: bool = False,
        telemetry: bool = False,
    ):
        if isinstance(model, str):  # a typo is reported here, not at the first run
            from ..models.ids import check_model_id

            check_model_id(model)
        self.model = model
        self.name = name
        self._id = id
        self.description = description
        self.instructions = instructions
        self.tools = tools
        self.session_state = session_state
        if dependencies is not None and context is not None:
            raise ConfigurationError("Pass context=... or Agno's dependencies=..., not both (they are the same).")
        self.context = context if context is not None else dependencies
        self.add_dependencies_to_context = add_dependencies_to_context
        self.add_name_to_context = add_name_to_context
        self.input_schema = input_schema
        check_output_schema(output_schema)
        self.output_schema = output_schema
        self.use_json_mode = use_json_mode
        self.markdown = markdown
        self.retries = retries
        if tool_call_limit is not None and tool_call_limit < 0:
            raise ConfigurationError(f"tool_call_limit must be 0 or more, got {tool_call_limit}.")
        self.tool_call_limit = tool_call_limit
        if run_timeout is not None and run_timeout <= 0:
            raise ConfigurationError(f"run_timeout must be a positive number of seconds, got {run_timeout}.")
        self.run_timeout = run_timeout
        self.show_tool_calls = show_tool_calls
        self.role = role
        self.stream = stream
        self.stream_events = stream_events
        self.background_memory = background_memory
        self.debug = debug if debug_mode is None else debug_mode
        self.user_id = user_id
        self.session_id = session_id
        self.db = db
        self.add_history_to_context = add_history_to_context
        self.num_history_runs = num_history_runs
        self.num_history_messages = num_history_messages
        self.read_chat_history = read_chat_history
        self.enable_user_memories = enable_user_memories
        self.enable_agentic_memory = enable_agentic_memory
        self.add_memories_to_context = (enable_user_memories or enable_agentic_memory) \
            if add_memories_to_context is None else add_memories_to_context
        self.num_memories_in_context = num_memories_in_context
        self._memory_manager = memory_manager
        self.enable_session_summaries = enable_session_summaries
        self.add_session_summary_to_context = enable_session_summaries \
            if add_session_summary_to_context is None else add_session_summary_to_context
        self._session_summary_manager = session_summary_manager
        self.pre_hooks = list(pre_hooks) if pre_hooks else None
        self.post_hooks = list(post_hooks) if post_hooks else None
        self.tool_hooks = list(tool_hooks) if tool_hooks else None
        self.reasoning = reasoning
        self.reasoning_model = reasoning_model
        if not 1 <= reasoning_min_steps <= reasoning_max_steps:
            raise ConfigurationError(f"Need 1 <= reasoning_min_steps <= reasoning_max_steps, got "
                                     f"{reasoning_min_steps} and {reasoning_max_steps}.")
        self.reasoning_min_steps = reasoning_min_steps
        self.reasoning_max_steps = reasoning_max_steps
        self.add_datetime_to_context = add_datetime_to_context
        self.timezone = timezone or timezone_identifier
        self.additional_context = additional_context
        self.expected_output = expected_output
        self.add_session_state_to_context = add_session_state_to_context
        self._model: Model | None = None
        self._functions: dict[str, Function] | None = None
        self._tool_schemas: list[dict[str, Any]] | None = None
        self._templates: dict[bool, Template] = {}
        self._store: Any = None
        self._internal = False
        #: what runs this agent's loop: "agent", or "team" for a team's leader
        self._kind = "agent"

    # --------------------------------------------------------------------------------- identity

    @property
    def id(self) -> str:
        if self._id is None:
            self._id = slug_id(self.name, "agent") if self.name else new_run_id()
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
            for fn in builtin_tools(self):
                functions.setdefault(fn.name, fn)
            self._functions = functions
        return self._functions

    @property
    def memory_manager(self) -> "MemoryManager":
        if self._memory_manager is None:
            from ..memory.manager import MemoryManager

            self._memory_manager = MemoryManager()
        return self._memory_manager

    @property
    def session_summary_manager(self) -> "SessionSummaryManager":
        if self._session_summary_manager is None:
            from ..memory.summary import SessionSummaryManager

            self._session_summary_manager = SessionSummaryManager()
        return self._session_summary_manager

    def store(self) -> "Store | None":
        """The store this agent writes to: ``db=``, else the default store, else ``None``."""
        if self._internal:  # agno_nb's own helper agents (reasoning, memories) keep no runs of their own
            return None
        if self._store is None:
            if self.db is not None:
                from ..storage import open_store

                self._store = open_store(self.db)
            else:
                from ..storage import default_store

                return default_store()
        return self._store

    def resolved_model(self) -> Model:
        """The ``Model`` this agent calls (resolved and checked once: unknown id, missing key)."""
        if self._model is None:
            model = get_model(self.model)
            model.check()
            self._model = model
        return self._model

    def _output_format(self, model: Model) -> tuple[bool, dict[str, Any] | None]:
        """Whether to ask for native JSON-schema output, and the ``response_format`` to send (if any)."""
        native = self.output_schema is not None and not self.use_json_mode and model.supports_native_schema
        return native, response_format_for(self.output_schema, native) if self.output_schema else None

    def _schemas(self) -> list[dict[str, Any]] | None:
        if self._tool_schemas is None:
            self._tool_schemas = [fn.schema for fn in self.functions.values()]
        return self._tool_schemas or None

    def _template(self, native_schema: bool, instructions: Any = None) -> Template:
        """The system prompt template (cached; ``instructions`` given: built for this run only)."""
        dynamic = instructions is not None
        template = None if dynamic else self._templates.get(native_schema)
        if template is None:
            source = self.instructions if not dynamic else instructions
            lines = [source] if isinstance(source, str) else list(source or ())
            tool_texts = [fn.instructions for fn in self.functions.values() if fn.instructions]
            tool_texts += [t.instructions for t in self.tools or () if isinstance(t, Toolkit) and t.instructions]
            hint = None
            if self.output_schema is not None and not native_schema:
                hint = json_mode_hint(schema_of(self.output_schema))
            template = Template(build_system_prompt(self.description, lines, markdown=self.markdown,
                                                    tool_instructions=tool_texts, schema_hint=hint))
            if not dynamic:
                self._templates[native_schema] = template
        return template

    async def _instructions_for(self, plan: RunPlan) -> Any:
        """``instructions`` given as a function (Agno's style): called per run with what it names
        (``agent``, ``team``, ``session_state``, ``run_context``), awaited if async."""
        from .hooks import call_hook

        ctx = plan.ctx
        result = await call_hook(self.instructions, agent=self, team=self, session_state=ctx.session_state,
                                 run_context=ctx)
        if result is not None and not isinstance(result, (str, list, tuple)):
            raise ConfigurationError(f"The instructions function of agent {self.name or self.id} returned "
                                     f"{type(result).__name__}; return a string or a list of strings.")
        return result or []

    # ------------------------------------------------------------------------------------- runs

    def _plan(self, input: Any, *, stream: bool, session_id: str | None, user_id: str | None,
              context: dict[str, Any] | None, session_state: dict[str, Any] | None,
              run_id: str | None, media: list[Any] | None = None, observe: bool = True) -> RunPlan:
        """Resolve everything a run needs; raises on bad input or configuration before any event."""
        input = validate_input(input, self.input_schema)
        model = self.resolved_model()
        native, response_format = self._output_format(model)
        state = copy.deepcopy(self.session_state) if self.session_state else {}
        # Deep-copied: tools change the run's state, never the caller's objects.
        run_state = copy.deepcopy(session_state) if session_state else None
        if run_state:
            state.update(run_state)
        values = _context_values(self.context, context)
        store = self.store()
        run_id = run_id or new_run_id()
        session_id = session_id or self.session_id
        if session_id is None:
            # As in Agno: the first run without a session id starts one, and the agent keeps using it.
            session_id = self.session_id = new_run_id()
        user_id = user_id or self.user_id
        ref = RunRef(run_id, session_id, user_id, self._kind, self.name, self.id)
        ctx = RunContext(run_id, session_id, user_id, state, values, self)
        plan = RunPlan(self, model, self._schemas(), response_format, ctx, ref, stream, input, native, store,
                       run_state)
        if media:
            from ..media import check_support

            check_support(model, media)
            plan.media = media
        ctx.ref = ref
        ctx.store = store
        if self.run_timeout is not None:
            import time

            plan.deadline = time.monotonic() + self.run_timeout
        if observe:
            plan.observers = observers_for(self, ref)
        return plan

    def _nested_stream(self, input: Any, *, parent: Any, parent_span: str, store: Any,
                       session_state: dict[str, Any] | None) -> AsyncIterator[Event]:
        """A run inside another run (a team member's): linked to the parent run and span, on the
        parent's store unless this agent has its own, sharing the parent's session_state object."""
        # No observers of its own: the parent's see these events through the parent's stream.
        plan = self._plan(input, stream=True, session_id=parent.session_id, user_id=parent.user_id, context=None,
                          session_state=None, run_id=None, observe=False)
        plan.ref.parent_run_id = parent.run_id
        plan.parent_span = parent_span
        if plan.store is None:
            plan.store = plan.ctx.store = store
        if session_state is not None:
            plan.ctx.session_state = session_state
            plan.nested = True
        return self._stream(plan)

    async def _prepare(self, plan: RunPlan) -> None:
        """Build the messages: system prompt, stored history and memories, then the input."""
        history: list[dict[str, Any]] = []
        sections: list[str] = []
        if plan.store is not None:
            from .persistence import load_session

            history, sections = await load_session(self, plan, plan.store)
        dynamic = await self._instructions_for(plan) if callable(self.instructions) else None
        template = self._template(plan.native_schema, dynamic)
        state, values = plan.ctx.session_state, plan.ctx.context
        system = template.render({**state, **values} if template.fields else values)
        sections += context_sections(self, state, values)
        if sections:
            system = "\n\n".join([system, *sections]) if system else "\n\n".join(sections)
        messages = plan.messages
        if system:
            messages.append({"role": "system", "content": system})
        messages.extend(history)
        plan.own_from = len(messages)
        input = plan.input
        if _is_conversation(input):
            # A conversation as input (Agno's list of messages; an OpenAI-style chat client): the earlier
            # turns come first, the last message is this run's input.
            messages.extend(dict(m) for m in input[:-1])
            input = input[-1]
        message = user_message(input)
        if plan.media:
            from ..media import media_parts

            text = message["content"]
            message = {"role": "user", "content": [{"type": "text", "text": text}, *await media_parts(plan.media)]}
        messages.append(message)

    async def _finish(self, plan: RunPlan, out: RunOutput) -> None:
        """Save the run (the recorder has written what it could while the run went on)."""
        if plan.recorder is not None and out.events:
            from .persistence import save_run

            before = len(out.events)
            await save_run(self, plan, out)
            if plan.observers and len(out.events) > before:  # a RunSaveFailed: the trace shows it too
                for event in out.events[before:]:
                    notify(plan.observers, event)

    async def _start(self, plan: RunPlan, resume: tuple | None) -> RunOutput:
        """Prepare a new run (messages) or a continued one (stored session); the output it folds into."""
        out = RunOutput(plan.ref)
        if self.tools and await prepare_toolkits(self.tools, self._functions):
            # a toolkit connected (MCP) or its server's tools changed: resolve the tools again
            self._functions = self._tool_schemas = None
            self._templates.clear()
            plan.tools = self._schemas()
        if resume is None:
            await self._prepare(plan)
        else:
            paused: PausedRun = plan.resumed_from
            for key, value in (paused.metrics or {}).items():
                if key in out.metrics.__slots__:
                    setattr(out.metrics, key, value)
            if plan.store is not None:
                from .persistence import snapshot_state

                plan.session = await asyncio.to_thread(plan.store.get_session, plan.ctx.session_id)
                plan.state_base = snapshot_state(plan.ctx.session_state)
                if plan.session is not None and plan.session.state:
                    # Other runs of the session may have changed its state while this one waited.
                    merged = {**plan.session.state, **plan.ctx.session_state}
                    plan.ctx.session_state.clear()
                    plan.ctx.session_state.update(merged)
        if plan.store is not None:
            from .persistence import open_recorder

            plan.recorder = open_recorder(self, plan)
        return out

    async def _collect(self, plan: RunPlan, resume: tuple | None = None) -> RunOutput:
        out = await self._start(plan, resume)
        apply = out.apply
        debug = self.debug
        observers = plan.observers
        recorder, ref = plan.recorder, plan.ref
        try:
            async for event in run_loop(plan, *(resume or ())):
                if recorder is not None and event.ref is ref:
                    recorder.place(event)
                apply(event)
                if observers:
                    notify(observers, event)
                if debug:
                    _log_event(event)
        finally:
            await self._finish(plan, out)
        return out

    async def _stream(self, plan: RunPlan, resume: tuple | None = None) -> AsyncIterator[Event]:
        out = await self._start(plan, resume)
        recorder, ref = plan.recorder, plan.ref
        finished = False
        try:
            # aclosing: a consumer that stops early closes the whole chain of generators right away.
            async with aclosing(run_loop(plan, *(resume or ()))) as events:
                async for event in events:
                    if recorder is not None and event.ref is ref:
                        recorder.place(event)
                    out.apply(event)
                    if plan.observers:
                        notify(plan.observers, event)
                    if self.debug:
                        _log_event(event)
                    yield event
            finished = True
            before = len(out.events)
            await self._finish(plan, out)
            for event in out.events[before:]:  # the stream's consumers hear of a failed save too
                yield event
        finally:
            if not finished:
                await self._finish(plan, out)

    def arun(self, input: Any = None, *, stream: bool = False, session_id: str | None = None,
             user_id: str | None = None, context: dict[str, Any] | None = None,
             session_state: dict[str, Any] | None = None, run_id: str | None = None,
             images: Sequence[Any] | None = None, audio: Sequence[Any] | None = None,
             videos: Sequence[Any] | None = None, files: Sequence[Any] | None = None,
             stream_events: bool | None = None, dependencies: dict[str, Any] | None = None,
             debug_mode: bool | None = None) -> Any:
        """Run asynchronously.

        ``await agent.arun(...)`` gives a ``RunOutput``; ``agent.arun(..., stream=True)`` is an async
        iterator of events (``async for event in agent.arun(..., stream=True)``). ``images``, ``audio``,
        ``videos`` and ``files`` take ``agno_nb.media`` objects. Bad input or configuration (including
        media the model cannot take) raises here, before the run starts. Agno's ``stream_events=False``
        streams the text deltas only; ``dependencies`` is Agno's name for ``context``.
        """
        plan = self._plan(input, stream=stream, session_id=session_id, user_id=user_id,
                          context=_merged(context, dependencies), session_state=session_state, run_id=run_id,
                          media=_media(images, audio, videos, files))
        if not stream:
            return self._collect(plan)
        events = self._stream(plan)
        return _content_only(events) if _only_content(self, stream_events) else events

    def run(self, input: Any = None, *, stream: bool = False, session_id: str | None = None,
            user_id: str | None = None, context: dict[str, Any] | None = None,
            session_state: dict[str, Any] | None = None, run_id: str | None = None,
            images: Sequence[Any] | None = None, audio: Sequence[Any] | None = None,
            videos: Sequence[Any] | None = None, files: Sequence[Any] | None = None,
            stream_events: bool | None = None, dependencies: dict[str, Any] | None = None,
            debug_mode: bool | None = None) -> Any:
        """Run synchronously: a ``RunOutput``, or an iterator of events with ``stream=True``.

        Works in scripts and inside notebook cells (whose event loop is already running).
        """
        plan = self._plan(input, stream=stream, session_id=session_id, user_id=user_id,
                          context=_merged(context, dependencies), session_state=session_state, run_id=run_id,
                          media=_media(images, audio, videos, files))
        if not stream:
            return run_sync(self._collect(plan))
        events = self._stream(plan)
        return iterate_sync(_content_only(events) if _only_content(self, stream_events) else events)

    def print_response(self, input: Any = None, *, stream: bool | None = None, markdown: bool | None = None,
                       show_message: bool = True, show_reasoning: bool = True, show_full_reasoning: bool = False,
                       show_tool_calls: bool | None = None, console: Any = None, **run_kwargs: Any) -> RunOutput:
        """Run and print the answer (streamed with ``stream=True``): Markdown in a notebook, a panel in a
        terminal with ``rich``, plain text otherwise. Returns the run's output. Takes ``run()``'s arguments."""
        from .printing import print_response

        return print_response(self, input, stream=stream, markdown=markdown, show_message=show_message,
                              show_reasoning=show_reasoning or show_full_reasoning, show_tool_calls=show_tool_calls,
                              console=console, **run_kwargs)

    async def aprint_response(self, input: Any = None, *, stream: bool | None = None, markdown: bool | None = None,
                              show_message: bool = True, show_reasoning: bool = True,
                              show_full_reasoning: bool = False, show_tool_calls: bool | None = None,
                              console: Any = None, **run_kwargs: Any) -> RunOutput:
        """``print_response`` for async code."""
        from .printing import aprint_response

        return await aprint_response(self, input, stream=stream, markdown=markdown, show_message=show_message,
                                     show_reasoning=show_reasoning or show_full_reasoning,
                                     show_tool_calls=show_tool_calls, console=console, **run_kwargs)

    def get_chat_history(self, session_id: str | None = None, *, user_id: str | None = None) -> list[Any]:
        """The session's user and assistant messages, in order (Agno's name)."""
        from ..run_output import Message

        return [Message(m) for m in self.get_session_messages(session_id, user_id=user_id)
                if m.get("role") in ("user", "assistant") and m.get("content")]

def _merged(context: dict[str, Any] | None, dependencies: dict[str, Any] | None) -> dict[str, Any] | None:
    if context is not None and dependencies is not None:
        raise ConfigurationError("Pass context=... or Agno's dependencies=..., not both (they are the same).")
    return context if context is not None else dependencies


def _only_content(agent: "Agent", stream_events: bool | None) -> bool:
    chosen = agent.stream_events if stream_events is None else stream_events
    return chosen is False


async def _content_only(events: AsyncIterator[Event]) -> AsyncIterator[Event]:
    """The run's own text deltas (Agno's ``stream_events=False``); the run still folds every event."""
    from ..run_events import RunContentDelta

    async with aclosing(events) as stream:
        async for event in stream:
            if isinstance(event, RunContentDelta) and event.ref.parent_run_id is None:
                yield event


def _is_conversation(input: Any) -> bool:
    return (isinstance(input, list) and bool(input)
            and all(isinstance(m, dict) and m.get("role") in _ROLES and "content" in m for m in input))


_ROLES = ("system", "user", "assistant", "tool", "developer")


def _media(*groups: Sequence[Any] | None) -> list[Any]:
    from ..media import Audio, File, Image, Video

    found = []
    for kind, group in zip((Image, Audio, Video, File), groups):
        for item in group or ():
            if not isinstance(item, kind):
                raise ConfigurationError(f"Expected {kind.__name__} objects (agno_nb.media), got {item!r}.")
            found.append(item)
    return found


def _context_values(defaults: dict[str, Any] | None, overrides: dict[str, Any] | None) -> dict[str, Any]:
    if not defaults and not overrides:
        return {}
    values = {**(defaults or {}), **(overrides or {})}
    for key, value in values.items():
        if callable(value):
            values[key] = value()
    return values


def _log_event(event: Event) -> None:
    import logging

    logger = logging.getLogger("agno_nb")
    if not logger.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("agno_nb %(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.DEBUG)
    logger.debug("%s", event)
