"""A workflow of steps: two agents and a Python function, printed as it runs, then inspected."""

from agno.agent import Agent
from agno.db.sqlite import SqliteDb
from agno.models.openai import OpenAIChat
from agno.workflow import Step, StepInput, StepOutput, Workflow

researcher = Agent(
    name="Researcher",
    role="Collects three facts about a topic",
    model=OpenAIChat(id="wf-researcher"),
)
writer = Agent(
    name="Writer",
    role="Writes a short paragraph from research notes",
    model=OpenAIChat(id="wf-writer"),
)


def count_words(step_input: StepInput) -> StepOutput:
    draft = step_input.previous_step_content or ""
    return StepOutput(content=f"{len(draft.split())} words")


blog_workflow = Workflow(
    name="Blog post",
    description="Research a topic, draft a paragraph, measure it.",
    db=SqliteDb(db_file="tmp/workflows.db"),
    steps=[
        Step(name="research", agent=researcher),
        Step(name="draft", agent=writer),
        Step(name="measure", executor=count_words),
    ],
)

if __name__ == "__main__":
    blog_workflow.print_response("Electric cargo bikes", markdown=True)

    result = blog_workflow.run("Electric cargo bikes")
    for step in result.step_results:
        print(f"{step.step_name}: {step.content}")
    assert [step.step_name for step in result.step_results] == ["research", "draft", "measure"]
    assert all(step.content for step in result.step_results)
    assert result.content == result.step_results[-1].content == "21 words"
