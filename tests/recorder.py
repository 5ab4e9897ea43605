"""``Recorder``: a scripted responder that also keeps what the model saw, for assertions."""

from __future__ import annotations

import copy

from agno_nb.models.scripts import Turn


class Recorder:
    """A responder that replays ``turns`` and keeps a deep copy of what the model saw on each call."""

    def __init__(self, *turns: Turn):
        self.turns = list(turns)
        self.seen: list[list[dict]] = []

    def __call__(self, messages, tools):
        self.seen.append(copy.deepcopy(messages))
        if len(self.seen) > len(self.turns):
            raise AssertionError(f"the model was called {len(self.seen)} times; only {len(self.turns)} turns scripted")
        return self.turns[len(self.seen) - 1]

    @property
    def calls(self) -> int:
        return len(self.seen)

    def system(self, call: int = -1) -> str:
        first = self.seen[call][0]
        return first["content"] if first["role"] == "system" else ""

    def user_text(self, call: int = -1) -> str:
        return [m for m in self.seen[call] if m["role"] == "user"][-1]["content"]
