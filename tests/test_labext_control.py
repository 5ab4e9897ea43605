"""The control plane's commands in a real JupyterLab (headless Chromium): export a notebook as a served app
from its toolbar (and replace it), serve it from the file browser's context menu, see it and stop it in the
Agno sidebar; the routes refuse bad paths with one message each."""

from __future__ import annotations

import http.cookiejar
import json
import os
import urllib.error
import urllib.request

import pytest

from test_browser import _missing, browser, deadline, page  # noqa: F401
from test_labext import _notebook, _open, _open_sidebar, lab  # noqa: F401

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(bool(_missing()), reason="BROWSER TEST NOT RUN, the Lab commands are NOT TESTED: missing "
                       + "; ".join(_missing())),
]

AGENT = ("from agno_nb import Agent, ScriptedModel\n"
         "from agno_nb.models.scripts import text\n"
         "greeter = Agent(name='greeter', model=ScriptedModel([text('Hello from the served notebook.')], "
         "cycle=True))")


def _call(url: str, method: str = "GET", body: dict | None = None, xsrf: str | None = None) -> tuple[int, dict]:
    """A request to a route; ``xsrf``: the cookie value Jupyter checks on writes (as Lab sends it)."""
    data = json.dumps(body).encode() if body is not None else None
    headers = {"Content-Type": "application/json"}
    if xsrf:
        headers.update({"X-XSRFToken": xsrf, "Cookie": f"_xsrf={xsrf}"})
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def _xsrf(lab) -> str:
    """Jupyter's XSRF cookie, as the page gets it."""
    jar = http.cookiejar.CookieJar()
    urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar)).open(f"{lab.url}/lab", timeout=60).read()
    return next(cookie.value for cookie in jar if cookie.name == "_xsrf")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_export_from_the_toolbar_writes_the_folder_and_asks_before_replacing(lab, page, tmp_path, deadline):
    from playwright.sync_api import expect

    _notebook(lab.root / "control.ipynb", [AGENT])
    _open(page, lab, "control.ipynb", deadline)
    page.locator(".agno-export-button").first.click(timeout=deadline.ms(60))
    dialog = page.locator(".jp-Dialog")
    expect(dialog).to_contain_text("Exported control.ipynb", timeout=deadline.ms(30))
    expect(dialog.locator(".agno-export-files")).to_contain_text("app.py")
    expect(dialog).to_contain_text("Serves: agent greeter")
    page.screenshot(path=str(tmp_path / "export_dialog.png"))
    dialog.get_by_role("button", name="Ok").click()
    folder = lab.root / "control_app"
    assert "greeter = Agent(name='greeter'" in (folder / "app.py").read_text()

    (folder / "my_notes.md").write_text("mine")
    page.locator(".agno-export-button").first.click()
    expect(dialog).to_contain_text("Replace the export?", timeout=deadline.ms(30))
    dialog.get_by_role("button", name="Replace").click()
    expect(dialog).to_contain_text("Exported control.ipynb", timeout=deadline.ms(30))
    dialog.get_by_role("button", name="Ok").click()
    assert (folder / "my_notes.md").read_text() == "mine"
    assert (folder / "Dockerfile").exists()


def test_serve_from_the_file_browser_then_stop_it_in_the_sidebar(lab, page, tmp_path, deadline):
    from playwright.sync_api import expect

    _notebook(lab.root / "served.ipynb", [AGENT])
    _open(page, lab, "served.ipynb", deadline)
    item = page.locator(".jp-DirListing-item[data-file-type='notebook']", has_text="served.ipynb")
    item.click(button="right", timeout=deadline.ms(60))
    page.locator(".lm-Menu-item", has_text="Serve notebook").click()
    dialog = page.locator(".jp-Dialog")
    expect(dialog).to_contain_text("is served at http://127.0.0.1:", timeout=deadline.ms(90))
    docs = dialog.locator("a").first.get_attribute("href")
    dialog.get_by_role("button", name="Ok").click()
    base = docs.removesuffix("/docs")

    status, health = _call(f"{base}/health")
    assert status == 200 and health["status"] == "ok"
    status, answer = _call(f"{base}/agents/greeter/runs", "POST", {"message": "hi"})
    assert status == 200 and answer["content"] == "Hello from the served notebook."
    _, listed = _call(f"{lab.url}/agno-nb/api/serve")
    (served,) = [s for s in listed["served"] if s["path"] == "served.ipynb"]
    assert served["running"] and _alive(served["pid"])

    sidebar = _open_sidebar(page, deadline)
    row = sidebar.locator(".agno-served-item", has_text="served.ipynb")
    expect(row.locator(".agno-served-url")).to_have_text(base, timeout=deadline.ms(20))
    page.screenshot(path=str(tmp_path / "served_sidebar.png"))
    row.get_by_role("button", name="Stop").click()
    expect(row).to_have_count(0, timeout=deadline.ms(30))
    assert not _alive(served["pid"])
    _, listed = _call(f"{lab.url}/agno-nb/api/serve")
    assert all(s["path"] != "served.ipynb" for s in listed["served"])


@pytest.mark.parametrize("route, body, status, message", [
    ("export", {"path": "../outside.ipynb"}, 400, "outside the server's root"),
    ("export", {"path": "/etc/hosts.ipynb"}, 400, "outside the server's root"),
    ("export", {"path": "nowhere.ipynb"}, 404, "No notebook nowhere.ipynb"),
    ("export", {"path": "notes.txt"}, 400, "is not a notebook"),
    ("export", {}, 400, "Which notebook?"),
    ("serve", {"path": "../outside.ipynb"}, 400, "outside the server's root"),
    ("serve", {"path": "nowhere.ipynb"}, 404, "No notebook nowhere.ipynb"),
])
def test_the_control_routes_refuse_bad_paths_with_one_message(lab, route, body, status, message):
    (lab.root / "notes.txt").write_text("not a notebook")
    got, answer = _call(f"{lab.url}/agno-nb/api/{route}", "POST", body, _xsrf(lab))
    assert got == status and message in answer["message"] and "\n" not in answer["message"], answer


def test_exporting_a_notebook_without_agents_says_so_and_writes_need_xsrf(lab):
    _notebook(lab.root / "plain.ipynb", ["x = 1"])
    status, answer = _call(f"{lab.url}/agno-nb/api/export", "POST", {"path": "plain.ipynb"})
    assert status == 403  # a write without Jupyter's XSRF token (another site's form) is refused
    token = _xsrf(lab)
    status, answer = _call(f"{lab.url}/agno-nb/api/export", "POST", {"path": "plain.ipynb"}, token)
    assert status == 400 and "defines no agent" in answer["message"]
    assert not (lab.root / "plain_app").exists()
    status, _ = _call(f"{lab.url}/agno-nb/api/serve/unknown-id", "DELETE", xsrf=token)
    assert status == 404
