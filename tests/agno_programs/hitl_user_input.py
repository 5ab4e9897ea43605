"""Human in the loop: a tool argument only a person can give (the model fills the others)."""

from typing import List

from agno.agent import Agent
from agno.db.sqlite import SqliteDb
from agno.models.openai import OpenAIChat
from agno.tools import tool

invoices = []


@tool(requires_user_input=True, user_input_fields=["recipient"])
def send_invoice(invoice_id: str, amount_eur: float, recipient: str) -> str:
    """Email an invoice.

    Args:
        invoice_id: The invoice number.
        amount_eur: The amount due, in euros.
        recipient: The email address to send it to.
    """
    invoices.append((invoice_id, amount_eur, recipient))
    return f"Invoice {invoice_id} ({amount_eur:.2f} EUR) sent to {recipient}"


agent = Agent(
    model=OpenAIChat(id="billing-clerk"), tools=[send_invoice], db=SqliteDb(db_file="tmp/billing.db")
)

if __name__ == "__main__":
    run_response = agent.run("Send invoice INV-7 for 1250 euros to the client.")
    assert run_response.is_paused

    for requirement in run_response.active_requirements:
        if requirement.needs_user_input:
            fields: List = requirement.user_input_schema
            for field in fields:
                print(f"{field.name} ({field.field_type}): {field.description} -> {field.value}")
                if field.value is None:
                    field.value = "billing@acme.test"  # what the person typed

    run_response = agent.continue_run(run_id=run_response.run_id, requirements=run_response.requirements)
    print(run_response.content)
    assert invoices == [("INV-7", 1250.0, "billing@acme.test")]
    assert "billing@acme.test" in run_response.content
