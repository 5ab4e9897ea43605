"""Agents and their run loop."""

from ..memory.curator import register_agent_factory
from .agent import Agent
from .context import RunContext

# The memory floor runs its curator and summary agents through this (it must not import the agent).
register_agent_factory(Agent)

__all__ = ["Agent", "RunContext"]
