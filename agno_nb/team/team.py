"""``Team``: agents (or teams) working under a leader model, in one of four modes.

- ``route``: the leader picks one member; that member's answer is the team's answer, as is.
- ``coordinate``: the leader delegates sub-tasks to members, then writes the answer from their results.
- ``collaborate`` (alias ``broadcast``): every member works on the same task at once; the leader
  synthesizes.
- ``tasks``: the leader keeps a task list (with dependencies), runs ready tasks on members (in
  parallel where independent) until done or ``max_iterations`` rounds.

The leader is an ``Agent`` whose only tools are the delegation tools of its mode. A member id is an
enum of the real members, so a model cannot invent one (Agno's free-text ids can). Members never see
the delegation tools; they run their own loop, with their own tools and confirmation rules, as nested
runs of the team run: their events stream through the team's stream under the delegation's span, and
stored member runs carry the team run as ``parent_run_id``.
"""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING, Any, Sequence

from ..agent.agent import Agent
from ..errors import ConfigurationError
from ..models.base import Model
from ..run_events import slug_id
from .delegation import delegation_tools

if TYPE_CHECKING:
    from pydantic import BaseModel

    from ..storage.base import Store

__all__ = ["Team", "TeamMode", "MODES"]

MODES = ("route", "coordinate", "collaborate", "broadcast", "tasks")


class TeamMode(str, enum.Enum):
    """The modes as an enum (Agno's ``TeamMode``); plain strings work the same."""

    coordinate = "coordinate"
    route = "route"
    collaborate = "collaborate"
    broadcast = "broadcast"
    tasks = "tasks"

_MODE_INSTRUCTIONS = {
    "route": "You lead a team. Send the user's request to the single best member with route_to_member; "
             "their answer goes to the user as it is.",
    "coordinate": "You lead a team. Break the request into sub-tasks, delegate each to the best member with "
                  "delegate_task_to_member (several at once when independent), then answer the user from "
                  "their results.",
    "collaborate": "You lead a team. Send the task to all members with delegate_task_to_all_members, then "
                   "synthesize one answer from their contributions.",
    "tasks": "You lead a team through a task list: add tasks with add_task (member and dependencies), run the "
             "ready ones with run_ready_tasks, repeat until every task is done, then answer the user.",
}


