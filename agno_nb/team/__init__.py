"""Teams of agents: route, coordinate, collaborate (broadcast) and tasks modes."""

from .team import MODES, Team, TeamMode

__all__ = ["Team", "TeamMode", "MODES"]
