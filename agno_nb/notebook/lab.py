"""The kernel's side of the JupyterLab extension: one comm (target ``agno_nb``) per kernel.

- kernel -> page: ``state`` (the agents, teams and workflows bound in the notebook, and the kernel's
  store), sent when the comm opens, after each cell if it changed, and on request; ``run`` when a run
  ends or pauses (the sidebar then re-reads the store).
- page -> kernel: ``hello`` (answered with ``state``) and ``decide``: the decisions on a paused run's
  calls. The kernel that defined the agent continues the run, because only it has the agent's tools
  (notebook functions); see ``decide``.

The comm is opened by ``%load_ext agno_nb`` when the kernel was started by a Jupyter Server running
agno_nb's server extension (``AGNO_NB_LABEXTENSION`` in its environment); a page that connects later
(a reload) finds it with a ``comm_info`` request and attaches to it. Components are read from the
namespace by type, never by scraping cell text.
"""

from __future__ import annotations

import os
import sys
import threading
from typing import Any

__all__ = ["LAB_ENV", "TARGET", "renderer_present", "start", "stop", "components", "decide"]

#: set by agno_nb's Jupyter server extension for the kernels its server starts (value: its version)
LAB_ENV = "AGNO_NB_LABEXTENSION"
TARGET = "agno_nb"
PROTOCOL = 1

_channel: "LabChannel | None" = None


def renderer_present() -> bool:
    """Whether the page showing this kernel's outputs has agno_nb's trace renderer (JupyterLab or Notebook
    7 with the extension installed, as told by the server that started the kernel)."""
    return bool(os.environ.get(LAB_ENV))


def start(ipython: Any) -> None:
    """Open the channel to the page (``%load_ext``); a no-op when no agno_nb extension serves the page."""
    global _channel
    if _channel is not None or not renderer_present():
        return
    _channel = LabChannel(ipython)


def stop(ipython: Any) -> None:
    global _channel
    if _channel is not None:
        _channel.close()
        _channel = None


class LabChannel:
    """The comm, the ``post_run_cell`` hook that keeps the page's list current, and the run observer."""

    def __init__(self, ipython: Any):
        from comm import create_comm, get_comm_manager

        from ..observe import add_run_observer

        self.ipython = ipython
        self._last_state: dict[str, Any] | None = None
        self._send_lock = threading.Lock()
        # a page may also open the comm itself (after the first one was closed)
        get_comm_manager().register_target(TARGET, self._on_open)
        self.comm = create_comm(target_name=TARGET, data=self.state())
        self.comm.on_msg(self._on_msg)
        ipython.events.register("post_run_cell", self._after_cell)
        add_run_observer(self._observer)

    def close(self) -> None:
        from comm import get_comm_manager

        from ..observe import remove_run_observer

        remove_run_observer(self._observer)
        try:
            self.ipython.events.unregister("post_run_cell", self._after_cell)
        except ValueError:
            pass
        get_comm_manager().unregister_target(TARGET, self._on_open)
        self.comm.close()

    # ------------------------------------------------------------------------------ messages

    def state(self) -> dict[str, Any]:
        from ..storage import default_store

        store = default_store()
        location = getattr(store, "path", None) if store is not None else None
        found = components(self.ipython.user_ns)
        state = {"type": "state", "protocol": PROTOCOL, "components": found,
                 "store": os.path.abspath(location) if location and location != ":memory:" else None,
                 "store_kind": type(store).__name__ if store is not None else None, "pid": os.getpid(),
                 **approvals(self.ipython.user_ns, store)}
        self._last_state = state
        return state

    def send(self, message: dict[str, Any]) -> None:
        with self._send_lock:  # observers call from the run's thread
            self.comm.send(message)

    def _after_cell(self, *_: Any) -> None:
        before = self._last_state
        state = self.state()
        if before != state:
            self.send(state)

    def _on_open(self, comm: Any, message: Any) -> None:
        """A page opened a comm of its own: answer on it too."""
        comm.on_msg(self._on_msg_from(comm))
        comm.send(self.state())

    def _on_msg(self, message: dict[str, Any]) -> None:
        self._on_msg_from(self.comm)(message)

    def _on_msg_from(self, comm: Any) -> Any:
        def handle(message: dict[str, Any]) -> None:
            data = message.get("content", {}).get("data", {}) or {}
            kind = data.get("type")
            if kind == "hello":
                comm.send(self.state())
            elif kind == "decide":
                request = data.get("request_id")
                try:
                    status = decide(self.ipython.user_ns, str(data.get("run_id") or ""), data.get("decisions") or [])
                except Exception as exc:  # told to the page in one line; the run's own failures are in its trace
                    comm.send({"type": "decided", "request_id": request, "ok": False, "error": _one_line(exc)})
                else:
                    comm.send({"type": "decided", "request_id": request, "ok": True, "status": status})
            else:
                comm.send({"type": "error", "request_id": data.get("request_id"),
                           "error": f"agno_nb {PROTOCOL}: unknown message type {kind!r}"})
        return handle

    def _observer(self, agent: Any, ref: Any) -> Any:
        """Run observer factory: tell the page when a top-level run ends or pauses."""
        from ..run_events import RunCancelled, RunCompleted, RunError, RunPaused

        if ref.parent_run_id is not None:
            return None
        endings = (RunCompleted, RunError, RunCancelled, RunPaused)

        def on_event(event: Any) -> None:
            if isinstance(event, endings) and event.run_id == ref.run_id:
                status = "paused" if isinstance(event, RunPaused) else getattr(event, "status", None) or \
                    ("error" if isinstance(event, RunError) else "cancelled")
                try:
                    self.send({"type": "run", "run_id": ref.run_id, "status": status})
                except Exception:  # a closed comm must never break a run
                    pass
        return on_event


