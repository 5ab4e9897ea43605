"""Human in the loop: a person rejects a tool call; the tool never runs and the model is told why."""

from agno.agent import Agent
from agno.db.sqlite import SqliteDb
from agno.models.openai import OpenAIChat
from agno.tools import tool

sent = []


@tool(requires_confirmation=True)
def send_newsletter(audience: str, subject: str) -> str:
    """Send the newsletter to an audience.

    Args:
        audience: Who receives it, e.g. "all-customers".
        subject: The email subject.
    """
    sent.append(audience)
    return f"Sent '{subject}' to {audience}"


agent = Agent(
    model=OpenAIChat(id="newsletter-bot"), tools=[send_newsletter], db=SqliteDb(db_file="tmp/news.db")
)

if __name__ == "__main__":
    run_response = agent.run("Send the 'Spring sale' newsletter to all customers.")
    assert run_response.is_paused
    requirement = run_response.active_requirements[0]
    assert requirement.tool_execution.tool_args["audience"] == "all-customers"
    requirement.reject(note="Marketing has not approved the copy yet")

    run_response = agent.continue_run(run_id=run_response.run_id, requirements=run_response.requirements)
    print(run_response.content)
    assert sent == []
    assert "not approved" in run_response.content
    assert not run_response.is_paused
