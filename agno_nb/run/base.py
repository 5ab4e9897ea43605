"""Agno's ``agno.run.base``: ``RunStatus`` and ``RunContext``."""

from ..run_context import RunContext
from ..run_output import RunStatus

__all__ = ["RunContext", "RunStatus"]
