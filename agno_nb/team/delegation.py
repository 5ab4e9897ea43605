"""The leader's delegation tools, per team mode, and running a member as a nested run."""

from __future__ import annotations

import asyncio
import json
from typing import TYPE_CHECKING, Any, Callable, Literal

from ..agent.context import RunContext
from ..run_events import RunCompleted, RunError, RunPaused
from ..tools.function import Function, serialize_result

if TYPE_CHECKING:
    from .team import Team

__all__ = ["delegation_tools", "run_member", "MemberFailed"]


class MemberFailed(RuntimeError):
    """A member's run ended without an answer; the leader is told why and can try another way."""


async def run_member(team: "Team", member_id: str, task: str, run_context: RunContext, tool_span: str) -> str:
    """Run one member on ``task`` as a nested run; its events go into the team's stream as they happen."""
    member = team.member(member_id)
    interactions: list[str] = run_context.metadata.setdefault("member_interactions", [])
    if team.share_member_interactions and interactions:
        task = f"{task}\n\nWhat other team members said so far:\n" + "\n".join(interactions)
    if team.add_team_history_to_members:
        history = await _team_history(team, run_context)
        if history:
            task = f"{task}\n\nThe team's conversation with the user so far:\n{history}"
    stream = member._nested_stream(task, parent=run_context, parent_span=tool_span,
                                   store=run_context.store, session_state=run_context.session_state)
    ending = None
    member_run_id = None
    async for event in stream:
        run_context.emit(event)
        if member_run_id is None:
            member_run_id = event.run_id
        if event.run_id == member_run_id and isinstance(event, (RunCompleted, RunError, RunPaused)):
            ending = event
    if isinstance(ending, RunError):
        raise MemberFailed(f"member {member_id} failed: {ending.error_type}: {ending.error}")
    if isinstance(ending, RunPaused):
        pending = ", ".join(r.tool_name for r in ending.requirements)
        raise MemberFailed(f"member {member_id} stopped to wait for a person ({pending}); its tools need "
                           f"confirmation, which a team run cannot give: run {member_id} on its own for that.")
    if ending is None or ending.status != "completed":
        reason = getattr(ending, "reason", None) or "no answer"
        raise MemberFailed(f"member {member_id} ended without an answer: {reason}")
    answer = serialize_result(ending.content)
    interactions.append(f"{member_id}: {answer}")
    return answer


async def _team_history(team: "Team", run_context: RunContext) -> str:
    """The user/answer pairs of the team session's last runs, as a transcript for a member."""
    store = run_context.store
    if store is None or not run_context.session_id:
        return ""
    runs = await asyncio.to_thread(store.last_runs, run_context.session_id, team.num_history_runs)
    lines = []
    for run in runs:
        for message in run.messages or ():
            if message.get("role") in ("user", "assistant") and isinstance(message.get("content"), str):
                lines.append(f"{message['role']}: {message['content']}")
    return "\n".join(lines)


def delegation_tools(team: "Team") -> list[Function]:
    member_id_type: Any = Literal[tuple(m.id for m in team.members)]  # an enum: no invented members
    builders: dict[str, Callable[["Team", Any], list[Function]]] = {
        "route": _route_tools, "coordinate": _coordinate_tools, "collaborate": _collaborate_tools,
        "tasks": _task_tools}
    tools = builders[team.mode](team, member_id_type)
    for tool in tools:
        tool.emits_events = True
    return tools


def _typed(fn: Callable[..., Any], **annotations: Any) -> Callable[..., Any]:
    fn.__annotations__ = {**fn.__annotations__, **annotations}
    return fn


def _route_tools(team: "Team", member_id_type: Any) -> list[Function]:
    async def route_to_member(run_context: RunContext, tool_span: str, member_id: str, task: str) -> str:
        """Hand the request to the one member best placed to answer it; their answer is final.

        Args:
            member_id: the member to answer
            task: the request, restated with everything the member needs
        """
        return await run_member(team, member_id, task, run_context, tool_span)

    return [Function(_typed(route_to_member, member_id=member_id_type), stop_after_tool_call=True)]


