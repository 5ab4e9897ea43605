"""agno_nb's served app for the benchmark: one agent on the stub (``bench``), one on a slow stub script
(``hold``), with the store ``$BENCH_DB`` names (empty: none; a path: DuckDB; a DSN: PostgreSQL).

    BENCH_STUB=http://127.0.0.1:PORT/v1 BENCH_DB= uvicorn benchmarks.serve_apps.agno_nb_app:app
"""

from __future__ import annotations

import os

from agno_nb import Agent
from agno_nb.models import get_model
from agno_nb.serve import create_app

STUB = os.environ["BENCH_STUB"]
agents = [
    Agent(name="bench", model=get_model("openai/bench-text", api_base=STUB, api_key="sk-bench")),
    Agent(name="hold", model=get_model("openai/bench-hold", api_base=STUB, api_key="sk-bench")),
]
app = create_app(agents=agents, db=os.environ.get("BENCH_DB") or None, auth=False)
