"""A custom guardrail: a BaseGuardrail subclass that checks the run input."""

from agno.agent import Agent
from agno.exceptions import CheckTrigger, InputCheckError
from agno.guardrails import BaseGuardrail
from agno.models.openai import OpenAIChat
from agno.run import RunStatus
from agno.run.agent import RunInput


class NoCredentialsGuardrail(BaseGuardrail):
    """Stops requests that paste credentials into the chat."""

    markers = ("password:", "api_key=", "BEGIN PRIVATE KEY")

    def check(self, run_input: RunInput) -> None:
        text = run_input.input_content_string()
        if any(marker.lower() in text.lower() for marker in self.markers):
            raise InputCheckError(
                "Please do not paste credentials into the chat.",
                check_trigger=CheckTrigger.INPUT_NOT_ALLOWED,
            )

    async def async_check(self, run_input: RunInput) -> None:
        self.check(run_input)


agent = Agent(model=OpenAIChat(id="devops-helper"), pre_hooks=[NoCredentialsGuardrail()])

if __name__ == "__main__":
    ok = agent.run("How do I rotate a database password safely?")
    assert ok.status == RunStatus.completed and "rotate" in ok.content

    stopped = agent.run("Why does this fail? password: hunter2")
    print(stopped.status, stopped.content)
    assert stopped.status != RunStatus.completed
    assert "credentials" in stopped.content
