"""``%%knowledge`` and ``%agno knowledge``: knowledge bases from notebook cells.

    %%knowledge docs --path kb --chunker markdown
    handbook/                      # a folder (recursively), a file or a glob
    https://example.com/faq.html   # a URL
    reviews text=review id=ticket  # a DataFrame of the notebook: text column(s), id column

    %agno knowledge docs search "how many vacation days"    -> a DataFrame: chunk, source, score per kind

The cell binds ``docs`` to a ``Knowledge`` and shows the ingest report; running it again costs only the
reading and hashing of what did not change. ``%%agent NAME --knowledge docs`` gives an agent the base.
"""

from __future__ import annotations

import argparse
import shlex
from typing import Any

from IPython.core.error import UsageError
from IPython.core.magic import Magics, cell_magic, magics_class

__all__ = ["KnowledgeMagics", "knowledge_command", "knowledge_from_namespace", "HELP"]

HELP = """  %%knowledge NAME [--path DIR | --server HOST:PORT] [--chunker SPEC] [--embedder ID]
                   [--search-type T] [--rerank] [--description TEXT] [--metadata k=v,...]
      body: one source per line: files, folders, globs, URLs, or DataFrames (NAME text=COL[,COL] id=COL)
  %agno knowledge [NAME [search "query" [--type hybrid|vector|keyword] [--limit N] [--filter k=v] [--rerank]
                         | documents | remove SOURCE]]"""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:
        raise UsageError(f"%{self.prog}: {message}. Try %agno help.")

    def exit(self, status: int = 0, message: str | None = None) -> None:
        raise UsageError(message or f"%{self.prog}: see %agno help")


def _cell_parser() -> Any:
    from ..magic_syntax import knowledge_parser

    return knowledge_parser()


def _search_parser() -> _Parser:
    parser = _Parser(prog="agno knowledge search", add_help=False)
    parser.add_argument("query", nargs="+")
    parser.add_argument("--type", dest="search_type")
    parser.add_argument("--limit", type=int, default=5)
    parser.add_argument("--filter", action="append", default=[])
    parser.add_argument("--rerank", action="store_true")
    return parser


def _pairs(text: str, what: str) -> dict[str, Any]:
    """``k=v,...`` as the exporter reads it too (``agno_nb.magic_syntax.pairs``), one UsageError line if bad."""
    from ..magic_syntax import MagicSyntaxError, pairs

    try:
        return pairs(text, what)
    except MagicSyntaxError as exc:
        raise UsageError(str(exc)) from None


def knowledge_from_namespace(ns: dict[str, Any], name: str) -> Any:
    """The ``Knowledge`` bound to ``name`` in the notebook (a clear error when there is none)."""
    from ..knowledge import Knowledge

    value = ns.get(name)
    if not isinstance(value, Knowledge):
        known = sorted(k for k, v in ns.items() if isinstance(v, Knowledge) and not k.startswith("_"))
        raise UsageError(f"No knowledge base named {name!r} in this notebook; known: {known or 'none'}. "
                         f"Create one with %%knowledge {name}.")
    return value


def _guard(action: Any) -> Any:
    from ..errors import AgnoNBError

    try:
        return action()
    except UsageError:
        raise
    except AgnoNBError as exc:
        raise UsageError(str(exc)) from None


@magics_class
class KnowledgeMagics(Magics):
    @cell_magic
    def knowledge(self, line: str, cell: str) -> Any:
        """%%knowledge NAME [--path DIR | --server HOST:PORT] [--chunker SPEC] [--embedder ID] ...

        The body lists sources, one a line: paths, folders, globs, URLs or DataFrame names. Binds NAME to
        a Knowledge and shows what the ingest did.
        """
        from ..magic_syntax import MagicSyntaxError, parse

        try:
            args = parse(_cell_parser(), line)
        except MagicSyntaxError as exc:
            raise UsageError(str(exc)) from None
        if not args.name.isidentifier():
            raise UsageError(f"%%knowledge: {args.name!r} is not a valid Python name; use letters, digits "
                             f"and _.")
        ns = self.shell.user_ns
        kb = _guard(lambda: self._knowledge_for(args, ns.get(args.name)))
        ns[args.name] = kb
        metadata = _pairs(args.metadata, "--metadata")
        parsed = (_source_line(line, ns, metadata) for line in cell.splitlines())
        sources = [s for s in parsed if s is not None]
        if not sources:
            print(f"knowledge {args.name}: {kb.store.location}, no sources in the cell body")
            return None
        return _guard(lambda: kb.add_contents(sources))

    @staticmethod
    def _knowledge_for(args: argparse.Namespace, existing: Any) -> Any:
        from ..knowledge import Knowledge

        options: dict[str, Any] = {"embedder": args.embedder, "chunker": args.chunker,
                                   "search_type": args.search_type, "reranker": True if args.rerank else None,
                                   "description": args.description, "collection": args.collection}
        if args.server:
            host, _, port = args.server.rpartition(":")
            if not host or not port.isdigit():
                raise UsageError(f"--server {args.server}: use HOST:PORT, e.g. 127.0.0.1:8000.")
            options.update(host=host, port=int(port))
        else:
            options["path"] = args.path or "kb"
        kb = Knowledge(args.name, **options)
        same = isinstance(existing, Knowledge) and existing.store.location == kb.store.location \
            and existing.embedder.id == kb.embedder.id and existing.chunker.signature == kb.chunker.signature
        if same:
            existing.search_type, existing.reranker = kb.search_type, kb.reranker
            existing.description = kb.description
            return existing  # re-running the cell keeps the open index (and the loaded model)
        return kb


