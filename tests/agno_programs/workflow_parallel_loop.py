"""Parallel steps and a loop that runs until its end condition holds."""

from typing import List

from agno.agent import Agent
from agno.models.openai import OpenAIChat
from agno.workflow import Loop, Parallel, Step, StepInput, StepOutput, Workflow

news_agent = Agent(name="News", role="Finds recent news", model=OpenAIChat(id="wf-news"))
papers_agent = Agent(name="Papers", role="Finds research papers", model=OpenAIChat(id="wf-papers"))

attempts = []


def refine(step_input: StepInput) -> StepOutput:
    attempts.append(step_input.input)
    quality = len(attempts) * 40
    return StepOutput(content=f"draft v{len(attempts)} (quality {quality})")


def good_enough(outputs: List[StepOutput]) -> bool:
    return any("quality 80" in (output.content or "") for output in outputs)


workflow = Workflow(
    name="Research digest",
    steps=[
        Parallel(
            Step(name="news", agent=news_agent),
            Step(name="papers", agent=papers_agent),
            name="gather",
        ),
        Loop(
            name="polish",
            steps=[Step(name="refine", executor=refine)],
            end_condition=good_enough,
            max_iterations=5,
        ),
    ],
)

if __name__ == "__main__":
    result = workflow.run("Solid-state batteries")
    gather, polish = result.step_results
    print(gather.step_name, "->", gather.content)
    print(polish.step_name, "->", polish.content)
    assert [gather.step_name, polish.step_name] == ["gather", "polish"]
    assert "Toyota" in str(gather.content) and "Nature" in str(gather.content)
    assert len(attempts) == 2
    assert result.content == "draft v2 (quality 80)"
