"""``%%agent NAME --knowledge KB``: the agent searches the notebook's knowledge base ``KB`` (see ``%%knowledge``)."""

from __future__ import annotations

from typing import Any

from .knowledge_magics import knowledge_from_namespace
from .magics import add_agent_option


def _apply_knowledge(args: Any, agent_kwargs: dict[str, Any], magics: Any) -> None:
    if args.knowledge:
        agent_kwargs["knowledge"] = knowledge_from_namespace(magics.ns, args.knowledge)


add_agent_option("--knowledge", apply=_apply_knowledge, help="a knowledge base of the notebook (see %%knowledge)")
