"""Prompt-injection detection: weighted patterns combined into a score, compared with a threshold.

Each pattern family carries a weight (how strongly it signals an attack on its own); the score is
``1 - prod(1 - w)`` over the families found, so several weak signals add up while one strong one
suffices. The families cover instruction overrides, system-prompt extraction, persona jailbreaks
(DAN, developer mode), fake role or system markers, safety bypass requests and encoded payloads.
"""

from __future__ import annotations

import re

from .base import Guardrail

__all__ = ["PromptInjectionGuardrail", "injection_score", "PATTERNS"]

_I = re.IGNORECASE
#: (family, weight, pattern)
PATTERNS: list[tuple[str, float, re.Pattern]] = [
    # "ignore my previous message" is a person correcting themselves, not an attack: no first person
    ("override", 0.85, re.compile(r"\b(ignore|disregard|forget|override|skip)\b(?!\s+(my|our)\b)[^.\n]{0,40}"
                                  r"\b(previous|prior|above|earlier|all|any|your|the|system)\b[^.\n]{0,30}"
                                  r"\b(instructions?|prompts?|rules|directions|guidelines|context|messages?)\b"
                                  r"|\b(ignore|disregard|forget)\s+(the above|everything|all of the above|all that)\b"
                                  r"|\b(disregard|forget|ignore)\b[^.\n]{0,30}\b(you were told|you've been told|"
                                  r"you have been told|was said before)\b", _I)),
    ("new_instructions", 0.5, re.compile(r"\b(new|updated|real|actual|revised)\s+(instructions?|rules|system prompt)"
                                         r"\s*[:\-]", _I)),
    ("extraction", 0.75, re.compile(r"\b(reveal|print|show|repeat|output|leak|tell me|what (is|are))\b[^.\n]{0,40}"
                                    r"\b(system prompt|your (instructions|prompt|rules)|hidden (prompt|instructions)|"
                                    r"initial (prompt|instructions))", _I)),
    ("persona", 0.7, re.compile(r"\b(you are now|from now on,? you|act as|pretend (to be|you are)|roleplay as)\b"
                                r"[^.\n]{0,60}\b(DAN|unrestricted|unfiltered|jailbroken|evil|no (rules|limits|"
                                r"restrictions)|without (rules|limits|restrictions|filters))", _I)),
    ("jailbreak_terms", 0.6, re.compile(r"\b(jailbreak|do anything now|developer mode|god mode|DAN mode|"
                                        r"sudo mode)\b", _I)),
    ("bypass", 0.55, re.compile(r"\b(bypass|disable|turn off|circumvent|evade)\b[^.\n]{0,30}\b(safety|"
                                r"(safety|content|nsfw) filters?|guardrails?|restrictions|moderation|content policy|"
                                r"censorship)\b", _I)),
    ("fake_markers", 0.5, re.compile(r"(<\s*/?\s*(system|assistant|im_start|im_end)\s*>|\[/?(SYSTEM|INST)\]|"
                                     r"^\s*#{2,}\s*(system|instruction)s?\b|^\s*(system|assistant)\s*:)", _I | re.M)),
    ("priority", 0.35, re.compile(r"\b(most important|highest priority|top priority|must obey|you must comply)\b", _I)),
    ("encoded", 0.3, re.compile(r"\b(base64|rot13|hex)[- ]?(encoded|decode)\b|[A-Za-z0-9+/]{80,}={0,2}", _I)),
]


def injection_score(text: str) -> tuple[float, list[str]]:
    """``(score in [0, 1], families found)``."""
    keep, found = 1.0, []
    for family, weight, pattern in PATTERNS:
        if pattern.search(text):
            keep *= 1.0 - weight
            found.append(family)
    return 1.0 - keep, found


class PromptInjectionGuardrail(Guardrail):
    """Blocks input whose injection score reaches ``threshold`` (0.5 by default)."""

    name = "prompt_injection"

    def __init__(self, threshold: float = 0.5):
        if not 0.0 < threshold <= 1.0:
            raise ValueError(f"threshold must be in (0, 1], got {threshold}.")
        self.threshold = threshold

    def check(self, text: str) -> str | None:
        score, found = injection_score(text)
        if score < self.threshold:
            return None
        return f"likely prompt injection (score {score:.2f} >= {self.threshold}; signals: {', '.join(found)})"
