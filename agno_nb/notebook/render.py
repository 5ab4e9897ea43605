"""Self-contained HTML for a trace: renders in JupyterLab, Notebook 7, VS Code and saved notebooks,
with no kernel, no JavaScript and no network (collapsible sections are ``<details>``)."""

from __future__ import annotations

import html
import json
from typing import Any

__all__ = ["render_html", "markdown_to_html"]

_COLORS = {"completed": "#1a7f37", "ok": "#1a7f37", "running": "#9a6700", "paused": "#8250df",
           "error": "#cf222e", "blocked": "#cf222e", "rejected": "#cf222e", "cancelled": "#6e7781",
           "limit_reached": "#bc4c00", "decided": "#6e7781", "pending": "#6e7781"}
_ICONS = {"run": "▶", "model": "◆", "tool": "⚙", "reasoning": "✎", "guardrail": "⛔", "validation": "⚠",
          "member": "👤", "step": "▸", "steps": "☰", "parallel": "⇉", "loop": "↻", "condition": "⑂",
          "router": "⤳"}

_STYLE = """<style>
.agno-trace{font-family:-apple-system,BlinkMacSystemFont,'Segoe UI',sans-serif;font-size:13px;line-height:1.45;
 border:1px solid #d0d7de;border-radius:6px;padding:8px 10px;margin:4px 0;max-width:980px}
.agno-trace .hd{display:flex;flex-wrap:wrap;gap:6px;align-items:center;margin-bottom:6px}
.agno-trace .badge{color:#fff;border-radius:10px;padding:1px 8px;font-weight:600;font-size:12px}
.agno-trace .chip{background:#f6f8fa;border:1px solid #d0d7de;border-radius:10px;padding:0 7px;font-size:12px}
.agno-trace .answer{border-left:3px solid #d0d7de;padding:2px 10px;margin:6px 0}
.agno-trace .err{color:#cf222e;white-space:pre-wrap}
.agno-trace details{margin-left:14px}
.agno-trace summary{cursor:pointer;list-style-position:outside}
.agno-trace .st{font-weight:600}
.agno-trace .muted{color:#6e7781}
.agno-trace pre{background:#f6f8fa;padding:4px 6px;margin:2px 0 4px;white-space:pre-wrap;word-break:break-word;
 max-height:260px;overflow:auto;font-size:12px}
.agno-trace .bar{display:inline-block;height:6px;background:#d0d7de;border-radius:3px;width:120px;
 vertical-align:middle;position:relative;margin:0 6px}
.agno-trace .bar i{position:absolute;top:0;height:6px;border-radius:3px;background:#0969da}
.agno-trace .req{border:1px dashed #8250df;border-radius:6px;padding:4px 8px;margin:6px 0}
</style>"""


def markdown_to_html(text: str) -> str:
    """Markdown to HTML with markdown-it (raw HTML in the answer is escaped, not rendered)."""
    try:
        from markdown_it import MarkdownIt
    except ImportError:  # the notebook extra is not installed: show the text as it is
        return f"<div style='white-space:pre-wrap'>{html.escape(text)}</div>"
    return MarkdownIt("commonmark", {"html": False}).enable("table").render(text)


def render_html(trace: dict[str, Any]) -> str:
    totals, status = trace["totals"], trace["status"]
    chips = [f"{totals['model_requests']} model request(s)", f"{totals['tool_calls']} tool call(s)",
             f"{totals['input_tokens']:,} in / {totals['output_tokens']:,} out tokens"]
    if totals.get("duration") is not None:
        chips.append(f"{_seconds(totals['duration'])} total")
    if totals.get("ttft") is not None:
        chips.append(f"{_seconds(totals['ttft'])} to first token")
    if totals.get("cost") is not None:
        chips.append(f"${totals['cost']:.6f}")
    parts = [_STYLE, "<div class='agno-trace'>", "<div class='hd'>",
             f"<span class='badge' style='background:{_COLORS.get(status, '#6e7781')}'>{html.escape(status)}</span>",
             f"<b>{html.escape(trace.get('agent') or 'agent')}</b>",
             *(f"<span class='chip'>{html.escape(c)}</span>" for c in chips), "</div>"]
    if trace.get("error"):
        parts.append(f"<div class='err'>{html.escape(trace['error'])}</div>")
    if trace.get("answer"):
        parts.append(f"<div class='answer'>{markdown_to_html(trace['answer'])}</div>")
    for req in trace.get("requirements") or ():
        parts.append(f"<div class='req'>⏸ waiting for <b>{html.escape(req['kind'].replace('_', ' '))}</b>: "
                     f"<code>{html.escape(req['tool_name'])}({html.escape(_json(req.get('arguments')))})</code>"
                     + (f" — fields: {html.escape(', '.join(req['user_input_fields']))}"
                        if req.get("user_input_fields") else "") + "</div>")
    root = trace.get("root")
    if root is not None:
        total = max(totals.get("duration") or 0.0, _extent(root)) or 1e-9
        parts.append(f"<details><summary class='muted'>trace: {trace.get('events', 0)} events, "
                     f"run {html.escape(str(trace.get('run_id')))}</summary>")
        parts.extend(_span(child, total) for child in root["children"])
        parts.append("</details>")
    parts.append("</div>")
    return "".join(parts)


def _span(span: dict[str, Any], total: float) -> str:
    attrs, status = span["attrs"], span["status"]
    color = _COLORS.get(status, "#6e7781")
    duration = span.get("duration")
    left = 100.0 * span["start"] / total
    width = max(1.0, 100.0 * (duration or 0.0) / total)
    summary = [f"{_ICONS.get(span['kind'], '•')} <b>{html.escape(span['name'])}</b>",
               f"<span class='st' style='color:{color}'>{html.escape(status)}</span>",
               f"<span class='bar'><i style='left:{left:.1f}%;width:{min(width, 100 - left):.1f}%'></i></span>",
               f"<span class='muted'>{_seconds(duration) if duration is not None else '…'}</span>"]
    if span["kind"] == "model" and "input_tokens" in attrs:
        summary.append(f"<span class='muted'>{attrs['input_tokens']}→{attrs['output_tokens']} tokens"
                       + (f", ttft {_seconds(attrs['ttft'])}" if attrs.get("ttft") is not None else "") + "</span>")
    if attrs.get("cached"):
        summary.append("<span class='chip'>cached</span>")
    body = []
    for key in ("input", "arguments", "result", "answer", "error", "reason", "reasoning", "action", "awaiting",
                "retry_in", "stage", "iterations", "condition", "selected", "retries"):
        value = attrs.get(key)
        if value not in (None, "", {}):
            body.append(f"<div class='muted'>{key}</div><pre>{html.escape(_json(value))}</pre>")
    children = "".join(_span(child, total) for child in span["children"])
    return f"<details><summary>{' '.join(summary)}</summary>{''.join(body)}{children}</details>"


def _extent(span: dict[str, Any]) -> float:
    end = span["start"] + (span.get("duration") or 0.0)
    return max([end, *(_extent(c) for c in span["children"])])


def _json(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, default=str, ensure_ascii=False, indent=1)


def _seconds(value: float | None) -> str:
    if value is None:
        return "-"
    if value < 1e-3:
        return f"{value * 1e6:.0f} µs"
    if value < 1:
        return f"{value * 1e3:.1f} ms"
    return f"{value:.2f} s"
