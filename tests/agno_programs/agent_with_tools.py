"""An agent with two tools: a plain function and a @tool-decorated one.

The model looks up the weather, converts the temperature, and answers from both results.
"""

from agno.agent import Agent
from agno.models.openai import OpenAIChat
from agno.tools import tool


def get_weather(city: str) -> str:
    """Get the current weather in a city.

    Args:
        city: Name of the city, e.g. Paris.
    """
    readings = {"Paris": "18°C and sunny", "Oslo": "4°C with light rain"}
    return readings.get(city, "no reading")


@tool(name="celsius_to_fahrenheit", description="Convert a temperature from Celsius to Fahrenheit.")
def to_fahrenheit(celsius: float) -> str:
    return f"{celsius * 9 / 5 + 32:.1f}°F"


agent = Agent(
    model=OpenAIChat(id="weather-agent"),
    tools=[get_weather, to_fahrenheit],
    instructions="Answer in one sentence, quoting the tool results.",
    markdown=True,
)

if __name__ == "__main__":
    response = agent.run("What's the weather in Paris? Give Fahrenheit too.")
    print(response.content)
    assert "18°C and sunny" in response.content and "64.4°F" in response.content
    assert [t.tool_name for t in response.tools] == ["get_weather", "celsius_to_fahrenheit"]

    # The same agent, streamed to the terminal.
    agent.print_response("And in Oslo?", stream=True)
