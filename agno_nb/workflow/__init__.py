"""Workflows: deterministic steps with checkpoints, pauses and an audit trail."""

from .steps import Condition, Loop, Parallel, Router, Step, StepInput, StepOutput, Steps
from .workflow import Workflow

__all__ = ["Workflow", "Step", "Steps", "Parallel", "Loop", "Condition", "Router", "StepInput", "StepOutput"]
