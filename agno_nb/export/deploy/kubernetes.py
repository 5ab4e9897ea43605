"""Kubernetes manifests: ConfigMap, Secret, Deployment, Service and HorizontalPodAutoscaler.

Non-secret settings (the notebook's defaults) go to a ConfigMap loaded whole with ``envFrom``; each
secret is a ``secretKeyRef`` into a Secret written with empty values (fill it, or create it with
``kubectl create secret``; the README shows how). The store DSN is composed in the pod from the
ConfigMap's ``POSTGRES_HOST`` and the Secret's password, so no password is ever in a ConfigMap.
Probes: readiness on ``/ready`` (store reachable, not draining), liveness on ``/health``.
"""

from __future__ import annotations

from typing import Any

from .compose import POSTGRES_DB, POSTGRES_USER
from .docker import PORT
from .env import all_settings
from .plan import DeploymentPlan
from .yamltext import dump

__all__ = ["render_kubernetes"]

#: filled in the pod from the ConfigMap (POSTGRES_HOST) and the Secret (POSTGRES_PASSWORD)
_DSN = f"postgresql://{POSTGRES_USER}:$(POSTGRES_PASSWORD)@$(POSTGRES_HOST):5432/{POSTGRES_DB}"


def render_kubernetes(plan: DeploymentPlan) -> dict[str, str]:
    """``k8s/<kind>.yaml`` -> text, one object per file (``kubectl apply -f k8s/``)."""
    name = plan.name
    labels = {"app.kubernetes.io/name": name}
    settings = all_settings(plan)
    config = {s.env: s.default for s in settings
              if not s.secret and s.default is not None and s.env != "AGNO_NB_DB"}
    config["POSTGRES_HOST"] = "postgres"
    secrets = [s.env for s in settings if s.secret]
    meta = {"name": name, "labels": labels}
    configmap = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {**meta, "name": f"{name}-config"},
                 "data": dict(sorted(config.items()))}
    secret = {"apiVersion": "v1", "kind": "Secret", "metadata": {**meta, "name": f"{name}-secrets"},
              "type": "Opaque", "stringData": {key: "" for key in secrets}}
    required = {s.env for s in settings if s.secret and s.env in ("POSTGRES_PASSWORD",)}
    env: list[dict[str, Any]] = [
        {"name": key, "valueFrom": {"secretKeyRef": {"name": f"{name}-secrets", "key": key,
                                                     "optional": key not in required}}}
        for key in secrets
    ]
    env.append({"name": "AGNO_NB_DB", "value": _DSN})
    container = {
        "name": "app",
        "image": f"{name}:latest",
        "ports": [{"name": "http", "containerPort": PORT}],
        "envFrom": [{"configMapRef": {"name": f"{name}-config"}}],
        "env": env,
        "readinessProbe": {"httpGet": {"path": "/ready", "port": "http"},
                           "initialDelaySeconds": 5, "periodSeconds": 10},
        "livenessProbe": {"httpGet": {"path": "/health", "port": "http"},
                          "initialDelaySeconds": 15, "periodSeconds": 20},
        "resources": {"requests": {"cpu": "250m", "memory": "512Mi"},
                      "limits": {"cpu": "1", "memory": "1Gi"}},
        "securityContext": {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": False,
                            "capabilities": {"drop": ["ALL"]}},
    }
    deployment = {
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": meta,
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {
                    "securityContext": {"runAsNonRoot": True, "runAsUser": 10001, "runAsGroup": 10001,
                                        "seccompProfile": {"type": "RuntimeDefault"}},
                    # SIGTERM grace of the runtime (AGNO_NB_SHUTDOWN_GRACE, 20 s) plus headroom
                    "terminationGracePeriodSeconds": 30,
                    "containers": [container],
                },
            },
        },
    }
    service = {"apiVersion": "v1", "kind": "Service", "metadata": meta,
               "spec": {"selector": labels, "ports": [{"name": "http", "port": 80, "targetPort": "http"}]}}
    hpa = {
        "apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "metadata": meta,
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": name},
            "minReplicas": 2, "maxReplicas": 10,
            "metrics": [{"type": "Resource", "resource": {
                "name": "cpu", "target": {"type": "Utilization", "averageUtilization": 70}}}],
        },
    }
    objects = {"configmap": configmap, "secret": secret, "deployment": deployment,
               "service": service, "hpa": hpa}
    return {f"k8s/{kind}.yaml": dump(obj) for kind, obj in sorted(objects.items())}
