"""Agno's ``agno.workflow.router`` path: ``Router`` (defined in ``agno_nb.workflow.steps``)."""

from .steps import Router

__all__ = ["Router"]
