"""Structured output in JSON mode (for models without native schemas), with a nested model."""

from typing import List

from agno.agent import Agent
from agno.models.openai import OpenAIChat
from pydantic import BaseModel


class Stop(BaseModel):
    city: str
    nights: int


class Itinerary(BaseModel):
    title: str
    stops: List[Stop]


planner = Agent(
    model=OpenAIChat(id="trip-planner"),
    instructions="Plan short trips. Keep it to three stops or fewer.",
    output_schema=Itinerary,
    use_json_mode=True,
)

if __name__ == "__main__":
    itinerary: Itinerary = planner.run("Five nights in northern Italy").content
    print(itinerary.model_dump_json(indent=2))
    assert [stop.city for stop in itinerary.stops] == ["Milan", "Como", "Verona"]
    assert sum(stop.nights for stop in itinerary.stops) == 5
