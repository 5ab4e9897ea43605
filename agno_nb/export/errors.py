"""The exporter's error: what was wrong, where (cell and line), and how to fix it."""

from __future__ import annotations

from ..errors import AgnoNBError

__all__ = ["ExportError", "where"]


class ExportError(AgnoNBError):
    """The notebook cannot be exported as it is; the message names the cell and says what to change."""


def where(cell: int, line: int | None = None) -> str:
    """``cell 4, line 2``: cells are counted as Jupyter shows them, from 1, markdown cells included."""
    return f"cell {cell}" + (f", line {line}" if line else "")
