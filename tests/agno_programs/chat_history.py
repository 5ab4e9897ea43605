"""Chat history: earlier runs of the session are sent with the next question."""

from agno.agent import Agent
from agno.db.sqlite import SqliteDb
from agno.models.openai import OpenAIChat

agent = Agent(
    model=OpenAIChat(id="history-chat"),
    db=SqliteDb(db_file="tmp/history.db"),
    add_history_to_context=True,
    num_history_runs=3,
)

if __name__ == "__main__":
    agent.print_response("Hi! My favourite city is Lisbon.")
    agent.print_response("And my favourite food is bacalhau.")
    response = agent.run("Which city and which food did I mention?")
    print(response.content)
    assert "Lisbon" in response.content and "bacalhau" in response.content

    history = agent.get_chat_history()
    user_lines = [m.content for m in history if m.role == "user"]
    print(f"{len(history)} messages in the session")
    assert any("Lisbon" in line for line in user_lines)
