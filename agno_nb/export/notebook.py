"""Reading a notebook as data (JSON, nbformat 4): never executing it."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from .errors import ExportError

__all__ = ["Cell", "read_cells"]


@dataclass(frozen=True)
class Cell:
    """A code cell: its position as Jupyter shows it (from 1), its text, tags and execution count."""

    number: int
    source: str
    tags: frozenset[str]
    execution_count: int | None

    def marked(self, word: str) -> bool:
        """Tagged ``agno-<word>`` or holding a ``# agno: <word>`` line (for front ends without tags)."""
        if f"agno-{word}" in self.tags:
            return True
        return any(line.strip().replace(" ", "") == f"#agno:{word}" for line in self.source.splitlines())


def read_cells(path: Path) -> list[Cell]:
    """The code cells of the notebook at ``path``, in order; a clear error for anything but nbformat 4."""
    if path.suffix != ".ipynb":
        raise ExportError(f"{path} is not a notebook (.ipynb); pass the notebook file to export.")
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ExportError(f"No notebook at {path}: check the path.") from None
    except UnicodeDecodeError:
        raise ExportError(f"{path} is not a text file; a notebook is JSON (nbformat 4).") from None
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ExportError(
            f"{path} is not valid JSON ({exc.msg} at line {exc.lineno}); is it a saved "
            f"notebook? Re-save it from Jupyter."
        ) from None
    if not isinstance(document, dict) or not isinstance(document.get("cells"), list):
        raise ExportError(f"{path} is JSON but not a notebook (no 'cells' list).")
    major = document.get("nbformat")
    if major != 4:
        raise ExportError(
            f"{path} is nbformat {major}; the exporter reads nbformat 4. Convert it with "
            f"`jupyter nbconvert --to notebook --nbformat 4 {path.name}`."
        )
    cells = []
    for number, raw in enumerate(document["cells"], start=1):
        if not isinstance(raw, dict) or raw.get("cell_type") != "code":
            continue
        source = raw.get("source", "")
        source = "".join(source) if isinstance(source, list) else str(source)
        tags = (raw.get("metadata") or {}).get("tags") or ()
        count = raw.get("execution_count")
        cells.append(
            Cell(number, source, frozenset(map(str, tags)), count if isinstance(count, int) else None)
        )
    return cells
