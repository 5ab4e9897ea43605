"""What an app serves: agents, teams and workflows behind one interface, found by kind and id.

A ``Component`` wraps the user's object without copying it: agents are configuration, and every
request runs the same instance (per-run state lives in the run). Construction checks everything that
can be checked before the first request (tool schemas, model ids and keys, id clashes), so a broken
agent stops the server at start, not a user's request at 3 a.m.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterable

from ..agent.agent import Agent
from ..errors import ConfigurationError
from ..team.team import Team
from ..workflow.workflow import Workflow
from .errors import HTTPError

if TYPE_CHECKING:
    from ..storage.base import Store

__all__ = ["Component", "Components", "KINDS"]

#: kind -> the route prefix and scope prefix
KINDS = {"agent": "agents", "team": "teams", "workflow": "workflows"}


class Component:
    """One served agent, team or workflow."""

    __slots__ = ("kind", "obj", "id", "name", "run_scope")

    def __init__(self, kind: str, obj: Agent | Team | Workflow):
        self.kind = kind
        self.obj = obj
        self.id = obj.id
        self.name = obj.name
        self.run_scope = f"{KINDS[kind]}:{self.id}:run"

    # ------------------------------------------------------------------------------------- runs

    def start(
        self,
        input: Any,
        *,
        stream: bool,
        run_id: str,
        session_id: str | None,
        user_id: str | None,
        session_state: dict[str, Any] | None,
        context: dict[str, Any] | None,
        media: list[Any] | None = None,
        knowledge_filters: dict[str, Any] | None = None,
    ) -> Any:
        """Start a run: an awaitable ``RunOutput``, or with ``stream`` an async iterator of events.

        Raises (before any event) on bad input or configuration.
        """
        if self.kind == "workflow":
            if context:
                raise HTTPError(422, "Workflows take no context values; pass session_state instead.")
            if media:
                raise HTTPError(422, "Workflows take no files; send them to an agent or team.")
            if knowledge_filters:
                raise HTTPError(422, "Workflows take no knowledge_filters; their agents have their own.")
            return self.obj.arun(
                input,
                stream=stream,
                session_id=session_id,
                user_id=user_id,
                session_state=session_state,
                run_id=run_id,
            )
        groups = _media_groups(media or [])
        return self.obj.arun(
            input,
            stream=stream,
            session_id=session_id,
            user_id=user_id,
            context=context,
            session_state=session_state,
            run_id=run_id,
            knowledge_filters=knowledge_filters,
            **groups,
        )

    def continue_run(self, run: Any, requirements: list[Any], *, stream: bool, user_id: str | None) -> Any:
        """Continue a paused run (a ``RunOutput`` kept in memory, or a run id in the store) as ``user_id``."""
        return self.obj.acontinue_run(run, requirements, stream=stream, user_id=user_id)

    def resume(self, run_id: str, *, stream: bool, user_id: str | None) -> Any:
        if self.kind != "workflow":
            raise HTTPError(404, f"Only workflows resume from checkpoints; {self.kind} {self.id!r} has none.")
        return self.obj.aresume(run_id, stream=stream, user_id=user_id)

    def store(self) -> "Store | None":
        return self.obj.store()

    # ---------------------------------------------------------------------------------- describe

    def describe(self, detail: bool = False) -> dict[str, Any]:
        info: dict[str, Any] = {
            "id": self.id,
            "name": self.name,
            "type": self.kind,
            "description": getattr(self.obj, "description", None),
        }
        obj = self.obj
        if isinstance(obj, Agent):
            info["model"] = _model_id(obj)
            info["tools"] = [_tool(fn) for fn in obj.functions.values()]
            if detail:
                info.update(_agent_details(obj))
        elif isinstance(obj, Team):
            info["mode"] = obj.mode
            info["model"] = _model_id(obj.leader)
            info["members"] = [
                {"id": m.id, "name": m.name, "type": "team" if isinstance(m, Team) else "agent"}
                for m in obj.members
            ]
        else:
            info["steps"] = [_step(step) for step in obj.steps]
        return info


class Components:
    """The served components by kind and id; ids are unique across kinds (they are OpenAI model names too)."""

    def __init__(
        self, agents: Iterable[Agent] = (), teams: Iterable[Team] = (), workflows: Iterable[Workflow] = ()
    ):
        self.by_kind: dict[str, dict[str, Component]] = {kind: {} for kind in KINDS}
        self.by_id: dict[str, Component] = {}
        for kind, objects, cls in (
            ("agent", agents, Agent),
            ("team", teams, Team),
            ("workflow", workflows, Workflow),
        ):
            for obj in objects or ():
                if not isinstance(obj, cls):
                    raise ConfigurationError(f"{KINDS[kind]}= takes {cls.__name__} objects, got {obj!r}.")
                component = Component(kind, obj)
                clash = self.by_id.get(component.id)
                if clash is not None:
                    raise ConfigurationError(
                        f"Two served components have the id {component.id!r} ({clash.kind} "
                        f"{clash.name!r} and "
                        f"{kind} {obj.name!r}); ids name routes and OpenAI models, so give one another id=."
                    )
                self.by_kind[kind][component.id] = component
                self.by_id[component.id] = component

    def __iter__(self):
        return iter(self.by_id.values())

    def __len__(self) -> int:
        return len(self.by_id)

    def get(self, kind: str, component_id: str) -> Component:
        component = self.by_kind[kind].get(component_id)
        if component is None:
            known = sorted(self.by_kind[kind]) or "none"
            raise HTTPError(404, f"No {kind} {component_id!r} is served here; {KINDS[kind]}: {known}.")
        return component

    def check(self) -> None:
        """Resolve what every run will need (tools, prompt templates, models) once, at start."""
        for component in self:
            for agent in _agents_in(component.obj):
                agent.functions  # noqa: B018 - tool schemas are built and checked here
                if isinstance(agent.model, str) or agent.model is None:
                    agent.resolved_model()  # unknown model ids and missing keys raise now

    def stores(self) -> list["Store"]:
        """The distinct stores the components write to (by location)."""
        found: dict[str, Store] = {}
        for component in self:
            store = component.store()
            if store is not None:
                found.setdefault(f"{type(store).__name__}:{store.location}", store)
        return list(found.values())


def _agents_in(obj: Any, seen: set[int] | None = None) -> Iterable[Agent]:
    seen = seen if seen is not None else set()
    if id(obj) in seen:
        return
    seen.add(id(obj))
    if isinstance(obj, Agent):
        yield obj
    elif isinstance(obj, Team):
        yield obj.leader
        for member in obj.members:
            yield from _agents_in(member, seen)
    elif isinstance(obj, Workflow):

        def walk(steps: list[Any]) -> Iterable[Agent]:
            for step in steps:
                if isinstance(step.work, (Agent, Team, Workflow)):
                    yield from _agents_in(step.work, seen)
                yield from walk(step.children())

        yield from walk(obj.steps)


def _media_groups(media: list[Any]) -> dict[str, list[Any]]:
    from ..media import Audio, Image, Video

    groups: dict[str, list[Any]] = {"images": [], "audio": [], "videos": [], "files": []}
    for item in media:
        name = (
            "images"
            if isinstance(item, Image)
            else "audio"
            if isinstance(item, Audio)
            else "videos"
            if isinstance(item, Video)
            else "files"
        )
        groups[name].append(item)
    return {k: v for k, v in groups.items() if v}


def _model_id(agent: Agent) -> str | None:
    model = agent.model
    if isinstance(model, str) or model is None:
        return model or (agent._model.id if agent._model is not None else None)
    return getattr(model, "id", None) or type(model).__name__


def _tool(fn: Any) -> dict[str, Any]:
    info = {"name": fn.name, "description": fn.schema["function"].get("description")}
    for flag in ("requires_confirmation", "requires_user_input", "external_execution"):
        if getattr(fn, flag, False):
            info[flag] = True
    return info


def _agent_details(agent: Agent) -> dict[str, Any]:
    return {
        "instructions": agent.instructions
        if isinstance(agent.instructions, (str, list, type(None)))
        else list(agent.instructions),
        "input_schema": _schema(agent.input_schema),
        "output_schema": _schema(agent.output_schema),
        "tool_call_limit": agent.tool_call_limit,
        "add_history_to_context": agent.add_history_to_context,
        "enable_user_memories": agent.enable_user_memories,
        "enable_session_summaries": agent.enable_session_summaries,
        "tool_schemas": [fn.schema for fn in agent.functions.values()],
    }


def _schema(model: Any) -> dict[str, Any] | None:
    return model.model_json_schema() if model is not None else None


def _step(step: Any) -> dict[str, Any]:
    info: dict[str, Any] = {"name": step.name, "kind": step.kind}
    if step.kind == "step":
        info["work"] = step.work_kind
        if step.requires_confirmation:
            info["requires_confirmation"] = True
    children = step.children()
    if children:
        info["steps"] = [_step(child) for child in children]
    return info
