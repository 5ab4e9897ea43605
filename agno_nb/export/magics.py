"""Definition magics as the Python a person would write: ``%%agent`` becomes ``Agent(...)``, and so on.

The magics' own parsers (``agno_nb.magic_syntax``) read the lines, so an option means the same thing in
the notebook and in the app. Only options that differ from the magic's defaults are written out.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field
from typing import Any, Callable

from ..errors import AgnoNBError
from ..magic_syntax import (
    MagicSyntaxError,
    agent_parser,
    knowledge_parser,
    pairs,
    parse,
    team_parser,
    workflow_parser,
)
from .errors import ExportError, where

__all__ = ["Translation", "translate_magic", "text_literal", "quoted", "DEFINITION_MAGICS"]

DEFINITION_MAGICS = ("agent", "team", "workflow", "knowledge")


@dataclass
class Translation:
    """The code a magic stands for, the name it binds and what that code needs."""

    code: str
    name: str
    kind: str  # agent | team | workflow | knowledge
    imports: set[str] = field(default_factory=set)  # import lines
    reads: set[str] = field(default_factory=set)  # notebook names the code uses
    data: list[str] = field(default_factory=list)  # paths the knowledge reads (relative to the notebook)
    helpers: set[str] = field(default_factory=set)  # app.py helpers the code calls (chroma_location...)


def text_literal(text: str) -> str:
    """A string literal for ``text``: triple-quoted when it spans lines and that is exact, else ``quoted``."""
    if (
        "\n" in text
        and '"""' not in text
        and "\\" not in text
        and not text.endswith('"')
        and not text.startswith("\n")
    ):
        return f'"""{text}"""'
    return quoted(text)


def python_literal(value: Any) -> str:
    """A literal for plain data (dicts, lists, strings, numbers), strings in double quotes."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{python_literal(k)}: {python_literal(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(python_literal(v) for v in value) + "]"
    return quoted(value) if isinstance(value, str) else repr(value)


def quoted(text: str) -> str:
    """``repr`` in double quotes (the house style), exact for any text."""
    literal = repr(text)
    if literal.startswith("'") and '"' not in text:
        return '"' + literal[1:-1].replace("\\'", "'") + '"'
    return literal


def _call(func: str, args: list[str], kwargs: list[tuple[str, str]]) -> str:
    parts = args + [f"{k}={v}" for k, v in kwargs]
    one_line = f"{func}({', '.join(parts)})"
    if len(one_line) <= 100 and "\n" not in one_line:
        return one_line
    inner = "".join(f"    {_indent(p)},\n" for p in parts)
    return f"{func}(\n{inner})"


def _indent(code: str) -> str:
    """Indent the continuation lines of nested calls (never the inside of a triple-quoted string)."""
    if '"""' in code:
        return code
    return code.replace("\n", "\n    ")


def translate_magic(
    kind: str, line: str, body: str, cell: int, is_path: Callable[[str], bool] = lambda _: False
) -> Translation:
    """The Python for ``%%kind line`` + ``body`` in ``cell``; an ``ExportError`` naming the cell for bad input.

    ``is_path`` tells a ``%%knowledge`` source that is a file or folder next to the notebook from a
    DataFrame name (the magic looks at the value; the export cannot).
    """
    try:
        if kind == "knowledge":
            return _knowledge(line, body, is_path)
        return _TRANSLATORS[kind](line, body)
    except MagicSyntaxError as exc:
        raise ExportError(f"{where(cell, 1)}: {exc}") from None
    except ValueError as exc:
        raise ExportError(f"{where(cell)}: %%{kind}: {exc}") from None
    except AgnoNBError as exc:  # the workflow's YAML, checked by the workflow floor's own reader
        raise ExportError(f"{where(cell)}: {exc}") from None


def _name(value: str, magic: str) -> str:
    if not value.isidentifier():
        raise ValueError(f"{value!r} is not a valid Python name; use letters, digits and _.")
    return value


