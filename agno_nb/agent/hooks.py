"""Hooks: code that runs before a run (``pre_hooks``), after it (``post_hooks``), and around every
tool call (``tool_hooks``). Guardrails are pre/post hooks that raise ``GuardrailTripped``.

A hook declares the arguments it wants by name, from what the stage offers; sync and async hooks
both work:

    def pre(input, run_context): ...                      # return a new input, or None to keep it
    async def post(content, agent): ...                   # return new content, or None
    async def around(name, call, arguments): return await call(**arguments)
"""

from __future__ import annotations

import enum
import inspect
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Callable

from ..errors import AgnoNBError

if TYPE_CHECKING:
    from ..tools.function import Function
    from .context import RunContext
    from .plan import RunPlan

__all__ = ["GuardrailTripped", "InputCheckError", "OutputCheckError", "CheckTrigger", "RunInput", "run_pre_hooks",
           "run_post_hooks", "call_through_tool_hooks", "call_hook"]


class GuardrailTripped(AgnoNBError):
    """Raised by a hook to stop the run: status ``blocked`` and a ``GuardrailTripped`` event."""

    def __init__(self, guardrail: str, reason: str, *, stage: str = "input", redacted: Any = None):
        super().__init__(f"{guardrail}: {reason}")
        self.guardrail = guardrail
        self.reason = reason
        self.stage = stage
        #: what may be stored in place of the blocked text (e.g. the input with PII masked)
        self.redacted = redacted


class CheckTrigger(enum.Enum):
    """Why a check failed (Agno's names); the value names the guardrail in the trace."""

    OFF_TOPIC = "off_topic"
    INPUT_NOT_ALLOWED = "input_not_allowed"
    OUTPUT_NOT_ALLOWED = "output_not_allowed"
    VALIDATION_FAILED = "validation_failed"
    PROMPT_INJECTION = "prompt_injection"
    PII_DETECTED = "pii_detected"


class InputCheckError(GuardrailTripped):
    """A failed input check (Agno's name): raise it from a pre-hook or a guardrail's ``check``."""

    def __init__(self, message: str, check_trigger: "CheckTrigger | str" = CheckTrigger.INPUT_NOT_ALLOWED,
                 additional_data: dict[str, Any] | None = None, *, guardrail: str | None = None,
                 redacted: Any = None):
        trigger = check_trigger.value if isinstance(check_trigger, CheckTrigger) else str(check_trigger)
        super().__init__(guardrail or trigger, message, stage="input", redacted=redacted)
        self.message = message
        self.check_trigger = check_trigger
        self.additional_data = additional_data


class OutputCheckError(GuardrailTripped):
    """A failed output check (Agno's name): raise it from a post-hook."""

    def __init__(self, message: str, check_trigger: "CheckTrigger | str" = CheckTrigger.OUTPUT_NOT_ALLOWED,
                 additional_data: dict[str, Any] | None = None, *, guardrail: str | None = None):
        trigger = check_trigger.value if isinstance(check_trigger, CheckTrigger) else str(check_trigger)
        super().__init__(guardrail or trigger, message, stage="output")
        self.message = message
        self.check_trigger = check_trigger
        self.additional_data = additional_data


class RunInput:
    """What a pre-hook sees as ``run_input`` (Agno's shape): the input as given, and its media."""

    __slots__ = ("input_content", "images", "videos", "audios", "files")

    def __init__(self, input_content: Any, media: list[Any] | None = None):
        self.input_content = input_content
        kinds: dict[str, list[Any]] = {"Image": [], "Video": [], "Audio": [], "File": []}
        for item in media or ():
            kinds.get(type(item).__name__, kinds["File"]).append(item)
        self.images, self.videos, self.audios, self.files = (kinds["Image"] or None, kinds["Video"] or None,
                                                            kinds["Audio"] or None, kinds["File"] or None)

    def input_content_string(self) -> str:
        from ..jsonsafe import dumps

        content = self.input_content
        if isinstance(content, str):
            return content
        dump = getattr(content, "model_dump_json", None)
        return dump(exclude_none=True) if dump is not None else dumps(content)

    def __repr__(self) -> str:
        return f"RunInput({self.input_content!r})"


class _OutputView:
    """What a post-hook sees as ``run_output``: the answer so far, which the hook may replace in place."""

    __slots__ = ("content", "run_id", "session_id", "user_id", "agent_id", "agent_name")

    def __init__(self, content: Any, plan: "RunPlan"):
        self.content = content
        ref = plan.ref
        self.run_id, self.session_id, self.user_id = ref.run_id, ref.session_id, ref.user_id
        self.agent_id, self.agent_name = ref.emitter_id, ref.emitter_name

    def get_content_as_string(self) -> str:
        from ..jsonsafe import dumps

        return self.content if isinstance(self.content, str) else dumps(self.content)


