"""Export a notebook as a served workflow: an app folder a person could have written, ready to deploy.

    from agno_nb.export import export_notebook
    result = export_notebook("analysis.ipynb")           # -> analysis_app/: app.py, requirements.txt, ...
    result.files, result.warnings

The notebook is read as data, never executed (``../shared/design.md`` §8). The same function serves
``agno-nb export``, ``%agno export``, ``agno-nb serve NOTEBOOK.ipynb`` and the Lab extension's command.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from .errors import ExportError

__all__ = ["export_notebook", "ExportResult", "ExportError"]


@dataclass
class ExportResult:
    """What an export wrote: the folder, the files (relative, sorted), the components and the warnings."""

    out: Path
    files: list[str] = field(default_factory=list)
    components: list[tuple[str, str]] = field(default_factory=list)  # (kind, variable name)
    warnings: list[str] = field(default_factory=list)


def export_notebook(
    notebook: str | os.PathLike[str],
    out: str | os.PathLike[str] | None = None,
    *,
    force: bool = False,
    include_data: bool = False,
) -> ExportResult:
    """Write the app folder for ``notebook`` (default ``<notebook folder>/<stem>_app``).

    Args:
        notebook: the ``.ipynb`` file (the saved file is what is read: save the notebook first).
        out: the folder to write; an existing, non-empty one is refused unless ``force``.
        force: replace the files a previous export wrote there (files it did not write stay).
        include_data: copy the files the knowledge reads into ``data/`` instead of referring to them.

    Raises:
        ExportError: the notebook cannot be read, defines nothing to serve, holds a literal secret, imports
            a package that is not installed, or has a magic with an error (the message names the cell).
    """
    from .. import __version__
    from .app_source import build_app
    from .deploy import render_deployment
    from .notebook import read_cells
    from .plan import deployment_plan
    from .writing import copy_data, write_folder

    path = Path(notebook).expanduser().resolve()
    folder = Path(out).expanduser().resolve() if out is not None else path.parent / f"{path.stem}_app"
    cells = read_cells(path)
    data_dir = "data" if include_data else os.path.relpath(path.parent, folder)
    source = build_app(cells, path, data_dir, __version__)
    served = [c for c in source.components if c.kind != "knowledge"]
    if not served:
        raise ExportError(
            f"{path.name} defines no agent, team or workflow to serve (with %%agent, %%team, "
            f"%%workflow, or name = Agent(name=...) in a code cell); nothing to export."
        )
    warnings = _order_warnings(cells) + source.warnings
    files = {"app.py": source.text.encode()}
    if include_data:
        files.update(copy_data(path.parent, source.data))
    plan = deployment_plan(path, source, sorted(p for p in files if p.startswith("data/")))
    files.update({name: text.encode() for name, text in render_deployment(plan).items()})
    written = write_folder(folder, files, force=force)
    return ExportResult(folder, written, [(c.kind, c.name) for c in source.components], warnings)


def _order_warnings(cells: list) -> list[str]:
    """Cells run out of order, or never run, in a notebook that was run: the kernel's state may not be
    what the cells say."""
    from .errors import where

    counted = [c for c in cells if c.execution_count is not None and not c.marked("skip")]
    if not counted:
        return []
    warnings = []
    previous = None
    for cell in counted:
        if previous is not None and cell.execution_count < previous.execution_count:
            warnings.append(
                f"{where(cell.number)} ran before {where(previous.number)} (execution counts "
                f"{cell.execution_count} < {previous.execution_count}): the export follows the "
                f"notebook's order; check with Restart Kernel and Run All."
            )
        previous = cell
    never = [
        c.number for c in cells if c.execution_count is None and c.source.strip() and not c.marked("skip")
    ]
    if never:
        warnings.append(
            f"cells {', '.join(map(str, never))} were never run in this notebook's kernel: the "
            f"export includes them untested."
        )
    return warnings
