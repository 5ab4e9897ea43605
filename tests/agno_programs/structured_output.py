"""Structured output: the answer is a validated pydantic object, not text."""

from typing import List

from agno.agent import Agent
from agno.models.openai import OpenAIChat
from pydantic import BaseModel, Field


class Recipe(BaseModel):
    name: str = Field(..., description="Name of the dish")
    servings: int = Field(..., description="How many people it feeds")
    ingredients: List[str] = Field(..., description="Ingredients with quantities")
    steps: List[str] = Field(..., description="Steps, in order")


chef = Agent(
    model=OpenAIChat(id="recipe-writer"),
    description="You write simple, reliable recipes.",
    output_schema=Recipe,
)

if __name__ == "__main__":
    response = chef.run("A quick pancake recipe for four")
    recipe = response.content
    assert isinstance(recipe, Recipe), type(recipe)
    print(f"{recipe.name} for {recipe.servings}: {len(recipe.ingredients)} ingredients")
    assert recipe.servings == 4 and "flour" in recipe.ingredients[0]
    chef.print_response("Pancakes again, please")
