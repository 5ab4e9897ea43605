"""The served runtime on one replica over a real socket (uvicorn), with a DuckDB store: runs as JSON, form,
SSE and background; continue, cancel, timeouts, failures; sessions, runs, traces, memories; resumable
streams; bad input; graceful shutdown."""

from __future__ import annotations

import threading

import pytest

from agno_nb import Agent, Step, Team, Workflow, tool
from agno_nb.models.scripted import ScriptedModel
from agno_nb.models.scripts import Turn, error, get_script
from agno_nb.serve import ServeSettings, create_app
from agno_nb.storage.duckdb import DuckDBStore
from agno_nb.storage.records import MemoryRecord
from serve_helpers import count, read_sse, serving, wait_for


def _last_user(messages):
    return next(m["content"] for m in reversed(messages) if m["role"] == "user")


@tool(requires_confirmation=True)
def delete_rows(table: str) -> str:
    """Delete every row of a table.

    Args:
        table: the table
    """
    return f"deleted all rows of {table}"


def _deleter(messages, tools):
    if messages[-1]["role"] == "tool":
        return Turn(f"Done: {messages[-1]['content']}")
    return Turn(None, [("delete_rows", {"table": _last_user(messages)})])


def _slow(messages, tools):
    return Turn("finally", delay=float(_last_user(messages)))


def _agents():
    return [
        Agent(name="echo", model=ScriptedModel(get_script("echo")), add_history_to_context=True),
        Agent(name="deleter", model=ScriptedModel(_deleter), tools=[delete_rows]),
        Agent(name="slow", model=ScriptedModel(_slow)),
        Agent(name="broken", model=ScriptedModel([error("server")], max_retries=0)),
    ]


@pytest.fixture
def store(tmp_path):
    store = DuckDBStore(tmp_path / "serve.duckdb")
    yield store
    store.close()


@pytest.fixture
def client(store):
    app = create_app(agents=_agents(), db=store, settings=ServeSettings(audit_flush_interval=0.05))
    with serving(app) as client:
        yield client


# ---------------------------------------------------------------------------------------------- runs


def test_health_ready_config_and_metrics(client):
    assert client.get("/health").json()["status"] == "ok"
    ready = client.get("/ready")
    assert ready.status_code == 200 and ready.json()["status"] == "ready"
    config = client.get("/config").json()
    assert [a["id"] for a in config["agents"]] == ["echo", "deleter", "slow", "broken"]
    assert config["store"]["type"] == "DuckDBStore" and config["auth"] == {"enabled": False}
    deleter = client.get("/agents/deleter").json()
    assert deleter["tools"][0] == {
        "name": "delete_rows",
        "description": "Delete every row of a table.",
        "requires_confirmation": True,
    }
    client.post("/agents/echo/runs", json={"message": "hi"})
    metrics = client.get("/metrics").text
    assert 'agno_nb_runs_total{kind="agent",status="completed"} 1' in metrics
    assert 'route="/agents/{agent_id}/runs",status="200"} 1' in metrics
    assert "agno_nb_runs_in_flight 0" in metrics and "process_resident_memory_bytes" in metrics


def test_json_and_form_runs_continue_a_session(client, store):
    first = client.post("/agents/echo/runs", json={"message": "hello", "user_id": "ana"}).json()
    assert first["status"] == "completed" and first["content"] == "You said: hello"
    assert first["user_id"] == "ana" and first["metrics"]["model_requests"] == 1
    second = client.post(
        "/agents/echo/runs", data={"message": "again", "session_id": first["session_id"], "user_id": "ana"}
    ).json()
    assert second["session_id"] == first["session_id"] and second["content"] == "You said: again"
    session = client.get(f"/sessions/{first['session_id']}").json()
    assert session["run_count"] == 2 and session["user_id"] == "ana" and session["component_id"] == "echo"
    runs = client.get(f"/sessions/{first['session_id']}/runs").json()["data"]
    assert [r["input"] for r in runs] == ["hello", "again"]
    # history reached the model: the second run's stored messages follow the first's
    assert store.get_run(second["run_id"]).status == "completed"


