"""The agent that curates memories and writes summaries, supplied from the floor above.

Memories and summaries are written by a model working through tools, that is by an agent, yet
``memory/`` sits below ``agent/`` (the agent loads memories into its prompt). So the agent floor
registers its ``Agent`` class here when it loads, and this floor never imports it.
"""

from __future__ import annotations

from typing import Any, Callable

from ..errors import ConfigurationError

__all__ = ["register_agent_factory", "internal_agent"]

_factory: Callable[..., Any] | None = None


def register_agent_factory(factory: Callable[..., Any]) -> None:
    """Called by ``agno_nb.agent`` on import: ``factory(**agent_options)`` builds an agent."""
    global _factory
    _factory = factory


def internal_agent(**options: Any) -> Any:
    """An agent agno_nb runs for itself: it keeps no runs and opens no live view of its own."""
    if _factory is None:
        raise ConfigurationError("Memories and summaries are written by an agent: import agno_nb.agent (or use "
                                 "MemoryManager through an Agent) before calling it directly.")
    agent = _factory(**options)
    agent._internal = True
    return agent
