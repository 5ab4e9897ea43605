"""A real browser: JupyterLab runs the quickstart (and a small notebook of its own) in headless Chromium,
and the agno_nb trace view (the ``text/html`` fallback, ``<div class='agno-trace'>``) renders in the page.

Needs Debian's ``chromium`` (scripts/system-packages.sh) and the ``jupyterlab`` / ``playwright`` test
extras (scripts/setup.sh test); Playwright drives /usr/bin/chromium, it never downloads a browser.
Select or deselect it with ``-m browser`` / ``-m "not browser"``.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
ROOT = Path(__file__).resolve().parents[1]
QUICKSTART = ROOT / "notebooks" / "quickstart.ipynb"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
BUDGET = 110.0  # seconds for the whole test, JupyterLab start to teardown


def _missing() -> list[str]:
    missing = []
    if not os.access(CHROMIUM, os.X_OK):
        missing.append(f"{CHROMIUM} (Debian package 'chromium', installed by scripts/system-packages.sh)")
    for module in ("jupyterlab", "playwright", "nbformat"):
        if importlib.util.find_spec(module) is None:
            missing.append(f"python package {module!r} in {sys.prefix} (scripts/setup.sh test)")
    return missing


pytestmark = [
    pytest.mark.browser,  # registered in pyproject.toml; -m "not browser" skips it
    pytest.mark.skipif(bool(_missing()), reason="BROWSER TEST NOT RUN, the JupyterLab trace view is NOT "
                       "TESTED: missing " + "; ".join(_missing())),
]


# --------------------------------------------------------------------------------------- JupyterLab


class Deadline:
    def __init__(self, seconds: float):
        self.end = time.monotonic() + seconds

    def left(self, cap: float | None = None) -> float:
        left = max(0.5, self.end - time.monotonic())
        return min(left, cap) if cap is not None else left

    def ms(self, cap: float | None = None) -> float:
        return 1000.0 * self.left(cap)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str, timeout: float = 2.0) -> int:
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return response.status


class Lab:
    def __init__(self, proc: subprocess.Popen, url: str, root: Path, log: Path):
        self.proc, self.url, self.root, self.log = proc, url, root, log

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no JupyterLab log)"


@pytest.fixture
def deadline():
    return Deadline(BUDGET)


@pytest.fixture
def lab(tmp_path, deadline):
    """JupyterLab on a free 127.0.0.1 port, no token, in a temp root dir with isolated Jupyter dirs."""
    dirs = ("root", "jupyter-config", "jupyter-data", "runtime")
    root, config, data, runtime = (tmp_path / d for d in dirs)
    for d in (root, config, data, runtime):
        d.mkdir()
    # The announcements plugin ("receive official Jupyter news?") would cover the page and go online.
    (config / "labconfig").mkdir()
    (config / "labconfig" / "page_config.json").write_text(json.dumps(
        {"disabledExtensions": {"@jupyterlab/apputils-extension:announcements": True}}))
    # Every cell in the DOM (no windowing), so the execution counts of all cells can be read.
    tracker = config / "lab" / "user-settings" / "@jupyterlab" / "notebook-extension"
    tracker.mkdir(parents=True)
    (tracker / "tracker.jupyterlab-settings").write_text(json.dumps({"windowingMode": "none"}))
    (config / "jupyter_server_config.json").write_text(json.dumps(
        {"LabApp": {"news_url": None, "check_for_updates_class": "jupyterlab.NeverCheckForUpdate",
                    "extension_manager": "readonly"}}))

    env = {**os.environ, "JUPYTER_CONFIG_DIR": str(config), "JUPYTER_DATA_DIR": str(data),
           "JUPYTER_RUNTIME_DIR": str(runtime), "JUPYTER_PLATFORM_DIRS": "1",
           "LITELLM_LOCAL_MODEL_COST_MAP": "True", "HF_HUB_OFFLINE": "1", "PYTHONUNBUFFERED": "1"}
    for var in ("AGNO_NB_MODEL", "AGNO_NB_DB", "JUPYTER_PATH", "JUPYTERLAB_SETTINGS_DIR",
                "JUPYTERLAB_WORKSPACES_DIR", "JUPYTER_TOKEN"):
        env.pop(var, None)  # the quickstart must play its script, offline, in these isolated dirs

    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    log = tmp_path / "jupyterlab.log"
    # The server runs on this venv's python, so its "python3" kernel does too (and imports agno_nb).
    cmd = [sys.executable, "-m", "jupyterlab", "--allow-root", "--no-browser", "--ip=127.0.0.1",
           f"--port={port}", "--port-retries=0", f"--ServerApp.root_dir={root}",
           "--IdentityProvider.token=", "--ServerApp.password=", "--ServerApp.open_browser=False"]
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, cwd=root, env=env, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)
    server = Lab(proc, url, root, log)
    try:
        up = time.monotonic() + deadline.left(40)
        while True:
            if proc.poll() is not None:
                pytest.fail(f"JupyterLab exited with {proc.returncode} at startup:\n{server.log_tail()}")
            try:
                if _get(f"{url}/api/status") == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > up:
                pytest.fail(f"JupyterLab did not answer on {url} in time:\n{server.log_tail()}")
            time.sleep(0.2)
        yield server
    finally:
        _stop(proc, url)


def _stop(proc: subprocess.Popen, url: str) -> None:
    """Shut the server down (it shuts its kernels down), then make sure: SIGTERM, SIGKILL its group."""
    if proc.poll() is None:
        try:
            request = urllib.request.Request(f"{url}/api/shutdown", method="POST")
            urllib.request.urlopen(request, timeout=3).close()
        except OSError:
            pass
        try:
            proc.wait(timeout=8)
        except subprocess.TimeoutExpired:
            proc.terminate()
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)
    try:  # anything left in the session started for this server (a stuck kernel)
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


# ------------------------------------------------------------------------------------------ notebooks


def _copy_without_outputs(src: Path, dst: Path) -> None:
    """The quickstart as it is, minus any saved outputs (they must come from this run, not the file)."""
    import nbformat

    nb = nbformat.read(src, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    nbformat.write(nb, dst)


def _write_own_notebook(dst: Path) -> None:
    """A tiny notebook: the live trace of a scripted run, then a RunOutput shown by its own repr."""
    import nbformat
    from nbformat.v4 import new_code_cell, new_notebook

    nb = new_notebook(cells=[
        new_code_cell("%load_ext agno_nb\n"
                      "from agno_nb import Agent, ScriptedModel\n"
                      "from agno_nb.models.scripts import text"),
        new_code_cell('agent = Agent(name="browser-live", model=ScriptedModel(\n'
                      '    [text("It is 18 °C and sunny in Paris, says the live trace.")],\n'
                      '    id="scripted/browser"))\n'
                      'out = agent.run("Weather in Paris?")  # the live trace view'),
        new_code_cell("%unload_ext agno_nb\n"
                      'agent2 = Agent(name="browser-repr", model=ScriptedModel(\n'
                      '    [text("Still sunny in Paris, says the RunOutput.")], id="scripted/browser2"))\n'
                      'out2 = agent2.run("And now?")\n'
                      "out2  # no live view: the RunOutput shows its trace itself"),
    ])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, dst)


_STATE_JS = """() => {
  const cells = [...document.querySelectorAll('.jp-NotebookPanel .jp-Notebook .jp-CodeCell')];
  const prompts = cells.map(c => (c.querySelector('.jp-InputPrompt') || {}).textContent || '');
  const errors = [...document.querySelectorAll(
      '.jp-NotebookPanel .jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]')]
    .map(e => e.textContent).filter(t => /Traceback|Error/.test(t));
  const status = (document.querySelector('#jp-main-statusbar') || {}).textContent || '';
  return {cells: cells.length, done: prompts.filter(p => /\\[\\d+\\]/.test(p)).length,
          queued: prompts.filter(p => p.includes('*')).length, errors, idle: /\\|\\s*Idle/.test(status),
          status};
}"""


def _run_all(page, lab: Lab, name: str, deadline: Deadline, shot: Path) -> None:
    """Open a notebook in its own workspace, wait for an idle kernel, Run All Cells, wait for the end."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    def fail(why: str) -> None:
        with contextlib.suppress(Exception):  # the failure below matters, not the screenshot's
            page.screenshot(path=str(shot))
        pytest.fail(f"{name}: {why}\nscreenshot: {shot}\nJupyterLab log:\n{lab.log_tail()}")

    workspace = Path(name).stem
    page.goto(f"{lab.url}/lab/workspaces/{workspace}/tree/{name}", wait_until="domcontentloaded",
              timeout=deadline.ms(30))
    try:
        page.locator(".jp-NotebookPanel .jp-Notebook .jp-CodeCell").first.wait_for(timeout=deadline.ms(40))
        page.locator("#jp-main-statusbar").get_by_text("Idle").first.wait_for(timeout=deadline.ms(40))
    except PlaywrightTimeout:
        fail("the notebook did not open with an idle kernel")
    page.locator(".jp-NotebookPanel .jp-Notebook").first.click(position={"x": 5, "y": 5})  # focus it
    page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click(timeout=deadline.ms(10))
    page.locator(".lm-Menu-itemLabel").get_by_text("Run All Cells", exact=True).click(timeout=deadline.ms(10))

    state: dict = {}
    settled_at = None
    while time.monotonic() < deadline.end:
        state = page.evaluate(_STATE_JS)
        if state["errors"] and not state["queued"]:
            fail("a cell raised:\n" + "\n".join(state["errors"])[-3000:])
        complete = state["cells"] and state["done"] == state["cells"] and not state["queued"]
        if complete and state["idle"]:
            settled_at = settled_at or time.monotonic()
            if time.monotonic() - settled_at > 0.5:  # idle and complete for a moment: outputs are in
                return
        else:
            settled_at = None
        time.sleep(0.25)
    fail(f"Run All Cells did not finish within the test's budget: {state}")


