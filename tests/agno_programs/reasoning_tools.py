"""ReasoningTools: the model thinks and analyses step by step through tools before it answers."""

from agno.agent import Agent
from agno.models.openai import OpenAIChat
from agno.tools.reasoning import ReasoningTools

agent = Agent(
    model=OpenAIChat(id="careful-thinker"),
    tools=[ReasoningTools(add_instructions=True)],
    instructions="Check your arithmetic before answering.",
    markdown=True,
)

if __name__ == "__main__":
    response = agent.run("Is 221 a prime number?")
    print(response.content)
    assert "13 × 17" in response.content
    assert [tool.tool_name for tool in response.tools] == ["think", "analyze"]
    agent.print_response("Is 223 a prime number?", stream=True, show_full_reasoning=True)
