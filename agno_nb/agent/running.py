"""The run side of an ``Agent``: planning a run, its message list, the loop's sinks (output, observers,
store), and the entry points (``run``, ``arun``, ``print_response``). Mixed into ``Agent``."""

from __future__ import annotations

import asyncio
import copy
from contextlib import aclosing
from typing import TYPE_CHECKING, Any, AsyncIterator, Sequence

from .._sync import iterate_sync, run_sync
from ..errors import ConfigurationError
from ..observe import notify, observers_for
from ..run_events import Event, RunOutput, RunRef, new_run_id
from ..tools.toolkit import prepare_toolkits
from .context import RunContext
from .hitl import PausedRun
from .knowledge_use import run_knowledge_filters
from .loop import RunPlan, run_loop
from .prompt import context_sections, user_message, validate_input

if TYPE_CHECKING:
    from .agent import Agent

__all__ = ["AgentRuns"]


class AgentRuns:
    """Mixed into ``Agent`` (its fields and resolved configuration live there)."""

    __slots__ = ()

    # ------------------------------------------------------------------------------------- runs

    def _plan(self, input: Any, *, stream: bool, session_id: str | None, user_id: str | None,
              context: dict[str, Any] | None, session_state: dict[str, Any] | None,
              run_id: str | None, media: list[Any] | None = None, observe: bool = True,
              knowledge_filters: dict[str, Any] | None = None) -> RunPlan:
        """Resolve everything a run needs; raises on bad input or configuration before any event."""
        input = validate_input(input, self.input_schema)
        model = self.resolved_model()
        native, response_format = self._output_format(model)
        state = copy.deepcopy(self.session_state) if self.session_state else {}
        # Deep-copied: tools change the run's state, never the caller's objects.
        run_state = copy.deepcopy(session_state) if session_state else None
        if run_state:
            state.update(run_state)
        values = _context_values(self.context, context)
        store = self.store()
        explicit = run_id is not None
        if user_id:
            self._last_user_id = user_id
        run_id = run_id or new_run_id()
        session_id = session_id or self.session_id
        if session_id is None:
            # As in Agno: the first run without a session id starts one, and the agent keeps using it.
            session_id = self.session_id = new_run_id()
        user_id = user_id or self.user_id
        ref = RunRef(run_id, session_id, user_id, self._kind, self.name, self.id)
        ctx = RunContext(run_id, session_id, user_id, state, values, self)
        plan = RunPlan(self, model, self._schemas(), response_format, ctx, ref, stream, input, native, store,
                       run_state)
        if explicit:
            plan.chosen_run_id = run_id
        if media:
            from ..media import check_support

            check_support(model, media)
            plan.media = media
        ctx.ref = ref
        ctx.store = store
        if knowledge_filters is not None:
            ctx.knowledge_filters = run_knowledge_filters(self, knowledge_filters)
        if self.run_timeout is not None:
            import time

            plan.deadline = time.monotonic() + self.run_timeout
        if observe:
            plan.observers = observers_for(self, ref)
        return plan

    def _nested_stream(self, input: Any, *, parent: Any, parent_span: str, store: Any,
                       session_state: dict[str, Any] | None) -> AsyncIterator[Event]:
        """A run inside another run (a team member's): linked to the parent run and span, on the
        parent's store unless this agent has its own, sharing the parent's session_state object."""
        # No observers of its own: the parent's see these events through the parent's stream.
        plan = self._plan(input, stream=True, session_id=parent.session_id, user_id=parent.user_id, context=None,
                          session_state=None, run_id=None, observe=False)
        plan.ref.parent_run_id = parent.run_id
        plan.parent_span = parent_span
        if plan.store is None:
            plan.store = plan.ctx.store = store
        if session_state is not None:
            plan.ctx.session_state = session_state
            plan.nested = True
        return self._stream(plan)

    async def _prepare(self, plan: RunPlan) -> None:
        """Build the messages: system prompt, stored history and memories, then the input."""
        history: list[dict[str, Any]] = []
        sections: list[str] = []
        if plan.store is not None:
            from .persistence import load_session

            history, sections = await load_session(self, plan, plan.store)
        dynamic = await self._instructions_for(plan) if callable(self.instructions) else None
        template = self._template(plan.native_schema, dynamic)
        state, values = plan.ctx.session_state, plan.ctx.context
        system = template.render({**state, **values} if template.fields else values)
        sections += context_sections(self, state, values)
        if sections:
            system = "\n\n".join([system, *sections]) if system else "\n\n".join(sections)
        messages = plan.messages
        if system:
            messages.append({"role": "system", "content": system})
        messages.extend(history)
        plan.own_from = len(messages)
        input = plan.input
        if _is_conversation(input):
            # A conversation as input (Agno's list of messages; an OpenAI-style chat client): the earlier
            # turns come first, the last message is this run's input.
            messages.extend(dict(m) for m in input[:-1])
            input = input[-1]
        message = user_message(input)
        if plan.media:
            from ..media import media_parts

            text = message["content"]
            message = {"role": "user", "content": [{"type": "text", "text": text}, *await media_parts(plan.media)]}
        messages.append(message)

    async def _finish(self, plan: RunPlan, out: RunOutput) -> None:
        """Save the run (the recorder has written what it could while the run went on)."""
        if plan.recorder is not None and out.events:
            from .persistence import save_run

            before = len(out.events)
            await save_run(self, plan, out)
            if plan.observers and len(out.events) > before:  # a RunSaveFailed: the trace shows it too
                for event in out.events[before:]:
                    notify(plan.observers, event)

    async def _start(self, plan: RunPlan, resume: tuple | None) -> RunOutput:
        """Prepare a new run (messages) or a continued one (stored session); the output it folds into."""
        out = RunOutput(plan.ref)
        if self.tools and await prepare_toolkits(self.tools, self._functions):
            # a toolkit connected (MCP) or its server's tools changed: resolve the tools again
            self._functions = self._tool_schemas = None
            self._templates.clear()
            plan.tools = self._schemas()
        if resume is None:
            await self._prepare(plan)
        else:
            paused: PausedRun = plan.resumed_from
            for key, value in (paused.metrics or {}).items():
                if key in out.metrics.__slots__:
                    setattr(out.metrics, key, value)
            if plan.store is not None:
                from .persistence import snapshot_state

                plan.session = await asyncio.to_thread(plan.store.get_session, plan.ctx.session_id)
                plan.state_base = snapshot_state(plan.ctx.session_state)
                if plan.session is not None and plan.session.state:
                    # Other runs of the session may have changed its state while this one waited.
                    merged = {**plan.session.state, **plan.ctx.session_state}
                    plan.ctx.session_state.clear()
                    plan.ctx.session_state.update(merged)
        if plan.store is not None:
            from .persistence import open_recorder

            plan.recorder = open_recorder(self, plan)
        return out

    async def _collect(self, plan: RunPlan, resume: tuple | None = None) -> RunOutput:
        out = await self._start(plan, resume)
        apply = out.apply
        debug = self.debug
        observers = plan.observers
        recorder, ref = plan.recorder, plan.ref
        try:
            async for event in run_loop(plan, *(resume or ())):
                if recorder is not None and event.ref is ref:
                    recorder.place(event)
                apply(event)
                if observers:
                    notify(observers, event)
                if debug:
                    _log_event(event)
        finally:
            await self._finish(plan, out)
        return out

    async def _stream(self, plan: RunPlan, resume: tuple | None = None) -> AsyncIterator[Event]:
        out = await self._start(plan, resume)
        recorder, ref = plan.recorder, plan.ref
        finished = False
        try:
            # aclosing: a consumer that stops early closes the whole chain of generators right away.
            async with aclosing(run_loop(plan, *(resume or ()))) as events:
                async for event in events:
                    if recorder is not None and event.ref is ref:
                        recorder.place(event)
                    out.apply(event)
                    if plan.observers:
                        notify(plan.observers, event)
                    if self.debug:
                        _log_event(event)
                    yield event
            finished = True
            before = len(out.events)
            await self._finish(plan, out)
            for event in out.events[before:]:  # the stream's consumers hear of a failed save too
                yield event
        finally:
            if not finished:
                await self._finish(plan, out)

    def arun(self, input: Any = None, *, stream: bool = False, session_id: str | None = None,
             user_id: str | None = None, context: dict[str, Any] | None = None,
             session_state: dict[str, Any] | None = None, run_id: str | None = None,
             images: Sequence[Any] | None = None, audio: Sequence[Any] | None = None,
             videos: Sequence[Any] | None = None, files: Sequence[Any] | None = None,
             stream_events: bool | None = None, dependencies: dict[str, Any] | None = None,
             debug_mode: bool | None = None, knowledge_filters: dict[str, Any] | None = None) -> Any:
        """Run asynchronously.

        ``await agent.arun(...)`` gives a ``RunOutput``; ``agent.arun(..., stream=True)`` is an async
        iterator of events (``async for event in agent.arun(..., stream=True)``). ``images``, ``audio``,
        ``videos`` and ``files`` take ``agno_nb.media`` objects. Bad input or configuration (including
        media the model cannot take) raises here, before the run starts. Agno's ``stream_events=False``
        streams the text deltas only; ``dependencies`` is Agno's name for ``context``.
        ``knowledge_filters`` narrow this run's knowledge searches (key by key over the agent's).
        """
        plan = self._plan(input, stream=stream, session_id=session_id, user_id=user_id,
                          context=_merged(context, dependencies), session_state=session_state, run_id=run_id,
                          media=_media(images, audio, videos, files), knowledge_filters=knowledge_filters)
        if not stream:
            return self._collect(plan)
        events = self._stream(plan)
        return _content_only(events) if _only_content(self, stream_events) else events

    def run(self, input: Any = None, *, stream: bool = False, session_id: str | None = None,
            user_id: str | None = None, context: dict[str, Any] | None = None,
            session_state: dict[str, Any] | None = None, run_id: str | None = None,
            images: Sequence[Any] | None = None, audio: Sequence[Any] | None = None,
            videos: Sequence[Any] | None = None, files: Sequence[Any] | None = None,
            stream_events: bool | None = None, dependencies: dict[str, Any] | None = None,
            debug_mode: bool | None = None, knowledge_filters: dict[str, Any] | None = None) -> Any:
        """Run synchronously: a ``RunOutput``, or an iterator of events with ``stream=True``.

        Works in scripts and inside notebook cells (whose event loop is already running).
        """
        plan = self._plan(input, stream=stream, session_id=session_id, user_id=user_id,
                          context=_merged(context, dependencies), session_state=session_state, run_id=run_id,
                          media=_media(images, audio, videos, files), knowledge_filters=knowledge_filters)
        if not stream:
            return run_sync(self._collect(plan))
        events = self._stream(plan)
        return iterate_sync(_content_only(events) if _only_content(self, stream_events) else events)

    def print_response(self, input: Any = None, *, stream: bool | None = None, markdown: bool | None = None,
                       show_message: bool = True, show_reasoning: bool = True, show_full_reasoning: bool = False,
                       show_tool_calls: bool | None = None, console: Any = None, **run_kwargs: Any) -> RunOutput:
        """Run and print the answer (streamed with ``stream=True``): Markdown in a notebook, a panel in a
        terminal with ``rich``, plain text otherwise. Returns the run's output. Takes ``run()``'s arguments."""
        from .printing import print_response

        return print_response(self, input, stream=stream, markdown=markdown, show_message=show_message,
                              show_reasoning=show_reasoning or show_full_reasoning, show_tool_calls=show_tool_calls,
                              console=console, **run_kwargs)

    async def aprint_response(self, input: Any = None, *, stream: bool | None = None, markdown: bool | None = None,
                              show_message: bool = True, show_reasoning: bool = True,
                              show_full_reasoning: bool = False, show_tool_calls: bool | None = None,
                              console: Any = None, **run_kwargs: Any) -> RunOutput:
        """``print_response`` for async code."""
        from .printing import aprint_response

        return await aprint_response(self, input, stream=stream, markdown=markdown, show_message=show_message,
                                     show_reasoning=show_reasoning or show_full_reasoning,
                                     show_tool_calls=show_tool_calls, console=console, **run_kwargs)

    def get_chat_history(self, session_id: str | None = None, *, user_id: str | None = None) -> list[Any]:
        """The session's user and assistant messages, in order (Agno's name)."""
        from ..run_output import Message

        return [Message(m) for m in self.get_session_messages(session_id, user_id=user_id)
                if m.get("role") in ("user", "assistant") and m.get("content")]


