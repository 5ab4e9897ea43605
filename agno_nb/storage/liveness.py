"""Is the process that is writing a run still alive? How a reader tells a running run from an interrupted one.

A run row says who writes it (``owner``: host, pid and the process's start time, so a recycled pid is
not mistaken for the writer) and when the writer last showed signs of life (``heartbeat_at``). A
``running`` row is *interrupted* when its writer is known dead (same host: the pid is gone or belongs to
a newer process) or, for a writer on another host, when its heartbeat is older than ``LEASE`` seconds.
"""

from __future__ import annotations

import os
import socket
import time

__all__ = ["owner_token", "owner_alive", "effective_status", "claim_alive", "LEASE", "HEARTBEAT"]

#: seconds between heartbeats of a running run
HEARTBEAT = 5.0
#: a running run whose writer (on another host) has been silent this long is interrupted
LEASE = 30.0

_HOST = socket.gethostname()
_token: tuple[int, str] | None = None


def _start_time(pid: int) -> str | None:
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            stat = handle.read().decode(errors="replace")
    except OSError:
        return None
    # the command name (field 2) may hold spaces and parentheses: split after its closing parenthesis
    fields = stat[stat.rfind(")") + 2:].split()
    return fields[19] if len(fields) > 19 else ""


def owner_token() -> str:
    """This process, as ``host:pid:start-time`` (computed once per process; forks get their own)."""
    global _token
    pid = os.getpid()
    if _token is None or _token[0] != pid:
        _token = (pid, f"{_HOST}:{pid}:{_start_time(pid) or ''}")
    return _token[1]


def owner_alive(token: str | None) -> bool | None:
    """Whether the writer is alive: ``True``/``False`` on this host, ``None`` when it cannot be told here."""
    if not token:
        return None
    parts = token.rsplit(":", 2)
    if len(parts) != 3:
        return None
    host, pid_text, started = parts
    if host != _HOST or not pid_text.isdigit():
        return None
    if not os.path.isdir("/proc"):  # no procfs (macOS): ask the kernel whether the pid exists
        try:
            os.kill(int(pid_text), 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True
    now_started = _start_time(int(pid_text))
    if now_started is None:
        return False
    return not started or now_started == started


def effective_status(status: str, owner: str | None, heartbeat_at: float | None, now: float | None = None) -> str:
    """``interrupted`` for a ``running`` row whose writer is gone; the stored status otherwise."""
    if status != "running":
        return status
    alive = owner_alive(owner)
    if alive is False:
        return "interrupted"
    if alive is None and heartbeat_at is not None and (now or time.time()) - heartbeat_at > LEASE:
        return "interrupted"
    return status


def claim_alive(owner: str | None, last_sign: float, now: float | None = None) -> bool:
    """Whether a claim (of a paused run, by a continuing process) still holds: its owner is alive here,
    or, on another host, showed a sign of life (``last_sign``) within ``LEASE`` seconds."""
    alive = owner_alive(owner)
    if alive is not None:
        return alive
    return (now or time.time()) - last_sign <= LEASE
