"""schemathesis against the app's own OpenAPI document, over a real socket: no input makes a 5xx, every
status, header, content type and body matches what the document promises, invalid input is refused.
Bounded: a dozen examples per operation."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings

from schemathesis.specs.openapi.checks import positive_data_acceptance

from agno_nb import Agent, Step, Workflow, tool
from agno_nb.models.scripted import ScriptedModel
from agno_nb.models.scripts import Turn, get_script
from agno_nb.serve import ServeSettings, create_app
from agno_nb.storage.duckdb import DuckDBStore


@tool(requires_confirmation=True)
def archive(name: str) -> str:
    """Archive a report.

    Args:
        name: the report
    """
    return f"archived {name}"


def _archiver(messages, tools):
    if messages[-1]["role"] == "tool":
        return Turn("archived")
    return Turn(None, [("archive", {"name": "q3"})])


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    from agno_nb.serve.server import start_server

    store = DuckDBStore(tmp_path_factory.mktemp("schema") / "schema.duckdb")
    agents = [
        Agent(name="echo", model=ScriptedModel(get_script("echo"))),
        Agent(name="archiver", model=ScriptedModel(_archiver), tools=[archive]),
    ]
    flow = Workflow(name="flow", steps=[Step("shout", lambda step: str(step.input).upper())])
    app = create_app(
        agents=agents,
        workflows=[flow],
        db=store,
        settings=ServeSettings(run_timeout=10, max_body_bytes=64 * 1024),
    )
    server = start_server(app)
    yield server
    server.stop()
    store.close()


def test_the_api_keeps_its_promises(served):
    schema = schemathesis.openapi.from_url(f"{served.url}/openapi.json")
    failures, operations = [], 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1

        @given(case=operation.as_strategy())
        @settings(
            max_examples=12,
            deadline=None,
            phases=[Phase.explicit, Phase.generate],
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def check(case):
            # Not "every schema-valid request is accepted": some checks are beyond a schema (form fields that
            # carry JSON text must hold JSON; ids must be printable), and those answer 422 by design.
            case.call_and_validate(excluded_checks=[positive_data_acceptance])

        try:
            check()
        except Exception as exc:  # collect every operation's failure, then report them all
            failures.append(f"{operation.label}: {str(exc).strip()[:1500]}")
    assert operations >= 25
    assert not failures, "\n\n".join(failures)
