"""From code cells to ``app.py``: the kept code in notebook order, magics translated, an app at the end."""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from pathlib import Path

from .checks import check_import, check_secrets, undefined_names
from .errors import ExportError, where
from .magics import DEFINITION_MAGICS, quoted, translate_magic
from .notebook import Cell
from .parameters import Parameter, parameter_code
from .selection import Selector, read_names

__all__ = ["AppSource", "Component", "build_app"]

_KINDS = {"Agent": "agent", "Team": "team", "Workflow": "workflow", "Knowledge": "knowledge"}
_STORES = {"DuckDBStore", "DuckDbDb", "DuckDb", "PostgresStore", "PostgresDb"}
_MAGIC_LINE = re.compile(r"^\s*([%!]|[\w.,\s]+=\s*[%!])")
_ASYNC_OK = ast.PyCF_ONLY_AST | ast.PyCF_ALLOW_TOP_LEVEL_AWAIT

_HELPERS = {
    "data_path": '''
def data_path(relative: str) -> str:
    """A file or folder the notebook read: under $AGNO_NB_DATA_DIR when set, else next to the notebook."""
    return str(Path(os.environ.get("AGNO_NB_DATA_DIR") or HERE / DATA_DIR) / relative)
''',
    "chroma_location": '''
def chroma_location(path: str) -> dict:
    """A Chroma server when $CHROMA_HOST is set (replicas share it), else an embedded folder."""
    if os.environ.get("CHROMA_HOST"):
        return {"host": os.environ["CHROMA_HOST"], "port": int(os.environ.get("CHROMA_PORT", "8000"))}
    return {"path": os.environ.get("AGNO_NB_KNOWLEDGE_PATH", path)}
''',
}


@dataclass(frozen=True)
class Component:
    """An agent, team, workflow or knowledge base that ``app.py`` defines and serves."""

    kind: str
    name: str  # the variable
    id: str | None  # the route id (None for knowledge)
    description: str | None = None


@dataclass
class AppSource:
    """``app.py`` and what the deployment files need to know about it."""

    text: str = ""
    components: list[Component] = field(default_factory=list)
    parameters: list[Parameter] = field(default_factory=list)
    modules: set[str] = field(default_factory=set)
    data: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


@dataclass
class _Piece:
    cell: int
    code: str
    node: ast.stmt | None = None  # set for imports (pruned when unused)


