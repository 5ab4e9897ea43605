"""``print_response`` / ``aprint_response`` for agents, teams and workflows, as Agno code calls them.

The run always streams underneath (that is how tool calls and steps can be shown as they happen);
``stream=`` decides whether the answer is printed as it arrives or once at the end. Where it goes:

- in a Jupyter kernel: one display, updated in place, rendered as Markdown when ``markdown=True``;
- in a terminal with ``rich`` installed: a live panel (Markdown when asked);
- otherwise: plain text on stdout.

Only the run's own answer is printed, never a team member's text; members' tool calls and steps show as
indented lines when ``show_tool_calls`` (or the agent's ``show_tool_calls``) asks for them.
"""

from __future__ import annotations

import sys
import time
from typing import Any, AsyncIterator, Iterator

from ..run_events import (Event, ReasoningStep, RunContentDelta, RunOutput, ToolCallCompleted, ToolCallError,
                          ToolCallStarted)

__all__ = ["print_response", "aprint_response"]

_REFRESH = 0.1  # seconds between redraws of a streamed answer


def print_response(runner: Any, input: Any, *, stream: bool | None = None, markdown: bool | None = None,
                   show_message: bool = True, show_reasoning: bool = True, show_tool_calls: bool | None = None,
                   console: Any = None, step_details: bool = False, **run_kwargs: Any) -> RunOutput:
    """Run ``runner`` (an Agent, Team or Workflow) and print the answer; return the run's output."""
    printer = _printer(runner, stream, markdown, show_reasoning, show_tool_calls, console)
    printer.step_details = step_details
    if show_message and input is not None:
        printer.message(input)
    run_kwargs.pop("stream", None)
    return printer.finish(printer.feed_all(runner.run(input, stream=True, **run_kwargs)))


async def aprint_response(runner: Any, input: Any, *, stream: bool | None = None, markdown: bool | None = None,
                          show_message: bool = True, show_reasoning: bool = True, show_tool_calls: bool | None = None,
                          console: Any = None, step_details: bool = False, **run_kwargs: Any) -> RunOutput:
    """``print_response`` for async code."""
    printer = _printer(runner, stream, markdown, show_reasoning, show_tool_calls, console)
    printer.step_details = step_details
    if show_message and input is not None:
        printer.message(input)
    run_kwargs.pop("stream", None)
    out: RunOutput | None = None
    events: AsyncIterator[Event] = runner.arun(input, stream=True, **run_kwargs)
    async for event in events:
        out = printer.feed(out, event)
    return printer.finish(out)


def _printer(runner: Any, stream: bool | None, markdown: bool | None, show_reasoning: bool,
             show_tool_calls: bool | None, console: Any) -> "_Printer":
    agent = getattr(runner, "leader", runner)  # a team prints as its leader
    if stream is None:
        stream = bool(getattr(runner, "stream", None) or getattr(agent, "stream", None))
    markdown = bool(getattr(agent, "markdown", False)) if markdown is None else markdown
    tools = bool(getattr(agent, "show_tool_calls", False)) if show_tool_calls is None else show_tool_calls
    target: type[_Printer] = _PlainPrinter
    if console is None and _in_jupyter():
        target = _NotebookPrinter
    elif console is not None or (sys.stdout.isatty() and _has_rich()):
        target = _RichPrinter if _has_rich() else _PlainPrinter
    printer = target(stream, markdown, show_reasoning, tools, console)
    printer.members = bool(getattr(runner, "show_members_responses", False))
    return printer