def _model(value: str | None) -> str | None:
    """``--model`` names a notebook variable (an identifier) or a model id (``openai/gpt-4o-mini``)."""
    if not value:
        return None
    if value.isidentifier():
        return value
    return quoted(value)


def _agent(line: str, body: str) -> Translation:
    args = parse(agent_parser(), line)
    name = _name(args.name, "agent")
    if not body.strip():
        raise ValueError("the cell body is the agent's instructions and it is empty.")
    out = Translation("", name, "agent", {"from agno_nb import Agent"})
    kwargs: list[tuple[str, str]] = [("name", quoted(name))]
    model = _model(args.model)
    if model:
        kwargs.append(("model", model))
        if args.model.isidentifier():
            out.reads.add(args.model)
    kwargs.append(("instructions", text_literal(body.strip())))
    tools = []
    for tool in [t.strip() for t in args.tools.split(",") if t.strip()]:
        if tool == "dataframes":
            out.imports.add("from agno_nb.notebook.dataframe_tools import DataFrameTools")
            tools.append("DataFrameTools(globals())")  # the app's module namespace: its frames
        elif tool == "reasoning":
            out.imports.add("from agno_nb.tools.reasoning import ReasoningTools")
            tools.append("ReasoningTools()")
        elif tool.isidentifier():
            tools.append(tool)
            out.reads.add(tool)
        else:
            raise ValueError(f"--tools {tool!r} is not a name; list notebook functions or toolkits.")
    for spec in args.mcp:
        out.imports.add("from agno_nb.tools.mcp import MCPTools")
        spec = spec.strip()
        tools.append(
            f"MCPTools(url={quoted(spec)})"
            if spec.startswith(("http://", "https://"))
            else f"MCPTools({quoted(spec)})"
        )
    if tools:
        kwargs.append(("tools", "[" + ", ".join(tools) + "]"))
    if args.knowledge:
        kwargs.append(("knowledge", _name(args.knowledge, "agent")))
        out.reads.add(args.knowledge)
    if args.db not in (None, "default"):
        kwargs.append(("db", quoted(args.db)))
    if args.output_schema:
        kwargs.append(("output_schema", _name(args.output_schema, "agent")))
        out.reads.add(args.output_schema)
    if args.markdown:
        kwargs.append(("markdown", "True"))
    if args.description:
        kwargs.append(("description", quoted(args.description)))
    if args.user:
        kwargs.append(("user_id", quoted(args.user)))
    if args.history > 0:  # the magic's default (3 past runs) differs from Agent's (none)
        kwargs += [("add_history_to_context", "True"), ("num_history_runs", str(args.history))]
    if args.memory:
        kwargs.append(("enable_user_memories", "True"))
    if args.tool_call_limit is not None:
        kwargs.append(("tool_call_limit", str(args.tool_call_limit)))
    out.code = f"{name} = {_call('Agent', [], kwargs)}"
    return out


def _team(line: str, body: str) -> Translation:
    args = parse(team_parser(), line)
    name = _name(args.name, "team")
    members = [m.strip() for m in args.members.split(",") if m.strip()]
    for member in members:
        _name(member, "team")
    out = Translation("", name, "team", {"from agno_nb import Team"}, set(members))
    kwargs = [
        ("name", quoted(name)),
        ("members", "[" + ", ".join(members) + "]"),
        ("mode", quoted(args.mode)),
    ]
    model = _model(args.model)
    if model:
        kwargs.append(("model", model))
        if args.model.isidentifier():
            out.reads.add(args.model)
    if body.strip():
        kwargs.append(("instructions", text_literal(body.strip())))
    if args.db not in (None, "default"):
        kwargs.append(("db", quoted(args.db)))
    if args.description:
        kwargs.append(("description", quoted(args.description)))
    if args.markdown:
        kwargs.append(("markdown", "True"))
    if args.share_interactions:
        kwargs.append(("share_member_interactions", "True"))
    if args.max_iterations != 10:
        kwargs.append(("max_iterations", str(args.max_iterations)))
    out.code = f"{name} = {_call('Team', [], kwargs)}"
    return out


