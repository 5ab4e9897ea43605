"""Async agents: concurrent runs with arun, streamed events, and aprint_response."""

import asyncio

from agno.agent import Agent
from agno.models.openai import OpenAIChat


async def lookup_capital(country: str) -> str:
    """The capital city of a country.

    Args:
        country: The country's name in English.
    """
    await asyncio.sleep(0.01)
    return {"Japan": "Tokyo", "Kenya": "Nairobi", "Peru": "Lima"}.get(country, "unknown")


agent = Agent(model=OpenAIChat(id="geo-async"), tools=[lookup_capital])


async def main() -> None:
    answers = await asyncio.gather(*(agent.arun(f"What is the capital of {c}?") for c in ("Japan", "Kenya")))
    print([a.content for a in answers])
    assert "Tokyo" in answers[0].content and "Nairobi" in answers[1].content

    chunks = []
    async for event in agent.arun("What is the capital of Peru?", stream=True):
        if getattr(event, "content", None):
            chunks.append(event.content)
    print("".join(chunks))
    assert "Lima" in "".join(chunks)

    await agent.aprint_response("And the capital of Japan?", stream=True)


if __name__ == "__main__":
    asyncio.run(main())
