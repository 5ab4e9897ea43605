"""Agno programs run on agno_nb with their imports rewritten (issue 10).

Each file in ``tests/agno_programs/`` is plain Agno code (``run_under_agno.py`` runs them under Agno
itself, for the record). Here each one is rewritten the way a user would (``agno.`` -> ``agno_nb.``,
``from agno `` -> ``from agno_nb ``) and run as ``__main__`` against the loopback OpenAI-compatible
server; its own asserts plus the checks in ``agno_programs/_programs.py`` say whether it did its job.
"""

from __future__ import annotations

import os
import re
import runpy
import subprocess
import sys
from pathlib import Path

import pytest

from agno_programs import _programs
from agno_programs._scripted import program_files, register_all, reset_log, verify

PROGRAMS = program_files()


def rewrite_imports(source: str) -> str:
    """What a user does to move a file from Agno to agno_nb: ``agno.`` -> ``agno_nb.`` and
    ``from agno `` -> ``from agno_nb ``, nothing else."""
    source = re.sub(r"\bagno\.", "agno_nb.", source)
    return re.sub(r"\bfrom agno ", "from agno_nb ", source)


@pytest.fixture(scope="module")
def program_server(scripted_server):
    register_all()
    return scripted_server


@pytest.fixture
def program_env(program_server, tmp_path, monkeypatch):
    """A fresh working folder and the environment an Agno user sets for an OpenAI-compatible server."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("OPENAI_BASE_URL", program_server.url)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-scripted")
    monkeypatch.delenv("OPENAI_API_BASE", raising=False)
    monkeypatch.delenv("AGNO_NB_DB", raising=False)
    return tmp_path


def _needs(entry, request, monkeypatch) -> None:
    if "postgres" in entry.needs:
        server = request.getfixturevalue("postgres_server")
        dsn = server.create_database(f"agno_{entry.name}")
        monkeypatch.setenv("DB_URL", dsn.replace("postgresql://", "postgresql+psycopg://", 1))


def test_rewrite_is_mechanical():
    before = ("from agno.agent import Agent\nfrom agno import agent\nimport agno.db.sqlite\n"
              "# see docs.agno.com and agno_nb.x\n")
    assert rewrite_imports(before) == ("from agno_nb.agent import Agent\nfrom agno_nb import agent\n"
                                       "import agno_nb.db.sqlite\n# see docs.agno_nb.com and agno_nb.x\n")


def test_every_program_has_scripts_and_there_are_enough():
    assert len(PROGRAMS) >= 24
    assert sorted(_programs.PROGRAMS) == PROGRAMS


@pytest.mark.parametrize("name", PROGRAMS)
def test_program(name, program_env, request, monkeypatch, capsys):
    entry = _programs.PROGRAMS[name]
    _needs(entry, request, monkeypatch)
    rewritten = program_env / f"{name}.py"  # tracebacks show the code that ran
    rewritten.write_text(rewrite_imports(entry.path.read_text()))
    reset_log()
    runpy.run_path(str(rewritten), run_name="__main__")  # as `python file.py` does: a fresh __main__
    verify(entry, capsys.readouterr().out)


def test_a_rewritten_file_runs_as_a_script(program_env):
    """The same, the way a person runs it: the rewritten file in a fresh interpreter."""
    entry = _programs.PROGRAMS["agent_with_tools"]
    script = Path(program_env) / "agent_with_tools.py"
    script.write_text(rewrite_imports(entry.path.read_text()))
    reset_log()
    result = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120,
                            env=dict(os.environ))
    assert result.returncode == 0, result.stderr[-3000:]
    verify(entry, result.stdout)
