"""agno_nb's JupyterLab extension in a real JupyterLab (headless Chromium), as built from source by
scripts/setup.sh (npm ci + the wheel's build hook) and installed in this venv:

- it is listed enabled and OK, and the server extension loads;
- the MIME renderer draws a saved trace (untrusted notebook: it is safe), with the span tree, search and
  details; a bundle from a newer agno_nb says what it does not know; screenshots kept;
- a live run updates the renderer while the tool is still working, and the page stays responsive
  (long tasks measured); a 2,000-event trace's render time is measured (reported, not asserted);
- the sidebar lists the notebook's agent and its run, and opens the run's trace in a tab;
- an approval clicked in the sidebar continues the paused run, which finishes in its cell;
- a store locked by another process gives one clear message (route and sidebar).

One JupyterLab and one browser serve the module (see tests/test_browser.py for the shared helpers).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from test_browser import (BUDGET, HITL, ROOT, Deadline, Lab, _copy_without_outputs, _missing,  # noqa: F401
                          _open_and_run_all, _run_all, browser, deadline, page, start_lab)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(bool(_missing()), reason="BROWSER TEST NOT RUN, the JupyterLab extension is NOT TESTED: "
                       "missing " + "; ".join(_missing())),
]

RENDERER = ".jp-AgnoTraceRenderer .agno-trace"


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    with start_lab(tmp_path_factory.mktemp("labext"), agno_extension=True) as server:
        yield server


def _report(name: str, value: float, unit: str) -> None:
    """Measurements are reported (run with -s to see them), never asserted: the machine is shared."""
    print(f"MEASURED {name}: {value:.1f} {unit}")


def _notebook(path: Path, cells: list, outputs: dict | None = None) -> None:
    import nbformat
    from nbformat.v4 import new_code_cell, new_notebook, new_output

    nb = new_notebook(cells=[new_code_cell(source, outputs=[new_output("display_data", data=outputs[i])]
                                           if outputs and i in outputs else [])
                             for i, source in enumerate(cells)])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)


def _open(page, lab: Lab, name: str, deadline: Deadline) -> None:
    page.goto(f"{lab.url}/lab/workspaces/{Path(name).stem}/tree/{name}", wait_until="domcontentloaded",
              timeout=deadline.ms(30))


# ------------------------------------------------------------------------------ installation


def test_the_extension_is_installed_enabled_and_ok(lab):
    listed = subprocess.run([sys.executable, "-m", "jupyter", "labextension", "list"], capture_output=True,
                            text=True, timeout=60)
    plain = re.sub(r"\x1b\[[0-9;]*m", "", listed.stdout + listed.stderr)
    assert re.search(r"agno-nb v\S+ enabled OK \(python, agno_nb\)", plain), plain
    server = subprocess.run([sys.executable, "-m", "jupyter", "server", "extension", "list"], capture_output=True,
                            text=True, timeout=60)
    plain = re.sub(r"\x1b\[[0-9;]*m", "", server.stdout + server.stderr)
    assert "agno_nb.labserver enabled" in plain and "agno_nb.labserver  OK" in plain, plain
    package = json.loads((ROOT / "package.json").read_text())
    import tomllib

    assert package["version"] == tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]


# ------------------------------------------------------------------------------------ renderer


def _rich_trace() -> dict:
    """A team run: a member's nested run with a failing tool, a guardrail trip, long results."""
    from agno_nb import Agent, ScriptedModel, Team, tool
    from agno_nb.models.scripts import text, tool_call
    from agno_nb.traces.fold import TraceView

    def lookup(city: str) -> str:
        """Look a city up."""
        return json.dumps({"city": city, "history": [f"day {i}: sunny" for i in range(300)]})

    @tool
    def flaky(order: str) -> str:
        """Fails."""
        raise RuntimeError(f"warehouse {order} unreachable")

    member = Agent(name="researcher", tools=[lookup, flaky], model=ScriptedModel(
        [tool_call("lookup", city="Paris"), tool_call("flaky", order="A-1"), text("Paris: sunny all year.")]))
    team = Team(name="desk", members=[member], mode="coordinate", model=ScriptedModel(
        [tool_call("delegate_task_to_member", member_id="researcher", task="Weather history of Paris"),
         text("It is **sunny** in Paris.")]))
    out = team.run("How is the weather in Paris?")
    return TraceView.from_events(out.events).bundle()


