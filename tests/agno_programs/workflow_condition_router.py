"""Conditions and routers: a step that runs only when needed, then a choice between specialists."""

import re
from typing import List

from agno.agent import Agent
from agno.models.openai import OpenAIChat
from agno.workflow import Condition, Router, Step, StepInput, Workflow

sizing_agent = Agent(name="Sizing", role="Works out memory needs of models", model=OpenAIChat(id="wf-sizing"))
hardware_expert = Agent(name="Hardware expert", model=OpenAIChat(id="wf-hardware"))
software_expert = Agent(name="Software expert", model=OpenAIChat(id="wf-software"))

hardware_step = Step(name="hardware", agent=hardware_expert)
software_step = Step(name="software", agent=software_expert)


def mentions_model_size(step_input: StepInput) -> bool:
    return re.search(r"\b\d+B\b", step_input.input) is not None


def pick_expert(step_input: StepInput) -> List[Step]:
    question = step_input.input.lower()
    return [hardware_step] if any(word in question for word in ("gpu", "cpu", "ram")) else [software_step]


support_workflow = Workflow(
    name="Tech support",
    steps=[
        Condition(
            name="size first", evaluator=mentions_model_size, steps=[Step(name="sizing", agent=sizing_agent)]
        ),
        Router(name="expert", selector=pick_expert, choices=[hardware_step, software_step]),
    ],
)

if __name__ == "__main__":
    gpu = support_workflow.run("Which GPU do I need for a 13B model?")
    print(gpu.content)
    assert "24 GB" in gpu.content

    python = support_workflow.run("How do I pin package versions in Python?")
    print(python.content)
    assert "requirements" in python.content
    support_workflow.print_response("Is 16 GB of RAM enough for Docker?")
