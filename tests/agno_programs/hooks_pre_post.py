"""Pre- and post-hooks: audit and clean the input, post-process and check the output."""

from agno.agent import Agent
from agno.exceptions import CheckTrigger, OutputCheckError
from agno.models.openai import OpenAIChat
from agno.run import RunStatus
from agno.run.agent import RunInput, RunOutput

audit = []


def record_request(run_input: RunInput, agent: Agent) -> None:
    audit.append((agent.name, run_input.input_content_string()))


def normalise_whitespace(run_input: RunInput) -> None:
    run_input.input_content = " ".join(run_input.input_content_string().split())


def add_disclaimer(run_output: RunOutput) -> None:
    run_output.content = f"{run_output.content}\n\n(Not financial advice.)"


def require_a_source(run_output: RunOutput) -> None:
    if "Source:" not in (run_output.content or ""):
        raise OutputCheckError(
            "The answer must cite a source.", check_trigger=CheckTrigger.OUTPUT_NOT_ALLOWED
        )


analyst = Agent(
    name="Analyst",
    model=OpenAIChat(id="hooked-analyst"),
    pre_hooks=[record_request, normalise_whitespace],
    post_hooks=[add_disclaimer],
)
strict_analyst = Agent(
    name="Strict analyst", model=OpenAIChat(id="hooked-analyst"), post_hooks=[require_a_source]
)

if __name__ == "__main__":
    response = analyst.run("What   is   an   index   fund?")
    print(response.content)
    assert audit == [("Analyst", "What   is   an   index   fund?")]
    assert response.content.endswith("(Not financial advice.)")

    checked = strict_analyst.run("Should I buy bonds?")
    print(checked.status, checked.content)
    assert checked.status != RunStatus.completed
