"""A real browser: JupyterLab 4 in headless Chromium runs notebooks as a user does, and the tests look at
the page and at the saved file:

- the quickstart's trace view renders (the ``text/html`` trace, ``<div class='agno-trace'>``);
- a paused run's controls are clicked (Approve, Reject with a reason, Continue run): the run finishes in
  the same display, on screen and in the saved notebook, which reopens without a kernel and no widget
  placeholder;
- a live run shows its tool call while the tool is still working;
- a saved trace reads well in an untrusted notebook (the sanitizer strips ``<style>``), in the Light and
  the Dark theme: checked on the page's computed colours, screenshots kept.

One JupyterLab and one browser serve the whole module.

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
BUDGET = 120.0  # seconds for each test (JupyterLab's start counts toward the first)


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


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """JupyterLab without agno_nb's extension (as Notebook 7 or VS Code show traces: the HTML and widgets);
    tests/test_labext.py starts one with it."""
    with start_lab(tmp_path_factory.mktemp("lab"), agno_extension=False) as server:
        yield server


@contextlib.contextmanager
def start_lab(tmp_path: Path, *, agno_extension: bool):
    """JupyterLab on a free 127.0.0.1 port, no token, in a temp root dir with isolated Jupyter dirs;
    ``agno_extension=False`` disables agno_nb's labextension and server extension."""
    deadline = Deadline(BUDGET)
    dirs = ("root", "jupyter-config", "jupyter-data", "runtime")
    root, config, data, runtime = (tmp_path / d for d in dirs)
    for d in (root, config, data, runtime):
        d.mkdir()
    # The announcements plugin ("receive official Jupyter news?") would cover the page and go online.
    (config / "labconfig").mkdir()
    disabled = {"@jupyterlab/apputils-extension:announcements": True}
    if not agno_extension:
        disabled["agno-nb"] = True
    (config / "labconfig" / "page_config.json").write_text(json.dumps({"disabledExtensions": disabled}))
    # Every cell in the DOM (no windowing), so the execution counts of all cells can be read.
    tracker = config / "lab" / "user-settings" / "@jupyterlab" / "notebook-extension"
    tracker.mkdir(parents=True)
    (tracker / "tracker.jupyterlab-settings").write_text(json.dumps({"windowingMode": "none"}))
    (config / "jupyter_server_config.json").write_text(json.dumps(
        {"LabApp": {"news_url": None, "check_for_updates_class": "jupyterlab.NeverCheckForUpdate",
                    "extension_manager": "readonly"},
         "ServerApp": {"jpserver_extensions": {"agno_nb.labserver": agno_extension}}}))

    env = {**os.environ, "JUPYTER_CONFIG_DIR": str(config), "JUPYTER_DATA_DIR": str(data),
           "JUPYTER_RUNTIME_DIR": str(runtime), "JUPYTER_PLATFORM_DIRS": "1",
           "LITELLM_LOCAL_MODEL_COST_MAP": "True", "HF_HUB_OFFLINE": "1", "PYTHONUNBUFFERED": "1"}
    for var in ("AGNO_NB_MODEL", "AGNO_NB_DB", "JUPYTER_PATH", "JUPYTERLAB_SETTINGS_DIR",
                "JUPYTERLAB_WORKSPACES_DIR", "JUPYTER_TOKEN", "AGNO_NB_LABEXTENSION"):
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
    """SIGTERM (the server shuts its kernels down), then SIGKILL to whatever is left of its group."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=8)
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


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    from playwright.sync_api import sync_playwright

    tmp_path = tmp_path_factory.mktemp("chromium")
    with sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"), executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS,
            viewport={"width": 1400, "height": 1000}, timeout=30_000,
            env={**os.environ, "XDG_CONFIG_HOME": str(tmp_path / "xdg-config"),  # crash reports, caches:
                 "XDG_CACHE_HOME": str(tmp_path / "xdg-cache")})                   # not under ~
        try:
            yield context
        finally:
            context.close()


@pytest.fixture
def page(browser, deadline):
    browser.set_default_timeout(deadline.ms(30))
    page = browser.pages[0] if browser.pages else browser.new_page()
    yield page


def test_trace_view_renders_in_jupyterlab(lab, page, tmp_path, deadline):
    _copy_without_outputs(QUICKSTART, lab.root / "quickstart.ipynb")
    _write_own_notebook(lab.root / "trace_check.ipynb")

    # The quickstart as users run it: its agent.run() cell shows the live trace view.
    shot = tmp_path / "quickstart.png"
    _run_all(page, lab, "quickstart.ipynb", deadline, shot)
    _assert_trace(page, lab, "sunny in Paris", deadline, shot)

    # A notebook of the test's own: the live view, and a RunOutput displaying its own trace.
    _run_all(page, lab, "trace_check.ipynb", deadline, tmp_path / "trace_check.png")
    _assert_trace(page, lab, "sunny in Paris, says the live trace", deadline, tmp_path / "trace_check_live.png")
    _assert_trace(page, lab, "Still sunny in Paris, says the RunOutput", deadline,
                  tmp_path / "trace_check_runoutput.png")


# ------------------------------------------------------------------------------------- approvals

HITL = ROOT / "notebooks" / "hitl_and_guardrails.ipynb"
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"


def _save(page, path: Path, deadline: Deadline) -> None:
    """Save from the page (Ctrl+S) and wait until the file on disk changed."""
    before = path.stat().st_mtime_ns
    page.locator(".jp-NotebookPanel .jp-Notebook").first.click(position={"x": 5, "y": 5})
    page.keyboard.press("Control+s")
    end = time.monotonic() + deadline.left(15)
    while path.stat().st_mtime_ns == before and time.monotonic() < end:
        time.sleep(0.1)
    assert path.stat().st_mtime_ns != before, "the notebook was not saved"


_SHUT_DOWN_JS = """async () => {
  const xsrf = document.cookie.match(/_xsrf=([^;]+)/);
  const headers = xsrf ? {"X-XSRFToken": decodeURIComponent(xsrf[1])} : {};
  const kernels = await (await fetch("/api/kernels")).json();
  for (const k of kernels) { await fetch(`/api/kernels/${k.id}`, {method: "DELETE", headers}); }
  return (await (await fetch("/api/kernels")).json()).length;
}"""


def _shut_down_kernels(page) -> None:
    """Every kernel gone, as after a restart of the machine (through the page: the server wants XSRF)."""
    assert page.evaluate(_SHUT_DOWN_JS) == 0


def test_approve_reject_and_continue_finish_on_screen_and_in_the_saved_file(lab, page, tmp_path, deadline):
    from playwright.sync_api import expect

    _copy_without_outputs(HITL, lab.root / "hitl.ipynb")
    _run_all(page, lab, "hitl.ipynb", deadline, tmp_path / "hitl_run.png")
    run_cell = page.locator(".jp-CodeCell").filter(has_text="out = support.run(")
    approve, reject = run_cell.get_by_role("button", name="Approve"), run_cell.get_by_role("button", name="Reject")
    expect(approve).to_have_count(2, timeout=deadline.ms(15))  # wait for a decision
    expect(run_cell.locator(".agno-trace .badge")).to_have_text("paused")
    approve.nth(0).click()
    run_cell.get_by_placeholder("reason for rejecting").nth(1).fill("that order has already shipped")
    reject.nth(1).click()
    expect(run_cell.get_by_text("rejected: that order has already shipped")).to_be_visible()
    run_cell.get_by_role("button", name="Continue run").click()

    # The run finishes in the same display: the answer, the decided calls, no controls left.
    done = run_cell.locator(".jp-OutputArea-output .agno-trace").filter(
        has=page.locator(".answer", has_text="A-1 is cancelled"))
    try:
        expect(done).to_have_count(1, timeout=deadline.ms(20))
    except AssertionError:
        page.screenshot(path=str(tmp_path / "hitl_continue.png"))
        raise
    expect(done.locator(".badge")).to_have_text("completed")
    expect(done).to_contain_text("A-1 cancelled (customer request)")
    expect(done).to_contain_text("that order has already shipped")
    expect(done.locator(".st", has_text="rejected")).to_have_count(1)
    expect(page.get_by_role("button", name="Continue run")).to_have_count(0)
    done.scroll_into_view_if_needed()
    page.screenshot(path=str(tmp_path / "hitl_done.png"))

    # Saved: the final trace as static HTML, no widget, nothing left saying "paused".
    _save(page, lab.root / "hitl.ipynb", deadline)
    import nbformat

    nb = nbformat.read(lab.root / "hitl.ipynb", as_version=4)
    [cell] = [c for c in nb.cells if c.cell_type == "code" and "out = support.run(" in c.source]
    [output] = cell.outputs
    assert WIDGET_MIME not in output.get("data", {}), output
    saved = output["data"]["text/html"]
    assert "A-1 is cancelled" in saved and "A-1 cancelled (customer request)" in saved
    assert "that order has already shipped" in saved and ">completed<" in saved and "paused" not in saved
    assert output["data"]["text/plain"].startswith("[completed] support")
    assert not [o for c in nb.cells for o in c.get("outputs", []) if WIDGET_MIME in o.get("data", {})]

    # Reopened without a kernel: the outcome shows, and no "model not found" placeholder.
    _shut_down_kernels(page)
    page.goto(f"{lab.url}/lab/workspaces/hitl-reopened/tree/hitl.ipynb", wait_until="domcontentloaded")
    reopened = page.locator(".jp-CodeCell").filter(has_text="out = support.run(").locator(".agno-trace")
    expect(reopened.locator(".answer")).to_contain_text("A-1 is cancelled", timeout=deadline.ms(30))
    expect(reopened.locator(".badge")).to_have_text("completed")
    expect(page.get_by_text("model not found")).to_have_count(0)
    page.screenshot(path=str(tmp_path / "hitl_reopened.png"))
    print(f"screenshots: {tmp_path}")


# ------------------------------------------------------------------------------------ live runs


def test_a_tool_call_in_flight_is_visible_live(lab, page, tmp_path, deadline):
    import nbformat
    from nbformat.v4 import new_code_cell, new_notebook
    from playwright.sync_api import expect

    marker = lab.root / "tool-finished"
    nb = new_notebook(cells=[
        new_code_cell("%load_ext agno_nb\n"
                      "import time, pathlib\n"
                      "from agno_nb import Agent, ScriptedModel\n"
                      "from agno_nb.models.scripts import text, tool_call\n\n"
                      "def slow_lookup(city: str) -> str:\n"
                      "    \"\"\"Look a city up, slowly.\"\"\"\n"
                      "    time.sleep(4)\n"
                      f"    pathlib.Path({str(marker)!r}).write_text('done')\n"
                      "    return f'{city}: 18 degrees'\n\n"
                      "agent = Agent(name='live', tools=[slow_lookup], model=ScriptedModel(\n"
                      "    [tool_call('slow_lookup', city='Paris'), text('It is 18 degrees in Paris.')]))"),
        new_code_cell("out = agent.run('Weather in Paris?')"),
    ])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, lab.root / "live.ipynb")
    _open_and_run_all(page, lab, "live.ipynb", deadline, tmp_path / "live.png")
    tool_span = page.locator(".jp-OutputArea-output .agno-trace details", has_text="slow_lookup").first
    expect(tool_span).to_contain_text("running…", timeout=deadline.ms(10))
    assert not marker.exists(), "the tool call was shown only after it finished"
    page.screenshot(path=str(tmp_path / "live_in_flight.png"))
    final = page.locator(".jp-OutputArea-output .agno-trace").filter(
        has=page.locator(".answer", has_text="18 degrees in Paris"))
    expect(final).to_have_count(1, timeout=deadline.ms(20))
    assert marker.exists()
    expect(final.locator(".badge")).to_have_text("completed")
    # the notebook's own store file, named after it (Jupyter Server tells the kernel the notebook's path)
    assert (lab.root / "live.agno.duckdb").exists() and not (lab.root / "agno.duckdb").exists()


def _open_and_run_all(page, lab: Lab, name: str, deadline: Deadline, shot: Path) -> None:
    """Run All Cells without waiting for the end (``_run_all`` waits)."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    page.goto(f"{lab.url}/lab/workspaces/{Path(name).stem}/tree/{name}", wait_until="domcontentloaded",
              timeout=deadline.ms(30))
    try:
        page.locator(".jp-NotebookPanel .jp-Notebook .jp-CodeCell").first.wait_for(timeout=deadline.ms(40))
        page.locator("#jp-main-statusbar").get_by_text("Idle").first.wait_for(timeout=deadline.ms(40))
    except PlaywrightTimeout:
        page.screenshot(path=str(shot))
        pytest.fail(f"{name}: the notebook did not open with an idle kernel\n{lab.log_tail()}")
    page.locator(".jp-NotebookPanel .jp-Notebook").first.click(position={"x": 5, "y": 5})
    page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click(timeout=deadline.ms(10))
    page.locator(".lm-Menu-itemLabel").get_by_text("Run All Cells", exact=True).click(timeout=deadline.ms(10))


