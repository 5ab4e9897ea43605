"""Self-contained HTML for a trace: renders in JupyterLab, Notebook 7, VS Code and saved notebooks,
with no kernel, no JavaScript and no network (collapsible sections are ``<details>``).

Every style is inline: JupyterLab's sanitizer drops ``<style>`` in untrusted notebooks (a colleague's
copy, a git clone), and the trace must read as well there. Colours work in any theme without relying
on JupyterLab's CSS variables (which other front ends lack, and whose light fallbacks would be dark
text on a dark VS Code): text inherits the front end's colour, muted text is ``opacity`` rather than a
grey, borders and code backgrounds are translucent greys, and status colours are only ever the
background of white text. Without any CSS at all, the structure (one line per span, separators in the
header) still reads.
"""

from __future__ import annotations

import html
import json
from typing import Any, Iterable

__all__ = ["render_html", "markdown_to_html", "STATUS_COLORS"]

#: status colours, always as the background of white text (a badge): legible in light and dark themes
STATUS_COLORS = {"completed": "#1a7f37", "ok": "#1a7f37", "running": "#9a6700", "paused": "#8250df",
                 "error": "#cf222e", "blocked": "#cf222e", "rejected": "#cf222e", "cancelled": "#6e7781",
                 "limit_reached": "#bc4c00", "decided": "#6e7781", "pending": "#6e7781", "unfinished": "#6e7781"}
_ICONS = {"run": "▶", "model": "◆", "tool": "⚙", "reasoning": "✎", "guardrail": "⛔", "validation": "⚠",
          "member": "👤", "step": "▸", "steps": "☰", "parallel": "⇉", "loop": "↻", "condition": "⑂",
          "router": "⤳", "knowledge": "📚"}

_FONT = "-apple-system,BlinkMacSystemFont,'Segoe UI',Helvetica,Arial,sans-serif"
_BORDER = "rgba(140,149,159,.5)"  # a translucent grey: visible on light and dark, no variable to strip
BOX = (f"font-family:{_FONT};font-size:13px;line-height:1.45;border:1px solid {_BORDER};border-radius:6px;"
       f"padding:8px 10px;margin:4px 0;max-width:980px")
CHIP = f"display:inline-block;border:1px solid {_BORDER};border-radius:10px;padding:0 7px;font-size:12px"
MUTED = "opacity:.72"
CODE = ("background:rgba(140,149,159,.14);padding:4px 6px;margin:2px 0 4px;white-space:pre-wrap;word-break:break-word;max-height:260px;"
        "overflow:auto;font-size:12px;border-radius:4px")
_SEP = f"<span style='{MUTED}'> · </span>"


def markdown_to_html(text: str) -> str:
    """Markdown to HTML with markdown-it (raw HTML in the answer is escaped, not rendered)."""
    try:
        from markdown_it import MarkdownIt
    except ImportError:  # the notebook extra is not installed: show the text as it is
        return f"<div style='white-space:pre-wrap'>{html.escape(text)}</div>"
    return MarkdownIt("commonmark", {"html": False}).enable("table").render(text)


def badge(status: str, css_class: str = "badge", size: int = 12) -> str:
    return (f"<span class='{css_class}' style='background:{STATUS_COLORS.get(status, '#6e7781')};color:#fff;"
            f"border-radius:10px;padding:0 7px;font-weight:600;font-size:{size}px'>{html.escape(status)}</span>")


