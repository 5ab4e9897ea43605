"""A workflow from YAML, for ``%%workflow``: steps named after agents, teams and functions in a namespace.

    steps:
      - research                      # an agent, team, function or workflow of the namespace
      - step: draft                   # the same, with options
        name: first draft
        max_retries: 2
        on_error: skip                # fail | skip | retry | pause
        requires_confirmation: true
      - parallel: [fact_check, style_check]
      - loop: {steps: [revise], max_iterations: 3, end_condition: good_enough}
      - condition: {if: needs_legal, then: [legal_review], else: [publish]}
      - router: {selector: pick_channel, choices: [email, slack]}
"""

from __future__ import annotations

from typing import Any

from ..errors import ConfigurationError
from .steps import Condition, Loop, Parallel, Router, Step
from .workflow import Workflow

__all__ = ["workflow_from_yaml", "workflow_spec"]

_STEP_OPTIONS = {"name", "max_retries", "on_error", "requires_confirmation", "description"}


def workflow_from_yaml(name: str, text: str, namespace: dict[str, Any], **options: Any) -> Workflow:
    spec = workflow_spec(name, text)
    return Workflow(name=name, steps=[_step(item, namespace) for item in spec["steps"]],
                    description=spec.get("description"), **options)


def workflow_spec(name: str, text: str) -> dict[str, Any]:
    """The YAML body read and checked: ``{"steps": [...], "description": ...}`` (the exporter reads it too)."""
    import yaml

    try:
        spec = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigurationError(f"%%workflow {name}: the body is not valid YAML: {exc}") from None
    if isinstance(spec, list):
        spec = {"steps": spec}
    if not isinstance(spec, dict) or not isinstance(spec.get("steps"), list) or not spec["steps"]:
        raise ConfigurationError(f"%%workflow {name}: the body needs a 'steps:' list (see %agno help).")
    unknown = set(spec) - {"steps", "description"}
    if unknown:
        raise ConfigurationError(f"%%workflow {name}: unknown keys {sorted(unknown)}; use steps and description.")
    return spec


def _lookup(ref: Any, namespace: dict[str, Any], what: str) -> Any:
    if not isinstance(ref, str) or ref not in namespace:
        known = sorted(k for k, v in namespace.items()
                       if not k.startswith("_") and not isinstance(v, type) and (callable(v) or hasattr(v, "arun")))
        raise ConfigurationError(f"Unknown {what} {ref!r}: define it in the notebook first "
                                 f"(known: {', '.join(known[:30]) or 'none'}).")
    return namespace[ref]


def _steps(items: Any, namespace: dict[str, Any]) -> list[Step]:
    if not isinstance(items, list) or not items:
        raise ConfigurationError(f"Expected a non-empty list of steps, got {items!r}.")
    return [_step(item, namespace) for item in items]


def _step(item: Any, namespace: dict[str, Any]) -> Step:
    if isinstance(item, str):
        return Step(item, _lookup(item, namespace, "step"))
    if not isinstance(item, dict) or len({"step", "parallel", "loop", "condition", "router"} & set(item)) != 1:
        raise ConfigurationError(f"A step is a name or one of step/parallel/loop/condition/router; got {item!r}.")
    if "step" in item:
        extra = set(item) - _STEP_OPTIONS - {"step"}
        if extra:
            raise ConfigurationError(f"Step {item['step']!r}: unknown options {sorted(extra)}; "
                                     f"allowed: {sorted(_STEP_OPTIONS)}.")
        options = {k: v for k, v in item.items() if k in _STEP_OPTIONS}
        options.setdefault("name", item["step"])
        return Step(work=_lookup(item["step"], namespace, "step"), **options)
    if "parallel" in item:
        return Parallel(*_steps(item["parallel"], namespace), name=item.get("name"))
    if "loop" in item:
        spec = item["loop"]
        end = _lookup(spec["end_condition"], namespace, "end_condition") if spec.get("end_condition") else None
        return Loop(*_steps(spec.get("steps"), namespace), name=spec.get("name") or item.get("name"),
                    max_iterations=int(spec.get("max_iterations", 3)), end_condition=end)
    if "condition" in item:
        spec = item["condition"]
        test = spec.get("if")
        evaluator = test if isinstance(test, bool) else _lookup(test, namespace, "condition")
        return Condition(evaluator, _steps(spec.get("then"), namespace),
                         else_steps=_steps(spec["else"], namespace) if spec.get("else") else (),
                         name=spec.get("name") or item.get("name"))
    spec = item["router"]
    return Router(_lookup(spec.get("selector"), namespace, "selector"), _steps(spec.get("choices"), namespace),
                  name=spec.get("name") or item.get("name"))


