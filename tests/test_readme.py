"""Every README snippet pastes and runs as it is, offline: each ``python`` block in a fresh interpreter,
the ``ipython`` blocks as the cells of one notebook (a real IPython shell with the extension)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
_BLOCK = re.compile(r"^```(\w+)\n(.*?)^```", re.S | re.M)


def blocks(language: str) -> list[str]:
    return [code for lang, code in _BLOCK.findall((ROOT / "README.md").read_text()) if lang == language]


def test_the_readme_has_the_snippets_this_test_runs():
    assert len(blocks("python")) >= 1 and len(blocks("ipython")) >= 4
    assert {lang for lang, _ in _BLOCK.findall((ROOT / "README.md").read_text())} <= {"python", "ipython", "bash"}


@pytest.mark.parametrize("code", blocks("python"), ids=lambda code: code.splitlines()[0][:40])
def test_python_snippets_run_as_pasted(code, tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AGNO_NB_", "OPENAI_"))}
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=120,
                         env={**env, "PYTHONPATH": str(ROOT)})
    assert out.returncode == 0, out.stderr[-3000:]


def test_notebook_snippets_run_as_cells(tmp_path, monkeypatch):
    from IPython.core.interactiveshell import InteractiveShell
    from IPython.utils.capture import capture_output

    from agno_nb import storage

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("AGNO_NB_DB", raising=False)
    monkeypatch.setattr(storage, "_default", None)
    InteractiveShell.clear_instance()
    shell = InteractiveShell.instance()
    try:
        for code in blocks("ipython"):
            with capture_output() as captured:
                result = shell.run_cell(code)
            assert result.success, (code, result.error_before_exec or result.error_in_exec, captured.stderr)
        answer = shell.user_ns["answer"]
        assert answer.ok and "APAC" in answer.content
        assert "region (" in answer.messages[0]["content"] or "q4" in str(answer.messages)
    finally:
        shell.run_line_magic("unload_ext", "agno_nb")
        store = storage._default
        storage._default = None
        if store is not None:
            store.close()
        InteractiveShell.clear_instance()