@lru_cache(maxsize=512)
def _accepted(hook: Callable[..., Any]) -> tuple[frozenset[str], bool]:
    """The parameter names a hook takes, and whether it takes ``**kwargs``."""
    target = hook if inspect.isroutine(hook) else getattr(hook, "__call__", hook)
    params = inspect.signature(target).parameters.values()
    return (frozenset(p.name for p in params if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)),
            any(p.kind == p.VAR_KEYWORD for p in params))


async def call_hook(hook: Callable[..., Any], **available: Any) -> Any:
    """Call ``hook`` with the available values it names; await it if it is async."""
    names, takes_all = _accepted(hook)
    result = hook(**(available if takes_all else {k: v for k, v in available.items() if k in names}))
    if inspect.isawaitable(result):
        result = await result
    return result


async def run_pre_hooks(plan: "RunPlan") -> None:
    """Input hooks and guardrails, in order; each may replace the input. Nothing reaches the model first."""
    hooks = plan.agent.pre_hooks
    if not hooks:
        return
    for hook in hooks:
        run_input = RunInput(plan.input, plan.media)
        try:
            replaced = await call_hook(hook, input=plan.input, run_input=run_input,
                                       run_context=plan.ctx, agent=plan.agent, team=plan.agent,
                                       session_state=plan.ctx.session_state, user_id=plan.ctx.user_id,
                                       session_id=plan.ctx.session_id, debug_mode=plan.agent.debug)
        except GuardrailTripped as trip:
            # what gets stored (and traced) instead of the blocked input
            _replace_input(plan, trip.redacted if trip.redacted is not None else "[blocked input withheld]")
            raise
        if replaced is None and run_input.input_content is not plan.input:  # Agno's way: set input_content
            replaced = run_input.input_content
        if replaced is not None:
            _replace_input(plan, replaced)


def _replace_input(plan: "RunPlan", new_input: Any) -> None:
    """Swap the run's input text, keeping any images, audio or files sent with it."""
    from .prompt import user_message

    plan.input = new_input
    message = plan.messages[-1]
    replacement = user_message(new_input)
    if isinstance(message.get("content"), list) and isinstance(replacement["content"], str):
        parts = [p for p in message["content"] if p.get("type") != "text"]
        replacement = {"role": "user", "content": [{"type": "text", "text": replacement["content"]}, *parts]}
    plan.messages[-1] = replacement


async def run_post_hooks(plan: "RunPlan", content: Any) -> Any:
    """Output hooks and guardrails, in order; each may replace the content."""
    for hook in plan.agent.post_hooks or ():
        view = _OutputView(content, plan)
        try:
            replaced = await call_hook(hook, content=content, output=content, run_output=view,
                                       run_context=plan.ctx, agent=plan.agent, team=plan.agent,
                                       session_state=plan.ctx.session_state, user_id=plan.ctx.user_id,
                                       session_id=plan.ctx.session_id, debug_mode=plan.agent.debug)
        except GuardrailTripped as trip:
            trip.stage = "output"
            if plan.messages and plan.messages[-1].get("role") == "assistant":
                # the blocked answer is neither returned nor kept in the conversation or the store
                plan.messages[-1] = {"role": "assistant", "content": f"[answer blocked by {trip.guardrail}]"}
            raise
        if replaced is not None:
            content = replaced
        elif view.content is not content:  # an Agno-style hook that set run_output.content
            content = view.content
    return content


async def call_through_tool_hooks(hooks: list[Callable[..., Any]], fn: "Function", kwargs: dict[str, Any],
                                  ctx: "RunContext", in_thread: bool) -> tuple[Any, bool]:
    """Call the tool through the hook chain (first hook outermost). Returns ``(result, cached)``."""
    cached_flag = [False]

    async def innermost(**arguments: Any) -> Any:
        result, cached = await fn.acall(arguments, in_thread=in_thread)
        cached_flag[0] = cached
        return result

    call: Callable[..., Any] = innermost
    for hook in reversed(hooks):
        call = _wrap(hook, call, fn.name, ctx)
    return await call(**kwargs), cached_flag[0]


def _wrap(hook: Callable[..., Any], inner: Callable[..., Any], name: str, ctx: "RunContext") -> Callable[..., Any]:
    async def layer(**arguments: Any) -> Any:
        if inspect.iscoroutinefunction(hook) or inspect.iscoroutinefunction(getattr(hook, "__call__", None)):
            next_call: Callable[..., Any] = inner
        else:
            # A sync hook calls the tool synchronously and expects its result, not a coroutine.
            from .._sync import run_sync

            def next_call(**kw: Any) -> Any:
                return run_sync(inner(**kw))
        result = await call_hook(hook, name=name, function_name=name, call=next_call, function_call=next_call,
                                 arguments=arguments, args=arguments, run_context=ctx, agent=ctx.agent)
        if inspect.isawaitable(result):
            result = await result
        return result

    return layer
