"""``%%agent``, ``%%ask`` / ``%ask`` and ``%agno``: agents defined and used from notebook cells.

Every problem (unknown option, agent, tool or variable, empty body, missing key) is one
``UsageError`` line saying what is wrong and how to fix it; IPython shows it without a traceback
and the kernel keeps running. Model failures are not errors here: they show in the trace.
"""

from __future__ import annotations

import argparse
import string
import uuid
from typing import Any, Callable

from IPython.core.error import UsageError
from IPython.core.magic import Magics, cell_magic, line_cell_magic, line_magic, magics_class

from ..errors import AgnoNBError

from ..magic_syntax import BUILTIN_TOOLKITS as _BUILTIN_TOOLKITS

__all__ = ["AgnoMagics", "interpolate", "add_agent_option", "register_magics", "MAGIC_CLASSES"]


class AgentOption:
    """An extra ``%%agent`` option from another module (``--mcp``, ``--knowledge``...)."""

    __slots__ = ("flags", "argparse", "apply")

    def __init__(self, flags: tuple[str, ...], argparse: dict[str, Any], apply: Callable[..., None]):
        self.flags, self.argparse, self.apply = flags, argparse, apply


#: extra %%agent options, in registration order
AGENT_OPTIONS: list[AgentOption] = []
#: extra Magics classes that ``%load_ext agno_nb`` registers (``%%knowledge``...)
MAGIC_CLASSES: list[type] = []


def add_agent_option(*flags: str, apply: Callable[[argparse.Namespace, dict[str, Any], Any], None],
                     **argparse_options: Any) -> None:
    """Give ``%%agent`` another option. ``apply(args, agent_kwargs, magics)`` runs before the agent is
    built: it reads its value from ``args`` and changes the ``Agent(**agent_kwargs)`` arguments (append
    to ``agent_kwargs["tools"]``, say), raising ``UsageError`` with one line for bad input. Register from a
    module under ``agno_nb/notebook/`` that ``%load_ext`` imports (see ``notebook/__init__.py``)."""
    AGENT_OPTIONS.append(AgentOption(flags, argparse_options, apply))


def register_magics(cls: type) -> type:
    """Have ``%load_ext agno_nb`` register another ``Magics`` class (usable as a decorator)."""
    if cls not in MAGIC_CLASSES:
        MAGIC_CLASSES.append(cls)
    return cls


class _Parser(argparse.ArgumentParser):
    """argparse that reports problems as one UsageError line instead of exiting."""

    def error(self, message: str) -> None:
        raise UsageError(f"%{self.prog}: {message}. Try %agno help.")

    def exit(self, status: int = 0, message: str | None = None) -> None:
        raise UsageError(message or f"%{self.prog}: see %agno help")


def _parse(parser: Any, line: str) -> argparse.Namespace:
    """Read a definition magic's line with the parser the exporter uses too (``agno_nb.magic_syntax``)."""
    from ..magic_syntax import MagicSyntaxError, parse

    try:
        return parse(parser, line)
    except MagicSyntaxError as exc:
        raise UsageError(str(exc)) from None


def _agent_parser() -> Any:
    from ..magic_syntax import agent_parser

    return agent_parser((option.flags, option.argparse) for option in AGENT_OPTIONS)


_ASK = _Parser(prog="ask", add_help=False)
_ASK.add_argument("name")
_ASK.add_argument("--session")
_ASK.add_argument("--user")
_ASK.add_argument("-o", "--output")
_ASK.add_argument("--no-stream", action="store_true")
_ASK.add_argument("--format", choices=("markdown", "text", "json"), default="markdown")


