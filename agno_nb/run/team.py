"""Agno's ``agno.run.team``: a team run's output is a ``RunOutput`` (its members' runs in
``member_responses``)."""

from ..run_events import Event, RunOutput
from .agent import RunEvent

__all__ = ["TeamRunOutput", "TeamRunEvent", "TeamRunOutputEvent"]

TeamRunOutput = RunOutput
TeamRunEvent = RunEvent
TeamRunOutputEvent = Event
