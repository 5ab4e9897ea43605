"""Agno's database classes over agno_nb's stores: ``SqliteDb`` and ``DuckDb`` (a DuckDB file), ``InMemoryDb``,
``PostgresDb`` (PostgreSQL). Each *is* a ``DuckDBStore`` / ``PostgresStore`` built from Agno's keywords, so
``Agent(db=SqliteDb(db_file="tmp/agent.db"))`` works after the import rewrite. Loaded on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__all__ = ["BaseDb", "SqliteDb", "DuckDb", "InMemoryDb", "PostgresDb"]

_WHERE = {"SqliteDb": ".sqlite", "DuckDb": ".duckdb", "InMemoryDb": ".in_memory",
          "PostgresDb": ".postgres.postgres", "BaseDb": ".base"}

if TYPE_CHECKING:
    from .base import BaseDb
    from .duckdb import DuckDb
    from .in_memory import InMemoryDb
    from .postgres.postgres import PostgresDb
    from .sqlite import SqliteDb


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module 'agno_nb.db' has no attribute {name!r}")
    from importlib import import_module

    return getattr(import_module(_WHERE[name], __name__), name)