class _Formatter(string.Formatter):
    """``{name}`` from the notebook namespace; DataFrames become their schema plus a short preview."""

    def __init__(self, namespace: dict[str, Any]):
        self.namespace = namespace

    def get_value(self, key: Any, args: Any, kwargs: Any) -> Any:
        if isinstance(key, int):
            raise UsageError("Use {name} with a variable name; positional {} fields are not supported.")
        if key not in self.namespace:
            raise UsageError(f"{{{key}}} is not defined in this notebook: define it first, or write {{{{ and }}}} "
                             f"for literal braces.")
        return self.namespace[key]

    def format_field(self, value: Any, format_spec: str) -> str:
        if type(value).__name__ == "DataFrame" and hasattr(value, "dtypes"):
            return describe_frame(value)
        return super().format_field(value, format_spec)


def describe_frame(frame: Any, rows: int = 5) -> str:
    """A DataFrame as the model should see it in a prompt: shape, schema, a few rows (not all of it)."""
    schema = ", ".join(f"{column} ({dtype})" for column, dtype in frame.dtypes.items())
    return (f"a table of {frame.shape[0]:,} rows x {frame.shape[1]} columns; columns: {schema}; "
            f"first {min(rows, len(frame))} rows:\n{frame.head(rows).to_string()}")


def interpolate(text: str, namespace: dict[str, Any]) -> str:
    """Fill ``{name}`` (also ``{In[3]}``, ``{Out[3]}``, ``{obj.attr}``) from the notebook namespace."""
    try:
        return _Formatter(namespace).format(text)
    except UsageError:
        raise
    except (IndexError, KeyError, AttributeError, ValueError) as exc:
        raise UsageError(f"Cannot fill the prompt's {{...}} fields: {exc}. Write {{{{ and }}}} for literal "
                         f"braces.") from None


