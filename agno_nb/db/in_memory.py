"""Agno's ``InMemoryDb``: a throwaway DuckDB store in memory (gone when the process ends)."""

from __future__ import annotations

from ..storage.duckdb import DuckDBStore

__all__ = ["InMemoryDb"]


class InMemoryDb(DuckDBStore):
    def __init__(self) -> None:
        super().__init__(":memory:")
