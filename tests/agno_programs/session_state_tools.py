"""Session state that tools read and write, shown to the model through the instructions."""

from agno.agent import Agent
from agno.db.sqlite import SqliteDb
from agno.models.openai import OpenAIChat
from agno.run import RunContext


def add_item(run_context: RunContext, item: str) -> str:
    """Add an item to the shopping list.

    Args:
        item: The item to add.
    """
    items = run_context.session_state["shopping_list"]
    if item.lower() not in [i.lower() for i in items]:
        items.append(item)
    return f"Shopping list is now: {', '.join(items)}"


def remove_item(run_context: RunContext, item: str) -> str:
    """Remove an item from the shopping list.

    Args:
        item: The item to remove.
    """
    items = run_context.session_state["shopping_list"]
    run_context.session_state["shopping_list"] = [i for i in items if i.lower() != item.lower()]
    return f"Shopping list is now: {', '.join(run_context.session_state['shopping_list']) or 'empty'}"


agent = Agent(
    model=OpenAIChat(id="shopping-list"),
    db=SqliteDb(db_file="tmp/shopping.db"),
    session_state={"shopping_list": []},
    tools=[add_item, remove_item],
    instructions="You keep the user's shopping list. The list right now: {shopping_list}",
    markdown=True,
)

if __name__ == "__main__":
    agent.print_response("Add milk, eggs and bread.", stream=True)
    agent.print_response("Actually, remove the bread.", stream=True)
    state = agent.get_session_state()
    print("state:", state)
    assert state["shopping_list"] == ["milk", "eggs"]

    response = agent.run("What is on my list?")
    assert "milk" in response.content and "eggs" in response.content and "bread" not in response.content
