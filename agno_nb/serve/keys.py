"""API keys: created and revoked with ``agno-nb keys``, stored hashed in the store's ``api_keys`` table.

A key reads ``ank_<key_id>_<secret>``. The store keeps the key id (to find the row) and a SHA-256 of
the secret, never the secret: a random 256-bit secret needs no slow password hash, and a leaked
database leaks no usable key. Verification compares digests in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
import time
from typing import TYPE_CHECKING, Any

from ..errors import ConfigurationError
from ..storage.records import from_json, to_json

if TYPE_CHECKING:
    from ..storage.base import Store

__all__ = [
    "ApiKey",
    "PREFIX",
    "create_key",
    "list_keys",
    "revoke_key",
    "verify_key",
    "looks_like_key",
    "check_scope_syntax",
]

PREFIX = "ank_"
_COLUMNS = (
    "key_id",
    "name",
    "secret_sha256",
    "user_id",
    "scopes",
    "created_at",
    "expires_at",
    "revoked_at",
    "last_used_at",
)
_SCOPE = re.compile(
    r"^(admin|sessions:(read|write)|memories:(read|write)|knowledge:read|(agents|teams|workflows):[^:\s]+:run)$"
)


class ApiKey:
    """A stored key (without its secret)."""

    __slots__ = (
        "key_id",
        "name",
        "user_id",
        "scopes",
        "created_at",
        "expires_at",
        "revoked_at",
        "last_used_at",
    )

    def __init__(
        self,
        key_id: str,
        name: str | None,
        user_id: str,
        scopes: list[str],
        created_at: float,
        expires_at: float | None = None,
        revoked_at: float | None = None,
        last_used_at: float | None = None,
    ):
        self.key_id = key_id
        self.name = name
        self.user_id = user_id
        self.scopes = scopes
        self.created_at = created_at
        self.expires_at = expires_at
        self.revoked_at = revoked_at
        self.last_used_at = last_used_at

    @property
    def active(self) -> bool:
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > time.time())

    def to_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__slots__} | {"active": self.active}

    def __repr__(self) -> str:
        return f"ApiKey({self.key_id!r}, user={self.user_id!r}, scopes={self.scopes}, active={self.active})"


def check_scope_syntax(scopes: list[str]) -> list[str]:
    """Scopes as the app understands them; anything else is refused with the list of valid forms."""
    bad = [s for s in scopes if not _SCOPE.match(s)]
    if bad:
        raise ConfigurationError(
            f"Unknown scope(s) {bad}: use admin, sessions:read, sessions:write, memories:read, "
            f"memories:write, knowledge:read, "
            f"agents:<id>:run, teams:<id>:run or workflows:<id>:run (<id> may be *)."
        )
    return list(dict.fromkeys(scopes))


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def looks_like_key(token: str) -> bool:
    return token.startswith(PREFIX)


def create_key(
    store: "Store",
    *,
    user_id: str,
    scopes: list[str],
    name: str | None = None,
    expires_in: float | None = None,
) -> tuple[str, ApiKey]:
    """A new key for ``user_id``; returns (the key, shown once and never again; its stored record)."""
    if not user_id:
        raise ConfigurationError("An API key acts for a user: pass user_id (the `sub` its requests run as).")
    scopes = check_scope_syntax(scopes)
    key_id, secret = secrets.token_hex(6), secrets.token_urlsafe(32)
    now = time.time()
    record = ApiKey(key_id, name, user_id, scopes, now, now + expires_in if expires_in else None)
    with store.transaction() as cur:
        cur.execute(
            f"INSERT INTO api_keys ({', '.join(_COLUMNS)}) VALUES ({', '.join('?' * len(_COLUMNS))})",
            [key_id, name, _digest(secret), user_id, to_json(scopes), now, record.expires_at, None, None],
        )
    return f"{PREFIX}{key_id}_{secret}", record


def list_keys(store: "Store", *, user_id: str | None = None) -> list[ApiKey]:
    """Every key (or one user's), newest first, without secrets."""
    columns = [c for c in _COLUMNS if c != "secret_sha256"]
    where, params = (" WHERE user_id = ?", [user_id]) if user_id else ("", [])
    with store.transaction() as cur:
        cur.execute(f"SELECT {', '.join(columns)} FROM api_keys{where} ORDER BY created_at DESC", params)
        rows = cur.fetchall()
    return [_record(dict(zip(columns, row))) for row in rows]


def revoke_key(store: "Store", key_id: str) -> bool:
    """Revoke a key (kept for the record); ``False`` if no active key has that id."""
    with store.transaction() as cur:
        cur.execute(
            "UPDATE api_keys SET revoked_at = ? WHERE key_id = ? AND revoked_at IS NULL RETURNING key_id",
            [time.time(), key_id],
        )
        return bool(cur.fetchall())


def verify_key(store: "Store", token: str) -> ApiKey | None:
    """The active key a bearer token names, or ``None`` (unknown, wrong secret, revoked, expired)."""
    parts = token[len(PREFIX) :].split("_", 1)
    if len(parts) != 2 or not parts[0] or not parts[1]:
        return None
    key_id, secret = parts
    columns = [c for c in _COLUMNS]
    with store.transaction() as cur:
        cur.execute(f"SELECT {', '.join(columns)} FROM api_keys WHERE key_id = ?", [key_id])
        rows = cur.fetchall()
        if not rows:
            return None
        row = dict(zip(columns, rows[0]))
        if not hmac.compare_digest(row.pop("secret_sha256"), _digest(secret)):
            return None
        record = _record(row)
        if not record.active:
            return None
        now = time.time()
        cur.execute("UPDATE api_keys SET last_used_at = ? WHERE key_id = ?", [now, key_id])
        record.last_used_at = now
    return record


def _record(row: dict[str, Any]) -> ApiKey:
    scopes = from_json(row.pop("scopes"))
    return ApiKey(**row, scopes=list(scopes or []))


def format_keys(keys: list[ApiKey]) -> str:
    """A plain table of keys for the terminal."""
    if not keys:
        return "no API keys"
    lines = [f"{'key id':<14} {'user':<16} {'state':<8} {'name':<16} scopes"]
    for key in keys:
        state = "active" if key.active else ("revoked" if key.revoked_at else "expired")
        lines.append(
            f"{key.key_id:<14} {key.user_id[:16]:<16} {state:<8} {(key.name or '')[:16]:<16} "
            f"{json.dumps(key.scopes)}"
        )
    return "\n".join(lines)
