"""Agno's ``agno.workflow.types`` path: ``StepInput``, ``StepOutput`` (defined in
``agno_nb.workflow.steps``)."""

from .steps import StepInput, StepOutput

__all__ = ["StepInput", "StepOutput"]