class _Builder:
    def __init__(self, folder: Path, data_dir: str):
        self.folder, self.data_dir = folder, data_dir
        self.out = AppSource()
        self.pieces: list[_Piece] = []
        self.selector = Selector()
        self.imports: set[str] = set()  # import lines the translations need
        self.helpers: set[str] = set()
        self.future: set[str] = set()
        self.components: dict[str, Component] = {}
        self.magic_reads: set[str] = set()
        self.stores: list[str] = []  # variables holding the notebook's store, now the app's

    # ------------------------------------------------------------------------------------------ cells

    def cell(self, cell: Cell) -> None:
        if cell.marked("skip"):
            return
        source = cell.source
        if source.lstrip().startswith("%%"):
            self.cell_magic(cell)
            return
        lines = source.splitlines()
        for index, line in enumerate(lines):
            if _MAGIC_LINE.match(line):
                self.line_magic(cell, line.strip())
                lines[index] = ""  # blank, so line numbers stay the cell's own
        code = "\n".join(lines)
        try:
            tree = compile(code, f"cell {cell.number}", "exec", _ASYNC_OK)
        except SyntaxError as exc:
            raise ExportError(
                f"{where(cell.number, exc.lineno)}: not valid Python ({exc.msg}); fix the cell, "
                f"or tag it agno-skip to leave it out of the export."
            ) from None
        if "parameters" in cell.tags:
            self.parameters(cell, tree, lines)
            return
        nodes = tree.body if cell.marked("keep") else [k.node for k in self.selector.select(tree)]
        for node in nodes:
            self.statement(cell, node, lines)

    def cell_magic(self, cell: Cell) -> None:
        head, _, body = cell.source.lstrip().partition("\n")
        kind, _, line = head[2:].partition(" ")
        if kind in DEFINITION_MAGICS:
            translated = translate_magic(kind, line, body, cell.number, self.is_path)
            self.add_translation(cell, translated)
        elif kind not in (
            "ask",
            "capture",
            "time",
            "timeit",
            "html",
            "markdown",
            "javascript",
            "latex",
            "svg",
        ):
            self.out.warnings.append(
                f"{where(cell.number)}: a %%{kind} cell is not exported (only definitions "
                f"are); tag it agno-skip to silence this."
            )

    def line_magic(self, cell: Cell, line: str) -> None:
        if line.startswith("%team ") or line == "%team":
            self.add_translation(cell, translate_magic("team", line[len("%team") :], "", cell.number))

    def add_translation(self, cell: Cell, translated) -> None:
        check_secrets(translated.code, cell.number)
        self.imports |= translated.imports
        self.helpers |= translated.helpers
        self.magic_reads |= translated.reads
        self.out.data += [d for d in translated.data if d not in self.out.data]
        self.pieces.append(_Piece(cell.number, translated.code))
        self.selector.tainted.discard(translated.name)
        if translated.kind == "knowledge":
            self.selector.knowledge.add(translated.name)
            self.components[translated.name] = Component("knowledge", translated.name, None)
        else:
            self.components[translated.name] = Component(
                translated.kind, translated.name, _slug(translated.name)
            )

    def is_path(self, text: str) -> bool:
        return (self.folder / text).exists()

    def parameters(self, cell: Cell, tree: ast.Module, lines: list[str]) -> None:
        for node in tree.body:
            made = parameter_code(node)
            if made is None:
                self.statement(cell, node, lines)
                continue
            code, parameter = made
            check_secrets(ast.unparse(node), cell.number, node.lineno)
            self.out.parameters.append(parameter)
            self.imports.add("import os")
            if code.startswith(f"{parameter.name} = json."):
                self.imports.add("import json")
            self.pieces.append(_Piece(cell.number, code))

    # ------------------------------------------------------------------------------------ statements

    def statement(self, cell: Cell, node: ast.stmt, lines: list[str]) -> None:
        if isinstance(node, ast.ImportFrom) and node.module == "__future__":
            self.future |= {a.name for a in node.names}
            return
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            modules = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
            if not (isinstance(node, ast.ImportFrom) and node.level):
                for module in modules:
                    warning = check_import(module, cell.number, node.lineno, self.folder)
                    if warning and warning not in self.out.warnings:
                        self.out.warnings.append(warning)
                    self.out.modules.add(module.split(".")[0])
            self.pieces.append(_Piece(cell.number, ast.unparse(node), node))
            return
        first = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", ())])
        while first > 1 and lines[first - 2].lstrip().startswith("#") and "agno:" not in lines[first - 2]:
            first -= 1  # the comment right above belongs to the statement
        code = "\n".join(lines[first - 1 : node.end_lineno]).rstrip()
        check_secrets(code, cell.number, first)
        code = self.data_paths(node, code, first)
        # outside IPython, DataFrameTools reads the frames of the namespace it is given: the app's module
        code = re.sub(r"\bDataFrameTools\(\)", "DataFrameTools(globals())", code)
        store = _store_assignment(node)
        if store is not None:  # the notebook's store file becomes the app's store (one per app)
            name, location = store
            self.stores.append(name)
            self.imports |= {"import os", "from agno_nb.storage import open_store"}
            code = (
                f"# the app's store: $AGNO_NB_DB when set (PostgreSQL when deployed), else the notebook's file\n"
                f'{name} = open_store(os.environ.get("AGNO_NB_DB") or {quoted(location)})'
            )
        self.pieces.append(_Piece(cell.number, code))
        self.discover(cell, node)

    def data_paths(self, node: ast.stmt, code: str, first: int) -> str:
        """``kb.add_content(path="docs")`` reads a folder next to the notebook: point it at the data dir."""
        edits = []
        for call in ast.walk(node):
            if not (
                isinstance(call, ast.Call)
                and isinstance(call.func, ast.Attribute)
                and call.func.attr in ("add_content", "aadd_content")
            ):
                continue
            for keyword in call.keywords:
                value = keyword.value
                if (
                    keyword.arg == "path"
                    and isinstance(value, ast.Constant)
                    and isinstance(value.value, str)
                    and self.is_path(value.value)
                    and value.lineno == value.end_lineno
                ):
                    edits.append((value.lineno - first, value.col_offset, value.end_col_offset, value.value))
        if not edits:
            return code
        lines = code.split("\n")
        for line, start, end, path in sorted(edits, reverse=True):
            lines[line] = f"{lines[line][:start]}data_path({quoted(path)}){lines[line][end:]}"
            if path not in self.out.data:
                self.out.data.append(path)
        self.helpers.add("data_path")
        return "\n".join(lines)

    def discover(self, cell: Cell, node: ast.stmt) -> None:
        """Agents, teams, workflows and knowledge bases made by ``name = Kind(...)``; stores to warn about."""
        for call in ast.walk(node):
            if (
                _store_assignment(node) is None
                and isinstance(call, ast.Call)
                and _func_name(call) in _STORES
                and call.args
                and isinstance(call.args[0], ast.Constant)
            ):
                self.out.warnings.append(
                    f"{where(cell.number, call.lineno)}: {_func_name(call)}({call.args[0].value!r}) is the "
                    f"notebook's own store; served replicas share one: open_store(os.environ['AGNO_NB_DB']) "
                    f"(the app's store, PostgreSQL in the deployment files)."
                )
        if not (
            isinstance(node, ast.Assign)
            and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name)
            and isinstance(node.value, ast.Call)
            and _func_name(node.value) in _KINDS
        ):
            return
        name, kind = node.targets[0].id, _KINDS[_func_name(node.value)]
        if kind == "knowledge":
            self.selector.knowledge.add(name)
            self.components[name] = Component("knowledge", name, None)
            return
        options = {
            k.arg: k.value.value
            for k in node.value.keywords
            if k.arg and isinstance(k.value, ast.Constant) and isinstance(k.value.value, str)
        }
        ident = options.get("id") or (_slug(options["name"]) if options.get("name") else None)
        if ident is None:
            self.components.pop(name, None)
            self.out.warnings.append(
                f"{where(cell.number, node.lineno)}: the {kind} `{name}` has no name= or "
                f"id=, so its id would change on every start; it is not served. Give it a "
                f"name."
            )
            return
        self.components[name] = Component(kind, name, ident, options.get("description"))

    # -------------------------------------------------------------------------------------- assembly

    def assemble(self, title: str) -> AppSource:
        body_reads = set(self.magic_reads)
        parsed_pieces = []
        for piece in self.pieces:
            if piece.node is None:
                tree = compile(piece.code, "app", "exec", _ASYNC_OK)
                parsed_pieces.append(tree)
                for node in tree.body:
                    body_reads |= read_names(node)
                    for inner in ast.walk(node):  # names read inside functions count too
                        if isinstance(inner, ast.Name) and isinstance(inner.ctx, ast.Load):
                            body_reads.add(inner.id)
        served = [c for c in self.components.values()]
        body_reads |= {c.name for c in served}
        header_stdlib = {"import os"} if self.helpers or "import os" in self.imports else set()
        header_stdlib |= {"import json"} & self.imports
        user_bound: set[str] = set(header_stdlib)  # the header imports these already
        sections: list[str] = []
        current = None
        for piece in self.pieces:
            code = piece.code
            if piece.node is not None:
                code = _prune_import(piece.node, body_reads)
                if code is None or code in user_bound:
                    continue
                user_bound.add(code)
            if piece.cell != current:
                sections.append(f"\n\n# --- cell {piece.cell} ---")
                current = piece.cell
            elif _roomy(code) or _roomy(sections[-1]):
                sections.append("\n" if _is_definition(code) or _is_definition(sections[-1]) else "")
            sections.append(code)
        bound_by_user = {
            (a.asname or a.name) for p in self.pieces if p.node is not None for a in p.node.names
        }
        header = sorted(line for line in self.imports if line.split(" import ")[-1] not in bound_by_user)
        needs_os = bool(self.helpers) or any(line == "import os" for line in header)
        stdlib = sorted({"import os"} if needs_os else set()) + [l for l in header if l == "import json"]
        if "data_path" in self.helpers:
            stdlib.append("from pathlib import Path")
        third = [line for line in header if line not in ("import os", "import json")]
        third.append("from agno_nb.serve import create_app")
        lines = [f'"""{title}"""', ""]
        if self.future:
            lines += [f"from __future__ import {', '.join(sorted(self.future))}", ""]
        if stdlib:
            lines += stdlib + [""]
        lines += sorted(set(third))
        if "data_path" in self.helpers:
            lines += ["", "HERE = Path(__file__).resolve().parent", f"DATA_DIR = {quoted(self.data_dir)}"]
        for helper in sorted(self.helpers):
            lines += ["", "", _HELPERS[helper].strip("\n")]
        stores = list(dict.fromkeys(self.stores))
        if len(stores) > 1:
            self.out.warnings.append(
                f"the notebook opens {len(stores)} stores ({', '.join(stores)}); a served app "
                f"has one: use one store variable for every component."
            )
        lines += ["", *sections, "", "", _create_app(served, stores[0] if len(stores) == 1 else None)]
        text = "\n".join(lines)
        text = re.sub(r"\n{4,}", "\n\n\n", text).rstrip() + "\n"
        self.out.text = text
        self.out.components = served
        tree = ast.parse(text)
        missing = [n for n in undefined_names(tree) if n not in ("HERE", "DATA_DIR")]
        if missing:
            self.out.warnings.append(
                f"app.py reads {', '.join(missing)}, which no exported cell defines (defined only in the kernel, "
                f"or in a cell the export left out): define it in a cell, or tag that cell agno-keep."
            )
        return self.out


