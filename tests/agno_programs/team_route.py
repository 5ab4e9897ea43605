"""A team in route mode: the leader hands the question to the one member who should answer it."""

from agno.agent import Agent
from agno.models.openai import OpenAIChat
from agno.team import Team, TeamMode

english_agent = Agent(
    name="English Agent",
    role="Answers questions written in English",
    model=OpenAIChat(id="team-english"),
)
french_agent = Agent(
    name="French Agent",
    role="Answers questions written in French",
    model=OpenAIChat(id="team-french"),
)

language_router = Team(
    name="Language Router",
    mode=TeamMode.route,
    model=OpenAIChat(id="team-router"),
    members=[english_agent, french_agent],
    instructions="Send each question to the member who speaks its language.",
)

if __name__ == "__main__":
    response = language_router.run("Bonjour, quelle heure est-il à Paris ?")
    print(response.content)
    assert "Il est midi" in response.content
    language_router.print_response("Hello, what time is it in London?")
