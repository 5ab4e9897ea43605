"""Guardrails: hooks that stop a run (status ``blocked``) before bad input reaches the model, or bad
output reaches the user.

    Agent(..., pre_hooks=[PIIGuardrail(), PromptInjectionGuardrail(), ModerationGuardrail()])
"""

from ..agent.hooks import CheckTrigger, GuardrailTripped, InputCheckError, OutputCheckError, RunInput
from .agno_style import BaseGuardrail, OpenAIModerationGuardrail, PIIDetectionGuardrail
from .base import Guardrail
from .injection import PromptInjectionGuardrail, injection_score
from .moderation import ModerationGuardrail
from .pii import PIIGuardrail, find_pii

__all__ = ["Guardrail", "GuardrailTripped", "InputCheckError", "OutputCheckError", "CheckTrigger", "RunInput",
           "PIIGuardrail", "PromptInjectionGuardrail", "ModerationGuardrail", "find_pii", "injection_score",
           # Agno's names
           "BaseGuardrail", "PIIDetectionGuardrail", "OpenAIModerationGuardrail"]
