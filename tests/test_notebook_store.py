"""The notebook's default store: a DuckDB file per notebook, one held connection while it is in use,
and another process (a second kernel, ``agno-nb serve``) still writes within a fraction of a second."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time

import pytest

from agno_nb import Agent, ScriptedModel
from agno_nb.storage.duckdb import DuckDBStore

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_a_shared_store_keeps_one_connection_across_runs_and_every_run_is_on_disk(tmp_path):
    path = tmp_path / "nb.agno.duckdb"
    store = DuckDBStore(path, shared=True)
    agent = Agent(model=ScriptedModel(["ok"], cycle=True), db=store)
    for i in range(20):
        agent.run(f"q{i}", session_id="s")
    assert store.connects == 1
    # on disk as each run returned: a reader in another process sees all 20 while we still hold the file
    code = ("import duckdb, sys; con = duckdb.connect(sys.argv[1], read_only=True); "
            "print(con.execute('SELECT count(*) FROM runs').fetchone()[0])")
    store._release()  # DuckDB refuses even readers while a writer holds the file: let go as asked
    out = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "20", out.stderr
    store.close()


_OTHER_KERNEL = """
    import sys, time
    from agno_nb.storage.duckdb import DuckDBStore
    from agno_nb.storage.records import RunRecord
    store = DuckDBStore(sys.argv[1], shared=True, lock_timeout=20)
    t0 = time.monotonic()
    store.save_run(RunRecord("from-the-other-kernel", "s2", status="completed"))
    print(f"{time.monotonic() - t0:.3f}")
    store.close()
"""


def test_another_process_writes_while_this_one_holds_the_file(tmp_path):
    path = tmp_path / "nb.agno.duckdb"
    store = DuckDBStore(path, shared=True, idle_release=600)  # would hold it for ten minutes if not asked
    agent = Agent(model=ScriptedModel(["ok"], cycle=True), db=store)
    agent.run("first", session_id="s")
    assert store._con is not None  # held
    env = {**os.environ, "PYTHONPATH": ROOT}
    other = subprocess.run([sys.executable, "-c", textwrap.dedent(_OTHER_KERNEL), str(path)], capture_output=True,
                           text=True, timeout=60, env=env)
    assert other.returncode == 0, other.stderr
    waited = float(other.stdout.strip())
    assert waited < 5, waited  # asked, not timed out (the note is seen within 0.1 s of the next check)
    agent.run("second", session_id="s")  # and we take it back
    assert {r.run_id for r in store.list_runs()} >= {"from-the-other-kernel"} and len(store.list_runs()) == 3
    assert not os.path.exists(str(path) + ".wait")
    store.close()


def test_an_idle_shared_store_lets_go_of_the_file(tmp_path):
    store = DuckDBStore(tmp_path / "idle.duckdb", shared=True, idle_release=0.2)
    store.schema_version()
    assert store._con is not None
    end = time.monotonic() + 10
    while store._con is not None and time.monotonic() < end:
        time.sleep(0.05)
    assert store._con is None
    assert store.schema_version() >= 1 and store.connects == 2
    store.close()


@pytest.mark.parametrize(("session_name", "expected"), [
    ("analysis/Sales Q3.ipynb", "Sales Q3.agno.duckdb"),
    ("notebook.ipynb", "notebook.agno.duckdb"),
    (None, "agno.duckdb"),
])
def test_each_notebook_gets_its_own_store_file(tmp_path, monkeypatch, session_name, expected):
    from IPython.core.interactiveshell import InteractiveShell

    from agno_nb import storage
    from agno_nb.notebook import default_store_path

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("AGNO_NB_DB", raising=False)
    if session_name is None:
        monkeypatch.delenv("JPY_SESSION_NAME", raising=False)
    else:
        monkeypatch.setenv("JPY_SESSION_NAME", session_name)
    monkeypatch.setattr(storage, "_default", None)
    assert default_store_path({}) == expected
    assert default_store_path({"__vsc_ipynb_file__": "/x/y/Report.ipynb"}) == "Report.agno.duckdb"
    shell = InteractiveShell.instance()
    try:
        shell.run_line_magic("load_ext", "agno_nb")
        store = storage.default_store()
        assert store.location == expected and store.shared
    finally:
        shell.run_line_magic("unload_ext", "agno_nb")
        storage._default = None
        InteractiveShell.clear_instance()
