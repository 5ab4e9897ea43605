"""Agno's ``agno.workflow.step`` path: ``Step`` (defined in ``agno_nb.workflow.steps``)."""

from .steps import Step

__all__ = ["Step"]
