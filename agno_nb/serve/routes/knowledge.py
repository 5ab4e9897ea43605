"""``/knowledge``: the served app's knowledge bases, listed and searched.

The bases are those passed as ``create_app(knowledge=[...])`` and those the served agents and teams
use. Serve never imports ``agno_nb.knowledge`` to do this: a knowledge base is anything with a ``name``
and ``asearch(query, limit, search_type=, filters=)`` whose results have ``to_dict()``. Searching needs
the scope ``knowledge:read`` (or ``admin``); chunks carry no user data, so there is no per-user filter.
"""

from __future__ import annotations

import asyncio
from typing import Any, Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field

from ..deps import json_response, principal
from ..errors import HTTPError, http_error_for
from ..extensions import register_routes
from ..schemas import ERRORS
from ..state import state_of

__all__ = ["knowledge_routes", "knowledge_bases"]


class SearchRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    query: str = Field(..., min_length=1, max_length=8000, description="What to look for.")
    knowledge: str | None = Field(
        None, max_length=512, description="Which knowledge base (its name); optional when the app has one."
    )
    limit: int = Field(5, ge=1, le=100, description="At most this many chunks.")
    search_type: Literal["vector", "keyword", "hybrid"] | None = Field(
        None, description="How to search; default: the knowledge base's own."
    )
    filters: dict[str, Any] | None = Field(
        None, description='Metadata conditions, e.g. {"team": "data", "year": {"$gte": 2024}}.'
    )


def knowledge_bases(state: Any) -> dict[str, Any]:
    """Every knowledge base the app serves, by name: those given to ``create_app`` first, then the
    components' own (a name used twice for two different bases is refused: searches would be ambiguous)."""
    found: dict[str, Any] = {}
    candidates = list(state.extras.get("knowledge") or ())
    for component in state.components:
        obj = component.obj
        for holder in (obj, getattr(obj, "leader", None)):
            kb = getattr(holder, "knowledge", None)
            if kb is not None:
                candidates.append(kb)
    for kb in candidates:
        if not (hasattr(kb, "asearch") and hasattr(kb, "name")):
            from ...errors import ConfigurationError

            raise ConfigurationError(
                f"create_app(knowledge=...) takes agno_nb Knowledge objects, got {type(kb).__name__}."
            )
        known = found.get(kb.name)
        if known is not None and known is not kb:
            from ...errors import ConfigurationError

            raise ConfigurationError(
                f"Two different knowledge bases are named {kb.name!r}; give each a unique name to serve both."
            )
        found[kb.name] = kb
    return found


def knowledge_routes(app: Any, state: Any) -> None:
    """Install ``GET /knowledge`` and ``POST /knowledge[/{name}]/search`` when the app has any knowledge base."""
    bases = knowledge_bases(state)
    if not bases:
        return
    router = APIRouter(tags=["Knowledge"])

    @router.get("/knowledge", summary="The knowledge bases this app serves", responses=ERRORS)
    async def list_knowledge(request: Request) -> Any:
        (await principal(request)).require("knowledge:read")
        return json_response({"data": [_describe(kb) for kb in bases.values()]})

    @router.post("/knowledge/search", summary="Search a knowledge base (chunks, best first)", responses=ERRORS)
    async def search_knowledge(request: Request, body: SearchRequest) -> Any:
        (await principal(request)).require("knowledge:read")
        return await _search(_choose(bases, body.knowledge), body)

    @router.post("/knowledge/{name}/search", summary="Search this knowledge base (chunks, best first)",
                 responses=ERRORS)
    async def search_named_knowledge(request: Request, name: str, body: SearchRequest) -> Any:
        (await principal(request)).require("knowledge:read")
        if body.knowledge not in (None, name):
            raise HTTPError(422, f"The path names {name!r} and the body {body.knowledge!r}; drop 'knowledge'.")
        return await _search(_choose(bases, name), body)

    app.include_router(router)


async def _search(kb: Any, body: SearchRequest) -> Any:
    try:
        results = await kb.asearch(body.query, body.limit, search_type=body.search_type, filters=body.filters)
    except Exception as exc:
        raise _search_error(kb, exc) from None
    return json_response({"knowledge": kb.name, "query": body.query,
                          "search_type": body.search_type or kb.search_type,
                          "results": [r.to_dict() for r in results]})


def _describe(kb: Any) -> dict[str, Any]:
    return {"name": kb.name, "description": getattr(kb, "description", None),
            "search_type": getattr(kb, "search_type", None), "max_results": getattr(kb, "max_results", None)}


def _choose(bases: dict[str, Any], name: str | None) -> Any:
    if name is None:
        if len(bases) == 1:
            return next(iter(bases.values()))
        raise HTTPError(422, f"This app serves several knowledge bases; name one in 'knowledge': {sorted(bases)}.")
    if name not in bases:
        raise HTTPError(404, f"No knowledge base {name!r}; this app serves {sorted(bases)}.")
    return bases[name]


def _search_error(kb: Any, exc: Exception) -> HTTPError:
    """A search that failed: a bad filter is the caller's (422), an unreachable Chroma server is ours (503)."""
    from ...knowledge.errors import KnowledgeUnavailableError

    if isinstance(exc, (KnowledgeUnavailableError, ConnectionError, asyncio.TimeoutError)):
        return HTTPError(503, f"Knowledge base {kb.name!r} is unavailable: {exc}", headers={"Retry-After": "5"})
    return http_error_for(exc)


register_routes("knowledge", knowledge_routes, serves="knowledge")
