"""Any provider through LiteLLM: the same agent, with a tool, over LiteLLM's client."""

import os

from agno.agent import Agent
from agno.models.litellm import LiteLLM


def exchange_rate(base: str, quote: str) -> str:
    """The current exchange rate between two currencies.

    Args:
        base: Currency code to convert from, e.g. EUR.
        quote: Currency code to convert to, e.g. USD.
    """
    return f"1 {base} = 1.08 {quote}"


agent = Agent(
    model=LiteLLM(
        id="openai/fx-desk", api_base=os.environ["OPENAI_BASE_URL"], api_key="sk-test", temperature=0
    ),
    tools=[exchange_rate],
)

if __name__ == "__main__":
    response = agent.run("How many dollars is 250 euros?")
    print(response.content)
    assert "270.00 USD" in response.content
