"""The notebook surface: magics, the live trace view, approval controls, DataFrame tools, plots.

``%load_ext agno_nb`` registers the magics and the live trace observer, and makes a DuckDB file per
notebook the default store: ``<notebook>.agno.duckdb`` next to it (``agno.duckdb`` when the notebook's
name is unknown), opened ``shared=True`` so a second kernel or ``agno-nb serve`` can write to it too.
A store configured already, or ``AGNO_NB_DB``, wins.
"""

from __future__ import annotations

from typing import Any

__all__ = ["load_ipython_extension", "unload_ipython_extension", "default_store_path", "PLUGINS"]

#: notebook modules that add magics or %%agent options when the extension loads; add yours here
#: (one line), e.g. "agno_nb.notebook.knowledge_magic" or "agno_nb.notebook.mcp_option"
PLUGINS: list[str] = ["agno_nb.notebook.mcp_magics", "agno_nb.notebook.knowledge_option"]


def load_ipython_extension(ipython: Any) -> None:
    from .. import storage
    from ..observe import add_run_observer
    from ..storage.duckdb import DuckDBStore
    from .live import live_trace_factory
    from .magics import AgnoMagics

    import importlib

    from .magics import MAGIC_CLASSES

    for module in PLUGINS:  # each registers its magics or %%agent options (magics.register_magics, ...)
        importlib.import_module(module)
    ipython.register_magics(AgnoMagics)
    for magics in MAGIC_CLASSES:
        ipython.register_magics(magics)
    from .knowledge_magics import KnowledgeMagics

    ipython.register_magics(KnowledgeMagics)
    add_run_observer(live_trace_factory)
    _show_interrupts_as_one_line(ipython)
    if _ask_line not in ipython.input_transformers_cleanup:
        ipython.input_transformers_cleanup.append(_ask_line)
    if storage.default_store() is None:
        storage.set_default_store(DuckDBStore(default_store_path(ipython.user_ns), shared=True))
    from . import lab

    lab.start(ipython)  # the JupyterLab extension's channel (sidebar), when the page has the extension


def unload_ipython_extension(ipython: Any) -> None:
    from ..observe import remove_run_observer
    from .live import live_trace_factory

    remove_run_observer(live_trace_factory)
    from . import lab

    lab.stop(ipython)
    from .._sync import RunInterrupted

    if ipython.custom_exceptions == (RunInterrupted,):
        ipython.set_custom_exc((), None)
    if _ask_line in ipython.input_transformers_cleanup:
        ipython.input_transformers_cleanup.remove(_ask_line)


def default_store_path(namespace: dict[str, Any]) -> str:
    """``<notebook name>.agno.duckdb`` in the kernel's directory (the notebook's): each notebook keeps its
    own runs, so ``%agno sessions`` lists this notebook's. The name comes from ``JPY_SESSION_NAME`` (set by
    Jupyter Server for its kernels) or VS Code's ``__vsc_ipynb_file__``; else ``agno.duckdb``."""
    import os

    notebook = namespace.get("__vsc_ipynb_file__") or os.environ.get("JPY_SESSION_NAME") or ""
    name = os.path.basename(str(notebook))
    if not name.endswith(".ipynb"):
        return "agno.duckdb"
    return name[: -len(".ipynb")] + ".agno.duckdb"


def _show_interrupts_as_one_line(ipython: Any) -> None:
    """The Stop button during a run: ``run cancelled``, not a traceback through agno_nb's internals."""
    from .._sync import RunInterrupted

    def one_line(shell: Any, etype: type, value: BaseException, tb: Any, tb_offset: Any = None) -> list[str]:
        line = [f"{value} (stored as cancelled; a sync tool that was already running finishes in its thread)"]
        shell._showtraceback(etype, value, line)  # IPython leaves showing it to the handler
        return line

    if not ipython.custom_exceptions:  # one handler serves the whole tuple: never take over someone else's
        ipython.set_custom_exc((RunInterrupted,), one_line)


def _ask_line(lines: list[str]) -> list[str]:
    """``%ask NAME what is my name?``: a question ends with ``?``, which IPython would read as a
    request for help on ``name``. Hand such one-line cells to the magic before that happens."""
    if len(lines) == 1 and lines[0].startswith("%ask ") and lines[0].rstrip().endswith("?"):
        return [f"get_ipython().run_line_magic('ask', {lines[0][5:].rstrip()!r})\n"]
    return lines
