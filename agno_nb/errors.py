"""Exceptions raised by agno_nb.

Every message says what was wrong and how to fix it, because the person reading it is usually an
analyst in a notebook cell, not someone who wants to read a traceback from inside a provider SDK.
"""

from __future__ import annotations


class AgnoNBError(Exception):
    """Base class of every agno_nb error."""


class ConfigurationError(AgnoNBError, ValueError):
    """An agent, tool or model was configured with values that cannot work."""


class AccessDeniedError(ConfigurationError):
    """A session or run of another user (sessions are private to the user who created them)."""


class InputValidationError(AgnoNBError, ValueError):
    """The run input does not match the agent's ``input_schema``."""


class TemplateVariableError(AgnoNBError, KeyError):
    """An ``{name}`` in the instructions has no value in the run's context or session_state."""

    def __str__(self) -> str:  # KeyError would repr() the message
        return str(self.args[0]) if self.args else ""


class ModelError(AgnoNBError):
    """A model provider failed. ``retryable`` tells the run loop whether a retry can help."""

    retryable = False

    def __init__(self, message: str, *, status_code: int | None = None, model: str | None = None,
                 retry_after: float | None = None):
        super().__init__(message)
        self.status_code = status_code
        self.model = model
        #: seconds the provider asked us to wait before trying again (``Retry-After``), if it said
        self.retry_after = retry_after


class UnknownModelError(ModelError, ConfigurationError):
    """The model id names a provider or model that no transport can serve."""


class MissingAPIKeyError(ModelError, ConfigurationError):
    """The provider needs a key that is not in the environment (or a ``.env`` file)."""


class AuthenticationError(ModelError):
    """The provider rejected the key."""


class RateLimitError(ModelError):
    """HTTP 429 from the provider."""

    retryable = True


class ModelTimeoutError(ModelError):
    """The provider did not answer in time."""

    retryable = True


class ProviderError(ModelError):
    """HTTP 5xx or a dropped connection: transient on the provider's side."""

    retryable = True


class RunTimeoutError(ModelError, TimeoutError):
    """The run took longer than its ``run_timeout``."""


class BadRequestError(ModelError):
    """HTTP 4xx other than auth and rate limits: the request itself is wrong."""


class StopAgentRun(AgnoNBError):
    """Raised by a tool to end the run now; its message is the run's answer (Agno's name)."""

    def __init__(self, message: str = "", *args: object, **agno: object):
        super().__init__(message)
        self.message = message


class RetryAgentRun(AgnoNBError):
    """Raised by a tool to tell the model what went wrong so it tries again (Agno's name)."""

    def __init__(self, message: str = "", *args: object, **agno: object):
        super().__init__(message)
        self.message = message


class OutputValidationError(AgnoNBError):
    """The model's answer did not match ``output_schema``, even after one repair attempt."""


class ToolDefinitionError(ConfigurationError):
    """A function could not be turned into a tool (bad signature, unknown toolkit member, ...)."""
