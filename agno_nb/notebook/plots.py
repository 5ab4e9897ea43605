"""Plotly charts of runs: a span timeline, and tokens / latency / cost across a session.

``px.timeline`` needs dates; spans are seconds from the run's start, so the timeline is a horizontal
``go.Bar`` with ``base`` = start and ``x`` = duration.
"""

from __future__ import annotations

from typing import Any

from .trace import TraceView

__all__ = ["timeline", "session_metrics"]

_COLORS = {"model": "#0969da", "tool": "#1a7f37", "reasoning": "#8250df", "guardrail": "#cf222e",
           "validation": "#bc4c00"}


def timeline(run: Any) -> Any:
    """The spans of a run (a ``RunOutput``) on a time axis: model requests, tool calls, steps."""
    import plotly.graph_objects as go

    view = TraceView.from_events(run.events)
    data = view.to_json()
    rows: list[tuple[str, str, float, float, str]] = []

    def walk(span: dict[str, Any], depth: int) -> None:
        for child in span["children"]:  # depth first: time order within each level, children under parents
            label = f"{len(rows) + 1}. {'· ' * depth}{child['kind']}: {child['name']}"  # numbered: unique rows
            rows.append((label, child["kind"], child["start"], child["duration"] or 0.0, child["status"]))
            walk(child, depth + 1)

    if data["root"] is not None:
        walk(data["root"], 0)
    fig = go.Figure()
    for kind in dict.fromkeys(r[1] for r in rows):
        picked = [r for r in rows if r[1] == kind]
        fig.add_trace(go.Bar(y=[r[0] for r in picked], x=[r[3] * 1000 for r in picked],
                             base=[r[2] * 1000 for r in picked], orientation="h", name=kind,
                             marker_color=_COLORS.get(kind, "#6e7781"),
                             hovertemplate="%{y}<br>start %{base:.1f} ms, %{x:.1f} ms<extra></extra>"))
    # One colour per kind, but rows stay in the tree's order (time and nesting), not grouped by kind.
    fig.update_layout(title=f"run {data['run_id']} ({data['status']})", xaxis_title="milliseconds from start",
                      yaxis={"autorange": "reversed", "categoryorder": "array",
                             "categoryarray": [r[0] for r in rows]}, barmode="overlay", height=140 + 26 * max(len(rows), 1),
                      margin={"l": 10, "r": 10, "t": 40, "b": 40})
    return fig


def session_metrics(session_id: str, store: Any = None) -> Any:
    """Tokens, duration and cost of each run of a session."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    from ..storage.analyst import runs

    frame = runs(store, session_id=session_id).iloc[::-1].reset_index(drop=True)
    if frame.empty:
        raise ValueError(f"Session {session_id!r} has no runs to plot.")
    x = list(range(1, len(frame) + 1))
    fig = make_subplots(rows=3, cols=1, shared_xaxes=True, subplot_titles=("tokens", "duration (s)", "cost (USD)"))
    fig.add_trace(go.Bar(x=x, y=frame["input_tokens"], name="input tokens"), row=1, col=1)
    fig.add_trace(go.Bar(x=x, y=frame["output_tokens"], name="output tokens"), row=1, col=1)
    fig.add_trace(go.Scatter(x=x, y=frame["duration"], mode="lines+markers", name="duration"), row=2, col=1)
    fig.add_trace(go.Scatter(x=x, y=frame["cost"].fillna(0.0), mode="lines+markers", name="cost"), row=3, col=1)
    fig.update_layout(barmode="stack", height=520, title=f"session {session_id}", xaxis3_title="run")
    return fig
