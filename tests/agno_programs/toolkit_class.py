"""A Toolkit subclass: tools that share state (a small inventory)."""

from agno.agent import Agent
from agno.models.openai import OpenAIChat
from agno.tools import Toolkit


class InventoryTools(Toolkit):
    def __init__(self, stock: dict, **kwargs):
        self.stock = dict(stock)
        super().__init__(name="inventory_tools", tools=[self.check_stock, self.reserve], **kwargs)

    def check_stock(self, sku: str) -> str:
        """How many units of an item are in stock.

        Args:
            sku: The item's stock-keeping unit, e.g. "KB-01".
        """
        return f"{sku}: {self.stock.get(sku, 0)} in stock"

    def reserve(self, sku: str, quantity: int) -> str:
        """Reserve units of an item for a customer.

        Args:
            sku: The item's stock-keeping unit.
            quantity: How many units to reserve.
        """
        if self.stock.get(sku, 0) < quantity:
            return f"Cannot reserve {quantity} x {sku}: only {self.stock.get(sku, 0)} left"
        self.stock[sku] -= quantity
        return f"Reserved {quantity} x {sku}; {self.stock[sku]} left"


inventory = InventoryTools(stock={"KB-01": 12, "MS-02": 0})
agent = Agent(model=OpenAIChat(id="inventory-clerk"), tools=[inventory])

if __name__ == "__main__":
    response = agent.run("Reserve 5 keyboards (KB-01) if we have enough.")
    print(response.content)
    assert inventory.stock["KB-01"] == 7
    assert "7 left" in response.content