def test_streaming_run_is_sse_with_event_id_and_data(client, store):
    response, events = read_sse(
        client, "POST", "/agents/echo/runs", json={"message": "one two three", "stream": True}
    )
    assert response.status_code == 200 and response.headers["x-run-id"]
    kinds = [e.event for e in events]
    assert kinds[0] == "RunStarted" and kinds[-1] == "RunCompleted" and "RunContentDelta" in kinds
    text = "".join(e.json["content"] for e in events if e.event == "RunContentDelta")
    assert text == "You said: one two three"
    assert all(e.id is not None for e in events) and len({e.id for e in events}) == len(events)
    final = events[-1].json
    assert final["content"] == text and final["metrics"]["model_requests"] == 1 and "messages" not in final
    # ids are the stored positions: the last one names the run's last row
    stored = store.get_events(response.headers["x-run-id"])
    assert events[-1].id == str(stored[-1]["seq"])


def test_background_run_answers_202_then_completes(client):
    response = client.post("/agents/slow/runs", json={"message": "0.2", "background": True})
    assert response.status_code == 202
    body = response.json()
    assert body["status"] == "running" and response.headers["location"] == f"/runs/{body['run_id']}"
    done = wait_for(
        lambda: (r := client.get(f"/runs/{body['run_id']}").json())["status"] == "completed" and r
    )
    assert done["content"] == "finally" and done["session_id"] == body["session_id"]


def test_resume_a_stream_from_memory_with_last_event_id(client):
    response, events = read_sse(
        client, "POST", "/agents/echo/runs", json={"message": "a b c d", "stream": True}
    )
    run_id = response.headers["x-run-id"]
    middle = events[3]
    _, rest = read_sse(client, "GET", f"/runs/{run_id}/events", headers={"Last-Event-ID": middle.id})
    assert [e.id for e in rest] == [e.id for e in events[4:]]
    _, again = read_sse(client, "GET", f"/runs/{run_id}/events", params={"after": events[0].id})
    assert [e.id for e in again] == [e.id for e in events[1:]]
    _, everything = read_sse(client, "GET", f"/runs/{run_id}/events")
    assert [e.id for e in everything] == [e.id for e in events]
    assert client.get(f"/runs/{run_id}/events", params={"after": "x.y"}).status_code == 422


def test_a_failing_model_ends_the_stream_with_an_error_and_the_run_row_says_error(client, store):
    response, events = read_sse(client, "POST", "/agents/broken/runs", json={"message": "x", "stream": True})
    assert events[-1].event == "RunError" and "server" in events[-1].json["error"].lower()
    run = store.get_run(response.headers["x-run-id"])
    assert run.status == "error" and run.error
    plain = client.post("/agents/broken/runs", json={"message": "x"}).json()
    assert plain["status"] == "error" and plain["error"]["type"]


# ------------------------------------------------------------------------------ human in the loop


def test_paused_run_is_continued_over_http(client, store):
    paused = client.post("/agents/deleter/runs", json={"message": "orders"}).json()
    assert paused["status"] == "paused"
    [pending] = paused["requirements"]
    assert pending["tool_name"] == "delete_rows" and pending["arguments"] == {"table": "orders"}
    url = f"/agents/deleter/runs/{paused['run_id']}/continue"
    # a wrong decision is refused and loses nothing: the run still waits
    bad = client.post(url, json={"requirements": [{"tool_call_id": "nope", "decision": "confirmed"}]})
    assert bad.status_code == 422 and "not pending" in bad.json()["detail"]
    missing = client.post(url, json={"requirements": [{"tool_call_id": pending["tool_call_id"]}]})
    assert missing.status_code == 422
    assert store.get_approval(paused["run_id"]) is not None
    done = client.post(
        url,
        json={
            "requirements": [
                {
                    "tool_call_id": pending["tool_call_id"],
                    "decision": "confirmed",
                    "arguments": {"table": "staging"},
                }
            ]
        },
    )
    assert done.status_code == 200, done.text
    assert (
        done.json()["status"] == "completed" and done.json()["content"] == "Done: deleted all rows of staging"
    )
    again = client.post(
        url, json={"requirements": [{"tool_call_id": pending["tool_call_id"], "confirmed": True}]}
    )
    assert again.status_code == 404


