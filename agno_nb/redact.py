"""Keep secrets out of errors, events, traces and the store.

Providers and proxies sometimes echo the API key they were sent in an error message ("Incorrect API
key provided: sk-abc..."). Such a message would otherwise travel into the run's events, the trace HTML
in the saved notebook and the store file. Two nets catch them:

- **known values**: every key agno_nb sends (models register theirs) and the values of environment
  variables named like secrets (``*_API_KEY``, ``*_TOKEN``, ``*_SECRET``, ``*_PASSWORD``) are replaced
  wherever they appear in stored or shown text;
- **key shapes**: error texts are also scanned for values that look like keys (``sk-...``, ``ghp_...``,
  ``AKIA...``, JWTs, ``Bearer ...``, ``api_key=...``), whoever's they are.
"""

from __future__ import annotations

import os
import re
import threading

__all__ = ["register_secret", "redact", "redact_known", "redact_exception", "has_secrets", "REDACTED"]

REDACTED = "[redacted]"
_MIN_LENGTH = 8
_SECRET_NAME = re.compile(r"(API_?KEY|TOKEN|SECRET|PASSWORD|PASSWD)$", re.IGNORECASE)
_SHAPES = re.compile(
    r"(?:sk|pk|rk)-(?:[A-Za-z0-9]+-)*[A-Za-z0-9_\-]{16,}"      # OpenAI, Anthropic (sk-ant-...), Stripe-like
    r"|gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,}"  # GitHub
    r"|xox[abprs]-[A-Za-z0-9\-]{10,}"                              # Slack
    r"|AKIA[0-9A-Z]{16}"                                           # AWS access key id
    r"|AIza[0-9A-Za-z_\-]{30,}"                                    # Google
    r"|gsk_[A-Za-z0-9]{20,}"                                       # Groq
    r"|eyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}"  # JWT
)
_ASSIGNED = re.compile(r"(?i)(bearer\s+|(?:api[_-]?key|x-api-key|access[_-]?token|token|secret|password|authorization)"
                       r"[\"']?\s*[:=]\s*[\"']?(?:bearer\s+)?)([A-Za-z0-9._\-/+=]{12,})")

_registered: set[str] = set()
_lock = threading.Lock()


def register_secret(value: str | None) -> None:
    """Remember a secret agno_nb sends (an API key), so it never appears in what is stored or shown."""
    if value and len(value) >= _MIN_LENGTH:
        with _lock:
            _registered.add(value)


_env_cache: tuple[int, list[str]] | None = None


def _known() -> list[str]:
    """Registered secrets and secret-named environment values, longest first (one may contain another).

    The environment part is cached and rebuilt when the environment changes size or a watched value
    changes; checking that costs one pass over the (short) list of secret-named variables.
    """
    global _env_cache
    env = os.environ
    cache = _env_cache
    if cache is None or cache[0] != len(env) or any(env.get(name) != value for name, value in _env_names):
        _refresh_env()
        cache = _env_cache
    with _lock:
        values = set(_registered)
    values.update(cache[1])  # type: ignore[index]
    return sorted(values, key=len, reverse=True)


_env_names: list[tuple[str, str]] = []


def _refresh_env() -> None:
    global _env_cache, _env_names
    names = [(name, value) for name, value in os.environ.items()
             if len(value) >= _MIN_LENGTH and _SECRET_NAME.search(name)]
    _env_names = names
    _env_cache = (len(os.environ), [value for _, value in names])


def has_secrets() -> bool:
    """Whether any secret is known at all (when none is, redaction costs nothing)."""
    return bool(_registered) or bool(_known())


def redact_known(text: str) -> str:
    """``text`` with every known secret value replaced (cheap: one substring test per secret)."""
    for secret in _known():
        if secret in text:
            text = text.replace(secret, REDACTED)
    return text


def redact(text: str) -> str:
    """``text`` with known secrets and anything shaped like a key replaced: for error messages."""
    text = redact_known(text)
    text = _SHAPES.sub(REDACTED, text)
    return _ASSIGNED.sub(lambda m: m.group(1) + REDACTED, text)


def redact_exception(exc: BaseException) -> BaseException:
    """Scrub an exception's message in place (it may be shown or raised later); return it."""
    try:
        args = exc.args
        if args and isinstance(args[0], str):
            cleaned = redact(args[0])
            if cleaned != args[0]:
                exc.args = (cleaned, *args[1:])
    except Exception:  # an exception type with read-only args: leave it, its text is redacted where shown
        pass
    return exc
