"""Teams of agents: route, coordinate, collaborate (broadcast) and tasks modes."""

from .team import MODES, Team

__all__ = ["Team", "MODES"]
