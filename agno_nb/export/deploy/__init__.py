"""Deployment files for an exported notebook: requirements, Dockerfile, compose, Kubernetes, docs.

``render_deployment(plan)`` returns every file as text keyed by its path relative to the export
folder; it only reads the exporting environment (installed versions, the Python version), so the same
plan in the same environment gives byte-identical files.
"""

from __future__ import annotations

from .plan import DeploymentPlan, ExportedComponent, Setting
from .render import render_deployment
from .requirements import pinned_requirements

__all__ = ["DeploymentPlan", "ExportedComponent", "Setting", "pinned_requirements", "render_deployment"]
