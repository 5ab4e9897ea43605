"""Building the messages a run sends: the system prompt, ``{var}`` templates and the user input."""

from __future__ import annotations

import json
import string
from typing import TYPE_CHECKING, Any, Iterable

from ..errors import InputValidationError, TemplateVariableError

if TYPE_CHECKING:
    from pydantic import BaseModel

__all__ = ["Template", "build_system_prompt", "context_sections", "json_mode_hint", "user_message",
           "validate_input"]

_formatter = string.Formatter()


class Template:
    """A text with ``{name}`` fields, parsed once. ``{{`` and ``}}`` stay literal braces."""

    __slots__ = ("text", "fields", "_literal")

    def __init__(self, text: str):
        self.text = text
        try:
            self.fields = tuple(dict.fromkeys(f for _, f, _, _ in _formatter.parse(text) if f is not None))
            self._literal = None if self.fields else _formatter.vformat(text, (), {})
        except ValueError:
            # Unbalanced braces (a JSON example in the instructions, say): the text is literal.
            self.fields, self._literal = (), text

    def render(self, values: dict[str, Any]) -> str:
        if self._literal is not None:
            return self._literal
        missing = [name for name in self.fields if _root(name) not in values]
        if missing:
            key = _root(missing[0])
            raise TemplateVariableError(
                f"The instructions use {{{missing[0]}}} but no value named {key!r} was given: "
                f"pass context={{{key!r}: ...}} to the agent or the run, or put it in session_state "
                f"(available: {sorted(values) or 'none'}). Write {{{{ and }}}} for literal braces.")
        return _formatter.vformat(self.text, (), values)


def _root(field: str) -> str:
    """``user.name`` and ``items[0]`` look up ``user`` and ``items``."""
    for i, ch in enumerate(field):
        if ch in ".[":
            return field[:i]
    return field


def build_system_prompt(description: str | None, instructions: Iterable[str], *, markdown: bool,
                        tool_instructions: Iterable[str], schema_hint: str | None) -> str:
    """Assemble the system prompt template (``{var}`` fields are resolved per run)."""
    parts: list[str] = []
    if description:
        parts.append(description.strip())
    lines = [line.strip() for line in instructions if line and line.strip()]
    if len(lines) == 1:
        parts.append(lines[0])
    elif lines:
        parts.append("<instructions>\n" + "\n".join(f"- {line}" for line in lines) + "\n</instructions>")
    for text in tool_instructions:
        if text:
            parts.append(text.strip())
    if markdown:
        parts.append("Use markdown to format your answers.")
    if schema_hint:
        parts.append(schema_hint)
    return "\n\n".join(parts)


def context_sections(agent: Any, session_state: dict[str, Any], values: dict[str, Any] | None = None) -> list[str]:
    """The per-run context an agent asked for: date and time, extra context, the expected output, state,
    and the context values themselves (Agno's ``add_dependencies_to_context``)."""
    sections = []
    if agent.add_name_to_context and agent.name:
        sections.append(f"Your name is {agent.name}.")
    if agent.add_datetime_to_context:
        from datetime import datetime

        if agent.timezone:
            from zoneinfo import ZoneInfo

            now = datetime.now(ZoneInfo(agent.timezone))
        else:
            now = datetime.now().astimezone()
        sections.append(f"The current date and time is {now.strftime('%A %Y-%m-%d %H:%M %Z')}.")
    if agent.additional_context:
        sections.append(agent.additional_context.strip())
    if agent.expected_output:
        sections.append(f"<expected_output>\n{agent.expected_output.strip()}\n</expected_output>")
    if agent.add_session_state_to_context:
        state = json.dumps(session_state, default=str, ensure_ascii=False)
        sections.append(f"<session_state>\n{state}\n</session_state>")
    if agent.add_dependencies_to_context and values:
        from ..jsonsafe import dumps

        sections.append(f"<additional_context>\n{dumps(values)}\n</additional_context>")
    return sections


def json_mode_hint(schema: dict[str, Any]) -> str:
    return ("Respond with a single JSON object, and nothing else, that matches this JSON schema:\n"
            + json.dumps(schema, separators=(",", ":")).replace("{", "{{").replace("}", "}}"))


def validate_input(input: Any, schema: "type[BaseModel] | None") -> Any:
    """Check run input against ``input_schema``; return the validated object (or the input unchanged)."""
    if schema is None or isinstance(input, schema):
        return input
    from pydantic import ValidationError

    try:
        if isinstance(input, (str, bytes)):
            return schema.model_validate_json(input)
        return schema.model_validate(input)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'input'}: {e['msg']}" for e in exc.errors())
        raise InputValidationError(f"The input does not match {schema.__name__}: {problems}.") from None


def user_message(input: Any) -> dict[str, Any]:
    """The user message for a run input: text, a pydantic object or a JSON-able value."""
    if isinstance(input, str):
        return {"role": "user", "content": input}
    if isinstance(input, dict) and "role" in input and "content" in input:
        return input
    dump = getattr(input, "model_dump_json", None)
    if dump is not None:
        return {"role": "user", "content": dump()}
    return {"role": "user", "content": json.dumps(input, default=str, ensure_ascii=False)}
