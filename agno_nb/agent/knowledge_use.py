"""How an agent uses its ``knowledge``: through a small duck-typed protocol, so this floor never imports
``agno_nb.knowledge`` (design.md section 7).

A knowledge object provides:

- ``agent_tools(filters=, agentic_filters=, references_format=)``: the tools of agentic RAG
  (``search_knowledge=True``), e.g. ``search_knowledge_base``;
- ``async acontext(query, run_context, filters=, references_format=)``: a system-prompt section of
  references for classic RAG (``add_knowledge_to_context=True``).

Both report what they retrieved as ``KnowledgeSearched`` events through the run context. The context
search runs in the loop right after ``RunStarted`` and the input hooks (see ``add_knowledge_context``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, AsyncIterator

from ..errors import ConfigurationError

if TYPE_CHECKING:
    from ..run_events import Event
    from ..tools.function import Function
    from .agent import Agent
    from .plan import RunPlan

__all__ = ["KNOWLEDGE_OPTIONS", "configure_knowledge", "knowledge_tools", "add_knowledge_context",
           "run_knowledge_filters"]

#: the agent options of knowledge, with their defaults (Agno's names)
KNOWLEDGE_OPTIONS = {"knowledge": None, "search_knowledge": None, "add_knowledge_to_context": False,
                     "knowledge_filters": None, "enable_agentic_filters": False, "references_format": "json"}


def configure_knowledge(agent: "Agent", options: dict[str, Any]) -> None:
    """Check and set the knowledge options on ``agent`` (``search_knowledge`` defaults to on)."""
    values = {**KNOWLEDGE_OPTIONS, **options}
    knowledge = values["knowledge"]
    if knowledge is not None and not (hasattr(knowledge, "agent_tools") and hasattr(knowledge, "acontext")):
        raise ConfigurationError(f"knowledge must be an agno_nb Knowledge (or provide agent_tools() and "
                                 f"acontext()), got {type(knowledge).__name__}.")
    if values["references_format"] not in ("json", "yaml"):
        raise ConfigurationError(f"references_format must be 'json' or 'yaml', got "
                                 f"{values['references_format']!r}.")
    if values["search_knowledge"] is None:
        values["search_knowledge"] = knowledge is not None and not values["add_knowledge_to_context"]
    if knowledge is None and (values["search_knowledge"] or values["add_knowledge_to_context"]):
        raise ConfigurationError("search_knowledge / add_knowledge_to_context need knowledge=Knowledge(...).")
    for name, value in values.items():
        setattr(agent, name, value)


def run_knowledge_filters(agent: "Agent", filters: Any) -> dict[str, Any]:
    """The filters of one run (``run(..., knowledge_filters=)``): the agent's, with the run's winning key by
    key, as in Agno. The search tool and the context search read them from the run context."""
    if agent.knowledge is None:
        raise ConfigurationError("knowledge_filters= needs an agent with knowledge=Knowledge(...).")
    if not isinstance(filters, dict):
        raise ConfigurationError(f"knowledge_filters must be a dict of metadata conditions, e.g. "
                                 f"{{'team': 'data'}}, got {type(filters).__name__}.")
    return {**(agent.knowledge_filters or {}), **filters}


def knowledge_tools(agent: "Agent") -> "list[Function]":
    """The agentic RAG tools of ``agent`` (none without knowledge or with ``search_knowledge=False``)."""
    if agent.knowledge is None or not agent.search_knowledge:
        return []
    return list(agent.knowledge.agent_tools(filters=agent.knowledge_filters,
                                            agentic_filters=agent.enable_agentic_filters,
                                            references_format=agent.references_format))


async def add_knowledge_context(plan: "RunPlan") -> AsyncIterator[Event]:
    """Classic RAG: search with the run's input (after input hooks and guardrails, so a masked input is
    what is searched), put the references into the system message, and yield the search's events."""
    agent, ctx = plan.agent, plan.ctx
    dump = getattr(plan.input, "model_dump_json", None)
    query = plan.input if isinstance(plan.input, str) else dump() if dump is not None else None
    if agent.knowledge is None or not query:
        return
    filters = ctx.knowledge_filters if ctx.knowledge_filters is not None else agent.knowledge_filters
    section = await agent.knowledge.acontext(query, ctx, filters=filters,
                                             references_format=agent.references_format)
    if section:
        messages = plan.messages
        if messages and messages[0].get("role") == "system":
            messages[0] = {**messages[0], "content": f"{messages[0]['content']}\n\n{section}"}
        else:
            messages.insert(0, {"role": "system", "content": section})
            plan.own_from += 1
    while ctx.events:
        yield ctx.events.pop(0)
