"""What the sidebar shows of a notebook's store: recent sessions, top-level runs, pending approvals, and one
run's trace. Plain functions over a store, so they are tested without a server.

The notebook's DuckDB file is shared with its kernel: it is opened ``shared=True`` (the kernel lets go of
the file within ~0.1 s when asked, see ``storage/duckdb.py``) and closed again after each read, so the
sidebar never keeps a kernel waiting. A file held by a process that does not take turns (a DuckDB
shell, a server opened without ``shared``) is reported as locked, in one sentence naming that process.
"""

from __future__ import annotations

import os
import threading
from typing import Any

__all__ = ["notebook_store_path", "open_shared", "summary", "pending_approvals", "run_trace", "LOCK_TIMEOUT"]

#: how long a read waits for the kernel (or another sharing process) to hand the file over
LOCK_TIMEOUT = 4.0
_RUNS = 100
_SESSIONS = 50
_PREVIEW = 240
_file_locks: dict[str, threading.Lock] = {}
_guard = threading.Lock()


def notebook_store_path(root_dir: str, notebook: str) -> str:
    """``<dir>/<name>.agno.duckdb`` beside ``notebook`` (a path relative to the server's root), as
    ``%load_ext agno_nb`` names it. Paths that leave the root are refused."""
    from ..errors import ConfigurationError

    if not notebook.endswith(".ipynb"):
        raise ConfigurationError(f"{notebook!r} is not a notebook path (expected a .ipynb file).")
    root = os.path.realpath(root_dir)
    path = os.path.realpath(os.path.join(root, notebook.lstrip("/")))
    if os.path.commonpath([root, path]) != root:
        raise ConfigurationError(f"{notebook!r} is outside the server's root directory.")
    return path[: -len(".ipynb")] + ".agno.duckdb"


def open_shared(path: str) -> Any:
    from ..storage.duckdb import DuckDBStore

    return DuckDBStore(path, shared=True, lock_timeout=LOCK_TIMEOUT, idle_release=0.5)


def _lock_for(path: str) -> threading.Lock:
    with _guard:
        return _file_locks.setdefault(path, threading.Lock())


def summary(path: str) -> dict[str, Any]:
    """Recent sessions and top-level runs (newest first) and every pending approval of the store at ``path``."""
    if not os.path.exists(path):
        return {"store": path, "exists": False, "sessions": [], "runs": [], "approvals": []}
    with _lock_for(path):
        store = open_shared(path)
        try:
            with store.transaction() as cur:
                cur.execute("SELECT session_id, session_type, component_id, user_id, name, created_at, updated_at, "
                            f"run_count FROM sessions ORDER BY updated_at DESC LIMIT {_SESSIONS}")
                sessions = [dict(zip(_SESSION, row)) for row in cur.fetchall()]
                cur.execute("SELECT run_id, session_id, component_type, component_id, component_name, user_id, status, "
                            "input, content, metrics, error, created_at, updated_at, owner, heartbeat_at FROM runs "
                            f"WHERE parent_run_id IS NULL ORDER BY created_at DESC LIMIT {_RUNS}")
                runs = [_run(dict(zip(_RUN, row))) for row in cur.fetchall()]
                approvals = _approvals(cur)
        finally:
            store.close()
    return {"store": path, "exists": True, "sessions": sessions, "runs": runs, "approvals": approvals}


def pending_approvals(store: Any) -> list[dict[str, Any]]:
    """Every paused run waiting for a decision in ``store`` (newest first), with what each call needs."""
    with store.transaction() as cur:
        return _approvals(cur)


def _approvals(cur: Any) -> list[dict[str, Any]]:
    cur.execute("SELECT a.run_id, a.session_id, a.user_id, a.component_id, a.requirements, a.created_at, "
                "a.claimed_by, r.component_name, r.component_type, r.input FROM approvals a "
                "LEFT JOIN runs r ON r.run_id = a.run_id ORDER BY a.created_at DESC")
    return [_approval(dict(zip(_APPROVAL, row))) for row in cur.fetchall()]


def run_trace(path: str, run_id: str) -> dict[str, Any]:
    """The trace bundle (``application/vnd.agno-nb.trace+json``) of a stored run."""
    from ..traces.stored import trace_from_store
    from ..traces.fold import MIME_TYPE
    from ..storage.base import NotFoundError

    if not os.path.exists(path):
        raise NotFoundError(f"No store at {path}: this notebook has not stored a run yet.")
    with _lock_for(path):
        store = open_shared(path)
        try:
            return trace_from_store(run_id, store)[MIME_TYPE]
        finally:
            store.close()


_SESSION = ("session_id", "session_type", "component_id", "user_id", "name", "created_at", "updated_at", "run_count")
_RUN = ("run_id", "session_id", "component_type", "component_id", "component_name", "user_id", "status", "input",
        "content", "metrics", "error", "created_at", "updated_at", "owner", "heartbeat_at")
_APPROVAL = ("run_id", "session_id", "user_id", "component_id", "requirements", "created_at", "claimed_by",
             "component_name", "component_type", "input")


def _run(row: dict[str, Any]) -> dict[str, Any]:
    from ..storage.liveness import effective_status
    from ..storage.records import from_json

    metrics = from_json(row.pop("metrics")) or {}
    status = effective_status(row["status"], row.pop("owner"), row.pop("heartbeat_at"))
    return {**row, "status": status, "input": _preview(from_json(row["input"])),
            "content": _preview(from_json(row["content"])),
            "metrics": {k: metrics.get(k) for k in ("input_tokens", "output_tokens", "duration", "cost",
                                                    "tool_calls") if k in metrics}}


def _approval(row: dict[str, Any]) -> dict[str, Any]:
    from ..storage.records import from_json

    requirements = from_json(row["requirements"]) or []
    return {**row, "input": _preview(from_json(row["input"])),
            "requirements": [{k: r.get(k) for k in ("tool_call_id", "tool_name", "arguments", "kind",
                                                     "user_input_fields")} for r in requirements
                             if isinstance(r, dict)]}


def _preview(value: Any) -> Any:
    import json

    if value is None or isinstance(value, (int, float, bool)):
        return value
    text = value if isinstance(value, str) else json.dumps(value, default=str, ensure_ascii=False)
    return text if len(text) <= _PREVIEW else text[:_PREVIEW] + "…"
