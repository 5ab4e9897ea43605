"""Agents and their run loop."""

from .agent import Agent
from .context import RunContext

__all__ = ["Agent", "RunContext"]
