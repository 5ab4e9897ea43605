"""A separate reasoning model plans first; the main model answers with that plan in view."""

from agno.agent import Agent
from agno.models.openai import OpenAIChat

agent = Agent(
    model=OpenAIChat(id="route-writer"),
    reasoning_model=OpenAIChat(id="o3-route-planner"),
    instructions="Give the delivery order as a numbered list.",
)

if __name__ == "__main__":
    response = agent.run(
        "Plan deliveries to the bakery, the library and the harbour, starting from the depot."
    )
    print("Reasoning:", response.reasoning_content)
    print(response.content)
    assert "harbour is closest" in response.reasoning_content
    assert response.content.startswith("1. Harbour")
