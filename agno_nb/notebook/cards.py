"""The compact card ``%%agent`` shows: model, tools with their parameters, storage."""

from __future__ import annotations

import html
from typing import Any

__all__ = ["agent_card"]


def agent_card(agent: Any, team: Any = None) -> dict[str, str]:
    """The card of an agent, or of a team (``team``: its leader is ``agent``): kind, model, tools, store."""
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
    kind = f"team ({team.mode})" if team is not None else "agent"
    lines = [f"{kind} {agent.name}: model {model}", f"  store: {store.location if store else 'none (not saved)'}"]
    members = ", ".join(m.name or m.id for m in team.members) if team is not None else ""
    if members:
        lines.append(f"  members: {members}")
    lines += [f"  tool {n}({s})" + (f" [{', '.join(f)}]" if f else "") for n, s, f in tools]
    rows = "".join(f"<li><code>{html.escape(n)}({html.escape(s)})</code>"
                   + "".join(f" <span style='background:#8250df;color:#fff;border-radius:8px;padding:0 5px;font-size:11px'>{html.escape(f)}</span>" for f in flags) + "</li>"
                   for n, s, flags in tools)
    card = (f"<div style='border:1px solid rgba(140,149,159,.5);border-radius:6px;padding:6px 10px;max-width:760px;"
            f"font-family:sans-serif;font-size:13px'><b>{'👥' if team is not None else '🤖'} "
            f"{html.escape(agent.name or 'agent')}</b> "
            + (f"<span style='opacity:.72'>team, mode</span> <code>{html.escape(team.mode)}</code> "
               f"<span style='opacity:.72'>members</span> <code>{html.escape(members)}</code> " if team else "")
            + f"<span style='opacity:.72'>model</span> <code>{html.escape(model)}</code> "
            f"<span style='opacity:.72'>store</span> <code>{html.escape(store.location if store else 'none')}</code>"
            + (f"<ul style='margin:4px 0 0 0'>{rows}</ul>" if rows else "<div style='opacity:.72'>no tools</div>")
            + "</div>")
    return {"text/html": card, "text/plain": "\n".join(lines)}
