"""``Agent``: configuration of a model with tools and instructions (its runs: ``running.py``).

An agent is configuration; it holds no per-run state, so one instance can serve many concurrent runs.
Construction does no work beyond storing arguments (a served app or a notebook cell may build agents
often); tool schemas, the system prompt template and the model are resolved on the first run and
cached.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Sequence

from ..errors import ConfigurationError, ToolDefinitionError
from ..run_events import new_run_id, slug_id
from ..models import Model, get_model
from ..tools.function import Function
from ..tools.toolkit import Toolkit
from .loop import RunPlan
from .builtin_tools import builtin_tools
from .prompt import Template, build_system_prompt, json_mode_hint
from .continuation import AgentContinuation
from .running import AgentRuns
from .knowledge_use import configure_knowledge
from .sessions import AgentSessions
from .structured import check_output_schema, response_format_for, schema_of

if TYPE_CHECKING:
    from pydantic import BaseModel

    from ..memory.manager import MemoryManager
    from ..memory.summary import SessionSummaryManager
    from ..storage.base import Store

__all__ = ["Agent"]

ToolLike = Callable[..., Any] | Function | Toolkit


class Agent(AgentRuns, AgentSessions, AgentContinuation):
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

    Knowledge (``agno_nb.knowledge.Knowledge``):
        knowledge: the knowledge base. With it, ``search_knowledge`` (on by default) gives the model a
            ``search_knowledge_base`` tool (agentic RAG); ``add_knowledge_to_context`` instead puts the
            references found for the input into the system prompt (classic RAG).
        knowledge_filters: metadata filters every search applies (``{"team": "data"}``).
        enable_agentic_filters: let the model add filters of its own to its searches (Agno's
            ``enable_agentic_knowledge_filters`` works too).
        references_format: ``json`` or ``yaml``. Retrieved chunks are on ``RunOutput.references``
            and in the trace (``KnowledgeSearched`` events).
    """

    __slots__ = ("name", "_id", "model", "description", "instructions", "tools", "session_state", "context",
                 "input_schema", "output_schema", "use_json_mode", "markdown", "retries", "tool_call_limit",
                 "debug", "user_id", "session_id", "run_timeout", "show_tool_calls", "role", "stream",
                 "stream_events", "add_dependencies_to_context", "add_name_to_context", "background_memory",
                 "_last_user_id",
                 # storage and memory
                 "db", "add_history_to_context", "num_history_runs", "num_history_messages", "read_chat_history",
                 "enable_user_memories", "enable_agentic_memory", "add_memories_to_context",
                 "num_memories_in_context", "_memory_manager", "enable_session_summaries",
                 "add_session_summary_to_context", "_session_summary_manager",
                 # hooks, reasoning, context
                 "pre_hooks", "post_hooks", "tool_hooks", "reasoning", "reasoning_model", "reasoning_min_steps",
                 "reasoning_max_steps", "add_datetime_to_context", "timezone", "additional_context",
                 "expected_output", "add_session_state_to_context",
                 # knowledge (see knowledge_use)
                 "knowledge", "search_knowledge", "add_knowledge_to_context", "knowledge_filters",
                 "enable_agentic_filters", "references_format",
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
        reasoning: bool | None = None,
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
        update_memory_on_run: bool | None = None,
        knowledge: Any = None,
        search_knowledge: bool | None = None,
        add_knowledge_to_context: bool = False,
        knowledge_filters: dict[str, Any] | None = None,
        enable_agentic_filters: bool = False,
        references_format: str = "json",
        enable_agentic_knowledge_filters: bool | None = None,
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
        # Agno 3's name for it
        self.enable_user_memories = enable_user_memories or bool(update_memory_on_run)
        self.enable_agentic_memory = enable_agentic_memory
        self.add_memories_to_context = (self.enable_user_memories or enable_agentic_memory) \
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
        # As in Agno, a reasoning_model alone turns reasoning on: one call to it, whose answer is the
        # reasoning ("model"); reasoning=True asks for structured steps instead.
        self.reasoning: bool | str = reasoning if reasoning is not None else (
            "model" if reasoning_model is not None else False)
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
        configure_knowledge(self, {"knowledge": knowledge, "search_knowledge": search_knowledge,
                                   "add_knowledge_to_context": add_knowledge_to_context,
                                   "knowledge_filters": knowledge_filters,
                                   "enable_agentic_filters": enable_agentic_knowledge_filters
                                   if enable_agentic_knowledge_filters is not None else enable_agentic_filters,
                                   "references_format": references_format})
        self._model: Model | None = None
        self._functions: dict[str, Function] | None = None
        self._tool_schemas: list[dict[str, Any]] | None = None
        self._templates: dict[bool, Template] = {}
        self._store: Any = None
        self._internal = False
        #: the user of this instance's last run: the session API's default user (as the session is sticky)
        self._last_user_id: str | None = None
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