_STEP_OPTIONS = ("name", "description", "max_retries", "on_error", "requires_confirmation")


def _workflow(line: str, body: str) -> Translation:
    from ..workflow.declarative import workflow_spec

    args = parse(workflow_parser(), line)
    name = _name(args.name, "workflow")
    if not body.strip():
        raise ValueError("the body is empty; list the steps in YAML.")
    spec = workflow_spec(name, body)
    out = Translation("", name, "workflow", {"from agno_nb import Workflow"})
    steps = _StepWriter(out).many(spec["steps"])
    kwargs = [("name", quoted(name)), ("steps", "[\n" + "".join(f"    {s},\n" for s in steps) + "]")]
    if spec.get("description"):
        kwargs.append(("description", quoted(str(spec["description"]))))
    if args.db not in (None, "default"):
        kwargs.append(("db", quoted(args.db)))
    parts = "".join(f"    {k}={_indent(v)},\n" for k, v in kwargs)
    out.code = f"{name} = Workflow(\n{parts})"
    return out


class _StepWriter:
    """YAML steps as ``Step`` / ``Parallel`` / ``Loop`` / ``Condition`` / ``Router`` calls, as the
    ``%%workflow`` magic builds them (agno_nb/workflow/declarative.py)."""

    def __init__(self, out: Translation):
        self.out = out

    def ref(self, value: Any, what: str) -> str:
        if not isinstance(value, str) or not value.isidentifier():
            raise ValueError(f"{what} {value!r} must name an agent, team or function of the notebook.")
        self.out.reads.add(value)
        return value

    def many(self, items: Any) -> list[str]:
        if not isinstance(items, list) or not items:
            raise ValueError(f"expected a non-empty list of steps, got {items!r}.")
        return [self.one(item) for item in items]

    def use(self, kind: str) -> str:
        self.out.imports.add(f"from agno_nb.workflow import {kind}")
        return kind

    def one(self, item: Any) -> str:
        if isinstance(item, str):
            return f"{self.use('Step')}({quoted(item)}, {self.ref(item, 'step')})"
        kinds = {"step", "parallel", "loop", "condition", "router"} & set(
            item if isinstance(item, dict) else ()
        )
        if not isinstance(item, dict) or len(kinds) != 1:
            raise ValueError(f"a step is a name or one of step/parallel/loop/condition/router; got {item!r}.")
        if "step" in item:
            extra = set(item) - set(_STEP_OPTIONS) - {"step"}
            if extra:
                raise ValueError(f"step {item['step']!r}: unknown options {sorted(extra)}.")
            options = [
                (k, quoted(item[k]) if isinstance(item[k], str) else repr(item[k]))
                for k in _STEP_OPTIONS
                if k in item
            ]
            if "name" not in item:
                options.insert(0, ("name", quoted(item["step"])))
            return _call(self.use("Step"), [], [("work", self.ref(item["step"], "step")), *options])
        if "parallel" in item:
            named = [("name", quoted(str(item["name"])))] if item.get("name") else []
            return _call(self.use("Parallel"), self.many(item["parallel"]), named)
        if "loop" in item:
            spec = item["loop"]
            kwargs = []
            if spec.get("name") or item.get("name"):
                kwargs.append(("name", quoted(str(spec.get("name") or item.get("name")))))
            kwargs.append(("max_iterations", str(int(spec.get("max_iterations", 3)))))
            if spec.get("end_condition"):
                kwargs.append(("end_condition", self.ref(spec["end_condition"], "end_condition")))
            return _call(self.use("Loop"), self.many(spec.get("steps")), kwargs)
        if "condition" in item:
            spec = item["condition"]
            test = spec.get("if")
            evaluator = repr(test) if isinstance(test, bool) else self.ref(test, "condition")
            kwargs = []
            if spec.get("else"):
                kwargs.append(("else_steps", "[" + ", ".join(self.many(spec["else"])) + "]"))
            if spec.get("name") or item.get("name"):
                kwargs.append(("name", quoted(str(spec.get("name") or item.get("name")))))
            then = "[" + ", ".join(self.many(spec.get("then"))) + "]"
            return _call(self.use("Condition"), [evaluator, then], kwargs)
        spec = item["router"]
        kwargs = (
            [("name", quoted(str(spec.get("name") or item.get("name"))))]
            if spec.get("name") or item.get("name")
            else []
        )
        choices = "[" + ", ".join(self.many(spec.get("choices"))) + "]"
        return _call(self.use("Router"), [self.ref(spec.get("selector"), "selector"), choices], kwargs)


