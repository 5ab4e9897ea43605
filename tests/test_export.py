"""The notebook exporter: app.py from cells (kept, dropped, translated), checks, warnings, the folder, the
commands. The deployment files are tested in test_export_deploy.py, the served export end to end in
test_export_e2e.py."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from agno_nb.export import ExportError, export_notebook
from test_notebook import cell, shell  # noqa: F401  (the IPython shell fixture with %load_ext agno_nb)

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = (
    "from agno_nb import Agent, ScriptedModel\n"
    "from agno_nb.models.scripts import text\n"
    "model = ScriptedModel([text('hello from the app')], cycle=True)\n"
)


def notebook(path: Path, *cells: str | dict, counts: bool = False) -> Path:
    """Write a notebook of code cells (a dict: a cell with ``source``, ``tags``, ``count``)."""
    raw = []
    for index, item in enumerate(cells, start=1):
        spec = item if isinstance(item, dict) else {"source": item}
        raw.append(
            {
                "cell_type": "code",
                "source": spec["source"],
                "outputs": [],
                "metadata": {"tags": spec.get("tags", [])},
                "execution_count": spec.get("count", index if counts else None),
            }
        )
    path.write_text(json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": raw}))
    return path


def app_source(tmp_path: Path, *cells: str | dict, **options) -> str:
    result = export_notebook(notebook(tmp_path / "nb.ipynb", *cells), tmp_path / "out", **options)
    return (result.out / "app.py").read_text()


def load_app(folder: Path, env: dict | None = None) -> dict:
    """Import the exported app in a fresh interpreter; its components as the served app lists them."""
    probe = (
        "import json, runpy\n"
        "from fastapi.testclient import TestClient\n"
        "ns = runpy.run_path('app.py')\n"
        "c = TestClient(ns['app'], base_url='http://127.0.0.1', client=('127.0.0.1', 50000))\n"
        "print(json.dumps({k: [x['id'] for x in c.get('/' + k).json()] for k in ('agents', 'teams', "
        "'workflows')}))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "AGNO_NB_DB": str(folder / "t.duckdb"), **(env or {})},
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


# ------------------------------------------------------------------------------------ the notebooks


AGENT_NOTEBOOKS = [
    "dataframe_analysis",
    "hitl_and_guardrails",
    "knowledge_rag",
    "quickstart",
    "serving",
    "teams_and_workflows",
    "tools_and_structured_output",
]


@pytest.mark.parametrize(
    "name",
    [
        "quickstart",
        "teams_and_workflows",
        "tools_and_structured_output",
        "hitl_and_guardrails",
        "dataframe_analysis",
    ],
)
def test_each_notebook_exports_to_an_app_serving_its_agents(name, tmp_path):
    result = export_notebook(ROOT / "notebooks" / f"{name}.ipynb", tmp_path / name)
    source = (result.out / "app.py").read_text()
    compile(source, "app.py", "exec")
    assert source.rstrip().endswith(")") and "app = create_app(" in source
    assert "%%" not in source and "\n%" not in source and ".run(" not in source
    served = load_app(result.out)
    declared = {
        kind: [n for k, n in result.components if k == kind[:-1]] for kind in ("agents", "teams", "workflows")
    }
    assert {k: len(v) for k, v in served.items()} == {k: len(v) for k, v in declared.items()}
    assert sum(map(len, served.values())) >= 1


def test_the_quickstart_app_keeps_definitions_and_drops_exploration(tmp_path):
    result = export_notebook(ROOT / "notebooks" / "quickstart.ipynb", tmp_path / "q")
    source = (result.out / "app.py").read_text()
    assert 'name="weather"' in source and "def get_weather" in source and "class City" in source
    assert "print(" not in source and "timeline(" not in source and "await " not in source
    assert "local/smollm2" not in source  # tagged agno-skip in the notebook
    assert "analyst = Agent(" in source and "model=analyst_model" in source  # %%agent translated
    assert load_app(result.out)["agents"] == ["weather", "geo", "analyst", "chat"]


# --------------------------------------------------------------------------------- magic translation


def test_agent_magic_becomes_the_agent_the_magic_builds(shell, tmp_path):  # noqa: F811
    magic = (
        "%%agent analyst --model model --tools lookup,reasoning --output-schema Answer --markdown "
        "--description 'Reads tables' --history 5 --memory --user ana --tool-call-limit 4\n"
        'Answer from the data, quoting "numbers".\nToday is {today}; use \\n literally.'
    )
    definitions = SCRIPT + (
        "from pydantic import BaseModel\n\n"
        "class Answer(BaseModel):\n    text: str\n\n"
        "def lookup(q: str) -> str:\n    '''Look up.\n\n    Args:\n        q: what\n    '''\n"
        "    return q\n"
    )
    cell(shell, definitions)
    cell(shell, magic)
    built = shell.user_ns["analyst"]
    source = app_source(tmp_path, definitions, magic)
    namespace: dict = {}
    exec(compile(source.replace("app = create_app(", "_unused = dict("), "app.py", "exec"), namespace)
    exported = namespace["analyst"]
    for attribute in (
        "name",
        "id",
        "instructions",
        "markdown",
        "description",
        "user_id",
        "add_history_to_context",
        "num_history_runs",
        "enable_user_memories",
        "tool_call_limit",
        "output_schema",
    ):
        mine, theirs = getattr(exported, attribute), getattr(built, attribute)
        if attribute == "output_schema":
            mine, theirs = mine.__name__, theirs.__name__
        assert mine == theirs, attribute
    assert sorted(exported.functions) == sorted(built.functions)
    assert exported.model.id == built.model.id


def test_team_and_workflow_magics_become_python_that_builds_the_same(shell, tmp_path):  # noqa: F811
    definitions = SCRIPT + (
        "a = Agent(name='a', model=model)\nb = Agent(name='b', model=model)\n"
        "def ok(step_input):\n    return True\n\n"
        "def pick(step_input):\n    return 'a'\n\n"
        "def enough(outputs):\n    return True\n"
    )
    team = "%%team desk --mode route --members a,b --model model --share-interactions --max-iterations 4\nRoute it."
    flow = (
        "%%workflow pipeline\n"
        "description: a demo\n"
        "steps:\n"
        "  - a\n"
        "  - step: b\n    name: second\n    max_retries: 2\n"
        "  - parallel: [{step: a, name: p1}, {step: b, name: p2}]\n"
        "  - loop: {steps: [{step: a, name: l1}], max_iterations: 2, end_condition: enough}\n"
        "  - condition: {if: ok, then: [{step: a, name: c1}], else: [{step: b, name: c2}]}\n"
        "  - router: {selector: pick, choices: [{step: a, name: r1}, {step: b, name: r2}]}\n"
    )
    for code in (definitions, team, flow):
        cell(shell, code)
    source = app_source(tmp_path, definitions, team, flow)
    assert "Team(" in source and "Workflow(" in source and "workflow_from_yaml" not in source
    namespace: dict = {}
    exec(compile(source.replace("app = create_app(", "_unused = dict("), "app.py", "exec"), namespace)
    mine, theirs = namespace["desk"], shell.user_ns["desk"]
    assert (
        mine.mode,
        [m.name for m in mine.members],
        mine.max_iterations,
        mine.share_member_interactions,
    ) == (
        theirs.mode,
        [m.name for m in theirs.members],
        theirs.max_iterations,
        theirs.share_member_interactions,
    )

    def shape(steps):
        return [
            (
                s.kind,
                s.name,
                shape(getattr(s, "steps", None) or []),
                shape(getattr(s, "else_steps", None) or []),
            )
            for s in steps
        ]

    assert shape(namespace["pipeline"].steps) == shape(shell.user_ns["pipeline"].steps)
    assert namespace["pipeline"].description == shell.user_ns["pipeline"].description == "a demo"
    assert load_app(tmp_path / "out") == {"agents": ["a", "b"], "teams": ["desk"], "workflows": ["pipeline"]}


def test_knowledge_magic_becomes_knowledge_and_its_sources(tmp_path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "faq.md").write_text("# FAQ\nThe ring blinks when offline.\n")
    source = app_source(
        tmp_path,
        SCRIPT + "import pandas as pd\nrows = pd.DataFrame({'t': ['x']})\n",
        "%%knowledge kb --chunker markdown --metadata team=ops,year=2026 --rerank\n"
        "docs  # a folder\nhttps://example.com/faq\nrows text=t\n",
        "%%agent helper --model model --knowledge kb\nUse the knowledge.",
    )
    assert 'kb = Knowledge("kb", **chroma_location("kb"), chunker="markdown", reranker=True)' in source
    assert '{"path": data_path("docs"), "metadata": {"team": "ops", "year": 2026}}' in source
    assert '{"url": "https://example.com/faq"' in source and '"dataframe": rows' in source
    assert "knowledge=kb" in source and "knowledge=[kb]" in source
    assert 'DATA_DIR = ".."' in source


def test_instructions_round_trip_whatever_they_hold(tmp_path):
    body = 'Say """hi""" and \\n {x} C:\\path ends with a quote"'
    source = app_source(tmp_path, SCRIPT, f"%%agent odd --model model\n{body}")
    namespace: dict = {}
    exec(compile(source.replace("app = create_app(", "_unused = dict("), "app.py", "exec"), namespace)
    assert namespace["odd"].instructions == body


# -------------------------------------------------------------------------------------- selection


def test_exploration_is_dropped_and_what_it_bound_with_it(tmp_path):
    source = app_source(
        tmp_path,
        "%load_ext agno_nb\n!pip list\n"
        + SCRIPT
        + "agent = Agent(name='a', model=model)\nout = agent.run('hi')\n",
        "print(out.content)\nfor event in agent.run('x', stream=True):\n    print(event)\nsummary = out.content\n",
        "%%ask a\nHello?",
        "df = {'k': 1}\ndf\ndisplay(df)\nlimit = 3  # agno: keep is not needed for plain assignments",
        {"source": "noise = agent.run('ignored')\n", "tags": ["agno-skip"]},
        "# agno: skip\nthrowaway = 1\n",
        {"source": "kept = 2\nprint('kept as written')\n", "tags": ["agno-keep"]},
    )
    assert "out =" not in source and "summary" not in source and "print(out" not in source
    assert (
        "%load_ext" not in source
        and "pip" not in source
        and "Hello?" not in source
        and "throwaway" not in source
    )
    assert "df = {'k': 1}" in source and "limit = 3" in source and "display(" not in source
    assert "kept = 2\nprint('kept as written')" in source


def test_a_parameters_cell_reads_the_environment(tmp_path):
    params = {
        "source": "top_n = 5\nratio = 0.5\nverbose = True\nregion = 'EU'\nlabels = ['a', 'b']\n",
        "tags": ["parameters"],
    }
    result = export_notebook(
        notebook(tmp_path / "p.ipynb", params, SCRIPT + "agent = Agent(name='a', model=model)"),
        tmp_path / "out",
    )
    source = (result.out / "app.py").read_text()
    assert 'top_n = int(os.environ.get("TOP_N", "5"))' in source
    probe = (
        "import runpy; ns = runpy.run_path('app.py'); print(ns['top_n'], ns['ratio'], ns['verbose'], "
        "ns['region'], ns['labels'])"
    )
    env = {
        **os.environ,
        "TOP_N": "9",
        "VERBOSE": "no",
        "LABELS": '["x"]',
        "AGNO_NB_DB": str(tmp_path / "d.duckdb"),
    }
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=result.out, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.stdout.split() == ["9", "0.5", "False", "EU", "['x']"], done.stderr[-2000:]
    example = (result.out / ".env.example").read_text()
    assert "TOP_N" in example and "REGION" in example


# ---------------------------------------------------------------------------------------- checks


@pytest.mark.parametrize(
    "secret, what",
    [
        ("key = 'sk-proj-abcdefghijklmnopqrstuvwx1234'", "API key"),
        ("db = 'postgresql://ana:hunter22@db.example.com/app'", "password"),
        ("password = 'correct horse battery'", "password"),
    ],
)
def test_a_literal_secret_is_refused_naming_the_cell_and_line(tmp_path, secret, what):
    with pytest.raises(ExportError) as caught:
        app_source(tmp_path, SCRIPT, f"import os\n\n{secret}\nagent = Agent(name='a', model=model)")
    message = str(caught.value)
    assert "cell 2, line 3" in message and what in message and "os.environ" in message
    assert not (tmp_path / "out").exists()


def test_a_secret_read_from_the_environment_or_in_dropped_code_is_fine(tmp_path):
    app_source(
        tmp_path,
        SCRIPT + "import os\nkey = os.environ.get('OPENAI_API_KEY')\nagent = Agent(name='a', model=model)",
        "print('sk-proj-abcdefghijklmnopqrstuvwx1234')",
    )


def test_warnings_for_order_never_run_and_undefined_names(tmp_path):
    result = export_notebook(
        notebook(
            tmp_path / "w.ipynb",
            {"source": SCRIPT, "count": 3},
            {"source": "agent = Agent(name='a', model=model, tools=[helper_from_kernel])", "count": 1},
            {"source": "extra = 1", "count": None},
        ),
        tmp_path / "out",
    )
    text = "\n".join(result.warnings)
    assert "cell 2 ran before cell 1" in text
    assert "cells 3 were never run" in text
    assert "helper_from_kernel" in text and "no exported cell defines" in text


def test_an_unnamed_agent_is_not_served_and_the_warning_says_why(tmp_path):
    result = export_notebook(
        notebook(tmp_path / "u.ipynb", SCRIPT + "x = Agent(model=model)\ny = Agent(name='y', model=model)"),
        tmp_path / "out",
    )
    assert result.components == [("agent", "y")]
    assert any("`x` has no name=" in w for w in result.warnings)


@pytest.mark.parametrize(
    "make, expected",
    [
        (lambda p: p.write_text("not json"), "not valid JSON"),
        (lambda p: p.write_text(json.dumps({"nbformat": 3, "worksheets": [], "cells": []})), "nbformat 3"),
        (lambda p: notebook(p, "x = 1"), "defines no agent"),
        (
            lambda p: notebook(p, SCRIPT, "%%agent a --history many\nHi"),
            "cell 2, line 1: %%agent: argument --history",
        ),
        (
            lambda p: notebook(
                p, "import not_a_package_here\n" + SCRIPT + "a = Agent(name='a', model=model)"
            ),
            "cell 1, line 1: imports `not_a_package_here`, which is not installed",
        ),
        (
            lambda p: notebook(p, SCRIPT + "a = Agent(name='a', model=model\n"),
            "cell 1, line 4: not valid Python",
        ),
    ],
)
def test_bad_notebooks_get_one_clear_error(tmp_path, make, expected):
    path = tmp_path / "bad.ipynb"
    make(path)
    with pytest.raises(ExportError) as caught:
        export_notebook(path, tmp_path / "out")
    assert expected in str(caught.value)
    assert not (tmp_path / "out").exists()


# ---------------------------------------------------------------------------------------- folder


def test_the_export_is_byte_identical_each_time(tmp_path):
    path = ROOT / "notebooks" / "teams_and_workflows.ipynb"
    first = export_notebook(path, tmp_path / "one")
    second = export_notebook(path, tmp_path / "two")
    assert first.files == second.files
    for name in first.files:
        assert (first.out / name).read_bytes() == (second.out / name).read_bytes(), name


def test_an_existing_folder_is_refused_unless_forced_and_foreign_files_survive(tmp_path):
    path = notebook(tmp_path / "f.ipynb", SCRIPT + "a = Agent(name='a', model=model)")
    out = tmp_path / "out"
    export_notebook(path, out)
    (out / "notes.txt").write_text("mine")
    with pytest.raises(ExportError, match="--force"):
        export_notebook(path, out)
    notebook(path, SCRIPT + "b = Agent(name='b', model=model)")
    result = export_notebook(path, out, force=True)
    assert (out / "notes.txt").read_text() == "mine"
    assert "b = Agent(name='b'" in (out / "app.py").read_text()
    assert "notes.txt" not in result.files


def test_include_data_copies_the_knowledge_files(tmp_path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "a.md").write_text("# A\ntext\n")
    result = export_notebook(
        notebook(
            tmp_path / "k.ipynb",
            SCRIPT,
            "%%knowledge kb\ndocs/\n",
            "%%agent a --model model --knowledge kb\nHi",
        ),
        tmp_path / "out",
        include_data=True,
    )
    assert "data/docs/a.md" in result.files
    assert (result.out / "data" / "docs" / "a.md").read_text() == "# A\ntext\n"
    assert 'DATA_DIR = "data"' in (result.out / "app.py").read_text()
    assert "COPY --chown=app:app data ./data" in (result.out / "Dockerfile").read_text()


# -------------------------------------------------------------------------------------- commands


def test_the_cli_exports_and_reports(tmp_path):
    path = notebook(tmp_path / "c.ipynb", SCRIPT + "a = Agent(name='a', model=model)")
    done = subprocess.run(
        [sys.executable, "-m", "agno_nb.cli", "export", str(path), "--out", str(tmp_path / "o")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "app.py" in done.stdout and "serves: agent a" in done.stdout
    again = subprocess.run(
        [sys.executable, "-m", "agno_nb.cli", "export", str(path), "--out", str(tmp_path / "o")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert again.returncode == 2 and again.stderr.count("\n") == 1 and "--force" in again.stderr


def test_agno_export_magic_exports_the_named_notebook(shell, tmp_path):  # noqa: F811
    path = notebook(tmp_path / "m.ipynb", SCRIPT + "a = Agent(name='a', model=model)")
    shown = cell(shell, f"%agno export {path} --out {tmp_path / 'magic_out'}")
    assert "serves: agent a" in shown.stdout and (tmp_path / "magic_out" / "app.py").exists()


def test_agno_export_magic_finds_the_notebook_jupyter_runs(shell, tmp_path, monkeypatch):  # noqa: F811
    notebook(tmp_path / "here.ipynb", SCRIPT + "a = Agent(name='a', model=model)")
    monkeypatch.setenv("JPY_SESSION_NAME", "projects/here.ipynb")  # the path from the server's root
    shown = cell(shell, "%agno export")
    assert "exported here.ipynb" in shown.stdout and (tmp_path / "here_app" / "app.py").exists()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_agno_nb_serve_serves_a_notebook_directly(tmp_path):
    path = notebook(tmp_path / "s.ipynb", SCRIPT + "greeter = Agent(name='greeter', model=model)")
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "agno_nb.cli", "serve", str(path), "--port", str(port)],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env={**os.environ, "AGNO_NB_DB": str(tmp_path / "s.duckdb")},
    )
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            deadline = time.monotonic() + 60
            while True:
                assert server.poll() is None, server.stderr.read().decode()[-2000:]
                try:
                    if client.get("/health").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert time.monotonic() < deadline
                time.sleep(0.2)
            answer = client.post("/agents/greeter/runs", data={"message": "hi"}).json()
            assert answer["content"] == "hello from the app"
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_agno_nb_mcp_serves_a_notebook_over_stdio(tmp_path):
    from agno_nb import Agent, ScriptedModel
    from agno_nb.models.scripts import text, tool_call
    from agno_nb.tools.mcp import MCPTools

    path = notebook(tmp_path / "m.ipynb", SCRIPT + "greeter = Agent(name='greeter', model=model)")
    remote = MCPTools(f"{sys.executable} -m agno_nb.cli mcp {path}")
    try:
        outer = Agent(model=ScriptedModel([tool_call("greeter", input="hi"), text("relayed")]), tools=[remote])
        out = outer.run("ask the notebook's agent")
        assert out.status == "completed" and out.tools[0].result == "hello from the app"
    finally:
        remote.close()
