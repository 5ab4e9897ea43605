"""Guardrails: PII never reaches the model, either refused or masked."""

from agno.agent import Agent
from agno.guardrails import PIIDetectionGuardrail
from agno.models.openai import OpenAIChat
from agno.run import RunStatus

support = Agent(
    name="Support desk",
    model=OpenAIChat(id="support-desk"),
    pre_hooks=[PIIDetectionGuardrail()],
    instructions="You answer questions about orders and refunds.",
)

masked_support = Agent(
    name="Masked support desk",
    model=OpenAIChat(id="support-desk"),
    pre_hooks=[PIIDetectionGuardrail(mask_pii=True)],
)

if __name__ == "__main__":
    ok = support.run("What is your refund policy?")
    print(ok.status, ok.content)
    assert ok.status == RunStatus.completed and "30 days" in ok.content

    # Agno ends a run stopped by a guardrail with an error status and the guardrail's message.
    blocked = support.run("Refund me please, my card is 4111 1111 1111 1111.")
    print(blocked.status, blocked.content)
    assert blocked.status != RunStatus.completed

    masked = masked_support.run("Please call me back on 555-123-4567 about my order.")
    print(masked.status, masked.content)
    assert masked.status == RunStatus.completed