def test_continue_with_a_rejection_as_a_stream(client):
    paused = client.post("/agents/deleter/runs", json={"message": "users"}).json()
    call = paused["requirements"][0]["tool_call_id"]
    _, events = read_sse(
        client,
        "POST",
        f"/agents/deleter/runs/{paused['run_id']}/continue",
        json={
            "requirements": [{"tool_call_id": call, "decision": "rejected", "reason": "not today"}],
            "stream": True,
        },
    )
    kinds = [e.event for e in events]
    assert kinds[0] == "RunContinued" and "ToolCallRejected" in kinds and kinds[-1] == "RunCompleted"
    # the continuation's ids go on after the paused part's
    assert int(events[0].id.split(".")[0]) > 0


# --------------------------------------------------------------------------- cancel, timeout, drain


def test_cancel_a_running_stream(client, store):
    results = {}

    def stream():
        results["response"], results["events"] = read_sse(
            client, "POST", "/agents/slow/runs", json={"message": "30", "stream": True}
        )

    reader = threading.Thread(target=stream)
    reader.start()
    live = wait_for(
        lambda: next((r for r in client.server.app.state.agno.runs.live.values() if r.events), None)
    )
    run_id = live.run_id
    cancelled = client.post(f"/agents/slow/runs/{run_id}/cancel")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    reader.join(20)
    last = results["events"][-1]
    assert last.event == "RunCancelled" and "cancelled by" in last.json["reason"]
    assert store.get_run(run_id).status == "cancelled"
    assert client.post(f"/agents/slow/runs/{run_id}/cancel").status_code == 409


def test_run_timeout_cancels_with_the_reason(store):
    app = create_app(agents=_agents(), db=store, settings=ServeSettings(run_timeout=0.3))
    with serving(app) as client:
        out = client.post("/agents/slow/runs", json={"message": "30"}).json()
    assert out["status"] == "cancelled" and "run timeout of 0.3 s" in out["status_reason"]


def test_shutdown_ends_open_streams_with_an_event(store):
    app = create_app(agents=_agents(), db=store, settings=ServeSettings(shutdown_grace=0.2))
    results = {}
    with serving(app) as client:

        def stream():
            results["events"] = read_sse(
                client, "POST", "/agents/slow/runs", json={"message": "30", "stream": True}
            )[1]

        reader = threading.Thread(target=stream)
        reader.start()
        wait_for(lambda: app.state.agno.runs.live)
        client.server.stop()
        reader.join(20)
    last = results["events"][-1]
    assert last.event == "RunCancelled" and "shutting down" in last.json["reason"]


# ------------------------------------------------------------------------------ stored data routes


def test_sessions_paging_rename_delete_memories_and_traces(client, store):
    ids = [
        client.post("/agents/echo/runs", json={"message": f"m{i}", "user_id": "bo"}).json()["session_id"]
        for i in range(3)
    ]
    page = client.get("/sessions", params={"user_id": "bo", "limit": 2}).json()
    assert len(page["data"]) == 2 and page["next_offset"] == 2
    rest = client.get("/sessions", params={"user_id": "bo", "limit": 2, "offset": 2}).json()
    assert len(rest["data"]) == 1 and rest["next_offset"] is None
    assert {s["session_id"] for s in page["data"] + rest["data"]} == set(ids)
    renamed = client.post(f"/sessions/{ids[0]}/rename", json={"name": "Q3 review"})
    assert renamed.json()["name"] == "Q3 review"
    assert client.delete(f"/sessions/{ids[0]}").status_code == 204
    assert client.get(f"/sessions/{ids[0]}").status_code == 404
    run_id = client.get(f"/sessions/{ids[1]}/runs").json()["data"][0]["run_id"]
    trace = client.get(f"/traces/{run_id}").json()
    assert trace["run_id"] == run_id and trace["root"]["children"][0]["kind"] == "model"
    store.save_memory(MemoryRecord("m1", "bo", "likes charts"))
    memories = client.get("/memories", params={"user_id": "bo"}).json()
    assert [m["memory"] for m in memories["data"]] == ["likes charts"]
    assert client.delete("/memories/m1", params={"user_id": "bo"}).status_code == 204
    assert client.get("/memories", params={"user_id": "bo"}).json()["data"] == []


