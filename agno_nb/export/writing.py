"""Writing the export folder: refuse an existing one unless forced, and never touch files it did not write.

The folder keeps a manifest (``.agno-export.json``) of what the exporter wrote; a forced export replaces
those files, removes the ones it no longer writes, and leaves everything else (a user's own files) alone.
"""

from __future__ import annotations

import json
from pathlib import Path

from .errors import ExportError

__all__ = ["write_folder", "copy_data", "MANIFEST"]

MANIFEST = ".agno-export.json"


def write_folder(out: Path, files: dict[str, bytes], *, force: bool) -> list[str]:
    """Write ``files`` (relative path -> bytes) into ``out``; returns the relative paths written, sorted."""
    previous: list[str] = []
    if out.exists():
        if not out.is_dir():
            raise ExportError(f"{out} exists and is not a folder; choose another --out.")
        if any(out.iterdir()) and not force:
            raise ExportError(
                f"{out} already exists; export with --force (force=True) to replace the files "
                f"the exporter wrote there (other files are left alone), or choose another --out."
            )
        manifest = out / MANIFEST
        if manifest.exists():
            try:
                previous = list(json.loads(manifest.read_text()).get("files", []))
            except (ValueError, AttributeError):
                previous = []
    for relative in previous:
        if relative not in files:
            stale = _inside(out, relative)
            if stale is not None and stale.is_file():
                stale.unlink()
    for relative, content in sorted(files.items()):
        target = _inside(out, relative)
        if target is None:
            raise ExportError(f"refusing to write {relative!r} outside {out}.")
        target.parent.mkdir(parents=True, exist_ok=True)
        if not target.exists() or target.read_bytes() != content:
            target.write_bytes(content)
    names = sorted(files)
    (out / MANIFEST).write_text(json.dumps({"files": names}, indent=1) + "\n")
    return names


def _inside(out: Path, relative: str) -> Path | None:
    target = (out / relative).resolve()
    return target if target.is_relative_to(out.resolve()) else None


def copy_data(folder: Path, paths: list[str]) -> dict[str, bytes]:
    """The files under ``paths`` (relative to ``folder``) as ``data/...`` entries, in sorted order."""
    files: dict[str, bytes] = {}
    for relative in paths:
        source = folder / relative
        if source.is_file():
            files[f"data/{Path(relative).as_posix()}"] = source.read_bytes()
        elif source.is_dir():
            for item in sorted(source.rglob("*")):
                if item.is_file() and not any(
                    part.startswith(".") for part in item.relative_to(folder).parts
                ):
                    files[f"data/{item.relative_to(folder).as_posix()}"] = item.read_bytes()
    return files
