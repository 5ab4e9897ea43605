"""Instructions as a function, dependencies resolved at run time, and the context an agent adds itself."""

from agno.agent import Agent
from agno.models.openai import OpenAIChat


def get_instructions(agent: Agent) -> str:
    return f"You are {agent.name}. Greet the customer by their first name and mention their tier."


def current_customer() -> dict:
    return {"first_name": "Noor", "tier": "gold"}


agent = Agent(
    name="Concierge",
    role="Front desk of a hotel",
    model=OpenAIChat(id="concierge"),
    instructions=get_instructions,
    dependencies={"customer": current_customer},
    add_dependencies_to_context=True,
    add_datetime_to_context=True,
    additional_context="The spa closes at 9 pm.",
    expected_output="One friendly sentence.",
)

if __name__ == "__main__":
    response = agent.run("Hi! When does the spa close?")
    print(response.content)
    assert response.content == "Welcome back, Noor! As a gold member: the spa is open until 9 pm."