def test_the_renderer_draws_a_saved_trace(lab, page, tmp_path, deadline):
    from playwright.sync_api import expect

    bundle = _rich_trace()
    newer = json.loads(json.dumps(bundle))
    mime = "application/vnd.agno-nb.trace+json"
    newer[mime].update(version=99, budget={"max_tokens": 10})
    newer[mime]["root"]["children"].append({"id": "h1", "kind": "handoff", "name": "to billing", "status": "ok",
                                            "start": 0.0, "duration": 0.01, "attrs": {}, "children": []})
    _notebook(lab.root / "saved.ipynb", ["out = desk.run('How is the weather in Paris?')", "newer"],
              {0: bundle, 1: newer})
    _open(page, lab, "saved.ipynb", deadline)
    traces = page.locator(RENDERER)
    expect(traces).to_have_count(2, timeout=deadline.ms(40))
    trace = traces.first
    # the renderer won over the HTML sent alongside (an untrusted notebook: the renderer is safe)
    assert page.locator(".jp-OutputArea-output .agno-trace:not(.agno-trace-interactive)").count() == 0
    expect(trace.locator(".badge")).to_have_text("completed")
    expect(trace.locator(".answer")).to_contain_text("sunny in Paris")
    expect(trace.locator(".answer strong")).to_have_text("sunny")  # Markdown, through the sanitizer
    expect(trace.locator(".hd")).to_contain_text("1 failed")
    rows = trace.locator(".agno-row")
    names = rows.locator(".agno-name").all_inner_texts()
    assert "researcher" in names and "lookup" in names and "flaky" in names, names
    expect(trace.locator(".agno-row.agno-flag-error", has_text="flaky")).to_have_count(1)
    # bars share one axis: every bar lies within its track
    assert all(0 <= float(b["left"].rstrip("%")) <= 100 for b in trace.locator(".agno-bar").evaluate_all(
        "(bars) => bars.map(b => ({left: b.style.left}))"))
    # details: a tool's result pretty-printed and folded, "show all" unfolds it
    trace.locator(".agno-row", has_text="lookup").first.click()
    details = trace.locator(".agno-details").first
    expect(details.locator(".agno-attr-arguments pre")).to_contain_text('"city": "Paris"')
    expect(details.locator(".agno-attr-result")).to_contain_text("cut by the kernel")
    # a model call's messages: the tool's long result folded, "show all" unfolds it
    trace.locator(".agno-row", has_text="1,364→8 tokens").click()
    sent = trace.locator(".agno-details", has=page.locator(".agno-message")).first
    unfold = sent.locator("button", has_text="show all")
    expect(unfold).to_have_count(1)
    folded = len(sent.locator("pre").first.inner_text())
    unfold.click()
    expect(sent.locator("button", has_text="show less")).to_have_count(1)
    assert len(sent.locator("pre").first.inner_text()) > folded
    # search: only matching spans (and their ancestors) stay
    trace.locator(".agno-search").fill("unreachable")
    # the failing call, and the model call that was sent its error
    expect(trace.locator(".agno-search-info")).to_have_text("2 matching spans")
    expect(trace.locator(".agno-row.agno-match", has_text="flaky")).to_have_count(1)
    assert trace.locator(".agno-row", has_text="lookup").count() == 0
    trace.scroll_into_view_if_needed()
    page.screenshot(path=str(tmp_path / "renderer_saved.png"))
    trace.locator(".agno-search").fill("")
    # a newer agno_nb's bundle: drawn, and what is unknown is said
    notes = traces.nth(1).locator(".agno-notes")
    expect(notes).to_contain_text("format 99")
    expect(notes).to_contain_text("budget")
    expect(notes).to_contain_text("handoff")
    expect(traces.nth(1).locator(".agno-row", has_text="to billing")).to_have_count(1)
    traces.nth(1).screenshot(path=str(tmp_path / "renderer_newer.png"))
    print(f"screenshots: {tmp_path}")


