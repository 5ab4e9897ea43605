"""``ServeSettings``: the served runtime's limits and switches, from arguments or ``AGNO_NB_*`` variables.

Every value has a safe default for one replica on a small machine; containers set them through the
environment (``ServeSettings.from_env()``, which ``create_app`` uses when no settings are given).
"""

from __future__ import annotations

import dataclasses
import os
from typing import Any

from ..errors import ConfigurationError

__all__ = ["ServeSettings"]


@dataclasses.dataclass
class ServeSettings:
    """Limits and switches of a served app.

    Args:
        max_body_bytes: the largest request body accepted (413 above it). ``AGNO_NB_MAX_BODY_BYTES``.
        run_timeout: seconds a run may take before it is cancelled (0: no limit). ``AGNO_NB_RUN_TIMEOUT``.
        max_concurrent_runs: runs in flight on this replica before new ones get 503 (0: no limit).
            ``AGNO_NB_MAX_RUNS``.
        shutdown_grace: on SIGTERM, seconds that running runs get to finish before they are cancelled
            (their streams end with the cancellation event). ``AGNO_NB_SHUTDOWN_GRACE``.
        cors_origins: origins allowed by CORS (``["*"]`` for any); empty: no CORS headers.
            ``AGNO_NB_CORS_ORIGINS`` (comma-separated).
        sse_ping_interval: seconds between keep-alive comments on an idle event stream.
        audit: write an audit row per request (to the store, else to the ``agno_nb.audit`` logger).
        audit_flush_interval: audit rows are written in batches at most this often (seconds).
        api_key_cache_ttl: seconds a verified API key is trusted without reading the store again (a
            revoked key stops working within this time).
        metrics_public: serve ``/metrics`` without credentials (else it needs the ``admin`` scope).
        docs: serve ``/docs`` and ``/openapi.json``.
        run_retention: seconds a finished run's events stay in memory for late readers of its stream.
        control_poll_interval: how often a replica looks for cancel requests made on other replicas.
        threads: worker threads for blocking store calls (0: pool size of the store + 8).
        insecure_no_auth: serve without auth on addresses other than loopback (never in production).
    """

    max_body_bytes: int = 20 * 1024 * 1024
    run_timeout: float = 600.0
    max_concurrent_runs: int = 1024
    shutdown_grace: float = 20.0
    cors_origins: list[str] = dataclasses.field(default_factory=list)
    sse_ping_interval: float = 15.0
    audit: bool = True
    audit_flush_interval: float = 0.5
    api_key_cache_ttl: float = 10.0
    metrics_public: bool = False
    docs: bool = True
    run_retention: float = 300.0
    control_poll_interval: float = 0.5
    threads: int = 0
    insecure_no_auth: bool = False

    def __post_init__(self) -> None:
        for name in (
            "max_body_bytes",
            "run_timeout",
            "max_concurrent_runs",
            "shutdown_grace",
            "sse_ping_interval",
            "audit_flush_interval",
            "api_key_cache_ttl",
            "run_retention",
            "control_poll_interval",
            "threads",
        ):
            if getattr(self, name) < 0:
                raise ConfigurationError(
                    f"ServeSettings.{name} must be 0 or more, got {getattr(self, name)}."
                )
        if self.sse_ping_interval == 0 or self.control_poll_interval == 0:
            raise ConfigurationError("sse_ping_interval and control_poll_interval must be more than 0.")

    @classmethod
    def from_env(cls, **overrides: Any) -> "ServeSettings":
        """Defaults, then ``AGNO_NB_*`` variables, then ``overrides``."""
        values: dict[str, Any] = {}
        for field in dataclasses.fields(cls):
            raw = os.environ.get(_ENV.get(field.name, f"AGNO_NB_{field.name.upper()}"))
            if raw is None or raw == "":
                continue
            values[field.name] = _parse(field.name, field.type, raw)
        values.update(overrides)
        return cls(**values)


_ENV = {"max_concurrent_runs": "AGNO_NB_MAX_RUNS"}


def _parse(name: str, kind: Any, raw: str) -> Any:
    env = _ENV.get(name, f"AGNO_NB_{name.upper()}")
    kind = str(kind)
    try:
        if kind == "bool":
            lowered = raw.strip().lower()
            if lowered in ("1", "true", "yes", "on"):
                return True
            if lowered in ("0", "false", "no", "off"):
                return False
            raise ValueError(raw)
        if kind == "int":
            return int(raw)
        if kind == "float":
            return float(raw)
        if kind.startswith("list"):
            return [item.strip() for item in raw.split(",") if item.strip()]
    except ValueError:
        raise ConfigurationError(f"${env}={raw!r} is not a valid {kind}.") from None
    return raw