@magics_class
class AgnoMagics(Magics):
    """The notebook surface of agno_nb."""

    def __init__(self, shell: Any):
        super().__init__(shell)
        #: agent name -> session id of its ongoing notebook conversation
        self.sessions: dict[str, str] = {}
        self.last_run: Any = None

    # ----------------------------------------------------------------------------- helpers

    @property
    def ns(self) -> dict[str, Any]:
        return self.shell.user_ns

    def _agent(self, name: str) -> Any:
        """An agent or team bound in the notebook under ``name``."""
        from ..agent.agent import Agent
        from ..team.team import Team
        from ..workflow.workflow import Workflow

        kinds = (Agent, Team, Workflow)
        agent = self.ns.get(name)
        if not isinstance(agent, kinds):
            known = sorted(k for k, v in self.ns.items() if isinstance(v, kinds) and not k.startswith("_"))
            raise UsageError(f"No agent or team named {name!r} in this notebook; known: {known or 'none'}. "
                             f"Define one with %%agent {name} (or %%team {name}).")
        return agent

    def _model_arg(self, value: str | None) -> Any:
        """--model names a model id, or a notebook variable holding a Model or an id."""
        from ..models.base import Model

        if not value:
            return None
        named = self.ns.get(value) if value.isidentifier() else None
        if isinstance(named, (Model, str)):
            return named
        if value.isidentifier() and "/" not in value and ":" not in value:
            raise UsageError(f"--model {value}: no notebook variable {value!r} holds a model, and it is not a model "
                             f"id; define {value} = ScriptedModel(...) or get_model(...) first, or give an id such "
                             f"as openai/gpt-4o-mini.")
        return value

    def _tools(self, spec: str) -> list[Any]:
        tools = []
        for name in [n.strip() for n in spec.split(",") if n.strip()]:
            if name in self.ns and not name.startswith("_"):
                tools.append(self.ns[name])
            elif name == "dataframes":
                from .dataframe_tools import DataFrameTools

                tools.append(DataFrameTools(self.ns))
            elif name == "reasoning":
                from ..tools.reasoning import ReasoningTools

                tools.append(ReasoningTools())
            else:
                raise UsageError(f"Unknown tool {name!r}: define a function or Toolkit named {name} in the notebook, "
                                 f"or use a built-in toolkit ({', '.join(_BUILTIN_TOOLKITS)}).")
        return tools

    def _knowledge(self, name: str | None) -> Any:
        if name is None:
            return None
        from .knowledge_magics import knowledge_from_namespace

        return knowledge_from_namespace(self.ns, name)

    @staticmethod
    def _guard(action: Callable[[], Any]) -> Any:
        try:
            return action()
        except UsageError:
            raise
        except AgnoNBError as exc:
            raise UsageError(str(exc)) from None

    # ------------------------------------------------------------------------------ %%agent

    @cell_magic
    def agent(self, line: str, cell: str) -> None:
        """%%agent NAME [--model ID] [--tools a,b] [--db PATH] [--output-schema Cls] [--markdown] ...

        The cell body is the agent's instructions. Binds NAME in the notebook and shows a card.
        """
        args = _parse(_agent_parser(), line)
        if not args.name.isidentifier():
            raise UsageError(f"%%agent: {args.name!r} is not a valid Python name; use letters, digits and _.")
        if not cell.strip():
            raise UsageError("%%agent: the cell body is the agent's instructions and it is empty; write them below "
                             "the %%agent line.")
        schema = None
        if args.output_schema:
            schema = self.ns.get(args.output_schema)
            if not isinstance(schema, type):
                raise UsageError(f"--output-schema {args.output_schema}: no class of that name in the notebook; "
                                 f"define a pydantic model first.")
        from ..agent.agent import Agent

        model = self._model_arg(args.model)
        _check_braces(cell)
        kwargs: dict[str, Any] = dict(
            name=args.name, model=model, instructions=cell.strip(), tools=self._tools(args.tools),
            db=None if args.db in (None, "default") else args.db, output_schema=schema, markdown=args.markdown,
            description=args.description, user_id=args.user, add_history_to_context=args.history > 0,
            num_history_runs=max(args.history, 1), enable_user_memories=args.memory,
            tool_call_limit=args.tool_call_limit)
        for option in AGENT_OPTIONS:
            option.apply(args, kwargs, self)

        def build() -> Any:
            agent = Agent(**kwargs)
            agent.functions  # resolve tools now: a bad tool is reported here, not at the first question
            _check_model(agent)
            return agent

        agent = self._guard(build)
        self.ns[args.name] = agent
        self.sessions.pop(args.name, None)  # a redefined agent starts a fresh conversation
        from IPython.display import display

        from .cards import agent_card

        display(agent_card(agent), raw=True)

    # ------------------------------------------------------------------------------- %%team

    @line_cell_magic
    def team(self, line: str, cell: str | None = None) -> None:
        """%%team NAME --mode route|coordinate|collaborate|broadcast|tasks --members a,b,c [--model ID] ...

        The cell body is the leader's instructions; without any, write it as a line: %team NAME --members ...
        Members are agents or teams of the notebook.
        """
        from ..team.team import Team

        from ..magic_syntax import team_parser

        args = _parse(team_parser(), line)
        cell = cell or ""
        if not args.name.isidentifier():
            raise UsageError(f"%%team: {args.name!r} is not a valid Python name; use letters, digits and _.")
        members = [self._agent(m.strip()) for m in args.members.split(",") if m.strip()]

        def build() -> Any:
            team = Team(name=args.name, members=members, mode=args.mode, model=self._model_arg(args.model),
                        instructions=cell.strip() or None, db=None if args.db in (None, "default") else args.db,
                        description=args.description, markdown=args.markdown,
                        share_member_interactions=args.share_interactions, max_iterations=args.max_iterations)
            team.leader.functions  # build the leader now: a bad member or cycle is reported here
            _check_model(team.leader)
            return team

        team = self._guard(build)
        self.ns[args.name] = team
        self.sessions.pop(args.name, None)
        from IPython.display import display

        from .cards import agent_card

        display(agent_card(team.leader, team=team), raw=True)

    # --------------------------------------------------------------------------- %%workflow

    @cell_magic
    def workflow(self, line: str, cell: str) -> None:
        """%%workflow NAME [--db PATH]: the body (YAML) names the steps: agents, teams and functions of the notebook.

        Run it with %ask NAME ... or NAME.run(...).
        """
        from ..magic_syntax import workflow_parser

        args = _parse(workflow_parser(), line)
        if not args.name.isidentifier():
            raise UsageError(f"%%workflow: {args.name!r} is not a valid Python name; use letters, digits and _.")
        if not cell.strip():
            raise UsageError("%%workflow: the body is empty; list the steps in YAML, e.g.\nsteps:\n  - research\n"
                             "  - parallel: [check_facts, check_style]")
        from ..workflow.declarative import workflow_from_yaml

        db = None if args.db in (None, "default") else args.db
        hidden = getattr(self.shell, "user_ns_hidden", {})
        namespace = {k: v for k, v in self.ns.items() if k not in hidden or hidden[k] is not v}
        workflow = self._guard(lambda: workflow_from_yaml(args.name, cell, namespace, db=db))
        self.ns[args.name] = workflow
        self.sessions.pop(args.name, None)
        print(f"workflow {args.name}: " + " -> ".join(f"{s.kind}:{s.name}" for s in workflow.steps))

    # -------------------------------------------------------------------------------- %%ask

    @line_cell_magic
    def ask(self, line: str, cell: str | None = None) -> None:
        """%%ask NAME [--session S] [--user U] [-o VAR] [--no-stream] [--format markdown|text|json]

        The body (or the rest of the line for %ask NAME prompt) is the prompt; {name} is filled from
        the notebook. The RunOutput lands in VAR (with -o) and in _.
        """
        if cell is None:  # %ask NAME prompt...
            name, _, prompt = line.strip().partition(" ")
            options = [name]
        else:
            options, prompt = _words(line), cell
        args = _ASK.parse_args(options)
        if not prompt.strip():
            raise UsageError("%ask: the prompt is empty; write the question in the cell body (or after the agent "
                             "name for %ask).")
        agent = self._agent(args.name)
        prompt = interpolate(prompt.strip(), self.ns)
        session = args.session or self.sessions.setdefault(args.name, f"nb-{args.name}-{uuid.uuid4().hex[:8]}")
        out = self._guard(lambda: self._run(agent, prompt, session, args.user, not args.no_stream))
        self.last_run = out
        _set_underscore(self.shell, out)
        if args.output:
            self.ns[args.output] = out
        if args.format == "text" and out.content is not None:
            print(out.content if isinstance(out.content, str) else out)
        elif args.format == "json":
            from IPython.display import JSON, display

            content = out.content
            dump = getattr(content, "model_dump", None)
            display(JSON(dump(mode="json") if dump else {"content": content}))

    @staticmethod
    def _run(agent: Any, prompt: str, session: str, user: str | None, stream: bool) -> Any:
        from ..run_events import RunOutput

        if not stream:
            return agent.run(prompt, session_id=session, user_id=user)
        out = None
        for event in agent.run(prompt, stream=True, session_id=session, user_id=user):
            if out is None:
                out = RunOutput(event.ref)
            out.apply(event)
        return out

    # -------------------------------------------------------------------------------- %agno

    @line_magic
    def agno(self, line: str) -> Any:
        """%agno model ID | list | sessions [NAME] | runs [NAME] | trace [RUN] | memories USER | config |
        new-session NAME | help"""
        words = _words(line)
        if not words or words[0] == "help":
            print(_HELP)
            return None
        command, rest = words[0], words[1:]
        handler = getattr(self, f"_agno_{command.replace('-', '_')}", None)
        if handler is None:
            raise UsageError(f"%agno: unknown command {command!r}; commands: model, list, sessions, runs, trace, "
                             f"memories, config, new-session, mcp, knowledge, export, help.")
        return self._guard(lambda: handler(*rest))

    def _agno_mcp(self, command: str | None = None, name: str | None = None) -> Any:
        if command != "list":
            raise UsageError("%agno mcp list NAME: the tools, prompts and resources of NAME's MCP servers.")
        from .mcp_magics import mcp_list

        return mcp_list(self.ns, name)

    def _agno_export(self, *words: str) -> Any:
        """%agno export [NOTEBOOK] [--out DIR] [--force] [--include-data]: this notebook as an app folder."""
        import os

        parser = _Parser(prog="agno export", add_help=False)
        parser.add_argument("notebook", nargs="?")
        parser.add_argument("--out")
        parser.add_argument("--force", action="store_true")
        parser.add_argument("--include-data", action="store_true")
        args = parser.parse_args(list(words))
        notebook = args.notebook or self.ns.get("__vsc_ipynb_file__") or os.environ.get("JPY_SESSION_NAME")
        if notebook and not args.notebook and not os.path.exists(notebook):
            # Jupyter Server names the notebook from its root; the kernel runs in the notebook's folder
            notebook = os.path.basename(notebook)
        if not notebook:
            raise UsageError("%agno export: which notebook? This kernel does not know its file; give the path, "
                             "e.g. %agno export analysis.ipynb")
        from ..export import export_notebook

        result = export_notebook(notebook, args.out, force=args.force, include_data=args.include_data)
        print(f"exported {os.path.basename(notebook)} (as last saved: save first to include recent edits) "
              f"to {result.out}/")
        print("  " + ", ".join(result.files))
        print("serves: " + ", ".join(f"{kind} {name}" for kind, name in result.components))
        for warning in result.warnings:
            print(f"warning: {warning}")
        print(f"run it: cd {result.out} && agno-nb serve app:app")
        return None

    def _agno_model(self, model_id: str | None = None) -> None:
        import os

        if model_id is None:
            raise UsageError("%agno model: give a model id, e.g. %agno model openai/gpt-4o-mini")
        os.environ["AGNO_NB_MODEL"] = model_id
        print(f"default model for agents without --model: {model_id}")

    def _agno_list(self) -> Any:
        import pandas

        from ..agent.agent import Agent

        rows = [{"name": k, "model": v.model if isinstance(v.model, str) or v.model is None else v.model.id,
                 "tools": ", ".join(v.functions), "store": getattr(v.store(), "location", None)}
                for k, v in self.ns.items() if isinstance(v, Agent) and not k.startswith("_")]
        return pandas.DataFrame(rows, columns=["name", "model", "tools", "store"])

    def _agno_sessions(self, name: str | None = None) -> Any:
        from ..storage.analyst import sessions

        if name is None:
            return sessions()
        agent = self._agent(name)
        return sessions(agent.store(), agent_id=agent.id)

    def _agno_runs(self, name: str | None = None) -> Any:
        from ..storage.analyst import runs

        if name is None:
            return runs()
        agent = self._agent(name)
        session = self.sessions.get(name)
        if session is None:
            raise UsageError(f"%agno runs {name}: no conversation with {name} in this notebook yet.")
        return runs(agent.store(), session_id=session)

    def _agno_trace(self, run_id: str | None = None) -> None:
        from IPython.display import display

        from .trace import TraceView

        if run_id is None:
            if self.last_run is None:
                raise UsageError("%agno trace: no run yet in this notebook; pass a run id to load one from the store.")
            display(TraceView.from_events(self.last_run.events).bundle(), raw=True)
            return
        from ..traces.stored import trace_from_store

        display(trace_from_store(run_id), raw=True)

    def _agno_memories(self, user: str | None = None) -> Any:
        from ..storage.analyst import memories

        if user is None:
            raise UsageError("%agno memories: whose? e.g. %agno memories ana")
        return memories(user)

    def _agno_config(self) -> Any:
        import os

        from ..storage import default_store

        store = default_store()
        return {"model": os.environ.get("AGNO_NB_MODEL") or "openai/gpt-4o-mini (default)",
                "store": store.location if store is not None else None,
                "agents": list(self._agno_list()["name"]),
                "sessions": dict(self.sessions)}

    def _agno_knowledge(self, *words: str) -> Any:
        from .knowledge_magics import knowledge_command

        return knowledge_command(self.ns, *words)

    def _agno_new_session(self, name: str | None = None) -> None:
        if name is None:
            raise UsageError("%agno new-session: which agent? e.g. %agno new-session analyst")
        self._agent(name)
        self.sessions.pop(name, None)
        print(f"{name}: the next question starts a new conversation")


