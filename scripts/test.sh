#!/usr/bin/env bash
# Install everything the tests need, then run them: the pytest suite and every notebook (nbval).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh test
bash scripts/system-packages.sh
npm ci --prefix tests/npm --no-audit --no-fund --loglevel=error  # MCP test servers (server-everything)
npm test --silent  # the JupyterLab extension's unit tests (vitest); setup.sh built it from source
export LITELLM_LOCAL_MODEL_COST_MAP=True HF_HUB_OFFLINE=1
.venv/bin/python -m pytest -q -p no:cacheprovider tests "$@"
.venv/bin/python -m pytest -q -p no:cacheprovider --nbval-lax notebooks
