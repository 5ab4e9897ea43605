"""A coordinating team: the leader delegates research and writing, then puts the answer together."""

from agno.agent import Agent
from agno.models.openai import OpenAIChat
from agno.team import Team


def search_prices(product: str) -> str:
    """Look up current prices of a product in three shops.

    Args:
        product: What to look up.
    """
    return f"{product}: ShopA 499 EUR, ShopB 479 EUR, ShopC 520 EUR"


researcher = Agent(
    name="Researcher",
    role="Finds prices and facts with the search tool",
    model=OpenAIChat(id="coord-researcher"),
    tools=[search_prices],
)
writer = Agent(
    name="Writer",
    role="Turns research notes into a short recommendation",
    model=OpenAIChat(id="coord-writer"),
)

team = Team(
    name="Shopping desk",
    model=OpenAIChat(id="coord-leader"),
    members=[researcher, writer],
    instructions="First ask the Researcher, then the Writer. Reply with the Writer's recommendation.",
    show_members_responses=True,
    markdown=True,
)

if __name__ == "__main__":
    response = team.run("Where should I buy the Nimbus 3 e-reader?")
    print(response.content)
    assert "ShopB" in response.content and "479" in response.content
    names = [member.agent_name for member in response.member_responses]
    assert names == ["Researcher", "Writer"], names
    assert "ShopB 479 EUR" in response.member_responses[0].content or any(
        "ShopB 479" in str(tool.result) for tool in response.member_responses[0].tools
    )
    team.print_response("And the Nimbus 2?", stream=True)
