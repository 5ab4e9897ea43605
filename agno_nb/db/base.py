"""Agno's ``BaseDb``: agno_nb's ``Store``, the base of every database class (for type hints)."""

from ..storage.base import Store as BaseDb

__all__ = ["BaseDb"]
