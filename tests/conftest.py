"""Shared fixtures: the loopback OpenAI-compatible server and an isolated environment."""

from __future__ import annotations

import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))  # tests/pg_server.py

# LiteLLM must never reach the internet in tests (see agno_nb.models.litellm_model).
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
os.environ.setdefault("HF_HUB_OFFLINE", "1")


@pytest.fixture(scope="session")
def scripted_server():
    """A real OpenAI-compatible HTTP server on 127.0.0.1 serving the registered scripts."""
    from agno_nb.models.scripted_server import serve_in_thread

    server, stop = serve_in_thread()
    yield server
    stop()


@pytest.fixture
def openai_base(scripted_server, monkeypatch):
    """Point the ``openai/<x>`` path at the loopback server, as a user would with OPENAI_API_BASE."""
    monkeypatch.setenv("OPENAI_API_BASE", scripted_server.url)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    return scripted_server.url


@pytest.fixture
def script_name(request):
    """A unique script name per test, so registered scripts never leak between tests."""
    return f"t-{request.node.name}".replace("[", "-").replace("]", "")[:60]


# ------------------------------------------------------------------------------------------ stores

_pg_server = None
_pg_error = None


@pytest.fixture(scope="session")
def postgres_server():
    """A real PostgreSQL on 127.0.0.1 for this test session (skips loudly if it truly cannot start)."""
    global _pg_server, _pg_error
    from pg_server import PostgresServer, PostgresUnavailable

    if _pg_server is None and _pg_error is None:
        try:
            _pg_server = PostgresServer().start()
        except PostgresUnavailable as exc:
            _pg_error = str(exc)
    if _pg_error is not None:
        pytest.skip(f"PostgreSQL UNAVAILABLE, PostgresStore NOT TESTED: {_pg_error}")
    yield _pg_server


def pytest_sessionfinish(session, exitstatus):
    if _pg_server is not None:
        _pg_server.stop()
    if _chroma_server is not None:
        _chroma_server.stop()


@pytest.fixture(params=["duckdb", "postgres"])
def store(request, tmp_path):
    """The same tests against both backends: a fresh DuckDB file, or a fresh PostgreSQL database."""
    if request.param == "duckdb":
        from agno_nb.storage.duckdb import DuckDBStore

        store = DuckDBStore(tmp_path / "agno.duckdb")
    else:
        from agno_nb.storage.postgres import PostgresStore

        server = request.getfixturevalue("postgres_server")
        store = PostgresStore(server.create_database(f"t_{abs(hash(request.node.nodeid)) % 10**10}"))
    yield store
    store.close()


# -------------------------------------------------------------------------------------------- chroma

_chroma_server = None
_chroma_error = None


@pytest.fixture(scope="session")
def chroma_server():
    """A real Chroma server (``chroma run``) on 127.0.0.1 for this test session, stopped by its PID."""
    global _chroma_server, _chroma_error
    from chroma_server import ChromaServer, ChromaUnavailable

    if _chroma_server is None and _chroma_error is None:
        try:
            _chroma_server = ChromaServer().start()
        except ChromaUnavailable as exc:
            _chroma_error = str(exc)
    if _chroma_error is not None:
        pytest.fail(f"Chroma server UNAVAILABLE: {_chroma_error}")
    yield _chroma_server


@pytest.fixture(params=["embedded", "server"])
def chroma_location(request, tmp_path):
    """Where a test's knowledge base lives: a PersistentClient folder, or the session's Chroma server
    (a fresh collection per test, its keyword index under tmp_path). Returns Knowledge keyword arguments."""
    if request.param == "embedded":
        return {"path": tmp_path / "kb"}
    server = request.getfixturevalue("chroma_server")
    return {"host": server.host, "port": server.port, "keyword_path": tmp_path / "keyword.sqlite3",
            "collection": f"t{abs(hash(request.node.nodeid)) % 10**12}"}