def _assert_trace(page, lab: Lab, text: str, deadline: Deadline, shot: Path) -> None:
    from playwright.sync_api import expect

    traces = page.locator(".jp-NotebookPanel .jp-OutputArea-output .agno-trace")
    with_text = traces.filter(has=page.locator(".answer", has_text=text))  # the answer, not a tool result
    try:
        expect(with_text.first).to_be_attached(timeout=deadline.ms(15))
    except AssertionError as exc:
        page.screenshot(path=str(shot))
        found = traces.all_inner_texts()
        pytest.fail(f"no agno-trace view containing {text!r} rendered by JupyterLab; found {len(found)} "
                    f"trace view(s): {found!r}\n{exc}\nscreenshot: {shot}")
    # Rendered as HTML by JupyterLab (the text/html MIME renderer), not shown as text.
    assert with_text.first.locator("xpath=ancestor::*[@data-mime-type='text/html']").count() == 1
    with_text.first.scroll_into_view_if_needed(timeout=deadline.ms(5))
    page.screenshot(path=str(shot))
    print(f"screenshot: {shot}")


def test_trace_view_renders_in_jupyterlab(lab, tmp_path, deadline):
    from playwright.sync_api import sync_playwright

    _copy_without_outputs(QUICKSTART, lab.root / "quickstart.ipynb")
    _write_own_notebook(lab.root / "trace_check.ipynb")

    with sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"), executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS,
            viewport={"width": 1400, "height": 1000}, timeout=deadline.ms(30),
            env={**os.environ, "XDG_CONFIG_HOME": str(tmp_path / "xdg-config"),  # crash reports, caches:
                 "XDG_CACHE_HOME": str(tmp_path / "xdg-cache")})                   # not under ~
        try:
            context.set_default_timeout(deadline.ms(30))
            page = context.pages[0] if context.pages else context.new_page()

            # The quickstart as users run it: its agent.run() cell shows the live trace view.
            shot = tmp_path / "quickstart.png"
            _run_all(page, lab, "quickstart.ipynb", deadline, shot)
            _assert_trace(page, lab, "sunny in Paris", deadline, shot)

            # A notebook of the test's own: the live view, and a RunOutput displaying its own trace.
            _run_all(page, lab, "trace_check.ipynb", deadline, tmp_path / "trace_check.png")
            _assert_trace(page, lab, "sunny in Paris, says the live trace", deadline,
                          tmp_path / "trace_check_live.png")
            _assert_trace(page, lab, "Still sunny in Paris, says the RunOutput", deadline,
                          tmp_path / "trace_check_runoutput.png")
        finally:
            context.close()
