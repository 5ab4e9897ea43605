"""A broadcast team: every member answers the same question; the leader combines their views."""

from agno.agent import Agent
from agno.models.openai import OpenAIChat
from agno.team import Team, TeamMode

optimist = Agent(name="Optimist", role="Sees the upside", model=OpenAIChat(id="panel-optimist"))
skeptic = Agent(name="Skeptic", role="Sees the risks", model=OpenAIChat(id="panel-skeptic"))

panel = Team(
    name="Review panel",
    mode=TeamMode.broadcast,
    model=OpenAIChat(id="panel-leader"),
    members=[optimist, skeptic],
    instructions="Ask every member, then weigh their views in two sentences.",
)

if __name__ == "__main__":
    response = panel.run("Should we move our nightly batch jobs to serverless functions?")
    print(response.content)
    assert "cost" in response.content and "cold starts" in response.content
    assert len(response.member_responses) == 2
