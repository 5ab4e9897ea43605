"""Memory: session history, user memories and session summaries."""

from .manager import MemoryManager, search_memories
from .summary import SessionSummaryManager

__all__ = ["MemoryManager", "SessionSummaryManager", "search_memories"]
