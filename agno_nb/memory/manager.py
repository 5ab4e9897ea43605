"""User memories: facts about a user kept across sessions, curated by a model.

``MemoryManager`` asks a model to add, update or delete memories given new messages (automatic mode,
after each run, in the background) or a task (agentic mode: the agent calls ``update_user_memory``).
The model works through three tools bound to one user, so it can never touch another user's
memories. Retrieval is by recency or by relevance to a query (keyword scoring; the knowledge issue
brings embeddings).
"""

from __future__ import annotations

import asyncio
import math
import re
import uuid
from typing import TYPE_CHECKING

from ..errors import ModelError
from ..storage.records import MemoryRecord

if TYPE_CHECKING:
    from ..run_events import RunOutput
    from ..models.base import Model
    from ..storage.base import Store

__all__ = ["MemoryManager", "UserMemory", "search_memories", "memories_prompt"]


class UserMemory:
    """A memory as Agno code writes one (``UserMemory(memory=..., topics=[...])``); stored as a ``MemoryRecord``."""

    __slots__ = ("memory", "memory_id", "topics", "user_id", "input", "agent_id")

    def __init__(self, memory: str, memory_id: str | None = None, topics: list[str] | None = None,
                 user_id: str | None = None, input: str | None = None, agent_id: str | None = None, **agno: object):
        self.memory = memory
        self.memory_id = memory_id
        self.topics = topics
        self.user_id = user_id
        self.input = input
        self.agent_id = agent_id

    def __repr__(self) -> str:
        return f"UserMemory({self.memory!r}, topics={self.topics!r})"

_INSTRUCTIONS = """You maintain a short list of durable facts about one user: preferences, background,
goals, constraints, names. From the input, decide what is worth remembering for future conversations.
- add_memory for a new fact; update_memory when a fact changed; delete_memory when it is no longer true
  or the user asks to forget it.
- Do not store small talk, one-off questions, or anything already in the list.
- When nothing should change, call no tool and reply "no changes"."""

_WORD = re.compile(r"\w{3,}")  # any script: Cyrillic, Greek, accented Latin...


