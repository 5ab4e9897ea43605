"""The syntax of the notebook's definition magics (``%%agent``, ``%%team``, ``%%workflow``, ``%%knowledge``).

One set of parsers serves two readers: the magics, which build the objects in a kernel, and the exporter,
which writes the Python calls they stand for into an app. Keeping the options here (argparse only, no
IPython) is what keeps the two in step: an option added for the magic is seen by the export at once.
"""

from __future__ import annotations

import argparse
import shlex
from typing import Any, NoReturn

__all__ = [
    "MagicSyntaxError",
    "MagicParser",
    "agent_parser",
    "team_parser",
    "workflow_parser",
    "knowledge_parser",
    "words",
    "pairs",
    "BUILTIN_TOOLKITS",
]

#: ``--tools`` names that are toolkits of agno_nb, not notebook variables
BUILTIN_TOOLKITS = ("dataframes", "reasoning")


class MagicSyntaxError(ValueError):
    """A magic's line could not be read: one line saying what was wrong (the notebook shows it as a
    ``UsageError``; the exporter names the cell)."""


class MagicParser(argparse.ArgumentParser):
    """argparse that reports problems as one ``MagicSyntaxError`` line instead of exiting the process."""

    def error(self, message: str) -> NoReturn:
        raise MagicSyntaxError(f"%{self.prog}: {message}. Try %agno help.")

    def exit(self, status: int = 0, message: str | None = None) -> NoReturn:
        raise MagicSyntaxError(message or f"%{self.prog}: see %agno help")


def words(line: str) -> list[str]:
    """A magic's line as words; a trailing ``# comment`` is a comment, as in Python."""
    try:
        return shlex.split(line, comments=True)
    except ValueError as exc:  # an unclosed quote
        raise MagicSyntaxError(f"Cannot read the options {line.strip()!r}: {exc}.") from None


def agent_parser(extra: Any = ()) -> MagicParser:
    """``%%agent NAME [options]``; ``extra`` are further options as ``(flags, argparse kwargs)`` pairs."""
    parser = MagicParser(prog="%agent", add_help=False)
    parser.add_argument("name")
    parser.add_argument("--model")
    parser.add_argument("--tools", default="")
    parser.add_argument("--db")
    parser.add_argument("--output-schema")
    parser.add_argument("--markdown", action="store_true")
    parser.add_argument("--description")
    parser.add_argument("--history", type=int, default=3, help="past runs put back into context (0: none)")
    parser.add_argument("--memory", action="store_true", help="keep user memories")
    parser.add_argument("--user")
    parser.add_argument("--tool-call-limit", type=int)
    parser.add_argument("--knowledge", help="a knowledge base of the notebook (see %%knowledge)")
    parser.add_argument(
        "--mcp", action="append", default=[], help="an MCP server: a command line or a URL (repeatable)"
    )
    for flags, options in extra:
        if not any(flag in parser._option_string_actions for flag in flags):
            parser.add_argument(*flags, **options)
    return parser


def team_parser() -> MagicParser:
    """``%%team NAME --members a,b [options]``."""
    parser = MagicParser(prog="%team", add_help=False)
    parser.add_argument("name")
    parser.add_argument("--mode", default="coordinate")
    parser.add_argument("--members", required=True)
    parser.add_argument("--model")
    parser.add_argument("--db")
    parser.add_argument("--description")
    parser.add_argument("--markdown", action="store_true")
    parser.add_argument("--share-interactions", action="store_true")
    parser.add_argument("--max-iterations", type=int, default=10)
    return parser


def workflow_parser() -> MagicParser:
    """``%%workflow NAME [--db PATH]`` (the body is YAML)."""
    parser = MagicParser(prog="%workflow", add_help=False)
    parser.add_argument("name")
    parser.add_argument("--db")
    return parser


def knowledge_parser() -> MagicParser:
    """``%%knowledge NAME [options]`` (the body lists sources)."""
    parser = MagicParser(prog="%knowledge", add_help=False)
    parser.add_argument("name")
    parser.add_argument("--path")
    parser.add_argument("--server", help="a Chroma server, HOST:PORT")
    parser.add_argument("--collection")
    parser.add_argument("--chunker")
    parser.add_argument("--embedder")
    parser.add_argument("--search-type", default="hybrid")
    parser.add_argument("--rerank", action="store_true")
    parser.add_argument("--description")
    parser.add_argument("--metadata", default="")
    return parser


def parse(parser: MagicParser, line: str) -> argparse.Namespace:
    """Parse a magic's line with one of the parsers above."""
    return parser.parse_args(words(line))


def pairs(text: str, what: str) -> dict[str, Any]:
    """``k=v,k2=v2`` (``--metadata``, ``--filter``, a source's options) as a dict; numbers become numbers,
    ``true``/``false`` booleans. ``what`` names the option in the error."""
    values: dict[str, Any] = {}
    for item in [p.strip() for p in text.split(",") if p.strip()]:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise MagicSyntaxError(f"{what}: expected key=value, got {item!r}.")
        values[key.strip()] = _scalar(value.strip())
    return values


def _scalar(value: str) -> Any:
    for cast in (int, float):
        try:
            return cast(value)
        except ValueError:
            pass
    return {"true": True, "false": False}.get(value.lower(), value)
