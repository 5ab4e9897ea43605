"""A notebook exported to a temporary folder, for ``agno-nb serve NOTEBOOK.ipynb`` and ``agno-nb mcp``.

The folder lives as long as the command: it is removed when the process exits.
"""

from __future__ import annotations

import atexit
import shutil
import sys
import tempfile
from pathlib import Path

__all__ = ["export_to_temporary"]


def export_to_temporary(notebook: str) -> Path:
    """Export ``notebook`` into a fresh temporary folder; returns the folder holding ``app.py``.

    Warnings go to stderr (stdout may be a protocol channel, as for MCP over stdio).
    """
    from . import export_notebook

    root = Path(tempfile.mkdtemp(prefix=f"agno-nb-{Path(notebook).stem}-"))
    atexit.register(shutil.rmtree, root, ignore_errors=True)
    result = export_notebook(notebook, root / "app")
    for warning in result.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    return result.out
