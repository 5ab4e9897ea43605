"""Run every program of this folder under Agno itself, for the record (not part of CI).

It proves that each program is correct Agno code: Agno runs it, unchanged, against the same scripted
models, and the same checks pass. Run it with agno_nb's virtualenv (it serves the scripts); the programs
run in Agno's (``benchmarks/peers/setup_agno.sh`` creates it; the Postgres program also needs
``psycopg[binary]`` there, the LiteLLM one ``litellm``):

    .venv/bin/python tests/agno_programs/run_under_agno.py [--agno-python .venv-agno/bin/python] [name ...]

Prints one line per program and a summary; the exit status is the number of failures.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT / "tests"), str(ROOT)]

from agno_programs import _imports, _programs  # noqa: E402
from agno_programs._scripted import program_files, register_all, reset_log, verify  # noqa: E402


_CHECK_IMPORTS = """
import importlib, importlib.util, re, sys
from agno_programs._imports import AGNO_IMPORTS
for module, names in AGNO_IMPORTS.items():
    try:
        found = importlib.import_module(module)
        missing = [n for n in names
                   if not hasattr(found, n) and importlib.util.find_spec(f"{module}.{n}") is None]
    except ImportError:  # a provider module whose SDK is not installed: read its source instead
        source = open(importlib.util.find_spec(module).origin).read()
        missing = [n for n in names if not re.search(rf"\\b{n}\\b", source)]
    for name in missing:
        print(f"from {module} import {name}")
"""


def check_imports(python: str, env: dict[str, str]) -> list[str]:
    """The statements of ``_imports.AGNO_IMPORTS`` that Agno cannot import (none, or the table is wrong)."""
    result = subprocess.run([python, "-c", _CHECK_IMPORTS], capture_output=True, text=True, env=env,
                            cwd=ROOT / "tests")
    if result.returncode != 0:
        return [result.stderr.strip().splitlines()[-1]]
    return result.stdout.split("\n")[:-1]


def _agno_has(python: str, module: str) -> bool:
    return subprocess.run([python, "-c", f"import {module}"], capture_output=True).returncode == 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--agno-python", default=str(ROOT / ".venv-agno" / "bin" / "python"))
    parser.add_argument("names", nargs="*", help="programs to run (default: all)")
    args = parser.parse_args()
    python = args.agno_python
    version = subprocess.run([python, "-c", "from importlib.metadata import version; print(version('agno'))"],
                             capture_output=True, text=True)
    if version.returncode != 0:
        print(f"No Agno at {python}: run benchmarks/peers/setup_agno.sh first.", file=sys.stderr)
        return 2
    print(f"Agno {version.stdout.strip()} ({python})")

    from agno_nb.models.scripted_server import serve_in_thread

    base_env = dict(os.environ, AGNO_TELEMETRY="false", PYTHONUNBUFFERED="1",
                    LITELLM_LOCAL_MODEL_COST_MAP="True")
    unknown = check_imports(python, base_env)
    print(f"{'FAIL' if unknown else 'ok  '}  import table: {len(unknown)} of "
          f"{sum(map(len, _imports.AGNO_IMPORTS.values()))} names unknown to Agno {' '.join(unknown)}")
    failures = len(unknown)

    register_all()
    server, stop = serve_in_thread()
    postgres = None
    try:
        for name in args.names or program_files():
            entry = _programs.PROGRAMS.get(name)
            if entry is None:
                print(f"FAIL  {name}: no scripts for it in _programs.py")
                failures += 1
                continue
            env = dict(base_env, OPENAI_BASE_URL=server.url, OPENAI_API_KEY="sk-scripted")
            missing = [need for need in entry.needs
                       if need in ("litellm", "psycopg") and not _agno_has(python, need)]
            if missing:
                print(f"SKIP  {name}: install {', '.join(missing)} in the Agno venv")
                continue
            if "postgres" in entry.needs:
                if postgres is None:
                    from pg_server import PostgresServer

                    postgres = PostgresServer().start()
                dsn = postgres.create_database(f"agno_{name}")
                env["DB_URL"] = dsn.replace("postgresql://", "postgresql+psycopg://", 1)
            reset_log()
            started = time.perf_counter()
            with tempfile.TemporaryDirectory(prefix=f"agno-{name}-") as cwd:
                result = subprocess.run([python, str(entry.path)], cwd=cwd, env=env, capture_output=True,
                                        text=True, timeout=300)
            elapsed = time.perf_counter() - started
            problem = None
            if result.returncode != 0:
                lines = result.stderr.strip().splitlines() or [f"exit status {result.returncode}"]
                problem = lines[-1]
            else:
                try:
                    verify(entry, result.stdout)
                except AssertionError as exc:
                    problem = str(exc).splitlines()[0]
            if problem:
                failures += 1
                print(f"FAIL  {name} ({elapsed:.1f}s): {problem}")
                if os.environ.get("VERBOSE"):
                    print(result.stdout[-4000:], result.stderr[-6000:], sep="\n")
            else:
                print(f"ok    {name} ({elapsed:.1f}s)")
    finally:
        stop()
        if postgres is not None:
            postgres.stop()
    print(f"{failures} failed" if failures else "all passed")
    return failures


if __name__ == "__main__":
    sys.exit(main())
