"""Tools an agent gets from its own configuration: chat history, agentic memory and knowledge search."""

from __future__ import annotations

import asyncio
import json
from typing import TYPE_CHECKING

from ..errors import ConfigurationError
from ..tools.function import Function
from .context import RunContext

if TYPE_CHECKING:
    from .agent import Agent

__all__ = ["builtin_tools"]


def builtin_tools(agent: "Agent") -> list[Function]:
    tools = []
    if agent.read_chat_history:
        tools.append(_CHAT_HISTORY)
    if agent.enable_agentic_memory:
        tools.append(_UPDATE_MEMORY)
    if agent.knowledge is not None:
        from .knowledge_use import knowledge_tools

        tools.extend(knowledge_tools(agent))
    return tools


def _store_of(run_context: RunContext):
    store = run_context.agent.store()
    if store is None:
        raise ConfigurationError("this agent has no store: pass db=... to the Agent")
    return store


async def get_chat_history(run_context: RunContext, num_runs: int = 3) -> str:
    """Read the earlier messages of this conversation.

    Args:
        num_runs: how many of the latest exchanges to read
    """
    from ..memory.history import history_messages

    if not run_context.session_id:
        return "[]"
    runs = await asyncio.to_thread(_store_of(run_context).last_runs, run_context.session_id, max(1, num_runs))
    messages = [{"role": m["role"], "content": m.get("content")} for m in history_messages(runs)
                if m.get("role") in ("user", "assistant") and m.get("content")]
    return json.dumps(messages, ensure_ascii=False)


async def update_user_memory(run_context: RunContext, task: str) -> str:
    """Add, change or delete what you remember about the user.

    Args:
        task: what to remember, change or forget, in a sentence (e.g. "The user is vegetarian")
    """
    from .persistence import memory_store
    from .sessions import DEFAULT_USER

    agent = run_context.agent
    user = run_context.user_id or agent.user_id or DEFAULT_USER
    out = await agent.memory_manager.aupdate(memory_store(agent, _store_of(run_context)), user, task,
                                             model=agent.resolved_model(), agent_id=agent.id)
    changes = [f"{t.tool_name}: {t.result or t.error}" for t in out.tools]
    return "; ".join(changes) or "no changes"


_CHAT_HISTORY = Function(get_chat_history)
_UPDATE_MEMORY = Function(update_user_memory)
