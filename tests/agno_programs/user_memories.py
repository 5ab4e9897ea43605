"""User memories: facts the agent learns about a user, kept across sessions, shown in later runs."""

from agno.agent import Agent
from agno.db.sqlite import SqliteDb
from agno.models.openai import OpenAIChat

db = SqliteDb(db_file="tmp/memories.db")
agent = Agent(
    model=OpenAIChat(id="memory-agent"),
    db=db,
    update_memory_on_run=True,
    add_memories_to_context=True,
)

if __name__ == "__main__":
    user_id = "ava@example.com"
    agent.print_response("Hi, I'm Ava. I love hiking in the Alps.", user_id=user_id, session_id="first-chat")

    memories = agent.get_user_memories(user_id=user_id)
    for memory in memories:
        print("memory:", memory.memory)
    assert any("hiking" in memory.memory for memory in memories)

    # A new session: what the agent knows about Ava comes from her memories, not the chat history.
    response = agent.run("Suggest a weekend plan for me.", user_id=user_id, session_id="second-chat")
    print(response.content)
    assert "Alps" in response.content

    # Another user has no memories.
    assert not agent.get_user_memories(user_id="someone-else@example.com")
