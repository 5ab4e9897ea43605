"""The control plane's commands: export a notebook as a served app, serve it, stop it.

    POST   agno-nb/api/export      {"path": "analysis.ipynb", "force": false}
    POST   agno-nb/api/serve       {"path": "analysis.ipynb"}
    GET    agno-nb/api/serve       the served notebooks
    DELETE agno-nb/api/serve/ID    stop one

Paths are relative to the Jupyter server's root and must stay inside it. The export and the start run on a
worker thread (an export reads files; a start waits for the app's ``/health``), so the server never
blocks. Errors are one JSON ``message``: 400 bad input, 404 unknown, 409 a folder that exists (the
front end then asks to replace it).
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import tornado.web
from jupyter_server.base.handlers import APIHandler

from .serving import ServedNotebooks, ServeFailed

__all__ = ["ExportHandler", "ServeHandler", "ServedHandler", "SERVED"]

#: the notebooks this Jupyter server serves (stopped with it)
SERVED = ServedNotebooks()


class _ControlHandler(APIHandler):
    root_dir: str = "."

    def initialize(self, root_dir: str) -> None:
        self.root_dir = root_dir

    def _fail(self, status: int, message: str) -> None:
        self.set_status(status)
        self.finish(json.dumps({"message": message}))

    def _body(self) -> dict[str, Any]:
        try:
            body = json.loads(self.request.body or b"{}")
        except ValueError:
            raise tornado.web.HTTPError(400, "The body is not JSON; send {\"path\": \"NOTEBOOK.ipynb\"}.")
        if not isinstance(body, dict):
            raise tornado.web.HTTPError(400, "The body must be a JSON object with a path.")
        return body

    def _notebook(self, body: dict[str, Any]) -> tuple[str, Path]:
        """The notebook ``path`` names: relative, inside the root, an existing ``.ipynb``."""
        relative = body.get("path")
        if not isinstance(relative, str) or not relative.strip():
            raise tornado.web.HTTPError(400, "Which notebook? Send {\"path\": \"NOTEBOOK.ipynb\"} (relative to "
                                             "the server's root).")
        root = Path(self.root_dir).resolve()
        target = (root / relative).resolve()
        if Path(relative).is_absolute() or not target.is_relative_to(root):
            raise tornado.web.HTTPError(400, f"{relative} is outside the server's root; give a path inside it.")
        if target.suffix != ".ipynb":
            raise tornado.web.HTTPError(400, f"{relative} is not a notebook (.ipynb).")
        if not target.is_file():
            raise tornado.web.HTTPError(404, f"No notebook {relative} under the server's root.")
        return target.relative_to(root).as_posix(), target

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        reason = kwargs.get("exc_info", (None, None))[1]
        message = getattr(reason, "log_message", None) or self._reason
        self.finish(json.dumps({"message": message}))


class ExportHandler(_ControlHandler):
    """Export a notebook next to itself (``<stem>_app``); 409 when that folder exists and force is off."""

    @tornado.web.authenticated
    async def post(self) -> None:
        from ..export import ExportError, export_notebook

        body = self._body()
        relative, notebook = self._notebook(body)
        out = notebook.parent / f"{notebook.stem}_app"
        force = body.get("force") is True
        if out.exists() and any(out.iterdir()) and not force:
            self._fail(409, f"{out.name}/ already exists next to the notebook. Replace the files the exporter "
                            f"wrote there (your other files stay)?")
            return
        try:
            result = await asyncio.to_thread(export_notebook, notebook, out, force=force)
        except ExportError as exc:
            self._fail(400, str(exc))
            return
        root = Path(self.root_dir).resolve()
        self.finish(json.dumps({
            "notebook": relative, "out": result.out.relative_to(root).as_posix(), "files": result.files,
            "components": [{"kind": kind, "name": name} for kind, name in result.components],
            "warnings": result.warnings, "command": f"cd {result.out.name} && agno-nb serve app:app"}))


class ServeHandler(_ControlHandler):
    """Start serving a notebook (POST) or list the served ones (GET)."""

    @tornado.web.authenticated
    async def get(self) -> None:
        self.finish(json.dumps({"served": SERVED.list()}))

    @tornado.web.authenticated
    async def post(self) -> None:
        relative, _ = self._notebook(self._body())
        try:
            served = await asyncio.to_thread(SERVED.start, str(Path(self.root_dir).resolve()), relative)
        except ServeFailed as exc:
            self._fail(400, str(exc))
            return
        self.finish(json.dumps(served.as_json()))


class ServedHandler(_ControlHandler):
    """Stop a served notebook."""

    @tornado.web.authenticated
    async def delete(self, served_id: str) -> None:
        stopped = await asyncio.to_thread(SERVED.stop, served_id)
        if not stopped:
            self._fail(404, f"No served notebook {served_id} here (it may have stopped already).")
            return
        self.finish(json.dumps({"stopped": served_id}))
