"""Shared fixtures: the loopback OpenAI-compatible server and an isolated environment."""

from __future__ import annotations

import os

import pytest

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
