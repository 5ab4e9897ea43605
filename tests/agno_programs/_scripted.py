"""What the model says to each Agno program, and what each program must have done.

Every program in this folder talks to ``OpenAIChat(id=<name>)`` (or ``LiteLLM``) pointed at the loopback
OpenAI-compatible server (``agno_nb.models.scripted_server``); the model id names the script. Scripts
here are *responders*: they read the conversation the framework sent and answer as a cooperative
model would (call the tool the question needs, answer from the tool's result, follow the JSON format
the system prompt asks for). That is what lets one script serve Agno and agno_nb alike, although the
two frameworks word their prompts and name their internal tools differently.

Each request is logged per model, so a program's checks can look at what reached the model: that
history was in the second call, that a masked number never left the process, and so on.

The per-program scripts and checks are in ``_programs.py``. Used by ``tests/test_agno_compat.py``
(agno_nb) and ``run_under_agno.py`` (Agno, for the record).
"""

from __future__ import annotations

import json
import os
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from agno_nb.models.scripts import Turn, register_script

HERE = Path(__file__).resolve().parent

Messages = list[dict[str, Any]]
Tools = list[dict[str, Any]] | None
Responder = Callable[[Messages, Tools], Turn]

# ------------------------------------------------------------------------------------ request log

_log: dict[str, list[tuple[Messages, Tools]]] = {}
_log_lock = threading.Lock()


def reset_log() -> None:
    with _log_lock:
        _log.clear()


def requests(model: str) -> list[tuple[Messages, Tools]]:
    """Every request ``model`` got since the last ``reset_log()``: (messages, tools)."""
    with _log_lock:
        return list(_log.get(model, ()))


def all_request_text() -> str:
    """Everything any model was sent, as one string (to prove that something never left the process)."""
    with _log_lock:
        return json.dumps(_log, ensure_ascii=False)


def _logged(model: str, responder: Responder) -> Responder:
    def respond(messages: Messages, tools: Tools) -> Turn:
        with _log_lock:
            _log.setdefault(model, []).append((messages, tools))
        dump = os.environ.get("AGNO_PROGRAMS_DUMP")  # debugging aid: what each framework sends
        if dump:
            Path(dump).mkdir(parents=True, exist_ok=True)
            with open(Path(dump) / f"{model}.jsonl", "a") as fh:
                fh.write(json.dumps({"messages": messages, "tools": tools}, ensure_ascii=False) + "\n")
        return responder(messages, tools)

    return respond


# ------------------------------------------------------------------------------- conversation reading


def text_of(message: dict[str, Any]) -> str:
    content = message.get("content")
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    return " ".join(part.get("text", "") for part in content if isinstance(part, dict))


def system_text(messages: Messages) -> str:
    return "\n".join(text_of(m) for m in messages if m.get("role") in ("system", "developer"))


def last_user(messages: Messages) -> str:
    for message in reversed(messages):
        if message.get("role") == "user":
            return text_of(message)
    return ""


def user_texts(messages: Messages) -> list[str]:
    return [text_of(m) for m in messages if m.get("role") == "user"]


def this_turn(messages: Messages) -> Messages:
    """The messages after the last user message: this run's tool calls and results so far."""
    for index in range(len(messages) - 1, -1, -1):
        if messages[index].get("role") == "user":
            return messages[index + 1:]
    return messages


def tool_results(messages: Messages) -> list[str]:
    """The results of the tools called since the last user message, in order."""
    return [text_of(m) for m in this_turn(messages) if m.get("role") == "tool"]


def tool_names(tools: Tools) -> list[str]:
    return [t.get("function", {}).get("name", "") for t in tools or ()]


def tool_schema(tools: Tools, name: str) -> dict[str, Any]:
    for t in tools or ():
        if t.get("function", {}).get("name") == name:
            return t["function"].get("parameters") or {}
    raise AssertionError(f"the framework offered no tool {name!r}; it offered {tool_names(tools)}")


def call(name: str, **arguments: Any) -> Turn:
    return Turn(None, [(name, arguments)])


def calls(*pairs: tuple[str, dict[str, Any]]) -> Turn:
    return Turn(None, list(pairs))


def say(content: str) -> Turn:
    return Turn(content)


def wants_json(messages: Messages) -> bool:
    return "json" in system_text(messages).lower()


# ------------------------------------------------------------ framework plumbing a real model would handle