def _words(line: str) -> list[str]:
    """A magic's line as words; a trailing ``# comment`` is a comment, as in Python."""
    from ..magic_syntax import MagicSyntaxError, words

    try:
        return words(line)
    except MagicSyntaxError as exc:
        raise UsageError(str(exc)) from None


def _check_model(agent: Any) -> None:
    """An unknown provider is reported when the agent is defined, not at its first question. A missing
    key is not: it may be set before the first question."""
    from ..errors import MissingAPIKeyError, UnknownModelError

    try:
        agent.resolved_model()
    except MissingAPIKeyError:
        pass
    except UnknownModelError as exc:
        raise UsageError(str(exc).split(" (providers:")[0]) from None


def _check_braces(instructions: str) -> None:
    """``{name}`` in instructions is a field filled at run time; a JSON example is not. Say so now."""
    from ..agent.prompt import Template

    fields = [f for f in Template(instructions).fields if not f.split(".")[0].split("[")[0].isidentifier()]
    if fields:
        raise UsageError(f"%%agent: the instructions contain {{{fields[0]}}}, which is not a field name: braces "
                         f"mark {{fields}} filled at run time. Write {{{{ and }}}} for literal braces (a JSON "
                         f"example, say).")


def _set_underscore(shell: Any, value: Any) -> None:
    """``_`` (and ``__``, ``___``, ``Out[n]``) as IPython sets them for a cell's result: assigning ``_``
    directly would make IPython think the user owns ``_`` and stop updating it for later cells."""
    hook = getattr(shell, "displayhook", None)
    if hook is not None and hasattr(hook, "update_user_ns"):
        hook.update_user_ns(value)