# ------------------------------------------------------------------------------ components


def components(namespace: dict[str, Any]) -> list[dict[str, Any]]:
    """The agents, teams and workflows bound to names in the notebook, as the sidebar lists them."""
    classes = []
    for module, name in (("agno_nb.agent.agent", "Agent"), ("agno_nb.team.team", "Team"),
                         ("agno_nb.workflow.workflow", "Workflow")):
        loaded = sys.modules.get(module)  # nothing of a kind exists until its module was imported
        if loaded is not None:
            classes.append(getattr(loaded, name))
    if not classes:
        return []
    hidden = {"In", "Out", "get_ipython", "exit", "quit"}
    found = []
    for name, value in list(namespace.items()):
        if name.startswith("_") or name in hidden or not isinstance(value, tuple(classes)):
            continue
        try:
            found.append(_describe(name, value))
        except Exception as exc:  # a half-built component is listed, with what went wrong
            found.append({"name": name, "kind": type(value).__name__.lower(), "id": None, "error": _one_line(exc)})
    return sorted(found, key=lambda c: (c["kind"], c["name"]))


def _describe(name: str, value: Any) -> dict[str, Any]:
    kind = type(value).__name__.lower()
    item: dict[str, Any] = {"name": name, "kind": kind, "id": getattr(value, "id", None),
                            "display_name": getattr(value, "name", None)}
    if kind == "agent":
        model = value.model
        item["model"] = model if isinstance(model, str) or model is None else getattr(model, "id", str(model))
        item["tools"] = list(value.functions)
    elif kind == "team":
        item["mode"] = getattr(value, "mode", None)
        item["members"] = [getattr(m, "name", None) or getattr(m, "id", "?") for m in getattr(value, "members", [])]
    elif kind == "workflow":
        item["steps"] = [f"{s.kind}:{s.name}" for s in getattr(value, "steps", [])]
    store = value.store() if hasattr(value, "store") else None
    item["store"] = getattr(store, "location", None) if store is not None else None
    return item


