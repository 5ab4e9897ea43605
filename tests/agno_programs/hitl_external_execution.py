"""Human in the loop: a tool the application runs itself (here: a query on a warehouse it holds)."""

from agno.agent import Agent
from agno.db.sqlite import SqliteDb
from agno.models.openai import OpenAIChat
from agno.tools import tool


@tool(external_execution=True)
def run_sql(query: str) -> str:
    """Run a read-only SQL query on the sales warehouse.

    Args:
        query: The SQL query.
    """
    raise RuntimeError("executed by the application, not by the agent")


def warehouse(query: str) -> str:
    assert query.lower().startswith("select")
    return "orders_last_week: 1204"


agent = Agent(model=OpenAIChat(id="sales-analyst"), tools=[run_sql], db=SqliteDb(db_file="tmp/sales.db"))

if __name__ == "__main__":
    run_response = agent.run("How many orders did we get last week?")
    if run_response.is_paused:
        for requirement in run_response.active_requirements:
            if requirement.needs_external_execution and requirement.tool_execution.tool_name == "run_sql":
                result = warehouse(**requirement.tool_execution.tool_args)
                requirement.set_external_execution_result(result)

    run_response = agent.continue_run(run_id=run_response.run_id, requirements=run_response.requirements)
    print(run_response.content)
    assert "1,204" in run_response.content
