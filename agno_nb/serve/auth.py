"""Who is calling, and what they may do: bearer API keys and JWTs (HS256, RS256 with JWKS), with scopes.

``Auth`` is the configuration; ``Principal`` is what a request's credentials prove: a user id (the
key's user, or the token's ``sub``) and scopes. Scopes:

    agents:<id>:run  teams:<id>:run  workflows:<id>:run   (<id> may be *)
    sessions:read  sessions:write  memories:read  memories:write  knowledge:read  admin

A principal sees only their own sessions, runs, traces and memories unless scoped ``admin``.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections import OrderedDict
from typing import TYPE_CHECKING, Any, Iterable

from ..errors import ConfigurationError
from .errors import HTTPError

if TYPE_CHECKING:
    from ..storage.base import Store

__all__ = ["Auth", "Principal", "ANONYMOUS"]

_ASYMMETRIC = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA")
_SYMMETRIC = ("HS256", "HS384", "HS512")


class Principal:
    """The caller: ``user_id`` (``None`` when auth is off) and the scopes they hold."""

    __slots__ = ("user_id", "scopes", "credential", "admin", "_patterns")

    def __init__(
        self, user_id: str | None, scopes: Iterable[str], credential: str, *, admin: bool | None = None
    ):
        self.user_id = user_id
        self.scopes = frozenset(scopes)
        #: how they proved it, for the audit log: "key:<key_id>", "jwt", "none"
        self.credential = credential
        self.admin = "admin" in self.scopes if admin is None else admin
        self._patterns = [s.split(":") for s in self.scopes if "*" in s]

    def can(self, scope: str) -> bool:
        if self.admin or scope in self.scopes:
            return True
        parts = scope.split(":")
        return any(
            len(p) == len(parts) and all(a in ("*", b) for a, b in zip(p, parts)) for p in self._patterns
        )

    def require(self, scope: str) -> None:
        if not self.can(scope):
            raise HTTPError(
                403,
                f"This credential lacks the scope {scope!r}; ask an admin for a key or token that has it.",
            )

    def owns(self, user_id: str | None) -> bool:
        """May this principal see data of ``user_id``? Admins see everyone's; others only their own."""
        return self.admin or (user_id is not None and user_id == self.user_id)

    def acting_user(self, requested: str | None) -> str | None:
        """The user a request acts for: the caller, or with ``admin`` (or no auth) whoever it names."""
        if self.admin:
            return requested if requested is not None else self.user_id
        if requested is not None and requested != self.user_id:
            raise HTTPError(
                403,
                f"user_id {requested!r} is not you ({self.user_id!r}); only admin credentials act "
                f"for other users. Leave user_id out to act as yourself.",
            )
        return self.user_id

    def __repr__(self) -> str:
        return f"Principal({self.user_id!r}, scopes={sorted(self.scopes)}, via={self.credential})"


#: the caller when auth is off (loopback only, or --insecure-no-auth): may do everything, acts for anyone
ANONYMOUS = Principal(None, (), "none", admin=True)


