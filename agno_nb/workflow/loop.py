"""Agno's ``agno.workflow.loop`` path: ``Loop`` (defined in ``agno_nb.workflow.steps``)."""

from .steps import Loop

__all__ = ["Loop"]
