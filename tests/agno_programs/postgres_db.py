"""Sessions in PostgreSQL: a second agent process picks up the conversation where the first left it."""

import os

from agno.agent import Agent
from agno.db.postgres import PostgresDb
from agno.models.openai import OpenAIChat

db_url = os.getenv("DB_URL", "postgresql+psycopg://ai:ai@localhost:5532/ai")


def make_agent() -> Agent:
    return Agent(
        model=OpenAIChat(id="pg-concierge"),
        db=PostgresDb(db_url=db_url),
        add_history_to_context=True,
        num_history_runs=5,
    )


if __name__ == "__main__":
    session_id = "booking-42"
    make_agent().print_response(
        "Book me a table for two at 8 pm, please.", session_id=session_id, user_id="lea"
    )

    # A new agent object (as in another process or replica), same database and session.
    agent = make_agent()
    response = agent.run("What time did I ask for?", session_id=session_id, user_id="lea")
    print(response.content)
    assert "8 pm" in response.content

    session = agent.get_session(session_id=session_id)
    assert session is not None and session.session_id == session_id
    messages = agent.get_session_messages(session_id=session_id)
    assert [m.role for m in messages if m.role in ("user", "assistant")] == ["user", "assistant"] * 2
