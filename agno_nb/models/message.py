"""Agno's ``agno.models.message.Message``: a chat message that is a dict (what providers take) and reads like
an object (``m.role``, ``m.content``): ``Message(role="user", content="Hi")``."""

from ..run_output import Message

__all__ = ["Message"]