def test_teams_and_workflows_run_and_a_workflow_pauses_and_continues(store):
    writer = Agent(name="writer", model=ScriptedModel(get_script("echo")))
    team = Team(
        name="desk",
        members=[writer],
        mode="route",
        model=ScriptedModel(
            lambda m, t: (
                Turn("ok")
                if m[-1]["role"] == "tool"
                else Turn(None, [("route_to_member", {"member_id": "writer", "task": "draft"})])
            )
        ),
    )
    flow = Workflow(
        name="report",
        steps=[Step("draft", writer), Step("publish", lambda step: "published", requires_confirmation=True)],
    )
    app = create_app(teams=[team], workflows=[flow], db=store)
    with serving(app) as client:
        assert client.post("/teams/desk/runs", json={"message": "go"}).json()["content"] == "You said: draft"
        paused = client.post("/workflows/report/runs", json={"message": "q3"}).json()
        assert paused["status"] == "paused" and paused["requirements"][0]["tool_call_id"] == "step:publish"
        done = client.post(
            f"/workflows/report/runs/{paused['run_id']}/continue",
            json={"requirements": [{"tool_call_id": "step:publish", "decision": "confirmed"}]},
        ).json()
        assert done["status"] == "completed" and done["content"] == "published"
        assert [w["id"] for w in client.get("/workflows").json()] == ["report"]


# ------------------------------------------------------------------------------------------ bad input


@pytest.mark.parametrize(
    "send, status, words",
    [
        (dict(content=b"{not json", headers={"content-type": "application/json"}), 400, "not valid JSON"),
        (dict(json={"message": "x", "sesion_id": "s"}), 422, "Unknown field"),
        (dict(json={"session_id": "s"}), 422, "message is required"),
        (dict(json={"message": "x", "stream": "maybe"}), 422, "true or false"),
        (dict(json={"message": "x", "session_state": [1]}), 422, "JSON object"),
        (dict(content=b"message=x", headers={"content-type": "text/plain"}), 415, "not accepted"),
    ],
)
def test_bad_input_is_a_4xx_with_one_line_and_writes_nothing_but_audit(client, store, send, status, words):
    before = count(store, "runs"), count(store, "sessions"), count(store, "audit_log")
    response = client.post("/agents/echo/runs", **send)
    assert response.status_code == status and words in response.json()["detail"]
    assert "\n" not in response.json()["detail"]
    wait_for(lambda: count(store, "audit_log") > before[2])
    assert (count(store, "runs"), count(store, "sessions")) == before[:2]
    row = store.sql("SELECT route, status FROM audit_log ORDER BY ts DESC LIMIT 1").iloc[0]
    assert (row["route"], int(row["status"])) == ("/agents/{agent_id}/runs", status)


def test_unknown_ids_and_oversized_bodies(store):
    app = create_app(agents=_agents(), db=store, settings=ServeSettings(max_body_bytes=1000))
    with serving(app) as client:
        assert "No agent 'nope'" in client.post("/agents/nope/runs", json={"message": "x"}).json()["detail"]
        assert client.get("/runs/not-a-run").status_code == 404
        assert client.get("/sessions/not-a-session").status_code == 404
        big = client.post("/agents/echo/runs", json={"message": "x" * 5000})
        assert big.status_code == 413 and "1000 bytes" in big.json()["detail"]
        chunked = client.post(
            "/agents/echo/runs",
            content=iter([b'{"message": "', b"y" * 3000, b'"}']),
            headers={"content-type": "application/json"},
        )
        assert chunked.status_code == 413
        assert client.get("/no/such/route").json()["code"] == "not_found"
    assert count(store, "runs") == 0
