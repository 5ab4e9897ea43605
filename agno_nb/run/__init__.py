"""Agno's ``agno.run`` paths: ``RunStatus`` and ``RunContext`` here; ``RunOutput``, ``RunInput`` and
``RunEvent`` in ``agno_nb.run.agent``; ``TeamRunOutput`` in ``.team``; ``WorkflowRunOutput`` in ``.workflow``;
``RunRequirement`` in ``.requirement``. Names only: each is agno_nb's own class.
"""

from ..run_context import RunContext
from ..run_output import RunStatus

__all__ = ["RunContext", "RunStatus"]
