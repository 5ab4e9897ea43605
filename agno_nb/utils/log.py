"""Agno's ``agno.utils.log``: a logger and its shortcuts, on the standard ``logging`` logger ``agno_nb``."""

from __future__ import annotations

import logging
from typing import Any

__all__ = ["logger", "log_debug", "log_info", "log_warning", "log_error", "log_exception",
           "set_log_level_to_debug"]

logger = logging.getLogger("agno_nb")


def log_debug(msg: str, *args: Any, **kwargs: Any) -> None:
    logger.debug(msg, *args, **kwargs)


def log_info(msg: str, *args: Any, **kwargs: Any) -> None:
    logger.info(msg, *args, **kwargs)


def log_warning(msg: str, *args: Any, **kwargs: Any) -> None:
    logger.warning(msg, *args, **kwargs)


def log_error(msg: str, *args: Any, **kwargs: Any) -> None:
    logger.error(msg, *args, **kwargs)


def log_exception(msg: str, *args: Any, **kwargs: Any) -> None:
    logger.exception(msg, *args, **kwargs)


def set_log_level_to_debug() -> None:
    logger.setLevel(logging.DEBUG)
