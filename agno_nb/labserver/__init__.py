"""agno_nb inside Jupyter Server: the routes the JupyterLab extension's sidebar reads.

Enabled on install (``etc/jupyter/jupyter_server_config.d/agno_nb.json`` in the wheel). Loading it costs
nothing at the server's start: the routes import the store and the trace fold on their first request.
It also tells the kernels this server starts that the page renders agno_nb's trace bundle
(``AGNO_NB_LABEXTENSION``), so their live views send the bundle instead of a widget.

Routes (under the server's base URL, authenticated by Jupyter's own token or cookie + XSRF):

- ``GET agno-nb/api/store?notebook=PATH`` (or ``store=FILE.duckdb``): the store's recent sessions,
  runs and pending approvals;
- ``GET agno-nb/api/trace/RUN_ID?notebook=PATH``: a stored run's trace bundle;
- ``GET agno-nb/api/remote/PATH``: a served runtime's sessions, runs and traces (``remote.py``);
- ``POST agno-nb/api/export``, ``POST|GET agno-nb/api/serve``, ``DELETE agno-nb/api/serve/ID``: export a
  notebook as a served app, serve it on 127.0.0.1, stop it (``control.py``, ``serving.py``).
"""

from __future__ import annotations

import os
from typing import Any

__all__ = ["_jupyter_server_extension_points", "_load_jupyter_server_extension"]


def _jupyter_server_extension_points() -> list[dict[str, str]]:
    return [{"module": "agno_nb.labserver"}]


def _load_jupyter_server_extension(serverapp: Any) -> None:
    from ..notebook.lab import LAB_ENV
    from .handlers import setup_handlers

    os.environ.setdefault(LAB_ENV, "1")  # kernels inherit the server's environment
    setup_handlers(serverapp.web_app, root_dir=serverapp.root_dir)
    serverapp.log.info("agno_nb: sidebar routes at %sagno-nb/api/", serverapp.base_url)
