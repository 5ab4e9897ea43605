"""The notebook surface: magics, the live trace view, approval controls, DataFrame tools, plots.

``%load_ext agno_nb`` registers the magics and the live trace observer, and makes
``DuckDBStore("agno.duckdb", shared=True)`` next to the notebook the default store (unless one is
configured already or ``AGNO_NB_DB`` is set), so notebook runs are kept and kernels can take turns.
"""

from __future__ import annotations

from typing import Any

__all__ = ["load_ipython_extension", "unload_ipython_extension"]


def load_ipython_extension(ipython: Any) -> None:
    from .. import storage
    from ..observe import add_run_observer
    from ..storage.duckdb import DuckDBStore
    from .live import live_trace_factory
    from .magics import AgnoMagics

    ipython.register_magics(AgnoMagics)
    add_run_observer(live_trace_factory)
    _show_interrupts_as_one_line(ipython)
    if _ask_line not in ipython.input_transformers_cleanup:
        ipython.input_transformers_cleanup.append(_ask_line)
    if storage.default_store() is None:
        storage.set_default_store(DuckDBStore("agno.duckdb", shared=True))


def unload_ipython_extension(ipython: Any) -> None:
    from ..observe import remove_run_observer
    from .live import live_trace_factory

    remove_run_observer(live_trace_factory)
    from .._sync import RunInterrupted

    if ipython.custom_exceptions == (RunInterrupted,):
        ipython.set_custom_exc((), None)
    if _ask_line in ipython.input_transformers_cleanup:
        ipython.input_transformers_cleanup.remove(_ask_line)


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