def memory_curator(messages: Messages, tools: Tools, fact: Callable[[str], str | None]) -> Turn | None:
    """A memory-manager request (either framework: both offer an ``add_memory`` tool): remember what
    ``fact(conversation)`` extracts, once, then say so. ``None`` when this is not such a request."""
    if "add_memory" not in tool_names(tools):
        return None
    if tool_results(messages):
        return say("Memories updated.")
    remembered = fact(" ".join(user_texts(messages) + [system_text(messages)]))
    if remembered is None:
        return say("No changes needed.")
    return call("add_memory", memory=remembered, topics=["profile"])


def session_summarizer(messages: Messages, summary: str, topics: list[str]) -> Turn | None:
    """A session-summary request: Agno's asks for JSON ``{summary, topics}`` (response_format), agno_nb's
    for plain text. ``None`` when this is not such a request."""
    prompt = system_text(messages) + " " + last_user(messages)
    if "Analyze the following conversation" in prompt:  # Agno's SessionSummaryManager
        return say(json.dumps({"summary": summary, "topics": topics}))
    if "Write the updated summary" in prompt:  # agno_nb's SessionSummaryManager
        return say(summary)
    return None


def delegation_tools(tools: Tools) -> list[str]:
    """The leader's member tools, whatever each framework calls them."""
    words = ("delegate", "transfer", "member", "forward")
    return [n for n in tool_names(tools) if any(w in n for w in words)]


def delegate(messages: Messages, tools: Tools, member: str, task: str, *, to_all: bool = False) -> Turn:
    """Call the leader's delegation tool for ``member`` (or all members), filling the arguments from the
    tool's own JSON schema and the member ids the system prompt lists, as a model reading them would."""
    names = delegation_tools(tools)
    if not names:
        raise AssertionError(f"no delegation tool among {tool_names(tools)}")
    if to_all:
        preferred = [n for n in names if "all" in n or "members" in n]
    else:
        preferred = [n for n in names if "all" not in n and not n.endswith("members")]
    name = (preferred or names)[0]
    schema = tool_schema(tools, name)
    arguments: dict[str, Any] = {}
    for prop, spec in (schema.get("properties") or {}).items():
        lowered = prop.lower()
        if "member" in lowered or lowered in ("agent", "agent_name", "name", "to", "id"):
            options = spec.get("enum") or re.findall(r'id="([^"]+)"', system_text(messages))
            arguments[prop] = _pick_member(options, member) if options else member
        elif lowered in ("task", "task_description", "input", "message", "request", "query", "instructions"):
            arguments[prop] = task
        elif lowered == "expected_output":
            arguments[prop] = "A short answer."
    return call(name, **arguments)


def _pick_member(options: list[str], member: str) -> str:
    wanted = _slug(member)
    for option in options:
        if _slug(option) == wanted or wanted in _slug(option):
            return option
    raise AssertionError(f"member {member!r} not among {options}")


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


# ------------------------------------------------------------------------------------ the programs


@dataclass
class Program:
    """One Agno program: its scripted models and what it must have shown (beyond its own asserts)."""

    name: str
    models: dict[str, Responder]
    #: text the program must print (print_response / pprint output)
    stdout: tuple[str, ...] = ()
    #: text the program must NOT print (show_message=False, ...)
    not_stdout: tuple[str, ...] = ()
    #: checks on what reached the model (raise AssertionError)
    check: Callable[[], None] | None = None
    #: what the program needs besides the scripted server: "postgres", "litellm"
    needs: tuple[str, ...] = ()
    notes: str = ""

    @property
    def path(self) -> Path:
        return HERE / f"{self.name}.py"


PROGRAMS: dict[str, Program] = {}


def program(name: str, models: dict[str, Responder], **options: Any) -> Program:
    entry = PROGRAMS[name] = Program(name, models, **options)
    return entry


def register_all() -> None:
    """Register every program's scripts on the (in-process) scripted server's registry."""
    for entry in PROGRAMS.values():
        for model, responder in entry.models.items():
            register_script(model, _logged(model, responder))


def program_files() -> list[str]:
    """The programs in this folder (every ``*.py`` but the helpers)."""
    helpers = ("_", "run_under_agno")
    return sorted(p.stem for p in HERE.glob("*.py") if not p.name.startswith(helpers))


def verify(entry: Program, stdout: str) -> None:
    """The checks common to both runners: printed text and what the models saw."""
    for fragment in entry.stdout:
        assert fragment in stdout, f"{entry.name}: expected {fragment!r} in the output:\n{stdout[-3000:]}"
    for fragment in entry.not_stdout:
        assert fragment not in stdout, f"{entry.name}: {fragment!r} should not be printed:\n{stdout[-3000:]}"
    if entry.check is not None:
        entry.check()

