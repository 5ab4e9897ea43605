"""Session summaries: after each run the session's summary is brought up to date."""

from agno.agent import Agent
from agno.db.sqlite import SqliteDb
from agno.models.openai import OpenAIChat

agent = Agent(
    model=OpenAIChat(id="summary-agent"),
    db=SqliteDb(db_file="tmp/summaries.db"),
    enable_session_summaries=True,
)

if __name__ == "__main__":
    session_id = "trip-planning"
    agent.print_response("I'm planning a trip to Japan in April.", session_id=session_id)
    agent.print_response("I'd like to see the cherry blossoms in Kyoto.", session_id=session_id)

    summary = agent.get_session_summary(session_id=session_id)
    print("Summary:", summary.summary)
    print("Topics:", summary.topics)
    assert "Kyoto" in summary.summary and "April" in summary.summary
