"""Agno's ``agno.session`` path: ``SessionSummaryManager`` (agno_nb's), and ``AgentSession`` /
``TeamSession`` / ``WorkflowSession`` as agno_nb's one ``SessionRecord`` (what ``get_session`` returns)."""

from ..memory.summary import SessionSummaryManager
from ..storage.records import SessionRecord

__all__ = ["SessionSummaryManager", "AgentSession", "TeamSession", "WorkflowSession", "SessionRecord"]

AgentSession = TeamSession = WorkflowSession = SessionRecord
