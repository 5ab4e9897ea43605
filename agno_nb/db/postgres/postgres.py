"""Agno's ``PostgresDb(db_url=..., db_schema=...)``: agno_nb's ``PostgresStore`` built from Agno's keywords.

SQLAlchemy's driver suffix is dropped (``postgresql+psycopg://`` -> ``postgresql://``): agno_nb talks to
PostgreSQL through psycopg 3 directly, with its own pool.
"""

from __future__ import annotations

import re
from typing import Any

from ...errors import ConfigurationError
from ...storage.postgres import PostgresStore
from .._keywords import check_table_names, engine_url

__all__ = ["PostgresDb"]

_DRIVER = re.compile(r"^(postgres(?:ql)?)\+[a-z0-9_]+://")


class PostgresDb(PostgresStore):
    """PostgreSQL at ``db_url`` (or a SQLAlchemy ``db_engine``'s URL); tables in ``db_schema`` (default
    ``agno``; Agno's default is ``ai``)."""

    def __init__(self, db_url: str | None = None, db_engine: Any = None, db_schema: str | None = None,
                 id: str | None = None, create_schema: bool = True, **table_names: Any):
        check_table_names("PostgresDb", table_names)
        if db_engine is not None:
            db_url = engine_url("PostgresDb", db_engine)
        if not db_url:
            raise ConfigurationError("PostgresDb needs db_url='postgresql://user:password@host:5432/dbname' "
                                     "(or a SQLAlchemy db_engine).")
        if not create_schema:
            raise ConfigurationError("PostgresDb(create_schema=False) is not supported: agno_nb creates and "
                                     "migrates its own schema (it needs CREATE on the database once).")
        super().__init__(_DRIVER.sub(r"\1://", db_url), schema=db_schema or "agno")
