"""Agno's ``agno.run.requirement``: what a paused run waits for (agno_nb's ``Requirement``)."""

from ..agent.hitl import Requirement as RunRequirement
from ..agent.hitl import UserInputField

__all__ = ["RunRequirement", "UserInputField"]