# ------------------------------------------------------------------------- untrusted, Light and Dark

_CONTRAST_JS = """(el) => {
  const rgba = (c) => { const v = (c.match(/[\\d.]+/g) || []).map(Number); return v.length === 3 ? [...v, 1] : v; };
  let bg = null, e = el, alpha = 1;
  for (let n = el; n; n = n.parentElement) { alpha *= Number(getComputedStyle(n).opacity); }
  while (e && !bg) { const c = rgba(getComputedStyle(e).backgroundColor); if (c[3] > 0.5) bg = c; e = e.parentElement; }
  bg = bg || [255, 255, 255, 1];
  const fg = rgba(getComputedStyle(el).color).slice(0, 3).map((x, i) => bg[i] + (x - bg[i]) * alpha);
  const lum = (c) => { const f = (x) => { x /= 255; return x <= 0.03928 ? x / 12.92 : ((x + 0.055) / 1.055) ** 2.4; };
                       return 0.2126 * f(c[0]) + 0.7152 * f(c[1]) + 0.0722 * f(c[2]); };
  const [a, b] = [lum(fg), lum(bg)];
  return {ratio: (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05), fg: fg.map(Math.round), bg: bg.slice(0, 3),
          text: el.textContent.slice(0, 40)};
}"""


def _static_trace_notebook(path: Path) -> None:
    """A notebook saved elsewhere (so this server never signed it: untrusted) holding a finished trace."""
    import nbformat
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

    from agno_nb import Agent, ScriptedModel
    from agno_nb.models.scripts import text, tool_call
    from agno_nb.traces.fold import TraceView

    def run_sql(sql: str) -> str:
        """Run SQL."""
        return "3 rows"

    agent = Agent(name="analyst", tools=[run_sql], instructions="You analyse sales.", model=ScriptedModel(
        [tool_call("run_sql", sql="SELECT region,\n       sum(revenue)\nFROM sales\nGROUP BY region"),
         text("APAC grew **fastest**.")]))
    out = agent.run("Which region grew fastest?")
    bundle = TraceView.from_events(out.events).bundle()
    nb = new_notebook(cells=[new_markdown_cell("A colleague's notebook"),
                             new_code_cell("out = agent.run('Which region grew fastest?')",
                                           outputs=[new_output("display_data", data=bundle)])])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)


