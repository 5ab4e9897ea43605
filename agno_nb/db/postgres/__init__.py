"""Agno's ``agno.db.postgres`` (and ``agno.db.postgres.postgres``) path: ``PostgresDb``."""

from .postgres import PostgresDb

__all__ = ["PostgresDb"]
