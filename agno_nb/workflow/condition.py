"""Agno's ``agno.workflow.condition`` path: ``Condition`` (defined in ``agno_nb.workflow.steps``)."""

from .steps import Condition

__all__ = ["Condition"]
