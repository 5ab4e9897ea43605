"""Memory: session history, user memories and session summaries."""

from .manager import MemoryManager, UserMemory, search_memories
from .summary import SessionSummaryManager

__all__ = ["MemoryManager", "SessionSummaryManager", "UserMemory", "search_memories"]
