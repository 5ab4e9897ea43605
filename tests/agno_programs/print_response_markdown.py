"""print_response with markdown, with and without the question shown, streamed and not."""

from agno.agent import Agent
from agno.models.openai import OpenAIChat

agent = Agent(
    model=OpenAIChat(id="field-notes"),
    description="You write short field notes about animals.",
    markdown=True,
)

if __name__ == "__main__":
    agent.print_response("Three facts about sea otters", markdown=True, show_message=False)
    agent.print_response("One fact about beavers", stream=True, show_message=True)