def _merged(context: dict[str, Any] | None, dependencies: dict[str, Any] | None) -> dict[str, Any] | None:
    if context is not None and dependencies is not None:
        raise ConfigurationError("Pass context=... or Agno's dependencies=..., not both (they are the same).")
    return context if context is not None else dependencies


def _only_content(agent: "Agent", stream_events: bool | None) -> bool:
    chosen = agent.stream_events if stream_events is None else stream_events
    return chosen is False


async def _content_only(events: AsyncIterator[Event]) -> AsyncIterator[Event]:
    """The run's own text deltas (Agno's ``stream_events=False``); the run still folds every event."""
    from ..run_events import RunContentDelta

    async with aclosing(events) as stream:
        async for event in stream:
            if isinstance(event, RunContentDelta) and event.ref.parent_run_id is None:
                yield event


def _is_conversation(input: Any) -> bool:
    return (isinstance(input, list) and bool(input)
            and all(isinstance(m, dict) and m.get("role") in _ROLES and "content" in m for m in input))


_ROLES = ("system", "user", "assistant", "tool", "developer")


def _media(*groups: Sequence[Any] | None) -> list[Any]:
    from ..media import Audio, File, Image, Video

    found = []
    for kind, group in zip((Image, Audio, Video, File), groups):
        for item in group or ():
            if not isinstance(item, kind):
                raise ConfigurationError(f"Expected {kind.__name__} objects (agno_nb.media), got {item!r}.")
            found.append(item)
    return found


def _context_values(defaults: dict[str, Any] | None, overrides: dict[str, Any] | None) -> dict[str, Any]:
    if not defaults and not overrides:
        return {}
    values = {**(defaults or {}), **(overrides or {})}
    for key, value in values.items():
        if callable(value):
            values[key] = value()
    return values


def _log_event(event: Event) -> None:
    import logging

    logger = logging.getLogger("agno_nb")
    if not logger.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("agno_nb %(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.DEBUG)
    logger.debug("%s", event)