def _roomy(code: str) -> bool:
    return "\n" in code.strip() or _is_definition(code)


def _is_definition(code: str) -> bool:
    first = next((line for line in code.splitlines() if not line.lstrip().startswith("#")), "")
    return first.startswith(("def ", "async def ", "class ", "@"))


def _store_assignment(node: ast.stmt) -> tuple[str, str] | None:
    """``store = DuckDBStore("x.duckdb")`` (or ``PostgresStore(dsn)``): the variable and the location."""
    if (
        isinstance(node, ast.Assign)
        and len(node.targets) == 1
        and isinstance(node.targets[0], ast.Name)
        and isinstance(node.value, ast.Call)
        and _func_name(node.value) in ("DuckDBStore", "PostgresStore")
        and len(node.value.args) == 1
        and not node.value.keywords
        and isinstance(node.value.args[0], ast.Constant)
        and isinstance(node.value.args[0].value, str)
    ):
        return node.targets[0].id, node.value.args[0].value
    return None


def _create_app(components: list[Component], store: str | None) -> str:
    groups = {
        kind: [c.name for c in components if c.kind == kind]
        for kind in ("agent", "team", "workflow", "knowledge")
    }
    args = [
        f"    {kind if kind == 'knowledge' else kind + 's'}=[{', '.join(names)}],"
        for kind, names in groups.items()
        if names
    ]
    if store:
        args.append(f"    db={store},")
    return "app = create_app(\n" + "\n".join(args) + "\n)"


def _prune_import(node: ast.stmt, used: set[str]) -> str | None:
    """The import with only the names the app uses (``None`` when it uses none of them)."""
    kept = [a for a in node.names if (a.asname or a.name).split(".")[0] in used]
    if not kept:
        return None
    if len(kept) == len(node.names):
        return ast.unparse(node)
    clone = type(node)(**{**{f: getattr(node, f) for f in node._fields}, "names": kept})
    return ast.unparse(clone)


def _func_name(call: ast.Call) -> str:
    func = call.func
    return func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""


def _slug(name: str) -> str:
    from ..run_events import slug_id

    return slug_id(name, "agent")


def build_app(cells: list[Cell], notebook: Path, data_dir: str, version: str) -> AppSource:
    """``app.py`` for these cells of ``notebook``; ``data_dir`` is the notebook's folder as seen from the app."""
    builder = _Builder(notebook.parent, data_dir)
    for cell in cells:
        builder.cell(cell)
    title = (
        f"Served agents of {notebook.name}, exported by agno_nb {version}.\n\n"
        f"Serve: agno-nb serve app:app (see README.md). Made from the notebook: edit the notebook and "
        f"export again\n(agno-nb export {notebook.name}) rather than editing this file.\n"
    )
    return builder.assemble(title)