def render_html(trace: dict[str, Any], *, open_spans: Iterable[str] = ()) -> str:
    """The trace as HTML. ``open_spans``: span ids shown expanded (running spans always are)."""
    totals, status = trace["totals"], trace["status"]
    chips = [f"{totals['model_requests']} model request(s)", f"{totals['tool_calls']} tool call(s)",
             f"{totals['input_tokens']:,} in / {totals['output_tokens']:,} out tokens"]
    if totals.get("duration") is not None:
        chips.append(f"{_seconds(totals['duration'])} total")
    if totals.get("ttft") is not None:
        chips.append(f"{_seconds(totals['ttft'])} to first token")
    if totals.get("waited"):
        chips.append(f"waited {_seconds(totals['waited'])} for approval")
    if totals.get("cost") is not None:
        chips.append(f"${totals['cost']:.6f}")
    parts = [f"<div class='agno-trace' style=\"{BOX}\">",
             "<div class='hd' style='display:flex;flex-wrap:wrap;gap:6px;align-items:center;margin-bottom:6px'>",
             badge(status), f"<b>{html.escape(trace.get('agent') or 'agent')}</b>",
             _SEP.join(f"<span class='chip' style='{CHIP}'>{html.escape(c)}</span>" for c in chips), "</div>"]
    root = trace.get("root")
    prompt = (root or {}).get("attrs", {}).get("input")
    if prompt not in (None, ""):
        parts.append(f"<div class='prompt' style='margin:2px 0 6px'><span style='{MUTED}'>prompt</span> "
                     f"{_block_or_inline(prompt)}</div>")
    for key in ("save_error", "error"):
        if trace.get(key):
            parts.append(f"<div class='err' style='border-left:3px solid {STATUS_COLORS['error']};padding:2px 10px;"
                         f"margin:6px 0;white-space:pre-wrap'>{html.escape(trace[key])}</div>")
    if trace.get("answer"):
        parts.append(f"<div class='answer' style='border-left:3px solid {_BORDER};padding:2px 10px;margin:6px 0'>"
                     f"{markdown_to_html(trace['answer'])}</div>")
    for req in trace.get("requirements") or ():
        fields = f" (fields: {', '.join(req['user_input_fields'])})" if req.get("user_input_fields") else ""
        parts.append(f"<div class='req' style='border:1px dashed {STATUS_COLORS['paused']};border-radius:6px;"
                     f"padding:4px 8px;margin:6px 0'>⏸ waiting for <b>{html.escape(req['kind'].replace('_', ' '))}"
                     f"</b>{html.escape(fields)}: <code>{html.escape(req['tool_name'])}</code>"
                     f"{_arguments(req.get('arguments'))}</div>")
    if root is not None:
        total = max(totals.get("duration") or 0.0, _extent(root)) or 1e-9
        opened = set(open_spans)
        parts.append(f"<details open data-span='trace'><summary style='cursor:pointer'><span style='{MUTED}'>"
                     f"trace: {trace.get('events', 0)} events, run {html.escape(str(trace.get('run_id')))}"
                     f"</span></summary>")
        parts.extend(_span(child, total, opened) for child in root["children"])
        parts.append("</details>")
    parts.append("</div>")
    return "".join(parts)


def _span(span: dict[str, Any], total: float, opened: set[str]) -> str:
    attrs, status = span["attrs"], span["status"]
    duration = span.get("duration")
    left = min(100.0, 100.0 * max(0.0, span["start"]) / total)
    width = max(1.0, 100.0 * (duration or 0.0) / total)
    summary = [f"{_ICONS.get(span['kind'], '•')} <b>{html.escape(span['name'])}</b>",
               badge(status, "st", 11),
               f"<span style='display:inline-block;height:6px;width:120px;vertical-align:middle;margin:0 6px;"
               f"position:relative;border-radius:3px;background:rgba(140,149,159,.35)'>"
               f"<i style='position:absolute;top:0;height:6px;border-radius:3px;background:#3b82f6;"
               f"left:{left:.1f}%;width:{min(width, 100 - left):.1f}%'></i></span>",
               f"<span style='{MUTED}'>{_seconds(duration) if duration is not None else 'running…'}</span>"]
    if span["kind"] == "model" and "input_tokens" in attrs:
        summary.append(f"<span style='{MUTED}'>{attrs['input_tokens']}→{attrs['output_tokens']} tokens"
                       + (f", ttft {_seconds(attrs['ttft'])}" if attrs.get("ttft") is not None else "") + "</span>")
    if attrs.get("decision"):
        summary.append(f"<span class='chip' style='{CHIP}'>{html.escape(attrs['decision'])}</span>")
    if attrs.get("cached"):
        summary.append(f"<span class='chip' style='{CHIP}'>cached</span>")
    body = []
    if span["kind"] == "model":
        body.append(_model_io(attrs))
    if span["kind"] == "knowledge":
        body.append(_references_table(attrs.get("results") or []))
    for key in ("input", "arguments", "query", "filters", "result", "answer", "error", "reason", "reasoning",
                "action", "awaiting", "retry_in", "stage", "iterations", "condition", "selected", "retries", "work"):
        value = attrs.get(key)
        if value in (None, "", {}) or (key == "reasoning" and span["kind"] == "model" and not value):
            continue
        if key == "arguments":
            body.append(f"<div style='{MUTED}'>arguments</div>{_arguments(value, block=True)}")
        else:
            body.append(f"<div style='{MUTED}'>{key}</div><pre style='{CODE}'>{html.escape(_json(value))}</pre>")
    children = "".join(_span(child, total, opened) for child in span["children"])
    is_open = status == "running" or span["id"] in opened
    return (f"<details{' open' if is_open else ''} data-span='{html.escape(span['id'])}' style='margin-left:14px'>"
            f"<summary style='cursor:pointer'>{' '.join(summary)}</summary>{''.join(body)}{children}</details>")


