"""Workflow session state: function steps and an agent's tool share one state across the steps."""

from agno.agent import Agent
from agno.db.sqlite import SqliteDb
from agno.models.openai import OpenAIChat
from agno.run import RunContext
from agno.workflow import Step, StepInput, StepOutput, Workflow


def add_task(run_context: RunContext, title: str) -> str:
    """Add a task to the sprint board.

    Args:
        title: A short task title.
    """
    run_context.session_state["tasks"].append(title)
    return f"Added '{title}' ({len(run_context.session_state['tasks'])} tasks)"


planner = Agent(name="Planner", model=OpenAIChat(id="sprint-planner"), tools=[add_task])


def open_sprint(step_input: StepInput, run_context: RunContext) -> StepOutput:
    run_context.session_state["sprint"] = step_input.input
    return StepOutput(content=f"Sprint '{step_input.input}' opened")


def close_planning(step_input: StepInput, run_context: RunContext) -> StepOutput:
    tasks = run_context.session_state["tasks"]
    return StepOutput(
        content=f"{run_context.session_state['sprint']}: {len(tasks)} tasks ({', '.join(tasks)})"
    )


workflow = Workflow(
    name="Sprint planning",
    db=SqliteDb(db_file="tmp/sprints.db"),
    session_state={"tasks": []},
    steps=[
        Step(name="open", executor=open_sprint),
        Step(name="plan", agent=planner),
        Step(name="close", executor=close_planning),
    ],
)

if __name__ == "__main__":
    result = workflow.run("Checkout revamp")
    print(result.content)
    assert result.content == "Checkout revamp: 2 tasks (Design the new cart, Add Apple Pay)"
    state = workflow.get_session_state()
    assert state["tasks"] == ["Design the new cart", "Add Apple Pay"] and state["sprint"] == "Checkout revamp"
