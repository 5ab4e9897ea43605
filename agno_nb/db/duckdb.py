"""``DuckDb(db_file=...)``: agno_nb's ``DuckDBStore`` under an Agno-style name and keywords."""

from __future__ import annotations

import os
from typing import Any

from ..storage.duckdb import DuckDBStore
from ._keywords import check_table_names
from .sqlite import _path

__all__ = ["DuckDb"]


class DuckDb(DuckDBStore):
    """A DuckDB file at ``db_file`` (default ``agno.duckdb``); ``db_url="duckdb:///path"`` works too."""

    def __init__(self, db_file: str | os.PathLike[str] | None = None, db_url: str | None = None,
                 id: str | None = None, **table_names: Any):
        check_table_names("DuckDb", table_names)
        path = _path("DuckDb", db_file, db_url, None) if db_file is not None or db_url else "agno.duckdb"
        super().__init__(path)
        self.db_file = path