def _model_io(attrs: dict[str, Any]) -> str:
    """What a model call received (the messages new since the previous call) and what it answered."""
    parts = []
    sent = attrs.get("sent")
    if sent is not None:
        notes = []
        if attrs.get("earlier"):
            notes.append(f"after the {attrs['earlier']} message(s) sent before")
        if attrs.get("not_stored"):
            notes.append(f"{attrs['not_stored']} message(s) (system prompt, history) are not stored with the run")
        parts.append(f"<div style='{MUTED}'>sent{': ' + '; '.join(notes) if notes else ''}</div>")
        parts.extend(_message(m) for m in sent)
    reply = attrs.get("reply")
    if reply is not None:
        parts.append(f"<div style='{MUTED}'>reply</div>{_message(reply)}")
    return "".join(parts)


def _message(message: dict[str, Any]) -> str:
    role = html.escape(str(message.get("role")))
    text = message.get("text") or ""
    calls = message.get("tool_calls") or []
    extra = "".join(f"<div>→ calls <code>{html.escape(c)}</code></div>" for c in calls)
    head = f"<b>{role}</b>"
    if message.get("tool_call_id"):
        head += f" <span style='{MUTED}'>{html.escape(message['tool_call_id'])}</span>"
    if "\n" not in text and len(text) <= 160:  # short: one line
        return f"<div style='margin-left:8px'>{head} {html.escape(text)}{extra}</div>"
    first = text.strip().splitlines()[0][:120] if text.strip() else ""
    return (f"<details style='margin-left:8px'><summary style='cursor:pointer'>{head} "
            f"<span style='{MUTED}'>{html.escape(first)}… ({len(text):,} characters)</span></summary>"
            f"<pre style='{CODE}'>{html.escape(text)}</pre></details>{extra}")


def _arguments(value: Any, *, block: bool = False) -> str:
    """Tool arguments: one ``name: value`` line each; multi-line strings (SQL, code) keep their lines."""
    if not isinstance(value, dict):
        return f"<pre style='{CODE}'>{html.escape(_json(value))}</pre>" if block else \
            f"(<code>{html.escape(_json(value))}</code>)"
    if not block and all(not isinstance(v, str) or "\n" not in v for v in value.values()):
        inline = ", ".join(f"{k}={json.dumps(v, default=str, ensure_ascii=False)}" for k, v in value.items())
        if len(inline) <= 200:
            return f"(<code>{html.escape(inline)}</code>)"
    lines = []
    for name, item in value.items():
        text = item if isinstance(item, str) else json.dumps(item, default=str, ensure_ascii=False, indent=1)
        lines.append(f"{name}: {text}" if "\n" not in text else f"{name}:\n{text}")
    return f"<pre style='{CODE}'>{html.escape(chr(10).join(lines))}</pre>"


def _block_or_inline(value: Any) -> str:
    text = value if isinstance(value, str) else _json(value)
    if "\n" not in text and len(text) <= 200:
        return html.escape(text)
    return f"<pre style='{CODE}'>{html.escape(text)}</pre>"


def _references_table(results: list[dict[str, Any]]) -> str:
    """The chunks a knowledge search returned, one row each: rank, score, source, the text (inline styles:
    they survive JupyterLab's sanitizer in an untrusted notebook)."""
    if not results:
        return f"<div style='{MUTED}'>no results</div>"
    cell = f"border-top:1px solid {_BORDER};padding:2px 6px;text-align:left;vertical-align:top"
    rows = "".join(
        f"<tr><td style='{cell}'>{i}</td><td style='{cell}'>{html.escape(str(r.get('score')))}</td>"
        f"<td style='{cell}'>{html.escape(str(r.get('source')))}</td><td style='{cell}'>"
        f"<pre style='{CODE};margin:0;max-height:120px'>{html.escape(str(r.get('chunk') or ''))}</pre></td></tr>"
        for i, r in enumerate(results, start=1))
    search = html.escape(str(results[0].get("search") or ""))
    head = "".join(f"<th style='{cell}'>{h}</th>" for h in ("#", "score", "source", "chunk"))
    return (f"<div style='{MUTED}'>{len(results)} chunk(s), {search} search</div>"
            f"<table style='border-collapse:collapse;margin:2px 0 6px;font-size:12px'><tr>{head}</tr>{rows}</table>")


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
