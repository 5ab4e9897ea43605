"""The app the two-replica tests serve (``agno-nb serve serve_replica_app:app``), over PostgreSQL
($AGNO_NB_DB).

Its models are scripted in-process, so every replica answers the same way; its tools and steps leave a
trace in ``$REPLICA_LOG`` (which step ran, in which process) and stall while ``$REPLICA_STALL`` exists.
"""

from __future__ import annotations

import asyncio
import os
import time

from agno_nb import Agent, Step, Workflow, tool
from agno_nb.models.scripted import ScriptedModel
from agno_nb.models.scripts import Turn
from agno_nb.serve import ServeSettings, create_app


def _log(what: str) -> None:
    with open(os.environ["REPLICA_LOG"], "a") as handle:
        handle.write(f"{what} {os.getpid()}\n")


async def _stall() -> None:
    # async: a blocking step would hold the replica's event loop (and every other request) with it
    deadline = time.monotonic() + 60
    while os.path.exists(os.environ["REPLICA_STALL"]) and time.monotonic() < deadline:
        await asyncio.sleep(0.05)


@tool(requires_confirmation=True)
def pay(amount: int) -> str:
    """Pay an invoice.

    Args:
        amount: in euros
    """
    _log(f"pay {amount}")
    return f"paid {amount} EUR"


def _payer(messages, tools):
    if messages[-1]["role"] == "tool":
        return Turn(f"Done: {messages[-1]['content']}")
    return Turn(None, [("pay", {"amount": 120})])


@tool
async def tick(n: int) -> str:
    """One step of slow work.

    Args:
        n: which step
    """
    await asyncio.sleep(0.15)
    return f"tick {n}"


def _ticker(messages, tools):
    done = sum(1 for m in messages if m["role"] == "tool")
    if done < 6:
        return Turn(None, [("tick", {"n": done + 1})])
    return Turn("All six steps are done, and here is a long closing sentence to stream word by word.")


def fetch(step) -> str:
    _log("fetch")
    return "rows"


async def crunch(step) -> str:
    _log("crunch")
    await _stall()
    return f"crunched {step.previous_step_content}"


def report(step) -> str:
    _log("report")
    return f"report of {step.previous_step_content}"


agents = [
    Agent(name="payer", model=ScriptedModel(_payer), tools=[pay]),
    Agent(name="ticker", model=ScriptedModel(_ticker), tools=[tick]),
]
workflows = [
    Workflow(name="pipeline", steps=[Step("fetch", fetch), Step("crunch", crunch), Step("report", report)])
]
app = create_app(
    agents=agents, workflows=workflows, settings=ServeSettings(control_poll_interval=0.1, shutdown_grace=2)
)