def _set_theme(page, theme: str, deadline: Deadline) -> None:
    page.locator(".lm-MenuBar-itemLabel", has_text="Settings").first.click(timeout=deadline.ms(10))
    page.locator(".lm-Menu-itemLabel").get_by_text("Theme", exact=True).hover(timeout=deadline.ms(10))
    page.locator(".lm-Menu-itemLabel").get_by_text(theme, exact=True).click(timeout=deadline.ms(10))
    light = theme == "JupyterLab Light"
    page.wait_for_function(f"document.body.dataset.jpThemeLight === '{str(light).lower()}'",
                           timeout=deadline.ms(15))


def test_a_saved_trace_reads_well_untrusted_in_light_and_dark(lab, page, tmp_path, deadline):
    from playwright.sync_api import expect

    _static_trace_notebook(lab.root / "colleague.ipynb")
    page.goto(f"{lab.url}/lab/workspaces/colleague/tree/colleague.ipynb", wait_until="domcontentloaded")
    trace = page.locator(".jp-OutputArea-output .agno-trace").first
    expect(trace).to_be_visible(timeout=deadline.ms(40))
    page.locator("#jp-main-statusbar").get_by_text("Idle").first.wait_for(timeout=deadline.ms(40))
    # Untrusted: JupyterLab sanitized this HTML (no <style> would have survived), yet the inline styles did.
    assert page.evaluate("() => document.querySelectorAll('.jp-OutputArea-output style').length") == 0
    try:
        for theme in ("JupyterLab Light", "JupyterLab Dark"):
            _set_theme(page, theme, deadline)
            tool_summary = trace.locator("details summary", has_text="run_sql").first
            if not tool_summary.evaluate("(e) => e.parentElement.open"):
                tool_summary.click()  # open the tool span, as a reader would
            badge = trace.locator(".badge")
            assert page.evaluate("(e) => getComputedStyle(e).backgroundColor", badge.element_handle()) == \
                "rgb(26, 127, 55)"  # the inline style survived the sanitizer
            checks = {"badge": badge, "agent name": trace.locator(".hd b").first,
                      "metric chip": trace.locator(".chip").first, "answer": trace.locator(".answer p").first,
                      "tool name": trace.locator("details summary b", has_text="run_sql").first,
                      "SQL argument": trace.locator("pre", has_text="GROUP BY region").first}
            for label, element in checks.items():
                found = element.evaluate(_CONTRAST_JS)
                assert found["ratio"] >= 4.5, f"{theme}: {label} is hard to read: {found}"
            header = trace.locator(".hd").inner_text()
            assert "model request(s) · " in header.replace("\n", " "), header  # separated, not run together
            boxes = [c.bounding_box() for c in trace.locator(".chip").all()]
            assert all(a["x"] + a["width"] <= b["x"] or a["y"] != b["y"] for a, b in zip(boxes, boxes[1:]))
            sql = trace.locator("pre", has_text="GROUP BY region").first.inner_text()
            assert "sum(revenue)\nFROM sales" in sql  # multi-line arguments keep their lines
            trace.scroll_into_view_if_needed()
            trace.screenshot(path=str(tmp_path / f"untrusted_{theme.split()[-1].lower()}.png"))
    except Exception:
        page.screenshot(path=str(tmp_path / "untrusted_failure.png"))
        raise
    finally:
        _set_theme(page, "JupyterLab Light", deadline)
    print(f"screenshots: {tmp_path}")
