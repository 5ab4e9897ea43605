"""A MemoryManager with its own database and model: memories added by hand and from a conversation."""

from agno.agent import Agent
from agno.db.sqlite import SqliteDb
from agno.memory import MemoryManager, UserMemory
from agno.models.openai import OpenAIChat

db = SqliteDb(db_file="tmp/memory_manager.db")
memory_manager = MemoryManager(db=db, model=OpenAIChat(id="memory-curator"))

if __name__ == "__main__":
    user_id = "sam"
    memory_manager.add_user_memory(
        memory=UserMemory(memory="Sam prefers metric units", topics=["preferences"]), user_id=user_id
    )
    memory_manager.create_user_memories(message="I just moved to Lyon for a new job.", user_id=user_id)
    memories = memory_manager.get_user_memories(user_id=user_id)
    print([m.memory for m in memories])
    assert any("metric" in m.memory for m in memories) and any("Lyon" in m.memory for m in memories)

    agent = Agent(
        model=OpenAIChat(id="memory-reader"),
        db=db,
        memory_manager=memory_manager,
        add_memories_to_context=True,
    )
    response = agent.run("How tall is Mont Blanc?", user_id=user_id)
    print(response.content)
    assert "4,806 m" in response.content