class MemoryManager:
    """Curates user memories with a model (``model=None``: the calling agent's model)."""

    def __init__(self, model: "str | Model | None" = None, *, instructions: str | None = None,
                 max_memories_in_prompt: int = 100, db: "Store | str | None" = None,
                 additional_instructions: str | None = None):
        self.model = model
        self.instructions = instructions or _INSTRUCTIONS
        if additional_instructions:
            self.instructions = f"{self.instructions}\n{additional_instructions}"
        self.max_memories_in_prompt = max_memories_in_prompt
        #: the store memories live in when the agent has none of its own (Agno's ``MemoryManager(db=...)``)
        self.db = db

    def store(self) -> "Store":
        from ..errors import ConfigurationError
        from ..storage import default_store, open_store

        store = open_store(self.db) if self.db is not None else default_store()
        if store is None:
            raise ConfigurationError("This MemoryManager has no store: pass db=... (a DuckDBStore, PostgresStore, "
                                     "path or DSN).")
        self.db = store
        return store

    # Agno's direct memory API (user "default" when none is given)

    def get_user_memories(self, user_id: str | None = None) -> list[MemoryRecord]:
        return self.store().list_memories(user_id or "default")

    def add_user_memory(self, memory: "MemoryRecord | str", user_id: str | None = None) -> str:
        """Store a memory as given (no model involved); returns its id."""
        text = memory if isinstance(memory, str) else memory.memory
        topics = [] if isinstance(memory, str) else list(getattr(memory, "topics", None) or ())
        record = MemoryRecord(uuid.uuid4().hex[:12], user_id or "default", text, topics)
        self.store().save_memory(record)
        return record.memory_id

    def create_user_memories(self, message: str | None = None, messages: list | None = None,
                             user_id: str | None = None) -> str:
        """Let the manager's model add, change or delete the user's memories from ``message`` (or the
        user turns of ``messages``), as Agno's does; returns what it changed."""
        from .._sync import run_sync

        return run_sync(self.acreate_user_memories(message, messages, user_id))

    async def acreate_user_memories(self, message: str | None = None, messages: list | None = None,
                                    user_id: str | None = None) -> str:
        from ..errors import ConfigurationError

        texts = [message] if message else []
        for item in messages or ():
            role = item.get("role") if isinstance(item, dict) else getattr(item, "role", None)
            content = item.get("content") if isinstance(item, dict) else getattr(item, "content", None)
            if role in (None, "user") and isinstance(content, str):
                texts.append(content)
        if not texts:
            raise ConfigurationError("create_user_memories needs message=... or messages=[...] with user text.")
        if self.model is None:
            raise ConfigurationError("This MemoryManager has no model: pass model=... to create memories.")
        out = await self.aupdate(self.store(), user_id or "default", "The user said:\n" + "\n".join(texts))
        return "; ".join(f"{t.tool_name}: {t.result or t.error}" for t in out.tools) or "no changes"

    def delete_user_memory(self, memory_id: str, user_id: str | None = None) -> bool:
        return self.store().delete_memory(user_id or "default", memory_id)

    def clear_user_memories(self, user_id: str | None = None) -> int:
        store, user = self.store(), user_id or "default"
        memories = store.list_memories(user)
        for memory in memories:
            store.delete_memory(user, memory.memory_id)
        return len(memories)

    async def aupdate(self, store: "Store", user_id: str, input: str, *, model: "str | Model | None" = None,
                      agent_id: str | None = None) -> "RunOutput":
        """Let the model update ``user_id``'s memories from ``input``; return that run's output."""
        from ..tools.function import Function
        from .curator import internal_agent

        memories = await asyncio.to_thread(store.list_memories, user_id, limit=self.max_memories_in_prompt)
        known = {m.memory_id for m in memories}

        def add_memory(memory: str, topics: list[str] | None = None) -> str:
            """Remember a new fact about the user.

            Args:
                memory: the fact, as a short sentence in the third person
                topics: one-word topics, e.g. ["food", "work"]
            """
            record = MemoryRecord(uuid.uuid4().hex[:12], user_id, memory, topics or [], agent_id)
            store.save_memory(record)
            known.add(record.memory_id)
            return f"added {record.memory_id}"

        def update_memory(memory_id: str, memory: str, topics: list[str] | None = None) -> str:
            """Replace a remembered fact that changed.

            Args:
                memory_id: the id shown in brackets in the list
                memory: the new text
                topics: one-word topics
            """
            if memory_id not in known:
                return f"Error: no memory {memory_id}; ids are {sorted(known)}"
            store.save_memory(MemoryRecord(memory_id, user_id, memory, topics or [], agent_id))
            return f"updated {memory_id}"

        def delete_memory(memory_id: str) -> str:
            """Forget a fact that is no longer true or that the user wants forgotten.

            Args:
                memory_id: the id shown in brackets in the list
            """
            if not store.delete_memory(user_id, memory_id):
                return f"Error: no memory {memory_id}"
            known.discard(memory_id)
            return f"deleted {memory_id}"

        listing = "\n".join(f"- [{m.memory_id}] {m.memory}" for m in memories) or "(none yet)"
        curator = internal_agent(name="memory-manager", model=model if self.model is None else self.model,
                                 instructions=self.instructions.replace("{", "{{").replace("}", "}}")
                                 + "\n\nCurrent memories:\n" + listing.replace("{", "{{").replace("}", "}}"),
                                 tools=[Function(add_memory), Function(update_memory), Function(delete_memory)],
                                 tool_call_limit=20)
        out = await curator.arun(input, user_id=user_id)
        if out.error is not None:  # a failed curation is reported (logged in the background), never silent
            raise ModelError(f"The memory model failed, memories of user {user_id} unchanged: {out.status_reason}")
        return out


def search_memories(memories: list[MemoryRecord], query: str | None, limit: int = 5) -> list[MemoryRecord]:
    """The ``limit`` memories most relevant to ``query`` (TF-IDF over words), or the most recent."""
    if not query:
        return memories[:limit]
    docs = [set(_WORD.findall(m.memory.lower() + " " + " ".join(m.topics).lower())) for m in memories]
    terms = set(_WORD.findall(query.lower()))
    if not terms:
        return memories[:limit]
    idf = {t: math.log((1 + len(docs)) / (1 + sum(t in d for d in docs))) + 1 for t in terms}
    scored = [(sum(idf[t] for t in terms if t in d), -i, m) for i, (m, d) in enumerate(zip(memories, docs))]
    scored.sort(reverse=True)
    return [m for score, _, m in scored if score > 0][:limit] or memories[:limit]


def memories_prompt(memories: list[MemoryRecord]) -> str:
    lines = "\n".join(f"- {m.memory}" for m in memories)
    return f"<memories_about_the_user>\n{lines}\n</memories_about_the_user>" if lines else ""