def approvals(namespace: dict[str, Any], default: Any) -> dict[str, Any]:
    """The paused runs waiting in the stores this kernel uses (its default store and its components' own),
    read through the kernel's own connections: a store an agent holds (``db=DuckDBStore(...)``) is
    locked to every other process, the Jupyter server included."""
    from ..labserver.store_view import pending_approvals

    stores = {id(default): default} if default is not None else {}
    for value in list(namespace.values()):
        if hasattr(value, "continue_run") and hasattr(value, "store") and not isinstance(value, type):
            try:
                store = value.store()
            except Exception:
                continue
            if store is not None:
                stores.setdefault(id(store), store)
    waiting, problems = [], []
    for store in stores.values():
        try:
            rows = pending_approvals(store)
        except Exception as exc:  # a store that cannot be read now: said once, the others still listed
            problems.append(f"{getattr(store, 'path', type(store).__name__)}: {_one_line(exc)}")
            continue
        location = getattr(store, "path", None)  # DuckDB files only: a PostgreSQL DSN never goes to the page
        waiting += [{**row, "store": location} for row in rows]
    return {"approvals": waiting, "approval_errors": problems}


# ------------------------------------------------------------------------------- decisions


def decide(namespace: dict[str, Any], run_id: str, decisions: list[dict[str, Any]]) -> str:
    """Apply a person's decisions to a paused run and continue it in this kernel; returns the new status.

    The run is continued where its tools are: in the kernel that shows it (its live display goes on in
    its cell, as if its own Approve buttons had been clicked), else by the agent, team or workflow of
    this notebook that paused it, loaded from the store by run id (a run paused in an earlier kernel).
    """
    from ..errors import ConfigurationError
    from . import live

    if not run_id:
        raise ConfigurationError("decide: which run? The message had no run_id.")
    shown = live._live.get(run_id)
    paused = getattr(shown, "_paused", None)
    if shown is not None and paused is not None and not getattr(paused.paused, "continued", False):
        requirements = list(paused.requirements)
        _apply(requirements, decisions)
        shown._continue_here(requirements)
        return shown.view.status
    return _continue_from_store(namespace, run_id, decisions)


def _continue_from_store(namespace: dict[str, Any], run_id: str, decisions: list[dict[str, Any]]) -> str:
    from ..agent.hitl import Requirement
    from ..errors import ConfigurationError

    owners = [v for v in namespace.values() if hasattr(v, "continue_run") and hasattr(v, "store")
              and getattr(v, "id", None) is not None]
    approval, owner = None, None
    for candidate in owners:
        store = candidate.store()
        approval = store.get_approval(run_id) if store is not None else None
        if approval is not None:
            matching = [o for o in owners if o.id == approval["component_id"]]
            owner = matching[0] if matching else None
            break
    if approval is None:
        raise ConfigurationError(f"Run {run_id} is not waiting for a decision in this notebook's store (it was "
                                 f"continued already, or paused elsewhere).")
    if owner is None:
        raise ConfigurationError(f"Run {run_id} was paused by {approval['component_id']!r}, which is not defined in "
                                 f"this kernel: run the cell that defines it, then decide again.")
    requirements = [Requirement.from_dict(r) for r in approval["requirements"] or []]
    _apply(requirements, decisions)
    out = owner.continue_run(run_id, requirements=requirements, user_id=approval["user_id"])
    return getattr(out, "status", "continued")


def _apply(requirements: list[Any], decisions: list[dict[str, Any]]) -> None:
    """Each decision to its call: approve (with edited arguments), reject (with a reason), provide, result."""
    from ..errors import ConfigurationError

    by_id = {r.tool_call_id: r for r in requirements}
    for decision in decisions:
        req = by_id.get(str(decision.get("tool_call_id")))
        if req is None:
            raise ConfigurationError(f"No pending call {decision.get('tool_call_id')!r} in this run; the page may be "
                                     f"showing an old list: refresh it.")
        action = decision.get("action")
        if action == "approve":
            arguments = decision.get("arguments")
            req.confirm(**arguments) if isinstance(arguments, dict) else req.confirm()
        elif action == "reject":
            req.reject(str(decision.get("reason") or "").strip() or None)
        elif action == "provide":
            req.provide(**dict(decision.get("values") or {}))
        elif action == "result":
            req.set_result(decision.get("result"))
        else:
            raise ConfigurationError(f"Unknown decision {action!r}: use approve, reject, provide or result.")
    missing = [r.tool_name for r in requirements if not r.resolved]
    if missing:
        raise ConfigurationError(f"Decide every waiting call before continuing; still waiting: {', '.join(missing)}.")


def _one_line(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return text.splitlines()[0]
