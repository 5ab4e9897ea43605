"""Agno's ``SqliteDb``, stored in DuckDB: agno_nb keeps sessions, runs, traces and memories in DuckDB (one
embedded engine for the notebook and the served app's development mode), so ``SqliteDb(db_file=...)`` is a
DuckDB file at that path. An existing SQLite file of Agno's is refused, not read: its tables are Agno's.
"""

from __future__ import annotations

import os
from typing import Any

from ..errors import ConfigurationError
from ..storage.duckdb import DuckDBStore
from ._keywords import check_table_names, engine_url

__all__ = ["SqliteDb"]

_SQLITE_MAGIC = b"SQLite format 3\x00"


class SqliteDb(DuckDBStore):
    """``SqliteDb(db_file="tmp/agent.db")``: a ``DuckDBStore`` at ``db_file`` (default: ``agno.db``).

    ``db_url="sqlite:///path"`` and ``db_engine`` (a SQLAlchemy engine on a file) name the file too.
    """

    def __init__(self, db_file: str | os.PathLike[str] | None = None, db_engine: Any = None,
                 db_url: str | None = None, id: str | None = None, **table_names: Any):
        check_table_names("SqliteDb", table_names)
        path = _path("SqliteDb", db_file, db_url, db_engine)
        _refuse_sqlite_file(path)
        super().__init__(path)
        self.db_file = path


def _path(class_name: str, db_file: Any, db_url: str | None, db_engine: Any) -> str:
    if db_engine is not None:
        db_url = engine_url(class_name, db_engine)
    if db_url is not None:
        for prefix in ("sqlite:///", "duckdb:///"):
            if db_url.startswith(prefix):
                return db_url[len(prefix):] or ":memory:"
        if db_url in ("sqlite://", "duckdb://", "sqlite:///:memory:"):
            return ":memory:"
        scheme = "duckdb" if class_name == "DuckDb" else "sqlite"
        raise ConfigurationError(f"{class_name}(db_url={db_url!r}): expected '{scheme}:///path/to/file'. For "
                                 f"PostgreSQL use agno_nb.db.postgres.PostgresDb(db_url=...).")
    return os.fspath(db_file) if db_file is not None else "agno.db"


def _refuse_sqlite_file(path: str) -> None:
    if path == ":memory:" or not os.path.isfile(path):
        return
    with open(path, "rb") as fh:
        header = fh.read(len(_SQLITE_MAGIC))
    if header == _SQLITE_MAGIC:
        raise ConfigurationError(
            f"{path} is a SQLite database (Agno's). agno_nb stores sessions in DuckDB and does not read "
            f"Agno's tables: point SqliteDb(db_file=...) at a new file, or move this one aside. Your Agno "
            f"data stays untouched.")
