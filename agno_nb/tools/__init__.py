"""Tools: functions the model can call."""

from .decorator import tool
from .function import Function
from .toolkit import Toolkit

__all__ = ["Function", "Toolkit", "tool"]