from .knowledge_magics import HELP as _KNOWLEDGE_HELP  # noqa: E402  (light: no chromadb)

_HELP = """agno_nb magics
  %%team NAME --mode route|coordinate|collaborate|broadcast|tasks --members a,b,c [--model ID] [--db PATH]
      body: the leader's instructions; none: %team NAME --members a,b (one line). Members: agents or teams.
  %%workflow NAME [--db PATH]
      body (YAML): steps: [agent_or_function, {parallel: [a, b]}, {loop: {steps: [...], max_iterations: 3}},
                           {condition: {if: fn, then: [...], else: [...]}}, {router: {selector: fn, choices: [...]}}]
  %%agent NAME [--model ID] [--tools a,b] [--db PATH] [--output-schema Cls] [--markdown]
               [--description TEXT] [--history N] [--memory] [--user U] [--tool-call-limit N] [--knowledge KB]
               [--mcp "COMMAND LINE" | --mcp http://host/mcp]...
      body: the agent's instructions. Tools: notebook functions/toolkits, or dataframes, reasoning.
  %%ask NAME [--session S] [--user U] [-o VAR] [--no-stream] [--format markdown|text|json]
      body: the prompt; {var} is filled from the notebook (a DataFrame as its schema + preview).
  %ask NAME prompt...
  %agno model ID | list | sessions [NAME] | runs [NAME] | trace [RUN_ID] | memories USER | config
  %agno mcp list NAME (tools, prompts, resources of NAME's MCP servers) | new-session NAME | help
  %agno export [NOTEBOOK] [--out DIR] [--force] [--include-data]   this notebook (as saved) as a served app
""" + _KNOWLEDGE_HELP

