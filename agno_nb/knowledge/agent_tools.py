"""The knowledge side of the agent protocol: the ``search_knowledge_base`` tool (agentic RAG) and the
context section (classic RAG), both reporting what they retrieved as a ``KnowledgeSearched`` event.

The agent floor never imports this module: it asks its ``knowledge`` object for ``agent_tools(...)``
and ``acontext(...)`` (see ``agno_nb.agent.knowledge_use``).
"""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Any

from ..run_events import KnowledgeSearched, new_span_id
from ..tools.function import Function
from .errors import KnowledgeError
from .filters import merge_filters

if TYPE_CHECKING:
    from .documents import SearchResult
    from .knowledge import Knowledge

__all__ = ["search_tool", "context_section", "format_references"]


def format_references(results: "list[SearchResult]", references_format: str = "json") -> str:
    """What the model reads: each chunk with its source and score, as JSON or YAML."""
    items = [{"source": r.source, "score": round(r.score, 4), "content": r.content,
              **({"heading": r.metadata["heading"]} if r.metadata.get("heading") else {})} for r in results]
    if references_format == "yaml":
        lines = []
        for item in items:
            lines.append(f"- source: {json.dumps(item['source'], ensure_ascii=False)}")
            lines.append(f"  score: {item['score']}")
            if "heading" in item:
                lines.append(f"  heading: {json.dumps(item['heading'], ensure_ascii=False)}")
            lines.append("  content: |")
            lines.extend(f"    {line}" for line in item["content"].splitlines())
        return "\n".join(lines) or "[]"
    return json.dumps(items, ensure_ascii=False, indent=1)


def _emit(run_context: Any, parent: str | None, kb: "Knowledge", query: str, search_type: str,
          filters: dict[str, Any] | None, results: "list[SearchResult]", started: float, origin: str,
          error: str | None = None) -> None:
    if run_context is None or getattr(run_context, "ref", None) is None:
        return
    references = [r.to_dict() for r in results]
    run_context.emit(KnowledgeSearched(run_context.ref, new_span_id(), parent, kb.name, query, search_type,
                                       filters, references, time.perf_counter() - started, origin, error))


def _field_help(kb: "Knowledge") -> str:
    """The metadata fields the model may filter on, with a few values each (best effort)."""
    try:
        fields = [f for f in kb.fields() if f not in ("doc_id", "content_hash", "chunk_index", "chunk_count")]
        parts = []
        for field in fields[:20]:
            values = kb.index.field_values(field, 4)
            shown = ", ".join(json.dumps(v, ensure_ascii=False) for v in values)
            parts.append(f"{field} (e.g. {shown})" if shown else field)
        return "; ".join(parts) or "none yet"
    except Exception:  # the knowledge base cannot be reached now: the tool says so when called
        return "see the error message if a filter is refused"


def search_tool(kb: "Knowledge", *, filters: dict[str, Any] | None = None, agentic_filters: bool = False,
                references_format: str = "json", limit: int | None = None) -> Function:
    """``search_knowledge_base(query[, filters])`` for an agent; ``filters`` are always applied."""
    about = f" ({kb.description})" if kb.description else ""

    async def run(run_context: Any, tool_span: str, query: str, chosen: dict[str, Any] | None) -> str:
        started = time.perf_counter()
        for_run = getattr(run_context, "knowledge_filters", None)  # run(..., knowledge_filters=) wins
        combined = merge_filters(for_run if for_run is not None else filters, chosen)
        try:
            results = await kb.asearch(query, limit, filters=combined)
        except KnowledgeError as exc:
            _emit(run_context, tool_span, kb, query, kb.search_type, combined, [], started, "tool", str(exc))
            raise
        kind = results[0].search_type if results else kb.search_type
        _emit(run_context, tool_span, kb, query, kind, combined, results, started, "tool")
        if not results:
            return "No relevant information found in the knowledge base."
        return format_references(results, references_format)

    if agentic_filters:
        async def search_knowledge_base(run_context: Any, tool_span: str, query: str,
                                        filters: dict[str, Any] | None = None) -> str:
            return await run(run_context, tool_span, query, filters)

        description = (f"Search the knowledge base {kb.name!r}{about} for passages relevant to the query; "
                       f"returns them with their sources. Narrow the search with metadata filters when the "
                       f"question names one, e.g. {{\"field\": \"value\"}} or "
                       f"{{\"year\": {{\"$gte\": 2024}}}}. Fields: {_field_help(kb)}.")
        search_knowledge_base.__doc__ = """Search the knowledge base.

        Args:
            query: what to look for, in a few precise words
            filters: metadata conditions, e.g. {"team": "data"}; leave out when none applies
        """
    else:
        async def search_knowledge_base(run_context: Any, tool_span: str, query: str) -> str:  # type: ignore[misc]
            return await run(run_context, tool_span, query, None)

        description = (f"Search the knowledge base {kb.name!r}{about} for passages relevant to the query; "
                       f"returns them with their sources.")
        search_knowledge_base.__doc__ = """Search the knowledge base.

        Args:
            query: what to look for, in a few precise words
        """
    tool = Function(search_knowledge_base, description=description)
    tool.emits_events = True  # the KnowledgeSearched event streams before the call's completion
    return tool


async def context_section(kb: "Knowledge", query: str, run_context: Any, *,
                          filters: dict[str, Any] | None = None, references_format: str = "json",
                          limit: int | None = None) -> str:
    """Classic RAG: search with the input, return the references as a system-prompt section. A failed
    search does not fail the run: the model is told the knowledge base could not be searched."""
    started = time.perf_counter()
    parent = getattr(run_context, "run_span", None)
    try:
        results = await kb.asearch(query, limit, filters=filters)
    except KnowledgeError as exc:
        _emit(run_context, parent, kb, query, kb.search_type, filters, [], started, "context", str(exc))
        return f"<references>\nThe knowledge base {kb.name!r} could not be searched: {exc}\n</references>"
    kind = results[0].search_type if results else kb.search_type
    _emit(run_context, parent, kb, query, kind, filters, results, started, "context")
    if not results:
        return ""
    return (f"Use the following references from the knowledge base {kb.name!r} if they help answer the "
            f"user's question:\n<references>\n{format_references(results, references_format)}\n</references>")
