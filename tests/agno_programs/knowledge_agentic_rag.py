"""Agentic RAG: the agent searches a Chroma knowledge base before it answers.

Two handbook pages go into a persistent Chroma collection, embedded by an OpenAI-compatible embedding
model; the agent calls its knowledge search tool and answers from what it found.
"""

from agno.agent import Agent
from agno.knowledge.embedder.openai import OpenAIEmbedder
from agno.knowledge.knowledge import Knowledge
from agno.models.openai import OpenAIChat
from agno.vectordb.chroma import ChromaDb

knowledge = Knowledge(
    name="Handbook",
    vector_db=ChromaDb(collection="handbook", path="tmp/chromadb", persistent_client=True,
                       embedder=OpenAIEmbedder(id="text-embedding-3-small")),
)
knowledge.insert(name="leave", text_content="Every employee gets 27 days of paid leave a year. "
                                                 "Unused days expire at the end of March.")
knowledge.insert(name="expenses", text_content="Travel expenses are reimbursed within 14 days of "
                                                    "filing the receipt in the expenses portal.")

agent = Agent(
    model=OpenAIChat(id="librarian"),
    knowledge=knowledge,
    search_knowledge=True,
    instructions="Answer from the knowledge base only, in one sentence.",
)

if __name__ == "__main__":
    response = agent.run("How many days of paid leave do I get?")
    print(response.content)
    assert "27 days" in response.content
    assert [t.tool_name for t in response.tools] == ["search_knowledge_base"]
