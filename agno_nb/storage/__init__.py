"""Storage: sessions, runs, events (traces), memories, approvals and checkpoints.

``DuckDBStore`` is the embedded default; ``PostgresStore`` serves deployments with many replicas.
Both share every query (``base.Store``) and one test suite.
"""

from __future__ import annotations

import os
import threading
from typing import Any

from .base import NotFoundError, Store, StoreConnectionError, StoreError, StoreLockedError, StoreSchemaError
from .records import MemoryRecord, RunRecord, SessionRecord

__all__ = ["Store", "DuckDBStore", "PostgresStore", "open_store", "set_default_store", "default_store",
           "StoreError", "StoreLockedError", "StoreSchemaError", "StoreConnectionError", "NotFoundError",
           "SessionRecord", "RunRecord", "MemoryRecord"]

_default: Store | None = None
_default_lock = threading.Lock()


def __getattr__(name: str) -> Any:
    # The backends import their drivers lazily; the classes themselves are cheap.
    if name == "DuckDBStore":
        from .duckdb import DuckDBStore

        return DuckDBStore
    if name == "PostgresStore":
        from .postgres import PostgresStore

        return PostgresStore
    raise AttributeError(f"module 'agno_nb.storage' has no attribute {name!r}")


def open_store(spec: "str | os.PathLike[str] | Store") -> Store:
    """A store from a DSN (``postgresql://...``), a DuckDB path, or a store (returned as is)."""
    if isinstance(spec, Store):
        return spec
    text = os.fspath(spec)
    if text.startswith(("postgresql://", "postgres://")) or ("host=" in text and "dbname=" in text):
        from .postgres import PostgresStore

        return PostgresStore(text)
    from .duckdb import DuckDBStore

    return DuckDBStore(text)


def set_default_store(store: "str | os.PathLike[str] | Store | None") -> Store | None:
    """Make ``store`` the one agents without ``db=`` write to (``None``: no persistence)."""
    global _default
    with _default_lock:
        _default = open_store(store) if store is not None else None
        return _default


def default_store() -> Store | None:
    """The configured default store: ``set_default_store``, else ``$AGNO_NB_DB``, else ``None``."""
    global _default
    if _default is None and os.environ.get("AGNO_NB_DB"):
        with _default_lock:
            if _default is None:
                _default = open_store(os.environ["AGNO_NB_DB"])
    return _default