class _Printer:
    """Folds the events into the output and decides what to show; subclasses draw."""

    def __init__(self, stream: bool, markdown: bool, show_reasoning: bool, show_tool_calls: bool, console: Any):
        self.stream = stream
        self.markdown = markdown
        self.show_reasoning = show_reasoning
        self.show_tool_calls = show_tool_calls
        self.console = console
        self.text: list[str] = []
        self.notes: list[str] = []  # tool calls and reasoning, shown above the answer
        self.members = False  # a team's printer: show each member's answer too
        self.step_details = False  # a workflow's printer: show each step's output as it finishes

    def feed_all(self, events: Iterator[Event]) -> RunOutput | None:
        out: RunOutput | None = None
        for event in events:
            out = self.feed(out, event)
        return out

    def feed(self, out: RunOutput | None, event: Event) -> RunOutput:
        if out is None:
            out = RunOutput(event.ref)
        out.apply(event)
        own = event.ref.run_id == out.run_id
        if isinstance(event, RunContentDelta):
            if own and self.stream:
                self.text.append(event.content)
                self.update()
        elif isinstance(event, ToolCallStarted) and self.show_tool_calls:
            self.note(f"{'' if own else '  '}• {event.tool_name}({_arguments(event.arguments)})")
        elif isinstance(event, (ToolCallCompleted, ToolCallError)) and self.show_tool_calls and not own:
            pass
        elif isinstance(event, ReasoningStep) and self.show_reasoning and own:
            self.note(f"◦ {event.title}: {event.reasoning}")
        elif event.type == "RunCompleted" and self.members and event.ref.parent_run_id == out.run_id:
            who = event.ref.emitter_name or event.ref.emitter_id
            self.note(f"[{who}] {_short(getattr(event, 'content', None), 2000)}")
        elif event.type == "StepCompleted" and own and (self.stream or self.step_details):
            content = getattr(event, "content", None)
            if content is not None and getattr(event, "kind", "") == "step":
                self.note(f"▸ {event.step_name}: {_short(content)}")  # type: ignore[attr-defined]
        return out

    def note(self, line: str) -> None:
        self.notes.append(line)
        self.update()

    def answer(self, out: RunOutput | None) -> str:
        if out is None:
            return ""
        if self.stream and self.text and out.content == "".join(self.text):
            return "".join(self.text)
        if out.content is None:
            return f"[{out.status}] {out.status_reason or ''}".strip()
        content = out.content
        if isinstance(content, str):
            return content
        dump = getattr(content, "model_dump_json", None)
        return dump(indent=2) if dump is not None else repr(content)

    def finish(self, out: RunOutput | None) -> RunOutput:
        self.text = [self.answer(out)]
        self.update(final=True)
        assert out is not None, "the run produced no events"
        return out

    # drawing
    def message(self, input: Any) -> None:
        raise NotImplementedError  # pragma: no cover - each printer draws

    def update(self, final: bool = False) -> None:
        raise NotImplementedError  # pragma: no cover


class _PlainPrinter(_Printer):
    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self._shown = ""  # the answer text already on stdout
        self._notes = 0

    def message(self, input: Any) -> None:
        print(f"Message: {input}\n", flush=True)

    def update(self, final: bool = False) -> None:
        text = "".join(self.text)
        if len(self.notes) > self._notes:
            if self._shown:
                print(flush=True)  # end the line of answer text before the notes
            for line in self.notes[self._notes:]:
                print(line, flush=True)
            self._notes = len(self.notes)
        if self._shown and not text.startswith(self._shown):  # the final answer is not what streamed
            print(flush=True)
            self._shown = ""
        if len(text) > len(self._shown):
            print(text[len(self._shown):], end="", flush=True)
            self._shown = text
        if final:
            print(flush=True)


class _RichPrinter(_Printer):
    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        from rich.console import Console
        from rich.live import Live

        self._console = self.console or Console()
        self._live = Live(console=self._console, refresh_per_second=10, transient=False)
        self._live.start()

    def message(self, input: Any) -> None:
        from rich.panel import Panel

        self._console.print(Panel(str(input), title="Message", border_style="cyan"))

    def update(self, final: bool = False) -> None:
        from rich.console import Group
        from rich.markdown import Markdown
        from rich.panel import Panel
        from rich.text import Text

        body = "".join(self.text)
        parts: list[Any] = [Text(line, style="dim") for line in self.notes]
        parts.append(Markdown(body) if self.markdown else Text(body))
        self._live.update(Panel(Group(*parts), title="Response", border_style="blue"))
        if final:
            self._live.stop()


class _NotebookPrinter(_Printer):
    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        from IPython.display import display

        self._handle = display(self._bundle(), display_id=True)
        self._drawn = 0.0

    def message(self, input: Any) -> None:
        from IPython.display import Markdown, display

        display(Markdown(f"**Message:** {input}"))

    def _bundle(self) -> Any:
        from IPython.display import Markdown, Pretty

        notes = "\n".join(self.notes)
        body = "".join(self.text)
        if self.markdown:
            return Markdown((f"```\n{notes}\n```\n\n" if notes else "") + body)
        return Pretty((notes + "\n\n" if notes else "") + body)

    def update(self, final: bool = False) -> None:
        now = time.monotonic()
        if final or now - self._drawn >= _REFRESH:
            self._handle.update(self._bundle())
            self._drawn = now


def _in_jupyter() -> bool:
    shell = sys.modules.get("IPython") and sys.modules["IPython"].get_ipython()  # type: ignore[union-attr]
    return bool(shell) and type(shell).__name__ == "ZMQInteractiveShell"


def _has_rich() -> bool:
    try:
        import rich  # noqa: F401
    except ImportError:
        return False
    return True


def _arguments(arguments: Any) -> str:
    if isinstance(arguments, dict):
        return ", ".join(f"{k}={_short(repr(v), 40)}" for k, v in arguments.items())
    return _short(arguments, 80)


def _short(value: Any, limit: int = 120) -> str:
    text = value if isinstance(value, str) else repr(value)
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
