"""Streaming: iterate over a run's content as it arrives."""

from agno.agent import Agent
from agno.models.openai import OpenAIChat

agent = Agent(model=OpenAIChat(id="storyteller"), instructions="Tell very short stories.")

if __name__ == "__main__":
    pieces = []
    for chunk in agent.run("A two-sentence story about a lighthouse keeper.", stream=True):
        if chunk.content:
            print(chunk.content, end="", flush=True)
            pieces.append(chunk.content)
    print()
    story = "".join(pieces)
    assert len(pieces) > 1, "the answer should arrive in pieces"
    assert story.startswith("Every night, Ines") and story.endswith("the lamp to her.")
    assert story.count("Every night") == 1, "each piece of the answer arrives once"
