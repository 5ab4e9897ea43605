"""Auth and RBAC of the served runtime: API keys (hashed, revoked), JWT (HS256; RS256 with a JWKS file),
scopes, per-user isolation, the audit log, and the refusal to serve beyond loopback without auth."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time

import jwt
import pytest

from agno_nb import Agent
from agno_nb.models.scripted import ScriptedModel
from agno_nb.models.scripts import get_script
from agno_nb.serve import Auth, ServeSettings, create_app
from agno_nb.serve.keys import create_key, list_keys
from agno_nb.storage.duckdb import DuckDBStore
from serve_helpers import serving

SECRET = "s" * 40


@pytest.fixture
def store(tmp_path):
    store = DuckDBStore(tmp_path / "auth.duckdb")
    yield store
    store.close()


def _agents():
    return [
        Agent(name="echo", model=ScriptedModel(get_script("echo"))),
        Agent(name="other", model=ScriptedModel(get_script("echo"))),
    ]


def _token(
    sub="ana", scopes="agents:echo:run sessions:read", exp=300, key=SECRET, algorithm="HS256", **extra
):
    claims = {"sub": sub, "scopes": scopes, "exp": int(time.time()) + exp, **extra}
    return jwt.encode(claims, key, algorithm=algorithm, headers=extra.pop("headers", None))


def _bearer(token):
    return {"Authorization": f"Bearer {token}"}


def test_jwt_scopes_and_per_user_isolation(store):
    app = create_app(
        agents=_agents(),
        db=store,
        auth=Auth(jwt_secret=SECRET),
        settings=ServeSettings(audit_flush_interval=0.05),
    )
    with serving(app) as client:
        assert client.post("/agents/echo/runs", json={"message": "x"}).status_code == 401
        ana = _bearer(_token())
        run = client.post("/agents/echo/runs", json={"message": "mine"}, headers=ana).json()
        assert run["user_id"] == "ana"
        # the user id comes from the token, not the body
        assert (
            client.post("/agents/echo/runs", json={"message": "x", "user_id": "bob"}, headers=ana).status_code
            == 403
        )
        denied = client.post("/agents/other/runs", json={"message": "x"}, headers=ana)
        assert denied.status_code == 403 and "agents:other:run" in denied.json()["detail"]
        assert client.get("/sessions", headers=ana).json()["data"][0]["user_id"] == "ana"
        assert client.get("/memories", headers=ana).status_code == 403  # no memories:read
        bob = _bearer(_token("bob", ["agents:*:run", "sessions:read"]))
        assert client.get(f"/runs/{run['run_id']}", headers=bob).status_code == 404
        assert client.get(f"/traces/{run['run_id']}", headers=bob).status_code == 404
        assert client.get(f"/sessions/{run['session_id']}", headers=bob).status_code == 404
        stolen = client.post(
            "/agents/echo/runs", json={"message": "x", "session_id": run["session_id"]}, headers=bob
        )
        assert stolen.status_code == 404
        assert client.get("/sessions", headers=bob).json()["data"] == []
        admin = _bearer(_token("root", "admin"))
        assert client.get(f"/runs/{run['run_id']}", headers=admin).json()["user_id"] == "ana"
        assert len(client.get("/sessions", headers=admin).json()["data"]) == 1
        expired = client.get("/config", headers=_bearer(_token(exp=-60)))
        assert expired.status_code == 401 and "expired" in expired.json()["detail"]
        forged = client.get("/config", headers=_bearer(_token(key="x" * 40)))
        assert forged.status_code == 401 and "signature" in forged.json()["detail"].lower()
        none_alg = jwt.encode(
            {"sub": "ana", "scopes": "admin", "exp": time.time() + 60}, None, algorithm="none"
        )
        assert client.get("/config", headers=_bearer(none_alg)).status_code == 401
        assert client.get("/metrics", headers=ana).status_code == 403
        assert client.get("/metrics", headers=admin).status_code == 200
        assert client.get("/health").status_code == 200  # liveness needs no credentials
    # every request has its row (the server flushed the log as it stopped)
    rows = store.sql("SELECT user_id, credential, method, route, status FROM audit_log ORDER BY ts")
    assert len(rows) == 19
    assert (rows["status"] == 401).sum() >= 4 and set(rows["user_id"].dropna()) == {"ana", "bob", "root"}
    assert set(rows["credential"].dropna()) == {"jwt"}
    dump = store.sql("SELECT * FROM audit_log").to_json()
    assert SECRET not in dump and "Bearer" not in dump and "mine" not in dump


def test_rs256_tokens_with_a_jwks_file(store, tmp_path):
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    (tmp_path / "jwks.json").write_text(json.dumps({"keys": [{**public, "kid": "k1", "use": "sig"}]}))
    app = create_app(agents=_agents(), db=store, auth=Auth(jwks=str(tmp_path / "jwks.json"), audience="agno"))
    with serving(app) as client:
        good = jwt.encode(
            {"sub": "ana", "scope": "agents:echo:run", "aud": "agno", "exp": time.time() + 60},
            key,
            algorithm="RS256",
            headers={"kid": "k1"},
        )
        assert (
            client.post("/agents/echo/runs", json={"message": "x"}, headers=_bearer(good)).json()["user_id"]
            == "ana"
        )
        wrong_aud = jwt.encode(
            {"sub": "ana", "aud": "else", "exp": time.time() + 60},
            key,
            algorithm="RS256",
            headers={"kid": "k1"},
        )
        assert "aud" in client.get("/config", headers=_bearer(wrong_aud)).json()["detail"]
        # an HS256 token "signed" with the public key is not accepted (algorithm confusion)
        hs = _token(key=json.dumps(public) + "x" * 40)
        assert client.get("/config", headers=_bearer(hs)).status_code == 401


def test_api_keys_are_stored_hashed_and_revoked_with_the_cli(postgres_server):
    from agno_nb.storage.postgres import PostgresStore

    dsn = postgres_server.create_database("serve_keys")
    env = {**os.environ, "AGNO_NB_DB": dsn}

    def cli(*args):
        return subprocess.run(
            [sys.executable, "-m", "agno_nb.cli", "keys", *args],
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
        )

    made = cli("create", "--user", "ana", "--scope", "agents:echo:run", "--name", "ci")
    assert made.returncode == 0, made.stderr
    token = made.stdout.strip()
    assert token.startswith("ank_") and "not shown again" in made.stderr
    bad = cli("create", "--user", "ana", "--scope", "agents:echo:write")
    assert bad.returncode == 2 and "Unknown scope" in bad.stderr
    store = PostgresStore(dsn)
    try:
        raw = store.sql("SELECT * FROM api_keys").to_json()
        assert token.split("_", 2)[2] not in raw  # the secret is nowhere in the store
        [key] = list_keys(store)
        assert key.name == "ci" and key.active
        app = create_app(
            agents=_agents(), db=store, auth=Auth(api_keys=True), settings=ServeSettings(api_key_cache_ttl=0)
        )
        with serving(app) as client:
            ok = client.post("/agents/echo/runs", json={"message": "x"}, headers=_bearer(token))
            assert ok.status_code == 200 and ok.json()["user_id"] == "ana"
            listed = cli("list")
            assert key.key_id in listed.stdout and "active" in listed.stdout
            revoked = cli("revoke", key.key_id)
            assert revoked.returncode == 0, revoked.stderr
            gone = client.post("/agents/echo/runs", json={"message": "x"}, headers=_bearer(token))
            assert gone.status_code == 401 and "revoked" in gone.json()["detail"]
            assert cli("revoke", key.key_id).returncode == 1
        wrong_secret = token[:-4] + "AAAA"
        expired, _ = create_key(store, user_id="ana", scopes=["admin"], expires_in=-1)
        app = create_app(agents=_agents(), db=store, auth=Auth(api_keys=True))
        with serving(app) as client:
            for bad_token in (wrong_secret, expired, "ank_x"):
                assert client.get("/config", headers=_bearer(bad_token)).status_code == 401
    finally:
        store.close()


def test_without_auth_only_loopback_is_served(store):
    app = create_app(agents=_agents(), db=store, auth=False)
    sent = []

    async def call(server):
        scope = {
            "type": "http",
            "method": "GET",
            "path": "/health",
            "raw_path": b"/health",
            "query_string": b"",
            "headers": [],
            "server": server,
            "client": ("203.0.113.9", 5000),
            "scheme": "http",
            "root_path": "",
            "http_version": "1.1",
            "asgi": {"version": "3.0"},
        }

        async def receive():
            return {"type": "http.request", "body": b""}

        async def send(message):
            sent.append(message)

        await app(scope, receive, send)

    asyncio.run(call(("192.0.2.10", 7777)))  # a request that reached a public address of this host
    assert sent[0]["status"] == 403 and b"127.0.0.1 only" in sent[1]["body"]
    sent.clear()
    asyncio.run(call(("127.0.0.1", 7777)))
    assert sent[0]["status"] == 200


def test_the_cli_refuses_to_bind_beyond_loopback_without_auth(tmp_path):
    (tmp_path / "served.py").write_text(
        "from agno_nb import Agent\nfrom agno_nb.models.scripted import ScriptedModel\n"
        "agents = [Agent(name='echo', model=ScriptedModel('echo'))]\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("AGNO_NB_")}
    refused = subprocess.run(
        [sys.executable, "-m", "agno_nb.cli", "serve", "served", "--host", "0.0.0.0"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=60,
    )
    assert (
        refused.returncode == 2
        and "without auth" in refused.stderr
        and "--insecure-no-auth" in refused.stderr
    )
    notebook = subprocess.run(
        [sys.executable, "-m", "agno_nb.cli", "serve", "analysis.ipynb"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=60,
    )
    # a notebook is exported and served (tests/test_export.py); a missing one is one line
    assert notebook.returncode == 2 and "No notebook at" in notebook.stderr and notebook.stderr.count("\n") == 1


def test_auth_from_the_environment_a_jwks_url_and_cors(store, tmp_path, monkeypatch):
    import http.server
    import threading

    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    (tmp_path / "jwks.json").write_text(json.dumps({"keys": [{**public, "kid": "k2", "use": "sig"}]}))

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    handler = lambda *a, **kw: Quiet(*a, directory=str(tmp_path), **kw)  # noqa: E731
    idp = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)  # a stand-in for the identity provider
    threading.Thread(target=idp.serve_forever, daemon=True).start()
    try:
        monkeypatch.setenv("AGNO_NB_JWKS", f"http://127.0.0.1:{idp.server_address[1]}/jwks.json")
        app = create_app(agents=_agents(), db=store,
                         settings=ServeSettings(cors_origins=["https://chat.example.org"]))
        assert app.state.agno.auth is not None  # from $AGNO_NB_JWKS, no auth= needed
        with serving(app) as client:
            token = jwt.encode({"sub": "ana", "scopes": ["agents:echo:run"], "exp": time.time() + 60}, key,
                               algorithm="RS256", headers={"kid": "k2"})
            run = client.post("/agents/echo/runs", json={"message": "x"}, headers=_bearer(token))
            assert run.status_code == 200 and run.json()["user_id"] == "ana"
            assert client.get("/config").status_code == 401
            preflight = client.options("/agents/echo/runs", headers={
                "Origin": "https://chat.example.org", "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "authorization"})
            assert preflight.headers["access-control-allow-origin"] == "https://chat.example.org"
            other = client.options("/agents/echo/runs", headers={"Origin": "https://evil.example",
                                                                  "Access-Control-Request-Method": "POST"})
            assert "access-control-allow-origin" not in other.headers
    finally:
        idp.shutdown()
