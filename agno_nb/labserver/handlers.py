"""The sidebar's routes. Jupyter's ``APIHandler`` checks the token or the login cookie with its XSRF
header, as for every Jupyter API; store reads run on a worker thread (they may wait for the kernel to
hand the DuckDB file over), so the server never blocks.

Errors are one JSON ``message`` the sidebar shows as is: a locked store (409) names the process that
holds it, a store written by newer code (409) says to upgrade, an unknown run is 404, bad parameters 400.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import tornado.web
from jupyter_server.base.handlers import APIHandler
from jupyter_server.utils import url_path_join

__all__ = ["setup_handlers"]


class _StoreHandler(APIHandler):
    root_dir: str = "."

    def initialize(self, root_dir: str) -> None:
        self.root_dir = root_dir

    def _store_path(self) -> str:
        from ..errors import ConfigurationError
        from .store_view import notebook_store_path

        store = self.get_query_argument("store", None)
        notebook = self.get_query_argument("notebook", None)
        try:
            if store:
                if not store.endswith(".duckdb"):
                    raise ConfigurationError(f"{store!r} is not a DuckDB store file (.duckdb); the sidebar reads "
                                             f"the notebook's DuckDB store.")
                return store
            if notebook:
                return notebook_store_path(self.root_dir, notebook)
        except ConfigurationError as exc:
            raise tornado.web.HTTPError(400, str(exc)) from None
        raise tornado.web.HTTPError(400, "Which store? Pass notebook=PATH (relative to the server's root) or "
                                         "store=FILE.duckdb.")

    async def _answer(self, work: Any) -> None:
        from ..storage.base import NotFoundError, StoreError, StoreLockedError, StoreSchemaError

        try:
            result = await asyncio.to_thread(work)
        except NotFoundError as exc:
            self._fail(404, str(exc))
        except (StoreLockedError, StoreSchemaError) as exc:
            self._fail(409, str(exc), locked=isinstance(exc, StoreLockedError))
        except StoreError as exc:
            self._fail(500, str(exc))
        else:
            self.finish(json.dumps(result, default=str))

    def _fail(self, status: int, message: str, **extra: Any) -> None:
        self.set_status(status)
        self.finish(json.dumps({"message": message, **extra}))


class StoreSummaryHandler(_StoreHandler):
    """Recent sessions, runs and pending approvals of a notebook's store."""

    @tornado.web.authenticated
    async def get(self) -> None:
        from .store_view import summary

        path = self._store_path()
        await self._answer(lambda: summary(path))


class RunTraceHandler(_StoreHandler):
    """A stored run's trace bundle."""

    @tornado.web.authenticated
    async def get(self, run_id: str) -> None:
        from .store_view import run_trace

        path = self._store_path()
        await self._answer(lambda: run_trace(path, run_id))


def setup_handlers(web_app: Any, *, root_dir: str) -> None:
    base = url_path_join(web_app.settings["base_url"], "agno-nb", "api")
    options = {"root_dir": root_dir}
    from .control import ExportHandler, ServedHandler, ServeHandler
    from .remote import RemoteHandler

    web_app.add_handlers(".*$", [
        (url_path_join(base, "store"), StoreSummaryHandler, options),
        (url_path_join(base, "trace", r"([^/]+)"), RunTraceHandler, options),
        (url_path_join(base, "remote", r"(.+)"), RemoteHandler),
        (url_path_join(base, "export"), ExportHandler, options),
        (url_path_join(base, "serve"), ServeHandler, options),
        (url_path_join(base, "serve", r"([^/]+)"), ServedHandler, options),
    ])
