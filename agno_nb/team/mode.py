"""Agno's ``agno.team.mode`` path: ``TeamMode`` (defined in ``agno_nb.team.team``)."""

from .team import TeamMode

__all__ = ["TeamMode"]
