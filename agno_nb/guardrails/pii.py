"""PII detection: emails, phone numbers, credit cards (Luhn-checked), IBANs (mod-97-checked), US SSNs.

``mode="block"`` stops the run (the stored input is the masked text, so the PII is not kept either);
``mode="mask"`` replaces each finding with a placeholder and lets the run go on.
"""

from __future__ import annotations

import re
from typing import Callable, Iterable

from .base import Guardrail

__all__ = ["PIIGuardrail", "find_pii"]

_EMAIL = re.compile(r"(?<![\w.+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}(?![\w-])")
_CARD = re.compile(r"(?<![\d-])(?:\d[ -]?){12,18}\d(?![\d-])")
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?\b")
_SSN = re.compile(r"(?<![\d-])(?!000|666|9\d\d)\d{3}-(?!00)\d{2}-(?!0000)\d{4}(?![\d-])")
_PHONE = re.compile(r"(?<![\w+(])(?:\+\d{1,3}[ .-]?)?(?:\(\d{1,4}\)[ .-]?)?\d{1,4}(?:[ .-]\d{1,4}){1,5}(?![\w])"
                    r"|(?<![\w+(])(?:\+\d{1,3}[ .-]?)?\(\d{1,4}\)[ .-]?\d{2,4}(?:[ .-]\d{2,4}){1,3}(?![\w])")
#: 125.000.000 or 331 900 000: an amount with thousands separators, not a phone number
_THOUSANDS = re.compile(r"^\d{1,3}(?:([ .,])\d{3})(?:\1\d{3})*$")


def _luhn(digits: str) -> bool:
    total, parity = 0, len(digits) % 2
    for i, ch in enumerate(digits):
        d = int(ch)
        if i % 2 == parity:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def _iban_ok(text: str) -> bool:
    compact = text.replace(" ", "")
    if not 15 <= len(compact) <= 34:
        return False
    rearranged = compact[4:] + compact[:4]
    number = "".join(str(int(ch, 36)) for ch in rearranged)
    return int(number) % 97 == 1


def _card_ok(text: str) -> bool:
    digits = re.sub(r"\D", "", text)
    return 13 <= len(digits) <= 19 and _luhn(digits)


def _phone_ok(text: str) -> bool:
    digits = re.sub(r"\D", "", text)
    if not 9 <= len(digits) <= 15 or _THOUSANDS.match(text.strip()):
        return False
    # A bare run of digit groups needs a phone-like shape: a +country code, an (area code), or at
    # least three groups (dates and ids like 2026-11-24 or 12-345 are not phones).
    return text.lstrip().startswith(("+", "(")) or len(re.findall(r"\d+", text)) >= 3


#: entity -> (pattern, validator, placeholder); checked in this order, so a card is not also a phone
_ENTITIES: dict[str, tuple[re.Pattern, Callable[[str], bool], str]] = {
    "email": (_EMAIL, lambda _: True, "[EMAIL]"),
    "iban": (_IBAN, _iban_ok, "[IBAN]"),
    "credit_card": (_CARD, _card_ok, "[CREDIT_CARD]"),
    "ssn": (_SSN, lambda _: True, "[SSN]"),
    "phone": (_PHONE, _phone_ok, "[PHONE]"),
}


def find_pii(text: str, entities: Iterable[str] = tuple(_ENTITIES)) -> list[tuple[str, int, int]]:
    """``(entity, start, end)`` for every PII finding, without overlaps (earlier entities win)."""
    found: list[tuple[str, int, int]] = []
    taken: list[tuple[int, int]] = []
    for entity in _ENTITIES:
        if entity not in entities:
            continue
        pattern, valid, _ = _ENTITIES[entity]
        for match in pattern.finditer(text):
            start, end = match.span()
            if valid(match.group()) and not any(s < end and start < e for s, e in taken):
                found.append((entity, start, end))
                taken.append((start, end))
    return sorted(found, key=lambda f: f[1])


class PIIGuardrail(Guardrail):
    """Detects personal data in the input (or output) and blocks or masks it."""

    name = "pii"

    def __init__(self, mode: str = "block", entities: Iterable[str] | None = None):
        if mode not in ("block", "mask"):
            raise ValueError(f"PIIGuardrail mode must be 'block' or 'mask', got {mode!r}.")
        unknown = set(entities or ()) - set(_ENTITIES)
        if unknown:
            raise ValueError(f"Unknown PII entities {sorted(unknown)}; known: {sorted(_ENTITIES)}.")
        self.mode = mode
        self.entities = tuple(entities or _ENTITIES)

    def check(self, text: str) -> str | None:
        found = find_pii(text, self.entities)
        if not found:
            return None
        kinds = sorted({entity for entity, _, _ in found})
        return f"found {len(found)} piece(s) of personal data: {', '.join(kinds)}"

    def mask(self, text: str) -> str:
        pieces, last = [], 0
        for entity, start, end in find_pii(text, self.entities):
            pieces += [text[last:start], _ENTITIES[entity][2]]
            last = end
        return "".join(pieces) + text[last:]

    def transform(self, text: str) -> str | None:
        return self.mask(text) if self.mode == "mask" else None

    def redacted(self, text: str) -> str | None:
        return self.mask(text)
