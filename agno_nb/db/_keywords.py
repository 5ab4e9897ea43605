"""Agno's database keywords that agno_nb accepts without a meaning of its own.

Agno lets each table be renamed (``session_table="my_sessions"``, ``memory_table=...``); agno_nb's stores
have one versioned schema with fixed table names, so these are accepted (Agno code passes them often)
and have no effect. Anything else unknown is refused by name.
"""

from __future__ import annotations

from typing import Any

from ..errors import ConfigurationError


def check_table_names(class_name: str, extra: dict[str, Any]) -> None:
    unknown = sorted(key for key in extra if not key.endswith("_table"))
    if unknown:
        raise ConfigurationError(
            f"{class_name}() got {', '.join(repr(k) for k in unknown)}, which agno_nb does not know. It "
            f"takes Agno's connection keywords and accepts (without effect: agno_nb's table names are "
            f"fixed) the *_table names.")


def engine_url(class_name: str, db_engine: Any) -> str:
    """The URL of a SQLAlchemy engine (agno_nb connects itself; it takes the engine's address)."""
    url = getattr(db_engine, "url", None)
    if url is None:
        raise ConfigurationError(f"{class_name}(db_engine=...) must be a SQLAlchemy Engine (it has no .url); "
                                 f"or pass db_url=... instead.")
    render = getattr(url, "render_as_string", None)
    return render(hide_password=False) if render is not None else str(url)
