"""The issue's validation: export every notebook that defines agents, install the export in a fresh
venv (its requirements.txt plus the local agno_nb wheel), serve it with uvicorn on 127.0.0.1, and call
every agent, team and workflow through the ``openai`` SDK and the native route.

Expected answers: the same calls, in the same order, against the same app.py imported in a fresh
process of the exporting environment (tests/export_e2e_calls.py). The notebooks use scripted models,
whose n-th call gets the n-th reply, so two fresh processes making the same calls must agree; any
difference is the export (requirements, packaging, serving) changing behaviour.

One venv per notebook, with uv (pip's indexes passed explicitly: uv does not read pip.conf). The
wheel is built once per session (or taken from $AGNO_NB_WHEEL).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

export = pytest.importorskip("agno_nb.export")
if not hasattr(export, "export_notebook"):
    pytest.skip("agno_nb.export.export_notebook is not there yet", allow_module_level=True)

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).parent))
from export_e2e_calls import call_all, sdk_chat  # noqa: E402


def _defines_agents(notebook: Path) -> bool:
    cells = json.loads(notebook.read_text())["cells"]
    code = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
    return "Agent(" in code or "%%agent" in code


NOTEBOOKS = sorted(p for p in (ROOT / "notebooks").glob("*.ipynb") if _defines_agents(p))


def _uv() -> str:
    found = shutil.which("uv") or str(Path(sys.executable).parent / "uv")
    if not Path(found).exists():
        pytest.skip("uv is not installed (it is in the test extra)")
    return found


def _index_args() -> list[str]:
    """pip's configured indexes and find-links, as uv arguments (searched like pip: best match wins)."""
    listing = subprocess.run([sys.executable, "-m", "pip", "config", "list"], capture_output=True,
                             text=True).stdout
    args: list[str] = ["--index-strategy", "unsafe-best-match"]
    for line in listing.splitlines():
        key, _, value = line.partition("=")
        value = value.strip().strip("'\"")
        for item in value.split():
            if key.endswith(".index-url"):
                args += ["--default-index", item]
            elif key.endswith(".extra-index-url"):
                args += ["--index", item]
            elif key.endswith(".find-links") and item not in args:
                args += ["--find-links", item]
    return args


@pytest.fixture(scope="session")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    given = os.environ.get("AGNO_NB_WHEEL")
    if given:
        return Path(given)
    out = tmp_path_factory.mktemp("wheel")
    started = time.monotonic()
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(ROOT)],
                   check=True, timeout=900)
    print(f"wheel built in {time.monotonic() - started:.0f} s")
    return next(out.glob("agno_nb-*.whl"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_exported_notebook_serves_the_same_answers(notebook: Path, wheel: Path, tmp_path: Path) -> None:
    out = tmp_path / "app"
    export.export_notebook(notebook, out, force=False)
    assert (out / "app.py").exists() and (out / "requirements.txt").exists()

    started = time.monotonic()
    venv = tmp_path / "venv"
    subprocess.run([_uv(), "venv", "-q", "--python", sys.executable, str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    subprocess.run([_uv(), "pip", "install", "-q", "--python", str(python), *_index_args(),
                    "-r", str(out / "requirements.txt"), str(wheel)], check=True, timeout=600)
    print(f"{notebook.name}: venv installed in {time.monotonic() - started:.0f} s")

    reference = subprocess.run(
        [sys.executable, str(Path(__file__).parent / "export_e2e_calls.py"), str(out)],
        capture_output=True, text=True, timeout=300,
        env={**{k: v for k, v in os.environ.items() if k != "AGNO_NB_MODEL"},
             "AGNO_NB_DB": str(tmp_path / "reference.duckdb")})
    assert reference.returncode == 0, reference.stderr[-3000:]
    expected = json.loads(reference.stdout)

    port = _free_port()
    log = (tmp_path / "server.log").open("w")
    server = subprocess.Popen(
        [str(venv / "bin" / "agno-nb"), "serve", "app:app", "--port", str(port)], cwd=out,
        stdout=log, stderr=subprocess.STDOUT,
        env={"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", str(tmp_path)),
             "AGNO_NB_DB": str(tmp_path / "served.duckdb")})
    base = f"http://127.0.0.1:{port}"
    try:
        with httpx.Client(base_url=base, timeout=60) as client:
            deadline = time.monotonic() + 90
            while True:
                assert server.poll() is None, (tmp_path / "server.log").read_text()
                try:
                    if client.get("/health").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert time.monotonic() < deadline, "no /health after 90 s"
                time.sleep(0.3)
            served = call_all(client, sdk_chat(base))
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()
    assert served, "the export serves nothing"
    assert served == expected
