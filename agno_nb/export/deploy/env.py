"""Every variable the deployed app reads, and ``.env.example`` listing them.

Two sources: the notebook's settings (``plan.settings``) and the runtime's own variables (the store,
auth, the database password compose uses, the Chroma server, model provider keys). Compose, Kubernetes
and the README all take the list from here, so the three can never disagree on a name.
"""

from __future__ import annotations

from .plan import DeploymentPlan, Setting

__all__ = ["all_settings", "render_env_example", "runtime_settings"]

#: provider keys LiteLLM reads; empty unless the notebook's models need them
PROVIDER_KEYS = ("ANTHROPIC_API_KEY", "GEMINI_API_KEY", "OPENAI_API_KEY")


def runtime_settings(plan: DeploymentPlan) -> tuple[Setting, ...]:
    """The served runtime's variables for this plan (Chroma ones only when knowledge is used)."""
    out = [
        Setting("AGNO_NB_DB", "app.duckdb",
                help="the store: a DuckDB file locally; compose and k8s set a PostgreSQL DSN instead"),
        Setting("POSTGRES_PASSWORD", None, secret=True,
                help="password of the PostgreSQL user (compose, k8s DSN)"),
        Setting("AGNO_NB_JWT_SECRET", None, secret=True,
                help="HS256 secret that signs API tokens; needed to bind 0.0.0.0 (or AGNO_NB_AUTH=keys)"),
        Setting("AGNO_NB_AUTH", "", help="'keys' for API keys alone (agno-nb keys create) instead of JWTs"),
    ]
    if plan.knowledge:
        out.append(Setting("CHROMA_HOST", "chroma", help="host of the Chroma server the knowledge uses"))
        out.append(Setting("CHROMA_PORT", "8000", help="port of the Chroma server"))
    out.extend(Setting(key, None, secret=True, help="model provider key (only if a model needs it)")
               for key in PROVIDER_KEYS)
    return tuple(out)


def all_settings(plan: DeploymentPlan) -> tuple[Setting, ...]:
    """Runtime variables, then the notebook's; a notebook setting with a runtime name wins."""
    own = {s.env for s in plan.settings}
    return tuple(s for s in runtime_settings(plan) if s.env not in own) + tuple(plan.settings)


def render_env_example(plan: DeploymentPlan) -> str:
    """``.env.example``: one commented line per variable; secrets always empty."""
    lines = [f"# Variables read by {plan.name} (exported from {plan.notebook}). Copy to .env and fill in.",
             "# Secrets are empty on purpose: never commit the real .env.", ""]
    for setting in all_settings(plan):
        kind = "secret" if setting.secret else "required" if setting.default is None else "optional"
        lines.append(f"# {setting.help or setting.env} ({kind})")
        value = "" if setting.secret or setting.default is None else setting.default
        lines.append(f"{setting.env}={_quote(value)}")
    return "\n".join(lines) + "\n"


def _quote(value: str) -> str:
    """Quote values that docker compose's .env parser would otherwise cut or expand."""
    if value and any(ch in value for ch in " #'\"$\\"):
        return "'" + value.replace("'", "'\\''") + "'"
    return value
