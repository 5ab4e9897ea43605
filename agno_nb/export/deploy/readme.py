"""The exported app's ``README.md``: what it serves, how to run it, and how to call each component.

Every component gets two calls a reader can paste: ``curl`` on the native route
(``POST /{kind}s/{id}/runs`` with ``message`` and ``stream``) and the ``openai`` SDK on the
OpenAI-compatible ``/v1/chat/completions``, where the ``model`` is the component's id.
"""

from __future__ import annotations

from .docker import PORT
from .env import all_settings
from .plan import DeploymentPlan, ExportedComponent

__all__ = ["render_readme"]

_ROUTE = {"agent": "agents", "team": "teams", "workflow": "workflows"}


def route(component: ExportedComponent) -> str:
    """The native run route of a component."""
    return f"/{_ROUTE[component.kind]}/{component.id}/runs"


def _calls(component: ExportedComponent) -> str:
    return f"""### {component.kind} `{component.id}` (`{component.name}` in app.py)

{component.description or ""}

```bash
curl -s -X POST http://localhost:{PORT}{route(component)} \\
  -H "Authorization: Bearer $TOKEN" \\
  -H "Content-Type: application/json" \\
  -d '{{"message": "Hello", "stream": false}}'
```

```python
from openai import OpenAI

client = OpenAI(base_url="http://localhost:{PORT}/v1", api_key=TOKEN)
reply = client.chat.completions.create(
    model="{component.id}",
    messages=[{{"role": "user", "content": "Hello"}}],
)
print(reply.choices[0].message.content)
```
"""


def render_readme(plan: DeploymentPlan) -> str:
    """The README text."""
    served = "\n".join(f"- {c.kind} `{c.id}`: `POST {route(c)}`, or model `{c.id}` on `/v1`"
                       for c in plan.components)
    knowledge = ""
    if plan.knowledge:
        names = ", ".join(f"`{k}`" for k in plan.knowledge)
        knowledge = (f"\nKnowledge: {names}, in a Chroma server (the `chroma` service in compose; "
                     "`CHROMA_HOST`/`CHROMA_PORT` elsewhere).\n")
    variables = "\n".join(
        f"| `{s.env}` | {'secret' if s.secret else (s.default or '(required)')} | {s.help} |"
        for s in all_settings(plan)
    )
    calls = "\n".join(_calls(c) for c in plan.components)
    return f"""# {plan.name}

Exported from `{plan.notebook}` by `agno-nb export`. It serves:

{served}
{knowledge}
## Run it locally

```bash
pip install -r requirements.txt
agno-nb serve app:app            # 127.0.0.1:{PORT}, a DuckDB file ($AGNO_NB_DB), no auth on loopback
```

## Docker compose

```bash
cp .env.example .env             # set POSTGRES_PASSWORD and AGNO_NB_JWT_SECRET (or AGNO_NB_AUTH=keys)
docker compose up --build
```

The container binds 0.0.0.0, which the server only does with auth: set `AGNO_NB_JWT_SECRET` (then
send JWTs signed with it) or `AGNO_NB_AUTH=keys` and create a key:
`docker compose exec app agno-nb keys create --user me --scope 'agents:*:run'`.

## Kubernetes

```bash
kubectl create secret generic {plan.name}-secrets \\
  --from-literal=POSTGRES_PASSWORD=... --from-literal=AGNO_NB_JWT_SECRET=...   # or fill k8s/secret.yaml
kubectl apply -f k8s/
```

The Deployment expects a PostgreSQL reachable as `POSTGRES_HOST` (ConfigMap, default `postgres`) and
an image `{plan.name}:latest` (build and push it from the Dockerfile, then edit the image name).

## Variables

| Variable | Default | What |
|---|---|---|
{variables}

## Calling it

`TOKEN` is an API key or a JWT (not needed locally on 127.0.0.1 without auth).

{calls}"""
