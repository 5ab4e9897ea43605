"""The compact card ``%%agent`` shows: model, tools with their parameters, storage."""

from __future__ import annotations

import html
from typing import Any

__all__ = ["agent_card"]


def agent_card(agent: Any) -> dict[str, str]:
    model = agent.model if isinstance(agent.model, str) or agent.model is None else agent.model.id
    model = model or "default (AGNO_NB_MODEL or openai/gpt-4o-mini)"
    store = agent.store()
    tools = []
    for name, fn in agent.functions.items():
        params = fn.parameters.get("properties", {})
        required = set(fn.parameters.get("required", []))
        signature = ", ".join(f"{p}{'' if p in required else '?'}: {spec.get('type', 'any')}"
                              for p, spec in params.items())
        flags = [flag for flag in ("requires_confirmation", "external_execution", "requires_user_input")
                 if getattr(fn, flag)]
        tools.append((name, signature, flags))
    lines = [f"agent {agent.name}: model {model}", f"  store: {store.location if store else 'none (not saved)'}"]
    lines += [f"  tool {n}({s})" + (f" [{', '.join(f)}]" if f else "") for n, s, f in tools]
    rows = "".join(f"<li><code>{html.escape(n)}({html.escape(s)})</code>"
                   + "".join(f" <span style='color:#8250df'>{html.escape(f)}</span>" for f in flags) + "</li>"
                   for n, s, flags in tools)
    card = (f"<div style='border:1px solid #d0d7de;border-radius:6px;padding:6px 10px;max-width:760px;"
            f"font-family:sans-serif;font-size:13px'><b>🤖 {html.escape(agent.name or 'agent')}</b> "
            f"<span style='color:#6e7781'>model</span> <code>{html.escape(model)}</code> "
            f"<span style='color:#6e7781'>store</span> <code>{html.escape(store.location if store else 'none')}</code>"
            + (f"<ul style='margin:4px 0 0 0'>{rows}</ul>" if rows else "<div style='color:#6e7781'>no tools</div>")
            + "</div>")
    return {"text/html": card, "text/plain": "\n".join(lines)}
