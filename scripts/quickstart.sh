#!/usr/bin/env bash
# The main job: install everything, then run the quickstart notebook offline (scripted model).
# Set AGNO_NB_MODEL (and the provider's key) to run it against a real model instead.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh notebook
exec .venv/bin/agno-nb run notebooks/quickstart.ipynb --save notebooks/quickstart.out.ipynb
