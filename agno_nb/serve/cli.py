"""``agno-nb serve`` and ``agno-nb keys``: run a served app with uvicorn, manage its API keys.

    agno-nb serve myapp:app --port 7777                 # a FastAPI app made with create_app
    agno-nb serve myapp                                 # a module with `app`, or `agents` / `teams` lists
    agno-nb keys create --user ana --scope agents:analyst:run --scope sessions:read
    agno-nb keys list | revoke KEY_ID

The store is ``--db`` or ``$AGNO_NB_DB``; auth comes from ``AGNO_NB_JWT_SECRET`` / ``AGNO_NB_JWKS`` /
``AGNO_NB_AUTH=keys`` (or the app's own ``auth=``). ``agno-nb serve NOTEBOOK.ipynb`` exports the notebook
to a temporary folder first (agno_nb/cli.py; see ``agno_nb.export``) and serves that.
"""

from __future__ import annotations

import argparse
import importlib
import ipaddress
import os
import sys
from typing import Any

__all__ = ["add_serve_parser", "add_keys_parser", "serve_command", "keys_command", "load_app"]

_TARGET_ENV = "AGNO_NB_SERVE_TARGET"


# ----------------------------------------------------------------------------------------- loading


def load_app(target: str) -> Any:
    """The ASGI app a target names: ``pkg.mod:attr``, or a module exposing ``app`` or component lists."""
    from ..errors import ConfigurationError

    if target.endswith(".ipynb"):
        raise ConfigurationError(
            f"{target} is a notebook: serve it with `agno-nb serve {target}` (which exports it first), or "
            f"export it (`agno-nb export {target}`) and serve the folder's app:app."
        )
    module_name, _, attr = target.partition(":")
    if module_name.endswith(".py"):
        module_name = module_name[:-3].replace(os.sep, ".")
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name and module_name.startswith(exc.name):
            raise ConfigurationError(
                f"No module {module_name!r} here ({os.getcwd()}); pass pkg.module[:app] "
                f"importable from this directory."
            ) from None
        raise
    if attr:
        if not hasattr(module, attr):
            raise ConfigurationError(f"Module {module_name!r} has no {attr!r}.")
        return _as_app(getattr(module, attr), f"{module_name}:{attr}")
    if hasattr(module, "app"):
        return _as_app(module.app, f"{module_name}:app")
    found = {kind: list(getattr(module, kind, None) or ()) for kind in ("agents", "teams", "workflows")}
    if not any(found.values()):
        raise ConfigurationError(
            f"Module {module_name!r} has no app and no agents / teams / workflows lists: "
            f"define app = create_app(...), or agents = [...] (teams, workflows)."
        )
    from .app import create_app

    return create_app(**found, db=getattr(module, "db", None))


def _as_app(value: Any, where: str) -> Any:
    from ..errors import ConfigurationError

    if (
        callable(value)
        and not hasattr(value, "router")
        and getattr(value, "__code__", None) is not None
        and value.__code__.co_argcount == 0
    ):
        value = value()  # a factory: def app() -> FastAPI
    if not callable(value):
        raise ConfigurationError(f"{where} is not an ASGI app (a FastAPI app made with create_app).")
    return value


def app_from_env() -> Any:
    """The app for uvicorn's workers and reloader (they import it by name): ``$AGNO_NB_SERVE_TARGET``."""
    return load_app(os.environ[_TARGET_ENV])


# ------------------------------------------------------------------------------------------- serve


def add_serve_parser(commands: Any) -> None:
    serve = commands.add_parser(
        "serve",
        help="serve agents, teams and workflows over HTTP (uvicorn)",
        description="Serve a module's app (pkg.mod:app) or its agents / teams / workflows.",
    )
    serve.add_argument("target", metavar="MODULE_OR_NOTEBOOK",
                       help="pkg.module[:app], or a notebook (.ipynb: exported to a temporary folder first)")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=7777, help="port (default 7777)")
    serve.add_argument("--workers", type=int, default=1, help="worker processes (default 1)")
    serve.add_argument("--reload", action="store_true", help="restart on code changes (development)")
    serve.add_argument("--db", help="store: DuckDB path or PostgreSQL DSN (default $AGNO_NB_DB)")
    serve.add_argument(
        "--insecure-no-auth",
        action="store_true",
        help="serve without auth on addresses other than loopback (never in production)",
    )
    serve.add_argument(
        "--log-level", default="info", choices=["critical", "error", "warning", "info", "debug"]
    )


