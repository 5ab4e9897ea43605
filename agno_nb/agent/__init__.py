"""Agents and their run loop."""

from typing import Any

from ..memory.curator import register_agent_factory
from ..run_output import RunOutput
from .agent import Agent
from .context import RunContext

# The memory floor runs its curator and summary agents through this (it must not import the agent).
register_agent_factory(Agent)

__all__ = ["Agent", "RunContext", "RunOutput"]


def __getattr__(name: str) -> Any:
    # Agno code imports its event names from here (``from agno.agent import RunEvent``).
    if name in ("RunEvent", "RunOutputEvent"):
        from ..run import agent as run_agent

        return getattr(run_agent, name)
    raise AttributeError(f"module 'agno_nb.agent' has no attribute {name!r}")