class Team:
    """A leader model and its members (agents or teams). Runs like an agent: ``run``, ``arun``, streaming."""

    def __init__(
        self,
        *,
        name: str,
        members: Sequence["Agent | Team"],
        mode: str = "coordinate",
        model: str | Model | None = None,
        id: str | None = None,
        description: str | None = None,
        instructions: str | Sequence[str] | None = None,
        db: "Store | str | None" = None,
        session_state: dict[str, Any] | None = None,
        output_schema: "type[BaseModel] | None" = None,
        markdown: bool = False,
        share_member_interactions: bool = False,
        add_history_to_context: bool = False,
        add_team_history_to_members: bool = False,
        num_history_runs: int = 3,
        max_iterations: int = 10,
        tool_call_limit: int | None = None,
        user_id: str | None = None,
        session_id: str | None = None,
        debug: bool = False,
        role: str | None = None,
        show_members_responses: bool = False,
        stream: bool | None = None,
        debug_mode: bool | None = None,
        knowledge: Any = None,
        search_knowledge: bool | None = None,
        add_knowledge_to_context: bool = False,
        knowledge_filters: dict[str, Any] | None = None,
        enable_agentic_filters: bool = False,
        references_format: str = "json",
    ):
        mode = mode.value if isinstance(mode, TeamMode) else mode
        if mode not in MODES:
            raise ConfigurationError(f"Team {name!r}: mode must be one of {', '.join(MODES)}; got {mode!r}.")
        self.name = name
        self.id = id or slug_id(name, "team")
        self.mode = "collaborate" if mode == "broadcast" else mode
        self.members = list(members)
        self.model = model
        self.description = description
        self.instructions = instructions
        self.db = db
        self.session_state = session_state
        from ..agent.structured import check_output_schema

        check_output_schema(output_schema)
        self.output_schema = output_schema
        self.markdown = markdown
        #: members see what earlier members answered in this run
        self.share_member_interactions = share_member_interactions
        #: the leader sees the session's last ``num_history_runs`` runs; with ``add_team_history_to_members``
        #: each member's task carries that conversation too
        self.add_history_to_context = add_history_to_context
        self.add_team_history_to_members = add_team_history_to_members
        self.num_history_runs = num_history_runs
        self.max_iterations = max_iterations
        self.tool_call_limit = tool_call_limit
        self.user_id = user_id
        self._session_id = session_id
        self.debug = debug if debug_mode is None else debug_mode
        #: what this team does, when it is a member of another team
        self.role = role
        #: ``print_response`` also prints each member's answer (Agno's option)
        self.show_members_responses = show_members_responses
        self.stream = stream
        #: the leader's knowledge options (see ``Agent``): the leader searches, members keep their own
        self.knowledge_options = {"knowledge": knowledge, "search_knowledge": search_knowledge,
                                  "add_knowledge_to_context": add_knowledge_to_context,
                                  "knowledge_filters": knowledge_filters,
                                  "enable_agentic_filters": enable_agentic_filters,
                                  "references_format": references_format}
        self._leader: Agent | None = None
        self._validate()

    def _validate(self) -> None:
        """Members are agents or teams with distinct ids, and no team contains itself."""
        if not self.members:
            raise ConfigurationError(f"Team {self.name!r} needs at least one member.")
        for member in self.members:
            if not isinstance(member, (Agent, Team)):
                raise ConfigurationError(f"Team {self.name!r}: members are Agents or Teams, got {member!r}.")
        ids = [m.id for m in self.members]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise ConfigurationError(f"Team {self.name!r}: member ids must be unique; repeated: {duplicates}. "
                                     f"Give members distinct names or ids.")
        check_no_cycle(self)

    @property
    def session_id(self) -> str | None:
        """The team's current session (as in Agno, a run without a session id continues it)."""
        return self._leader.session_id if self._leader is not None else self._session_id

    @session_id.setter
    def session_id(self, value: str | None) -> None:
        self._session_id = value
        if self._leader is not None:
            self._leader.session_id = value

    # ---------------------------------------------------------------------------------- leader

    @property
    def leader(self) -> Agent:
        """The agent that runs the team's loop (built once)."""
        if self._leader is None:
            self._validate()  # members may have changed since construction
            roster = "\n".join(f"- {m.id}: {_role(m)}" for m in self.members)
            own = [self.instructions] if isinstance(self.instructions, str) else list(self.instructions or ())
            limit = self.tool_call_limit
            if limit is None and self.mode == "tasks":
                limit = 4 * self.max_iterations + 20
            leader = Agent(name=self.name, id=self.id, model=self.model, description=self.description,
                           instructions=[_MODE_INSTRUCTIONS[self.mode], *own, f"Members:\n{roster}"],
                           tools=delegation_tools(self), db=self.db, session_state=self.session_state,
                           output_schema=self.output_schema if self.mode != "route" else None,
                           markdown=self.markdown, tool_call_limit=limit, user_id=self.user_id,
                           session_id=self.session_id, debug=self.debug,
                           add_history_to_context=self.add_history_to_context,
                           num_history_runs=self.num_history_runs, **self.knowledge_options)
            leader._kind = "team"
            self._leader = leader
        return self._leader

    def member(self, member_id: str) -> "Agent | Team":
        for member in self.members:
            if member.id == member_id:
                return member
        raise ConfigurationError(f"Team {self.name!r} has no member {member_id!r}; members: "
                                 f"{[m.id for m in self.members]}.")

    # ------------------------------------------------------------------------------------ runs

    def run(self, input: Any = None, **kwargs: Any) -> Any:
        """Run the team synchronously (``stream=True`` for an iterator of events); see ``Agent.run``."""
        return self.leader.run(input, **kwargs)

    def arun(self, input: Any = None, **kwargs: Any) -> Any:
        """Run the team asynchronously; see ``Agent.arun``."""
        return self.leader.arun(input, **kwargs)

    def continue_run(self, run: Any, requirements: Any = None, **kwargs: Any) -> Any:
        return self.leader.continue_run(run, requirements, **kwargs)

    def acontinue_run(self, run: Any, requirements: Any = None, **kwargs: Any) -> Any:
        """``continue_run`` for async code; see ``Agent.acontinue_run``."""
        return self.leader.acontinue_run(run, requirements, **kwargs)

    def print_response(self, input: Any = None, **kwargs: Any) -> Any:
        """Run and print the team's answer (see ``Agent.print_response``); with
        ``show_members_responses`` each member's answer is printed too."""
        from ..agent.printing import print_response

        return print_response(self, input, **kwargs)

    async def aprint_response(self, input: Any = None, **kwargs: Any) -> Any:
        from ..agent.printing import aprint_response

        return await aprint_response(self, input, **kwargs)

    def get_chat_history(self, session_id: str | None = None, **kwargs: Any) -> list[Any]:
        return self.leader.get_chat_history(session_id, **kwargs)

    def __getattr__(self, name: str) -> Any:
        # The session API of the leader (get_session, get_session_summary, get_user_memories, ...).
        if name.startswith(("get_session", "get_user_memories", "rename_session", "delete_session",
                            "fork_session", "get_run_requirements", "acontinue_run")):
            return getattr(self.leader, name)
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def store(self) -> "Store | None":
        return self.leader.store()

    def _nested_stream(self, input: Any, **kwargs: Any) -> Any:
        return self.leader._nested_stream(input, **kwargs)

    def __repr__(self) -> str:
        return f"Team(name={self.name!r}, mode={self.mode!r}, members={[m.id for m in self.members]})"


def check_no_cycle(team: Team, path: tuple[Team, ...] = ()) -> None:
    """Refuse a team that contains itself, directly or through nested teams."""
    if any(t is team for t in path):
        names = " -> ".join(t.name for t in (*path, team))
        raise ConfigurationError(f"Team cycle: {names}. A team cannot contain itself.")
    for member in team.members:
        if isinstance(member, Team):
            check_no_cycle(member, (*path, team))


def _role(member: "Agent | Team") -> str:
    if member.role:
        return member.role.strip().splitlines()[0][:200]
    if isinstance(member, Team):
        return f"a team ({member.mode}) of {', '.join(m.id for m in member.members)}" + (
            f": {member.description}" if member.description else "")
    instructions = member.instructions if not callable(member.instructions) else None
    text = member.description or (instructions if isinstance(instructions, str)
                                  else " ".join(instructions or ()))
    return (text or "an assistant").strip().splitlines()[0][:200]