def _knowledge(line: str, body: str, is_path: Callable[[str], bool]) -> Translation:
    args = parse(knowledge_parser(), line)
    name = _name(args.name, "knowledge")
    out = Translation("", name, "knowledge", {"from agno_nb import Knowledge"})
    if args.server:
        host, _, port = args.server.rpartition(":")
        if not host or not port.isdigit():
            raise ValueError(f"--server {args.server}: use HOST:PORT, e.g. 127.0.0.1:8000.")
        kwargs = [("host", quoted(host)), ("port", port)]
        location: list[str] = []
    else:
        out.helpers.add("chroma_location")
        location, kwargs = [f"**chroma_location({quoted(args.path or 'kb')})"], []
    for option, value in (
        ("collection", args.collection),
        ("embedder", args.embedder),
        ("chunker", args.chunker),
        ("description", args.description),
    ):
        if value:
            kwargs.append((option, quoted(value)))
    if args.search_type != "hybrid":
        kwargs.append(("search_type", quoted(args.search_type)))
    if args.rerank:
        kwargs.append(("reranker", "True"))
    code = f"{name} = {_call('Knowledge', [quoted(name), *location], kwargs)}"
    metadata = pairs(args.metadata, "--metadata")
    sources = [s for s in (_source(text, metadata, out, is_path) for text in body.splitlines()) if s]
    if sources:
        code += f"\n{name}.add_contents([\n" + "".join(f"    {s},\n" for s in sources) + "])"
    out.code = code
    return out


def _source(
    line: str, metadata: dict[str, Any], out: Translation, is_path: Callable[[str], bool]
) -> str | None:
    """One ``%%knowledge`` body line as an ``add_contents`` item (a dict, as the magic builds it)."""
    text = line.split(" #", 1)[0].strip()
    if not text or text.startswith("#"):
        return None
    words = shlex.split(text)
    head = words[0]
    options = pairs(",".join(words[1:]), f"source {head}") if len(words) > 1 else {}
    meta = python_literal(metadata)
    if options or (head.isidentifier() and not is_path(head)):
        # a DataFrame of the notebook (the magic decides by the value; the export by the name)
        out.reads.add(head)
        text_column = options.pop("text", None)
        if isinstance(text_column, str) and "+" in text_column:
            text_column = text_column.split("+")
        id_column = options.pop("id", None)
        if options:
            raise ValueError(
                f"source {head}: unknown options {sorted(options)}; use text=COLUMN and id=COLUMN."
            )
        return (
            f'{{"dataframe": {head}, "name": {quoted(head)}, "metadata": {meta}, '
            f'"text_column": {python_literal(text_column)}, "id_column": {python_literal(id_column)}}}'
        )
    if head.startswith(("http://", "https://")):
        return f'{{"url": {quoted(head)}, "metadata": {meta}}}'
    out.data.append(head)
    out.helpers.add("data_path")
    return f'{{"path": data_path({quoted(head)}), "metadata": {meta}}}'


_TRANSLATORS: dict[str, Callable[[str, str], Translation]] = {
    "agent": _agent,
    "team": _team,
    "workflow": _workflow,
}
