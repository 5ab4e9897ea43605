"""Tables for analysts: sessions, runs, events and memories as pandas DataFrames.

    import agno_nb
    agno_nb.sessions()                 # the default store; or store=DuckDBStore("agno.duckdb")
    agno_nb.runs(session_id="q3")
    agno_nb.events(run_id)             # one row per trace event
    agno_nb.memories("ana")
    store.sql("SELECT status, count(*) FROM runs GROUP BY 1")
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..errors import ConfigurationError

if TYPE_CHECKING:
    import pandas

    from .base import Store

__all__ = ["sessions", "runs", "events", "memories"]


def _store(store: "Store | str | None") -> "Store":
    from . import default_store, open_store

    if store is not None:
        return open_store(store)
    found = default_store()
    if found is None:
        raise ConfigurationError(
            "No store configured: pass store=DuckDBStore('agno.duckdb') (or a path / DSN), or call "
            "agno_nb.storage.set_default_store(...) once, or set AGNO_NB_DB.")
    return found


def _where(**columns: Any) -> tuple[str, list[Any]]:
    pairs = [(name, value) for name, value in columns.items() if value is not None]
    clause = " WHERE " + " AND ".join(f"{name} = ?" for name, _ in pairs) if pairs else ""
    return clause, [value for _, value in pairs]


def sessions(store: "Store | str | None" = None, *, agent_id: str | None = None, user_id: str | None = None,
             limit: int = 1000) -> "pandas.DataFrame":
    """Sessions, most recently updated first."""
    where, params = _where(component_id=agent_id, user_id=user_id)
    return _store(store).sql(
        "SELECT session_id, session_type, component_id, user_id, name, run_count, summary, state, "
        f"to_timestamp(created_at) AS created, to_timestamp(updated_at) AS updated FROM sessions{where} "
        f"ORDER BY updated_at DESC LIMIT {int(limit)}", params)


def runs(store: "Store | str | None" = None, *, session_id: str | None = None, user_id: str | None = None,
         limit: int = 1000) -> "pandas.DataFrame":
    """Runs, newest first, with their status and headline metrics."""
    where, params = _where(session_id=session_id, user_id=user_id)
    frame = _store(store).sql(
        "SELECT run_id, session_id, component_id, user_id, status, input, content, metrics, error, "
        f"to_timestamp(created_at) AS created FROM runs{where} ORDER BY created_at DESC LIMIT {int(limit)}", params)
    return _tidy_runs(frame)


def events(run_id: str, store: "Store | str | None" = None) -> "pandas.DataFrame":
    """One row per event of a run, in order."""
    return _store(store).sql(
        "SELECT seq, type, span_id, parent_span_id, to_timestamp(ts) AS time, payload FROM events "
        "WHERE run_id = ? ORDER BY seq", [run_id])


def memories(user_id: str, store: "Store | str | None" = None) -> "pandas.DataFrame":
    """One user's memories, most recently updated first."""
    return _store(store).sql(
        "SELECT memory_id, memory, topics, agent_id, to_timestamp(updated_at) AS updated FROM memories "
        "WHERE user_id = ? ORDER BY updated_at DESC", [user_id])


def _tidy_runs(frame: "pandas.DataFrame") -> "pandas.DataFrame":
    """Decode the JSON text columns and spread the headline metrics into columns of their own."""
    import json

    if frame.empty:
        return frame
    for column in ("input", "content"):
        frame[column] = [json.loads(v) if isinstance(v, str) else v for v in frame[column]]
    parsed = [json.loads(m) if isinstance(m, str) else (m or {}) for m in frame["metrics"]]
    for key in ("input_tokens", "output_tokens", "duration", "cost", "tool_calls"):
        frame[key] = [m.get(key) for m in parsed]
    return frame.drop(columns=["metrics"])
