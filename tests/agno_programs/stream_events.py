"""Streaming events: watch tool calls start and finish while the answer streams."""

from agno.agent import Agent
from agno.models.openai import OpenAIChat
from agno.run.agent import RunEvent


def get_stock_price(symbol: str) -> str:
    """The latest stock price of a ticker symbol.

    Args:
        symbol: The ticker, e.g. ACME.
    """
    return f"{symbol}: 132.50 USD"


agent = Agent(model=OpenAIChat(id="ticker-watch"), tools=[get_stock_price])

if __name__ == "__main__":
    seen = []
    text = []
    for event in agent.run("What's ACME trading at?", stream=True, stream_events=True):
        if event.event == RunEvent.tool_call_started:
            seen.append(f"started {event.tool.tool_name}")
        elif event.event == RunEvent.tool_call_completed:
            seen.append(f"completed {event.tool.tool_name}: {event.tool.result}")
        elif event.event == RunEvent.run_content and event.content:
            text.append(event.content)
        elif event.event == RunEvent.run_completed:
            seen.append("run completed")
    print(seen)
    print("".join(text))
    assert seen == ["started get_stock_price", "completed get_stock_price: ACME: 132.50 USD", "run completed"]
    assert "132.50" in "".join(text)
