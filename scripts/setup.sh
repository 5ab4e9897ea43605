#!/usr/bin/env bash
# Create .venv (if needed) and install agno_nb with the given extras. Idempotent and quiet.
#   scripts/setup.sh notebook        # what the quickstart needs
#   scripts/setup.sh test            # what the test suite needs
set -euo pipefail
cd "$(dirname "$0")/.."
extras="${1:-notebook}"
python="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
    echo "setup: creating .venv with $($python --version)"
    "$python" -m venv .venv
    .venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
fi
stamp=".venv/.installed-$extras-$(cat pyproject.toml | sha1sum | cut -c1-12)"
if [ ! -f "$stamp" ]; then
    echo "setup: installing agno_nb[$extras] into .venv"
    .venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".[$extras]" 2>&1 \
        | grep -v "^WARNING: Location" || true
    .venv/bin/python -c "import agno_nb" # fail loudly if the install did not work
    touch "$stamp"
fi
