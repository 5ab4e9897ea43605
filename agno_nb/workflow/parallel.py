"""Agno's ``agno.workflow.parallel`` path: ``Parallel`` (defined in ``agno_nb.workflow.steps``)."""

from .steps import Parallel

__all__ = ["Parallel"]
