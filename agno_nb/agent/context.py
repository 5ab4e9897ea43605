"""``RunContext`` lives in ``agno_nb.run_context`` (a floor below tools, which declare it); kept here
for the imports that name it by its old place."""

from ..run_context import RunContext

__all__ = ["RunContext"]
