"""Agno's AgentOS (3.1.10) for the serving benchmark: the same two agents on the same stub, with or without
its SQLite store (``$BENCH_DB``: a file path, or empty). Run with the peer venv's uvicorn."""

from __future__ import annotations

import os

os.environ["AGNO_TELEMETRY"] = "false"

from agno.agent import Agent  # noqa: E402
from agno.models.openai import OpenAIChat  # noqa: E402
from agno.os import AgentOS  # noqa: E402

STUB = os.environ["BENCH_STUB"]
db = None
if os.environ.get("BENCH_DB"):
    from agno.db.sqlite import SqliteDb

    db = SqliteDb(db_file=os.environ["BENCH_DB"])
agents = [
    Agent(name="bench", id="bench", model=OpenAIChat(id="bench-text", base_url=STUB, api_key="sk-bench")),
    Agent(name="hold", id="hold", model=OpenAIChat(id="bench-hold", base_url=STUB, api_key="sk-bench")),
]
agent_os = AgentOS(agents=agents, db=db, telemetry=False)
app = agent_os.get_app()
