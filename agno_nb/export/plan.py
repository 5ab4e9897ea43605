"""From what the exporter found to the deployment plan the deploy files are rendered from."""

from __future__ import annotations

import re
from pathlib import Path

from .app_source import AppSource
from .deploy import DeploymentPlan, ExportedComponent, Setting

__all__ = ["deployment_plan"]

#: model id prefixes -> the key their provider reads (the app needs it in its environment)
_PROVIDER_KEYS = {
    "openai": "OPENAI_API_KEY",
    "anthropic": "ANTHROPIC_API_KEY",
    "gemini": "GEMINI_API_KEY",
    "google": "GEMINI_API_KEY",
    "groq": "GROQ_API_KEY",
    "mistral": "MISTRAL_API_KEY",
    "deepseek": "DEEPSEEK_API_KEY",
    "openrouter": "OPENROUTER_API_KEY",
    "cohere": "COHERE_API_KEY",
    "together_ai": "TOGETHERAI_API_KEY",
    "xai": "XAI_API_KEY",
}
_MODEL_ID = re.compile(r"""["']([a-z_]+)[/:][\w.\-:/]+["']""")


def deployment_plan(notebook: Path, source: AppSource, data_files: list[str]) -> DeploymentPlan:
    """The plan: served components, settings (parameters, provider keys), imports, knowledge, data."""
    components = tuple(
        ExportedComponent(c.kind, c.id or c.name, c.name, c.description)
        for c in source.components
        if c.kind != "knowledge"
    )
    settings = [
        Setting(p.env, p.default, p.secret, f"the notebook's parameter {p.name}") for p in source.parameters
    ]
    providers = sorted({_PROVIDER_KEYS[m] for m in _MODEL_ID.findall(source.text) if m in _PROVIDER_KEYS})
    settings += [
        Setting(key, None, True, "the model provider's API key")
        for key in providers
        if key not in {s.env for s in settings}
    ]
    settings.append(Setting("AGNO_NB_MODEL", "", False, "a model id for agents without one (any LiteLLM id)"))
    if "data_path" in source.text:
        settings.append(
            Setting(
                "AGNO_NB_DATA_DIR",
                "",
                False,
                "where the knowledge's files are (default: "
                "next to the notebook, or data/ when exported with --include-data)",
            )
        )
    slug = re.sub(r"[^a-z0-9]+", "-", notebook.stem.lower()).strip("-") or "app"
    return DeploymentPlan(
        name=slug,
        notebook=notebook.name,
        components=components,
        knowledge=tuple(c.name for c in source.components if c.kind == "knowledge"),
        settings=tuple(settings),
        imports=tuple(sorted(source.modules | {"agno_nb"})),
        data_paths=("data",) if data_files else (),
    )
