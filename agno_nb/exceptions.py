"""Agno's ``agno.exceptions``: the guardrail errors and model errors Agno code catches, as agno_nb's classes.

``InputCheckError`` / ``OutputCheckError`` are agno_nb's guardrail trips (a run they stop ends ``blocked``);
the model errors map onto agno_nb's ``ModelError`` family.
"""

from .agent.hooks import CheckTrigger, InputCheckError, OutputCheckError
from .errors import AgnoNBError as AgnoError
from .errors import AuthenticationError as ModelAuthenticationError
from .errors import ModelError as ModelProviderError
from .errors import ProviderError as RetryableModelProviderError
from .errors import RateLimitError as ModelRateLimitError

__all__ = ["AgnoError", "CheckTrigger", "InputCheckError", "OutputCheckError", "ModelProviderError",
           "ModelRateLimitError", "ModelAuthenticationError", "RetryableModelProviderError"]
