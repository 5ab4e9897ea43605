"""agno_nb: a Jupyter-native multi-agent framework.

The public names are imported lazily: ``import agno_nb`` runs on every kernel start, so it must not pull
in pydantic, aiohttp, LiteLLM or anything else heavy. Each name is loaded on first access.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from .run_output import register_display

__version__ = "0.1.0"

_EXPORTS = {
    "Agent": "agno_nb.agent.agent",
    "Team": "agno_nb.team.team",
    "Workflow": "agno_nb.workflow.workflow",
    "Step": "agno_nb.workflow.steps",
    "Steps": "agno_nb.workflow.steps",
    "Parallel": "agno_nb.workflow.steps",
    "Loop": "agno_nb.workflow.steps",
    "Condition": "agno_nb.workflow.steps",
    "Router": "agno_nb.workflow.steps",
    "StepInput": "agno_nb.workflow.steps",
    "StepOutput": "agno_nb.workflow.steps",
    "RunContext": "agno_nb.run_context",
    "tool": "agno_nb.tools.decorator",
    "Function": "agno_nb.tools.function",
    "Toolkit": "agno_nb.tools.toolkit",
    "Model": "agno_nb.models.base",
    "get_model": "agno_nb.models",
    "ScriptedModel": "agno_nb.models.scripted",
    "RunOutput": "agno_nb.run_events",
    "RunStatus": "agno_nb.run_events",
    "DuckDBStore": "agno_nb.storage.duckdb",
    "PostgresStore": "agno_nb.storage.postgres",
    "set_default_store": "agno_nb.storage",
    "MemoryManager": "agno_nb.memory.manager",
    "SessionSummaryManager": "agno_nb.memory.summary",
    "Image": "agno_nb.media",
    "Audio": "agno_nb.media",
    "Video": "agno_nb.media",
    "File": "agno_nb.media",
    "ReasoningTools": "agno_nb.tools.reasoning",
    "MCPTools": "agno_nb.tools.mcp",
    "MultiMCPTools": "agno_nb.tools.mcp",
    "sessions": "agno_nb.storage.analyst",
    "runs": "agno_nb.storage.analyst",
    "events": "agno_nb.storage.analyst",
    "memories": "agno_nb.storage.analyst",
    "Knowledge": "agno_nb.knowledge",
    "ChromaDb": "agno_nb.knowledge",
}

__all__ = sorted(_EXPORTS) + ["__version__"]

if TYPE_CHECKING:
    from .agent.agent import Agent
    from .team.team import Team
    from .workflow.steps import Condition, Loop, Parallel, Router, Step, StepInput, StepOutput, Steps
    from .workflow.workflow import Workflow
    from .run_context import RunContext
    from .run_events import RunOutput, RunStatus
    from .media import Audio, File, Image, Video
    from .memory.manager import MemoryManager
    from .memory.summary import SessionSummaryManager
    from .storage import set_default_store
    from .storage.analyst import events, memories, runs, sessions
    from .storage.duckdb import DuckDBStore
    from .storage.postgres import PostgresStore
    from .models import get_model
    from .models.base import Model
    from .models.scripted import ScriptedModel
    from .tools.decorator import tool
    from .tools.function import Function
    from .tools.mcp import MCPTools, MultiMCPTools
    from .tools.reasoning import ReasoningTools
    from .tools.toolkit import Toolkit
    from .knowledge import ChromaDb, Knowledge


def _notebook_view(output: Any) -> Any:
    """How a ``RunOutput`` shows in a notebook: its trace view, loaded on first display only. The package
    is the top floor, so it may point the core at the notebook; a served app never displays anything."""
    from .notebook.trace import output_bundle

    return output_bundle(output)


register_display(_notebook_view)


def load_ipython_extension(ipython: Any) -> None:
    """``%load_ext agno_nb``: the magics, the live trace view and the notebook's store."""
    from .notebook import load_ipython_extension as load

    load(ipython)


def unload_ipython_extension(ipython: Any) -> None:
    from .notebook import unload_ipython_extension as unload

    unload(ipython)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'agno_nb' has no attribute {name!r}")
    if module.startswith("agno_nb.memory"):
        import_module("agno_nb.agent")  # memory runs its curator agents through the agent floor
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
