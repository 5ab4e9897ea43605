"""Human in the loop: a tool that needs confirmation pauses the run until a person approves it."""

from agno.agent import Agent
from agno.db.sqlite import SqliteDb
from agno.models.openai import OpenAIChat
from agno.run import RunStatus
from agno.tools import tool
from agno.utils import pprint

deleted = []


@tool(requires_confirmation=True)
def purge_old_rows(table: str, older_than_days: int) -> str:
    """Delete rows older than a number of days from a table.

    Args:
        table: The table to purge.
        older_than_days: Rows older than this many days are deleted.
    """
    deleted.append((table, older_than_days))
    return f"Deleted 42 rows from {table}"


agent = Agent(
    model=OpenAIChat(id="db-janitor"),
    tools=[purge_old_rows],
    db=SqliteDb(db_file="tmp/hitl.db"),
)

if __name__ == "__main__":
    run_response = agent.run("Clean up audit_log: drop rows older than 90 days.")
    assert run_response.is_paused and not deleted

    for requirement in run_response.active_requirements:
        if requirement.needs_confirmation:
            tool = requirement.tool_execution
            print(f"{tool.tool_name}({tool.tool_args}) needs confirmation")
            requirement.confirm()

    run_response = agent.continue_run(run_id=run_response.run_id, requirements=run_response.requirements)
    pprint.pprint_run_response(run_response)
    assert run_response.status == RunStatus.completed
    assert deleted == [("audit_log", 90)]
    assert "42 rows" in run_response.content