def serve_command(args: argparse.Namespace) -> int:
    import uvicorn

    from ..errors import ConfigurationError

    if args.db:
        os.environ["AGNO_NB_DB"] = args.db
    if args.insecure_no_auth:
        os.environ["AGNO_NB_INSECURE_NO_AUTH"] = "1"
    if args.workers < 1:
        print("agno-nb serve: --workers must be 1 or more", file=sys.stderr)
        return 2
    try:
        app = load_app(args.target)  # load once here: a broken module fails now, with one clear line
        if args.insecure_no_auth and getattr(getattr(app, "state", None), "agno", None) is not None:
            app.state.agno.settings.insecure_no_auth = True
        _check_bind(app, args.host, args.insecure_no_auth)
        _check_workers(app, args.workers)
    except ConfigurationError as exc:
        print(f"agno-nb serve: {exc}", file=sys.stderr)
        return 2
    grace = getattr(getattr(getattr(app, "state", None), "agno", None), "settings", None)
    timeout = (grace.shutdown_grace if grace is not None else 20.0) + 10
    common = dict(host=args.host, port=args.port, log_level=args.log_level, timeout_graceful_shutdown=timeout)
    if args.workers > 1 or args.reload:
        os.environ[_TARGET_ENV] = args.target
        uvicorn.run(
            "agno_nb.serve.cli:app_from_env",
            factory=True,
            workers=args.workers,
            reload=args.reload,
            reload_dirs=[os.getcwd()] if args.reload else None,
            **common,
        )
    else:
        uvicorn.run(app, **common)
    return 0


def _check_bind(app: Any, host: str, insecure: bool) -> None:
    from ..errors import ConfigurationError

    state = getattr(getattr(app, "state", None), "agno", None)
    if state is None or state.auth is not None or insecure or state.settings.insecure_no_auth:
        return
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = host == "localhost"
    if not loopback:
        raise ConfigurationError(
            f"Refusing to serve on {host} without auth: set AGNO_NB_JWT_SECRET or AGNO_NB_JWKS (or "
            f"AGNO_NB_AUTH=keys "
            f"and create keys with `agno-nb keys create`), or pass --insecure-no-auth if you really mean it."
        )


def _check_workers(app: Any, workers: int) -> None:
    from ..errors import ConfigurationError

    state = getattr(getattr(app, "state", None), "agno", None)
    store = getattr(state, "store", None)
    if workers > 1 and store is not None and type(store).__name__ == "DuckDBStore" and not store.shared:
        raise ConfigurationError(
            f"DuckDB allows one writing process, and --workers {workers} starts {workers}: use --workers 1, "
            f"DuckDBStore(path, shared=True), or PostgreSQL (postgresql://...) for several workers."
        )


# -------------------------------------------------------------------------------------------- keys


def add_keys_parser(commands: Any) -> None:
    keys = commands.add_parser(
        "keys",
        help="create, list and revoke API keys of a served app",
        description="API keys live in the app's store (--db or $AGNO_NB_DB), hashed.",
    )
    keys.add_argument("--db", help="store: DuckDB path or PostgreSQL DSN (default $AGNO_NB_DB)")
    actions = keys.add_subparsers(dest="action", required=True)
    create = actions.add_parser("create", help="make a key (shown once)")
    create.add_argument("--user", required=True, help="the user id its requests run as")
    create.add_argument(
        "--scope",
        action="append",
        default=[],
        dest="scopes",
        help="repeatable: admin, sessions:read, sessions:write, memories:read, memories:write, "
        "knowledge:read, "
        "agents:<id>:run, teams:<id>:run, workflows:<id>:run (<id> may be *)",
    )
    create.add_argument("--name", help="a label for the key")
    create.add_argument("--expires-in", type=float, metavar="DAYS", help="expire after this many days")
    listing = actions.add_parser("list", help="keys (never their secrets)")
    listing.add_argument("--user", help="only this user's keys")
    revoke = actions.add_parser("revoke", help="revoke a key by its id")
    revoke.add_argument("key_id")


def keys_command(args: argparse.Namespace) -> int:
    from ..errors import ConfigurationError
    from ..storage import open_store
    from ..storage.base import StoreError
    from .keys import create_key, format_keys, list_keys, revoke_key

    where = args.db or os.environ.get("AGNO_NB_DB")
    if not where:
        print("agno-nb keys: which store? pass --db PATH_OR_DSN or set AGNO_NB_DB", file=sys.stderr)
        return 2
    store = open_store(where)
    try:
        if args.action == "create":
            if not args.scopes:
                print(
                    "agno-nb keys create: give the key at least one --scope (e.g. --scope agents:*:run)",
                    file=sys.stderr,
                )
                return 2
            expires = args.expires_in * 86400 if args.expires_in else None
            token, record = create_key(
                store, user_id=args.user, scopes=args.scopes, name=args.name, expires_in=expires
            )
            print(token)
            print(
                f"key {record.key_id} for user {record.user_id}, scopes {record.scopes}: store it now, "
                f"it is not "
                f"shown again",
                file=sys.stderr,
            )
        elif args.action == "list":
            print(format_keys(list_keys(store, user_id=args.user)))
        elif args.action == "revoke":
            if not revoke_key(store, args.key_id):
                print(f"agno-nb keys revoke: no active key {args.key_id!r}", file=sys.stderr)
                return 1
            print(
                f"revoked {args.key_id} (servers stop accepting it within their key cache time, "
                f"10 s by default)"
            )
        return 0
    except (ConfigurationError, StoreError) as exc:
        print(f"agno-nb keys: {exc}", file=sys.stderr)
        return 2
    finally:
        store.close()
