"""``ReasoningTools``: a scratchpad the model uses to think and to check results between tool calls.

Each call becomes a ``ReasoningStep`` event in the trace and is kept for the rest of the run, so the
model sees its own chain of steps.
"""

from __future__ import annotations

from ..run_context import RunContext
from .function import Function
from .toolkit import Toolkit

__all__ = ["ReasoningTools"]

_INSTRUCTIONS = """You have a scratchpad: before acting, call `think` to plan; after a tool result, call
`analyze` to judge it and decide the next step (continue, validate or final_answer). Keep each entry short.
The scratchpad is private: the user sees only your final answer."""


def think(run_context: RunContext, title: str, thought: str, action: str | None = None,
          confidence: float = 0.8) -> str:
    """Think before acting: note a step of your plan.

    Args:
        title: a few words naming the step
        thought: your reasoning
        action: what you will do next
        confidence: how sure you are, 0 to 1
    """
    run_context.emit_reasoning_step(title, thought, action, None, confidence)
    return _log(run_context, f"Thought: {title}: {thought}" + (f" Next: {action}" if action else ""))


def analyze(run_context: RunContext, title: str, result: str, analysis: str,
            next_action: str = "continue", confidence: float = 0.8) -> str:
    """Analyze a result: is it what you needed, and what comes next?

    Args:
        title: a few words naming the step
        result: the result you are judging
        analysis: what it means
        next_action: continue, validate or final_answer
        confidence: how sure you are, 0 to 1
    """
    run_context.emit_reasoning_step(title, analysis, next_action, result, confidence)
    return _log(run_context, f"Analysis: {title}: {analysis} Next: {next_action}")


def _log(run_context: RunContext, entry: str) -> str:
    steps = run_context.metadata.setdefault("reasoning_steps", [])
    steps.append(entry)
    return "\n".join(f"{i}. {s}" for i, s in enumerate(steps, 1))


class ReasoningTools(Toolkit):
    """``think`` and ``analyze`` tools, with instructions on when to use them."""

    def __init__(self, *, think: bool = True, analyze: bool = True, instructions: str | None = None,
                 add_instructions: bool = True, add_few_shot: bool = False, few_shot_examples: str | None = None):
        tools = [fn for fn, on in ((_THINK, think), (_ANALYZE, analyze)) if on]
        text = (instructions or _INSTRUCTIONS) if add_instructions else None
        if add_few_shot or few_shot_examples:  # Agno's options: worked examples after the instructions
            examples = few_shot_examples or _FEW_SHOT
            text = f"{text}\n\n{examples}" if text else examples
        super().__init__("reasoning", tools, instructions=text)


_FEW_SHOT = """Example:
User: Which is bigger, 9.11 or 9.9?
think(title="Compare decimals", thought="Compare the tenths: 9.9 has 9 tenths, 9.11 has 1 tenth.")
analyze(title="Check", result="9.9 > 9.11", analysis="Tenths decide; 9 > 1.", next_action="final_answer")
Answer: 9.9 is bigger."""

_THINK = Function(think)
_ANALYZE = Function(analyze)