class Auth:
    """Bearer credentials a served app accepts.

    Args:
        api_keys: accept keys made with ``agno-nb keys create`` (they live in the app's store).
        jwt_secret: accept HS256 JWTs signed with this secret.
        jwks: accept RS256 (and other asymmetric) JWTs verified with these keys: a JWKS file path, an
            ``https://`` URL (fetched and cached), or the JWKS as a dict.
        audience / issuer: when set, tokens must carry this ``aud`` / ``iss``.
        require_exp: refuse tokens without an ``exp`` claim (``exp`` is always honoured when present).
        leeway: seconds of clock skew allowed on ``exp`` / ``nbf``.

    A token's ``sub`` is the user id; ``scopes`` is a list or a space-separated string (``scope`` too).
    """

    def __init__(
        self,
        *,
        api_keys: bool = True,
        jwt_secret: str | None = None,
        jwks: str | dict | None = None,
        audience: str | None = None,
        issuer: str | None = None,
        require_exp: bool = True,
        leeway: float = 0.0,
        algorithms: Iterable[str] | None = None,
    ):
        if jwt_secret is not None and len(jwt_secret) < 32:
            raise ConfigurationError(
                "jwt_secret must be at least 32 characters (RFC 7518 wants 256 bits for "
                "HS256); generate one with: python -c 'import secrets; print(secrets.token_urlsafe(32))'"
            )
        self.api_keys = api_keys
        self.jwt_secret = jwt_secret
        self.jwks = jwks
        self.audience = audience
        self.issuer = issuer
        self.require_exp = require_exp
        self.leeway = leeway
        wanted = tuple(algorithms) if algorithms else None
        self.symmetric = tuple(a for a in (wanted or ("HS256",)) if a in _SYMMETRIC) if jwt_secret else ()
        self.asymmetric = (
            tuple(a for a in (wanted or ("RS256",)) if a in _ASYMMETRIC) if jwks is not None else ()
        )
        self._jwks_keys: dict[str, Any] | None = None
        self._jwks_client: Any = None
        self._cache: OrderedDict[str, tuple[float, Principal | None]] = OrderedDict()
        self.store: "Store | None" = None
        self.cache_ttl = 10.0

    @classmethod
    def from_env(cls, *, api_keys: bool) -> "Auth | None":
        """``AGNO_NB_JWT_SECRET`` / ``AGNO_NB_JWKS`` (plus ``AGNO_NB_JWT_AUDIENCE`` / ``_ISSUER``), or
        ``AGNO_NB_AUTH=keys`` for API keys alone; ``None`` when none is set (auth off)."""
        secret = os.environ.get("AGNO_NB_JWT_SECRET") or None
        jwks = os.environ.get("AGNO_NB_JWKS") or None
        keys_only = os.environ.get("AGNO_NB_AUTH", "").strip().lower() == "keys"
        if secret is None and jwks is None and not keys_only:
            return None
        return cls(
            api_keys=api_keys or keys_only,
            jwt_secret=secret,
            jwks=jwks,
            audience=os.environ.get("AGNO_NB_JWT_AUDIENCE") or None,
            issuer=os.environ.get("AGNO_NB_JWT_ISSUER") or None,
        )

    def describe(self) -> dict[str, Any]:
        methods = (["api_key"] if self.api_keys else []) + [
            f"jwt:{a}" for a in (*self.symmetric, *self.asymmetric)
        ]
        return {"enabled": True, "methods": methods, "audience": self.audience, "issuer": self.issuer}

    def bind(self, store: "Store | None", cache_ttl: float) -> None:
        """Called by ``create_app``: where API keys live, and how long a verified key is trusted."""
        if self.api_keys and store is None and not (self.symmetric or self.asymmetric):
            raise ConfigurationError(
                "API keys live in the app's store: pass db=... to create_app (or configure "
                "JWTs with jwt_secret= / jwks=)."
            )
        self.store = store if self.api_keys else None
        self.cache_ttl = cache_ttl
        if isinstance(self.jwks, (dict, str)) and not _is_url(self.jwks):
            self._jwks_keys = _load_jwks(self.jwks)

    # ------------------------------------------------------------------------------- requests

    async def authenticate(self, authorization: str | None) -> Principal:
        """The principal a request's ``Authorization`` header proves; 401 with what to do otherwise."""
        if not authorization:
            raise HTTPError(
                401,
                "Missing credentials: send 'Authorization: Bearer <API key or JWT>'.",
                headers={"WWW-Authenticate": "Bearer"},
            )
        scheme, _, token = authorization.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise HTTPError(
                401,
                "Use the Bearer scheme: 'Authorization: Bearer <API key or JWT>'.",
                headers={"WWW-Authenticate": "Bearer"},
            )
        from .keys import looks_like_key

        if looks_like_key(token):
            return await self._from_key(token)
        return await self._from_jwt(token)

    async def _from_key(self, token: str) -> Principal:
        if self.store is None:
            raise _unauthorized("API keys are not accepted by this server; use a JWT.")
        cached = self._cache.get(token)
        now = time.monotonic()
        if cached is not None and cached[0] > now:
            principal = cached[1]
        else:
            from .keys import verify_key

            record = await asyncio.to_thread(verify_key, self.store, token)
            principal = Principal(record.user_id, record.scopes, f"key:{record.key_id}") if record else None
            self._remember(token, principal, now)
        if principal is None:
            raise _unauthorized("Unknown, revoked or expired API key; create one with `agno-nb keys create`.")
        return principal

    def _remember(self, token: str, principal: Principal | None, now: float) -> None:
        self._cache[token] = (now + self.cache_ttl, principal)
        self._cache.move_to_end(token)
        while len(self._cache) > 10_000:
            self._cache.popitem(last=False)

    async def _from_jwt(self, token: str) -> Principal:
        import jwt

        if not (self.symmetric or self.asymmetric):
            raise _unauthorized("This server accepts API keys only (they start with 'ank_').")
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise _unauthorized("The bearer token is neither an API key nor a well-formed JWT.") from None
        algorithm = header.get("alg")
        if algorithm in self.symmetric:
            key, algorithms = self.jwt_secret, list(self.symmetric)
        elif algorithm in self.asymmetric:
            key, algorithms = await self._public_key(token, header), list(self.asymmetric)
        else:
            accepted = ", ".join((*self.symmetric, *self.asymmetric))
            raise _unauthorized(f"JWT algorithm {algorithm!r} is not accepted here; use {accepted}.")
        options = {"require": ["sub", "exp"] if self.require_exp else ["sub"]}
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=algorithms,
                audience=self.audience,
                issuer=self.issuer,
                leeway=self.leeway,
                options=options,
            )
        except jwt.ExpiredSignatureError:
            raise _unauthorized("The JWT has expired (exp); get a fresh token.") from None
        except jwt.MissingRequiredClaimError as exc:
            raise _unauthorized(f"The JWT lacks the {exc.claim!r} claim.") from None
        except jwt.InvalidAudienceError:
            raise _unauthorized(f"The JWT is not for this server (aud must be {self.audience!r}).") from None
        except jwt.InvalidIssuerError:
            raise _unauthorized(
                f"The JWT's issuer is not trusted here (iss must be {self.issuer!r})."
            ) from None
        except jwt.PyJWTError as exc:
            raise _unauthorized(f"Invalid JWT: {exc}.") from None
        subject = claims.get("sub")
        if not isinstance(subject, str) or not subject:
            raise _unauthorized("The JWT's sub claim must be a non-empty string (the user id).")
        return Principal(subject, _scopes(claims), "jwt")

    async def _public_key(self, token: str, header: dict[str, Any]) -> Any:
        import jwt

        if self._jwks_keys is not None:
            kid = header.get("kid")
            if kid is not None and kid in self._jwks_keys:
                return self._jwks_keys[kid]
            if kid is None and len(self._jwks_keys) == 1:
                return next(iter(self._jwks_keys.values()))
            raise _unauthorized(f"No key {kid!r} in the configured JWKS.")
        if self._jwks_client is None:
            self._jwks_client = jwt.PyJWKClient(str(self.jwks), cache_keys=True, lifespan=300)
        try:  # a fetch on a cache miss is blocking HTTP: off the loop
            signing = await asyncio.to_thread(self._jwks_client.get_signing_key_from_jwt, token)
        except jwt.PyJWKClientError as exc:
            raise _unauthorized(f"Cannot verify the JWT with the JWKS at {self.jwks}: {exc}.") from None
        return signing.key


def _unauthorized(detail: str) -> HTTPError:
    return HTTPError(401, detail, headers={"WWW-Authenticate": "Bearer"})


def _scopes(claims: dict[str, Any]) -> list[str]:
    raw = claims.get("scopes", claims.get("scope"))
    if isinstance(raw, str):
        return raw.split()
    if isinstance(raw, list):
        return [s for s in raw if isinstance(s, str)]
    return []


def _is_url(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(("https://", "http://"))


def _load_jwks(source: str | dict) -> dict[str, Any]:
    """Keys of a JWKS (file path or dict) by ``kid`` (an unnamed key gets its position)."""
    import jwt

    if isinstance(source, str):
        try:
            with open(source, encoding="utf-8") as handle:
                source = json.load(handle)
        except (OSError, ValueError) as exc:
            raise ConfigurationError(f"Cannot read the JWKS file {source!r}: {exc}") from None
    try:
        keys = jwt.PyJWKSet.from_dict(source).keys
    except jwt.PyJWTError as exc:
        raise ConfigurationError(f"The JWKS is not valid: {exc}") from None
    return {key.key_id or str(i): key.key for i, key in enumerate(keys)}