def _source_line(line: str, ns: dict[str, Any], metadata: dict[str, Any]) -> Any:
    text = line.split(" #", 1)[0].strip()
    if not text or text.startswith("#"):
        return None
    words = shlex.split(text)
    head = words[0]
    options = _pairs(",".join(words[1:]), f"source {head}") if len(words) > 1 else {}
    value = ns.get(head) if head.isidentifier() else None
    if value is not None and hasattr(value, "columns") and hasattr(value, "to_dict"):
        text_column = options.pop("text", None)
        spec = {"dataframe": value, "name": head, "metadata": {**metadata, **options.pop("metadata", {})},
                "text_column": text_column.split("+") if isinstance(text_column, str) and "+" in text_column
                else text_column, "id_column": options.pop("id", None)}
        if options:
            raise UsageError(f"source {head}: unknown options {sorted(options)}; use text=COLUMN and "
                             f"id=COLUMN.")
        return spec
    if options:
        raise UsageError(f"source {head}: options (k=v) are for DataFrames; {head!r} is not a DataFrame "
                         f"here.")
    if head.startswith(("http://", "https://")):
        return {"url": head, "metadata": metadata}
    return {"path": head, "metadata": metadata}


def knowledge_command(ns: dict[str, Any], *words: str) -> Any:
    """``%agno knowledge [NAME [search "query" ... | documents | remove SOURCE]]``."""
    from ..knowledge import Knowledge

    if not words:
        import pandas

        rows = [{"name": k, "location": v.store.url, "collection": v.store.name, "embedder": v.embedder.id,
                 "search_type": v.search_type} for k, v in ns.items() if isinstance(v, Knowledge)
                and not k.startswith("_")]
        return pandas.DataFrame(rows, columns=["name", "location", "collection", "embedder", "search_type"])
    kb = knowledge_from_namespace(ns, words[0])
    action, rest = (words[1], words[2:]) if len(words) > 1 else ("documents", ())
    if action == "documents":
        return _guard(kb.documents)
    if action == "remove":
        if not rest:
            raise UsageError("%agno knowledge NAME remove SOURCE: which source? (a path, URL or name, as "
                             "%agno knowledge NAME documents shows them)")
        removed = _guard(lambda: kb.remove(source=rest[0]))
        print(f"removed {len(removed)} document(s) of {rest[0]}")
        return None
    if action != "search":
        raise UsageError(f"%agno knowledge: unknown action {action!r}; use search, documents or remove.")
    args = _search_parser().parse_args(list(rest))
    filters: dict[str, Any] = {}
    for item in args.filter:
        filters.update(_pairs(item, "--filter"))
    query = " ".join(args.query)
    return _guard(lambda: search_frame(kb, query, args.limit, args.search_type, filters or None,
                                       args.rerank or None))


def search_frame(kb: Any, query: str, limit: int, search_type: str | None, filters: dict[str, Any] | None,
                 rerank: bool | None) -> Any:
    """Search results as a DataFrame: each chunk with its source and its score in every kind of search."""
    import pandas

    from .._sync import run_sync

    async def search() -> list:
        results = await kb.asearch(query, limit, search_type=search_type, filters=filters, rerank=rerank)
        await kb.score_candidates(query, results)
        return results

    results = run_sync(search())
    reranked = any("rerank" in r.scores for r in results)
    kinds = ["hybrid", "vector", "keyword"] + (["rerank"] if reranked else [])
    rows = [{"rank": i, "chunk": r.content, "source": r.source,
             **{kind: round(r.scores[kind], 4) if kind in r.scores else None for kind in kinds}}
            for i, r in enumerate(results, start=1)]
    frame = pandas.DataFrame(rows, columns=["rank", "chunk", "source", *kinds]).set_index("rank")
    frame.attrs["search_type"] = results[0].search_type if results else search_type or kb.search_type
    return frame