def _big_trace(calls: int) -> dict:
    """A run of ``calls`` tool calls in pairs per model turn: about 5 events per call."""
    from agno_nb import Agent, ScriptedModel
    from agno_nb.models.scripts import text, tool_calls
    from agno_nb.traces.fold import TraceView

    def fetch(i: int) -> str:
        """Fetch row i."""
        return f"row {i}: " + "x" * 40

    turns = [tool_calls(("fetch", {"i": 2 * k}), ("fetch", {"i": 2 * k + 1})) for k in range(calls // 2)]
    agent = Agent(name="bulk", tools=[fetch], tool_call_limit=calls + 10,
                  model=ScriptedModel([*turns, text("done")]))
    out = agent.run("Fetch everything.")
    view = TraceView.from_events(out.events)
    return view.bundle()


def test_render_time_of_a_2000_event_trace_is_measured(lab, page, deadline):
    from playwright.sync_api import expect

    bundle = _big_trace(700)
    events = bundle["application/vnd.agno-nb.trace+json"]["events"]
    assert events >= 2000, events
    _notebook(lab.root / "big.ipynb", ["out = bulk.run('Fetch everything.')"], {0: bundle})
    _open(page, lab, "big.ipynb", deadline)
    trace = page.locator(RENDERER).first
    expect(trace).to_be_visible(timeout=deadline.ms(40))
    first = float(trace.get_attribute("data-render-ms"))
    # again in the page, as a live update does: the same bundle drawn by the renderer, 5 times
    times = page.evaluate("""async () => {
      const node = document.querySelector('.jp-AgnoTraceRenderer .agno-trace');
      const out = [];
      for (let i = 0; i < 5; i++) {
        const t0 = performance.now();
        node.closest('.jp-OutputArea-output').scrollIntoView();
        await new Promise(r => requestAnimationFrame(() => setTimeout(r, 0)));
        out.push(Number(node.dataset.renderMs));
      }
      return out;
    }""")
    spans = trace.locator(".agno-row").count()
    _report(f"first render of a {events}-event trace ({spans} spans), Chromium", first, "ms")
    assert spans > 500 and times


def test_a_live_run_updates_the_renderer_and_the_page_stays_responsive(lab, page, tmp_path, deadline):
    from playwright.sync_api import expect

    marker = lab.root / "live-tool-finished"
    _notebook(lab.root / "live_lab.ipynb", [
        "%load_ext agno_nb\n"
        "import time, pathlib\n"
        "from agno_nb import Agent, ScriptedModel\n"
        "from agno_nb.models.scripts import text, tool_call, tool_calls\n\n"
        "def quick(i: int) -> str:\n"
        "    \"\"\"Quick.\"\"\"\n"
        "    time.sleep(0.05)\n"
        "    return f'row {i}'\n\n"
        "def slow_lookup(city: str) -> str:\n"
        "    \"\"\"Look a city up, slowly.\"\"\"\n"
        "    time.sleep(4)\n"
        f"    pathlib.Path({str(marker)!r}).write_text('done')\n"
        "    return f'{city}: 18 degrees'\n\n"
        "agent = Agent(name='live', tools=[quick, slow_lookup], tool_call_limit=100, model=ScriptedModel(\n"
        "    [tool_calls(*[('quick', {'i': i}) for i in range(3)]) for _ in range(20)]\n"
        "    + [tool_call('slow_lookup', city='Paris'), text('It is 18 degrees in Paris.')]))",
        "out = agent.run('Weather in Paris?')"])
    page.goto("about:blank")
    page.add_init_script("""
      window.__longTasks = [];
      new PerformanceObserver(list => { for (const e of list.getEntries()) window.__longTasks.push(e.duration); })
        .observe({entryTypes: ['longtask']});
    """)
    _open_and_run_all(page, lab, "live_lab.ipynb", deadline, tmp_path / "live.png")
    page.evaluate("window.__longTasks.length = 0")  # from Run All on: the live run, not the page's start
    trace = page.locator(RENDERER).first
    tool = trace.locator(".agno-row", has_text="slow_lookup")
    expect(tool).to_contain_text("running…", timeout=deadline.ms(30))
    assert not marker.exists(), "the tool call was shown only after it finished"
    page.screenshot(path=str(tmp_path / "renderer_live.png"))
    probes = page.evaluate("""async () => {
      const lags = [];
      for (let i = 0; i < 20; i++) {
        const t0 = performance.now();
        await new Promise(r => setTimeout(r, 50));
        lags.push(performance.now() - t0 - 50);
      }
      return lags;
    }""")
    expect(trace.locator(".badge")).to_have_text("completed", timeout=deadline.ms(20))
    expect(trace.locator(".answer")).to_contain_text("18 degrees in Paris")
    assert marker.exists()
    long_tasks = page.evaluate("window.__longTasks")
    _report("timer lag during a live run (max of 20 probes), Chromium", max(probes), "ms")
    _report("long tasks (>50 ms) during the live run", float(len(long_tasks)), "tasks")
    if long_tasks:
        _report("longest task during the live run", max(long_tasks), "ms")


# ------------------------------------------------------------------------------------- sidebar


def _open_sidebar(page, deadline: Deadline):
    from playwright.sync_api import expect

    sidebar = page.locator("#agno-nb-sidebar")
    if not sidebar.is_visible():
        page.locator(".jp-SideBar.jp-mod-left .lm-TabBar-tab[data-id='agno-nb-sidebar']").click(
            timeout=deadline.ms(10))
    expect(sidebar).to_be_visible(timeout=deadline.ms(10))
    return sidebar


def test_the_sidebar_lists_the_agent_and_its_run_and_opens_the_trace(lab, page, tmp_path, deadline):
    from playwright.sync_api import expect

    _notebook(lab.root / "sidebar.ipynb", [
        "%load_ext agno_nb\n"
        "from agno_nb import Agent, ScriptedModel\n"
        "from agno_nb.models.scripts import text\n"
        "weather = Agent(name='weather', model=ScriptedModel([text('Sunny in Lyon, says the store.')]))",
        "out = weather.run('Weather in Lyon?')"])
    _run_all(page, lab, "sidebar.ipynb", deadline, tmp_path / "sidebar_run.png")
    sidebar = _open_sidebar(page, deadline)
    expect(sidebar.locator(".agno-component[data-name='weather']")).to_contain_text("agent", timeout=deadline.ms(15))
    run = sidebar.locator(".agno-runs .agno-run").first
    expect(run).to_contain_text("weather", timeout=deadline.ms(15))
    expect(run.locator(".agno-status")).to_have_text("completed")
    expect(sidebar.locator(".agno-sessions .agno-session")).to_have_count(1)
    page.screenshot(path=str(tmp_path / "sidebar.png"))
    run.click()
    tab = page.locator(".jp-AgnoTraceTab .agno-trace")
    expect(tab.locator(".answer")).to_contain_text("Sunny in Lyon, says the store.", timeout=deadline.ms(15))
    expect(tab.locator(".badge")).to_have_text("completed")
    expect(page.locator(".lm-DockPanel-tabBar .lm-TabBar-tab", has_text="Trace: weather")).to_have_count(1)
    page.screenshot(path=str(tmp_path / "sidebar_trace_tab.png"))
    print(f"screenshots: {tmp_path}")


def test_an_approval_clicked_in_the_sidebar_continues_the_paused_run(lab, page, tmp_path, deadline):
    from playwright.sync_api import expect

    _copy_without_outputs(HITL, lab.root / "hitl_lab.ipynb")
    _run_all(page, lab, "hitl_lab.ipynb", deadline, tmp_path / "hitl_run.png")
    run_cell = page.locator(".jp-CodeCell").filter(has_text="out = support.run(")
    expect(run_cell.locator(".agno-trace .badge").first).to_have_text("paused", timeout=deadline.ms(15))
    sidebar = _open_sidebar(page, deadline)
    approval = sidebar.locator(".agno-approval").first
    expect(approval.locator(".agno-requirement-row")).to_have_count(2, timeout=deadline.ms(15))
    approval.locator(".agno-requirement-row").nth(0).get_by_role("button", name="Approve").click()
    second = approval.locator(".agno-requirement-row").nth(1)
    second.get_by_placeholder("reason for rejecting").fill("that order has already shipped")
    second.get_by_role("button", name="Reject").click()
    expect(second.locator(".agno-decision")).to_have_text("rejected: that order has already shipped")
    page.screenshot(path=str(tmp_path / "sidebar_approval.png"))
    approval.get_by_role("button", name="Continue run").click()
    # the run goes on in its own cell, as if its buttons had been clicked, and finishes there
    done = run_cell.locator(".agno-trace").filter(has=page.locator(".answer", has_text="A-1 is cancelled"))
    expect(done).to_have_count(1, timeout=deadline.ms(30))
    expect(done.locator(".badge")).to_have_text("completed")
    expect(done).to_contain_text("that order has already shipped")
    expect(sidebar.locator(".agno-approvals")).to_contain_text("No paused runs", timeout=deadline.ms(15))
    expect(sidebar.locator(".agno-runs .agno-run").first.locator(".agno-status")).to_have_text("completed")
    page.screenshot(path=str(tmp_path / "sidebar_approved.png"))


# ------------------------------------------------------------------------------------- bad input


def _get(url: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def test_the_routes_answer_bad_input_with_one_clear_message(lab):
    status, body = _get(f"{lab.url}/agno-nb/api/store")
    assert status == 400 and "notebook=PATH" in body["message"]
    status, body = _get(f"{lab.url}/agno-nb/api/store?notebook=../../etc/passwd.ipynb")
    assert status == 400 and "outside the server's root" in body["message"]
    status, body = _get(f"{lab.url}/agno-nb/api/store?notebook=nowhere.ipynb")
    assert status == 200 and body["exists"] is False
    status, body = _get(f"{lab.url}/agno-nb/api/store?store=/etc/passwd")
    assert status == 400 and ".duckdb" in body["message"]


def test_a_store_locked_by_another_process_gives_one_message(lab, page, tmp_path, deadline):
    from playwright.sync_api import expect

    _notebook(lab.root / "locked.ipynb", ["print('no kernel work needed')"])
    store = lab.root / "locked.agno.duckdb"
    holder = subprocess.Popen([sys.executable, "-c",
                               "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); c.execute('CREATE TABLE t (x INT)');"
                               " print('ready', flush=True); time.sleep(120)", str(store)],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "ready"
        status, body = _get(f"{lab.url}/agno-nb/api/store?notebook=locked.ipynb")
        assert status == 409 and body["locked"] is True, body
        assert f"process {holder.pid}" in body["message"] and "shared=True" in body["message"], body
        _open(page, lab, "locked.ipynb", deadline)
        sidebar = _open_sidebar(page, deadline)
        message = sidebar.locator(".agno-message-box")
        expect(message).to_contain_text("locked by another process", timeout=deadline.ms(20))
        expect(message).to_contain_text(f"process {holder.pid}")
        page.screenshot(path=str(tmp_path / "sidebar_locked.png"))
    finally:
        holder.kill()
        holder.wait(timeout=10)


# ------------------------------------------------------------------------------ served runtime

_SETTINGS_JS = """async ([url, key]) => {
  const xsrf = document.cookie.match(/_xsrf=([^;]+)/);
  const headers = {'Content-Type': 'application/json'};
  if (xsrf) headers['X-XSRFToken'] = decodeURIComponent(xsrf[1]);
  const raw = JSON.stringify({runtimeUrl: url, apiKey: key});
  const response = await fetch('/lab/api/settings/agno-nb:sidebar', {method: 'PUT', headers, body: JSON.stringify({raw})});
  return response.status;
}"""


def test_the_sidebar_lists_a_served_runtime_and_a_refused_key_is_one_message(lab, page, tmp_path, deadline):
    from playwright.sync_api import expect

    from agno_nb import Agent, ScriptedModel
    from agno_nb.models.scripts import text
    from agno_nb.serve import create_app, start_server
    from agno_nb.serve.auth import Auth
    from agno_nb.serve.keys import create_key
    from agno_nb.storage.duckdb import DuckDBStore

    store = DuckDBStore(str(tmp_path / "served.duckdb"))
    agent = Agent(name="served_echo", db=store, model=ScriptedModel([text("Served hello, says the runtime.")]))
    served = agent.run("Hello runtime", user_id="ana", session_id="served-session")
    token, _ = create_key(store, user_id="ana", scopes=["sessions:read"])
    server = start_server(create_app(agents=[agent], db=store, auth=Auth(api_keys=True)))
    try:
        _notebook(lab.root / "runtime.ipynb", ["print('the sidebar reads the runtime')"])
        _open(page, lab, "runtime.ipynb", deadline)

        def configure(url: str, key: str):  # Settings > Agno, saved; the page reads them when it loads
            assert page.evaluate(_SETTINGS_JS, [url, key]) == 204
            _open(page, lab, "runtime.ipynb", deadline)
            return _open_sidebar(page, deadline)

        sidebar = configure(server.url, token)
        run = sidebar.locator(".agno-runtime .agno-remote-run")
        expect(run).to_have_count(1, timeout=deadline.ms(20))
        expect(run).to_contain_text("served_echo")
        expect(run.locator(".agno-status")).to_have_text("completed")
        page.screenshot(path=str(tmp_path / "sidebar_runtime.png"))
        run.click()
        tab = page.locator(".jp-AgnoTraceTab .agno-trace").filter(has_text="Served hello")
        expect(tab.locator(".answer")).to_contain_text("Served hello, says the runtime.", timeout=deadline.ms(15))
        assert served.status == "completed"
        # a key the runtime refuses: one message, no list
        sidebar = configure(server.url, "ank_wrong_key")
        error = sidebar.locator(".agno-runtime .agno-runtime-error")
        expect(error).to_contain_text("refused the API key (401", timeout=deadline.ms(20))
        expect(sidebar.locator(".agno-runtime .agno-remote-run")).to_have_count(0)
        # a runtime that is not there
        sidebar = configure("http://127.0.0.1:9", token)
        error = sidebar.locator(".agno-runtime .agno-runtime-error")
        expect(error).to_contain_text("Cannot reach the runtime at http://127.0.0.1:9", timeout=deadline.ms(30))
        page.screenshot(path=str(tmp_path / "sidebar_runtime_refused.png"))
    finally:
        page.evaluate(_SETTINGS_JS, ["", ""])
        server.stop()
        store.close()
