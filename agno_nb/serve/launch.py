"""Starting a run from a request, and answering with its output, its event stream, or 202 at once.

Shared by the AgentOS-style routes and the OpenAI-compatible ones: checks the session belongs to the
caller and to this component, registers the run with the ``RunManager``, starts it as its own task,
then waits for the output (JSON), for the first event (SSE), or for nothing (background).
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any, AsyncIterator, Callable

from .. import fresh_ids
from .errors import HTTPError, http_error_for
from .sse import MEDIA_TYPE, SSE_HEADERS, encode_frame

if TYPE_CHECKING:
    from .auth import Principal
    from .components import Component
    from .runs import LiveRun
    from .state import ServeState

__all__ = ["RunParams", "start_run", "await_output", "first_event", "sse_response", "check_session"]


class RunParams:
    """What a request asks of a new run."""

    __slots__ = (
        "input",
        "session_id",
        "user_id",
        "stream",
        "background",
        "session_state",
        "context",
        "media",
        "knowledge_filters",
    )

    def __init__(
        self,
        input: Any,
        *,
        session_id: str | None = None,
        user_id: str | None = None,
        stream: bool = False,
        background: bool = False,
        session_state: dict | None = None,
        context: dict | None = None,
        media: list[Any] | None = None,
        knowledge_filters: dict | None = None,
    ):
        self.input = input
        self.session_id = session_id
        self.user_id = user_id
        self.stream = stream
        self.background = background
        self.session_state = session_state
        self.context = context
        self.media = media or []
        self.knowledge_filters = knowledge_filters


async def check_session(
    state: "ServeState", component: "Component", session_id: str, user_id: str | None
) -> None:
    """A given session must be the caller's and this component's (403 / 409 otherwise)."""
    store = component.store()
    if store is None:
        return
    try:
        session = await asyncio.to_thread(store.get_session, session_id)
    except Exception as exc:
        raise http_error_for(exc) from None
    if session is None:
        return
    if session.user_id is not None and session.user_id != user_id:  # not yours: as if it did not exist
        raise HTTPError(404, f"No session {session_id!r} among yours; omit session_id to start a new one.")
    if session.component_id not in (None, component.id):
        raise HTTPError(
            409,
            f"Session {session_id!r} belongs to {session.session_type} {session.component_id!r}, "
            f"not {component.kind} {component.id!r}; omit session_id to start a new session.",
        )


async def start_run(
    state: "ServeState", component: "Component", principal: "Principal", params: RunParams
) -> "LiveRun":
    """Register and start a run (errors before the first event become 4xx/503)."""
    runs = state.runs
    runs.admit()
    user_id = principal.acting_user(params.user_id)
    if params.session_id is not None:
        await check_session(state, component, params.session_id, user_id)
    run_id = fresh_ids.mint()  # minted here: the run's first read knows it is unused (see fresh_ids)
    # Always explicit: a run without one would share the instance's current session (Agno's semantics);
    # known now, so a background run's 202 can name it.
    session_id = params.session_id or fresh_ids.mint()
    live = runs.register(run_id, component, user_id, session_id, retain=params.stream or params.background)
    try:
        work = component.start(
            params.input,
            stream=params.stream,
            run_id=run_id,
            session_id=session_id,
            user_id=user_id,
            session_state=params.session_state,
            context=params.context,
            media=params.media,
            knowledge_filters=params.knowledge_filters,
        )
    except Exception as exc:
        runs.abandon(live)
        raise http_error_for(exc) from None
    runs.launch(live, work, stream=params.stream)
    return live


async def await_output(live: "LiveRun") -> Any:
    """Wait for a non-streaming run; its ``RunOutput`` (an error before its first event is raised as HTTP)."""
    assert live.task is not None
    await asyncio.wait((live.task,))  # not `await task`: a request that goes away leaves the run running
    if live.error is not None and not live.events:
        raise http_error_for(live.error)
    return live.output()


async def first_event(live: "LiveRun") -> None:
    """Wait until a streaming run has its first event; an error before it is raised as HTTP."""
    await live.started_or_done()
    if live.error is not None and not live.events:
        raise http_error_for(live.error)


def sse_response(
    state: "ServeState",
    live: "LiveRun",
    *,
    start: int = 0,
    transform: Callable[["LiveRun", int], AsyncIterator[bytes]] | None = None,
) -> Any:
    """The run's events from index ``start`` as an SSE response (``transform``: another wire format)."""
    from starlette.responses import StreamingResponse

    body = transform(live, start) if transform is not None else _frames(state, live, start)
    headers = {**SSE_HEADERS, "X-Run-Id": live.run_id}
    if live.session_id:
        headers["X-Session-Id"] = live.session_id
    return StreamingResponse(_counted(state, body), media_type=MEDIA_TYPE, headers=headers)


async def _frames(state: "ServeState", live: "LiveRun", start: int) -> AsyncIterator[bytes]:
    async for chunk in live.stream(start, state.settings.sse_ping_interval, lambda: False):
        yield chunk
    if not live.ended_with_event:
        # The run ended outside its stream (a failure the loop could not turn into an event): say so.
        if live.error is None:
            yield encode_frame(
                "RunCancelled",
                None,
                {
                    "type": "RunCancelled",
                    "run_id": live.run_id,
                    "reason": live.cancel_reason or "the run was cancelled",
                },
            )
        else:
            yield encode_frame(
                "RunError",
                None,
                {
                    "type": "RunError",
                    "run_id": live.run_id,
                    "error": str(live.error),
                    "error_type": type(live.error).__name__,
                },
            )


async def _counted(state: "ServeState", body: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    state.sse_streams += 1
    try:
        async for chunk in body:
            yield chunk
    finally:
        state.sse_streams -= 1