def _coordinate_tools(team: "Team", member_id_type: Any) -> list[Function]:
    async def delegate_task_to_member(run_context: RunContext, tool_span: str, member_id: str, task: str,
                                      expected_output: str | None = None) -> str:
        """Give a sub-task to one member and get their result back.

        Args:
            member_id: the member to do the sub-task
            task: the sub-task, with everything the member needs to know
            expected_output: what a good result looks like
        """
        if expected_output:
            task = f"{task}\n\nExpected output: {expected_output}"
        return await run_member(team, member_id, task, run_context, tool_span)

    return [Function(_typed(delegate_task_to_member, member_id=member_id_type))]


def _collaborate_tools(team: "Team", member_id_type: Any) -> list[Function]:
    async def delegate_task_to_all_members(run_context: RunContext, tool_span: str, task: str) -> str:
        """Send the same task to every member at once and collect all their answers.

        Args:
            task: the task, with everything the members need to know
        """
        results = await asyncio.gather(*(run_member(team, m.id, task, run_context, tool_span)
                                         for m in team.members), return_exceptions=True)
        return json.dumps({m.id: (f"Error: {r}" if isinstance(r, BaseException) else r)
                           for m, r in zip(team.members, results)}, ensure_ascii=False)

    return [Function(delegate_task_to_all_members)]


def _task_tools(team: "Team", member_id_type: Any) -> list[Function]:
    def tasks_of(run_context: RunContext) -> dict[str, dict[str, Any]]:
        return run_context.metadata.setdefault("team_tasks", {})

    # async with no await: several add_task calls of one turn run on the loop one after the other, in the
    # order the model asked (a sync tool would go to a thread, where ids could race)
    async def add_task(run_context: RunContext, title: str, description: str, member_id: str,
                       depends_on: list[str] | None = None) -> str:
        """Add a task to the team's list.

        Args:
            title: a short name
            description: what to do, with everything the member needs
            member_id: who does it
            depends_on: ids of tasks whose results this task needs (e.g. ["t1"])
        """
        tasks = tasks_of(run_context)
        unknown = [d for d in depends_on or () if d not in tasks]
        if unknown:
            raise ValueError(f"unknown task ids in depends_on: {unknown}; existing: {sorted(tasks)}")
        task_id = f"t{len(tasks) + 1}"
        tasks[task_id] = {"id": task_id, "title": title, "description": description, "member_id": member_id,
                          "depends_on": list(depends_on or ()), "status": "pending", "result": None}
        return f"added {task_id}"

    async def run_ready_tasks(run_context: RunContext, tool_span: str) -> str:
        """Run every pending task whose dependencies are done, in parallel; return the updated list."""
        tasks = tasks_of(run_context)
        rounds = run_context.metadata["team_rounds"] = run_context.metadata.get("team_rounds", 0) + 1
        if rounds > team.max_iterations:
            raise RuntimeError(f"max_iterations={team.max_iterations} rounds reached; answer with what is done")
        ready = [t for t in tasks.values() if t["status"] == "pending"
                 and all(tasks[d]["status"] == "done" for d in t["depends_on"])]
        if not ready:
            return "No task is ready: " + json.dumps(list(tasks.values()), ensure_ascii=False)

        async def one(task: dict[str, Any]) -> None:
            context = "".join(f"\n\nResult of {d} ({tasks[d]['title']}):\n{tasks[d]['result']}"
                              for d in task["depends_on"])
            try:
                task["result"] = await run_member(team, task["member_id"], task["description"] + context,
                                                  run_context, tool_span)
                task["status"] = "done"
            except Exception as exc:  # recorded on the task; the leader decides what to do
                task["result"], task["status"] = str(exc), "failed"

        await asyncio.gather(*(one(t) for t in ready))
        return json.dumps(list(tasks.values()), ensure_ascii=False)

    def list_tasks(run_context: RunContext) -> str:
        """The task list with each task's status and result."""
        return json.dumps(list(tasks_of(run_context).values()), ensure_ascii=False)

    return [Function(_typed(add_task, member_id=member_id_type)), Function(run_ready_tasks), Function(list_tasks)]
