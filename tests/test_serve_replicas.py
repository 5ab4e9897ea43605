"""Scale-out: two (or three) uvicorn replicas, started with ``agno-nb serve``, over one PostgreSQL server.

A run paused on A is continued on B; a run is cancelled on A by a request to B; a dropped SSE client
reconnects to B with Last-Event-ID and gets the rest, nothing twice; a replica killed with SIGKILL
mid-stream leaves an interrupted run whose session still loads and whose workflow resumes on B.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
from pathlib import Path

import httpx
import pytest

from serve_helpers import iter_sse, read_sse, wait_for

HERE = Path(__file__).parent


class Replica:
    """``agno-nb serve serve_replica_app:app`` on 127.0.0.1, a free port."""

    def __init__(self, dsn: str, tmp: Path):
        env = {
            **os.environ,
            "AGNO_NB_DB": dsn,
            "REPLICA_LOG": str(tmp / "calls.log"),
            "REPLICA_STALL": str(tmp / "stall"),
            "PYTHONPATH": str(HERE),
        }
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "agno_nb.cli",
                "serve",
                "serve_replica_app:app",
                "--port",
                "0",
                "--log-level",
                "info",
            ],
            cwd=HERE,
            env=env,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: list[str] = []
        found = threading.Event()

        def drain() -> None:
            for line in self.proc.stderr:
                self.lines.append(line)
                if "Uvicorn running on" in line:
                    found.set()
            found.set()

        threading.Thread(target=drain, daemon=True).start()
        found.wait(60)
        match = next(
            (re.search(r"http://127\.0\.0\.1:(\d+)", x) for x in self.lines if "Uvicorn running" in x), None
        )
        if match is None:
            self.stop()
            raise RuntimeError("replica did not start:\n" + "".join(self.lines[-30:]))
        self.url = f"http://127.0.0.1:{match.group(1)}"
        self.client = httpx.Client(base_url=self.url, timeout=30)

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.kill()


@pytest.fixture(scope="module")
def replicas(postgres_server, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("replicas")
    dsn = postgres_server.create_database("serve_replicas")
    started = [Replica(dsn, tmp), Replica(dsn, tmp)]
    yield started, dsn, tmp
    for replica in started:
        replica.stop()


def test_a_run_paused_on_a_is_continued_on_b(replicas):
    (a, b), _, tmp = replicas
    paused = a.client.post("/agents/payer/runs", json={"message": "pay the invoice", "user_id": "ana"}).json()
    assert paused["status"] == "paused"
    call = paused["requirements"][0]["tool_call_id"]
    done = b.client.post(
        f"/agents/payer/runs/{paused['run_id']}/continue",
        json={"requirements": [{"tool_call_id": call, "decision": "confirmed"}]},
    )
    assert done.status_code == 200, done.text
    assert done.json()["content"] == "Done: paid 120 EUR"
    # continued once: A cannot continue it again, and the tool ran in B's process
    again = a.client.post(
        f"/agents/payer/runs/{paused['run_id']}/continue",
        json={"requirements": [{"tool_call_id": call, "decision": "confirmed"}]},
    )
    assert again.status_code == 404
    assert (tmp / "calls.log").read_text().count("pay 120") == 1
    assert a.client.get(f"/runs/{paused['run_id']}").json()["status"] == "completed"


def test_a_run_on_a_is_cancelled_through_b(replicas):
    (a, b), _, tmp = replicas
    (tmp / "stall").touch()
    results = {}
    started = threading.Event()

    def stream():
        with a.client.stream(
            "POST", "/workflows/pipeline/runs", json={"message": "q3", "stream": True}
        ) as response:
            results["run_id"] = response.headers["x-run-id"]
            started.set()
            results["events"] = list(iter_sse(response))

    reader = threading.Thread(target=stream)
    reader.start()
    assert started.wait(30)
    run_id = results["run_id"]
    wait_for(lambda: b.client.get(f"/runs/{run_id}").json()["status"] == "running")
    response = b.client.post(f"/workflows/pipeline/runs/{run_id}/cancel")
    assert response.status_code == 202 and response.json()["status"] == "cancelling"
    reader.join(30)
    (tmp / "stall").unlink()
    last = results["events"][-1]
    assert last.event == "RunCancelled" and "cancelled by" in last.json["reason"]
    assert b.client.get(f"/runs/{run_id}").json()["status"] == "cancelled"


def test_a_dropped_stream_resumes_on_b_with_nothing_twice(replicas):
    (a, b), _, _ = replicas
    seen = []
    with a.client.stream("POST", "/agents/ticker/runs", json={"message": "go", "stream": True}) as response:
        run_id = response.headers["x-run-id"]
        for event in iter_sse(response):
            seen.append(event)
            if event.event == "ToolCallCompleted" and event.json["result"] == "tick 2":
                break  # the client drops the connection here, mid-run
    _, rest = read_sse(b.client, "GET", f"/runs/{run_id}/events", headers={"Last-Event-ID": seen[-1].id})
    assert rest[-1].event == "RunCompleted"
    ids = [e.id for e in seen + rest]
    assert len(ids) == len(set(ids)), "an event came twice"
    _, everything = read_sse(b.client, "GET", f"/runs/{run_id}/events")
    assert [e.id for e in everything] == ids
    text = "".join(e.json["content"] for e in seen + rest if e.event == "RunContentDelta")
    assert text == rest[-1].json["content"]
    # a position inside a run of text deltas: the rest of that text, then what follows
    row = next(e for e in everything if e.event == "RunContentDelta")
    seq = row.id.split(".")[0]
    _, tail = read_sse(b.client, "GET", f"/runs/{run_id}/events", params={"after": f"{seq}.10"})
    assert tail[0].json["content"] == row.json["content"][10:] and tail[0].id == row.id


def test_a_replica_killed_mid_stream_leaves_an_interrupted_run_that_resumes_on_b(replicas):
    (_, b), dsn, tmp = replicas
    c = Replica(dsn, tmp)
    log = tmp / "calls.log"
    before = len(log.read_text().splitlines()) if log.exists() else 0
    try:
        (tmp / "stall").touch()
        seen = []
        ended = threading.Event()

        def stream():
            try:
                with c.client.stream(
                    "POST",
                    "/workflows/pipeline/runs",
                    json={"message": "q4", "stream": True, "user_id": "ana"},
                ) as response:
                    for event in iter_sse(response):
                        seen.append(event)
            except httpx.HTTPError:
                pass  # the connection is cut: what a client of a killed replica sees
            ended.set()

        threading.Thread(target=stream, daemon=True).start()
        wait_for(lambda: any(e.event == "StepStarted" and e.json["step_name"] == "crunch" for e in seen))
        run_id, session_id = seen[0].json["run_id"], seen[0].json["session_id"]
        c.kill()
        assert ended.wait(10)
        record = wait_for(
            lambda: (r := b.client.get(f"/runs/{run_id}").json())["status"] == "interrupted" and r
        )
        assert "interrupted" in (record["error"] or "") or record["error"]
        assert b.client.get(f"/sessions/{session_id}").status_code == 200
        # the stream, resumed on B after what the client saw, says how it ended
        _, rest = read_sse(b.client, "GET", f"/runs/{run_id}/events", headers={"Last-Event-ID": seen[-1].id})
        assert rest[-1].event == "RunInterrupted"
        (tmp / "stall").unlink()
        resumed = b.client.post(f"/workflows/pipeline/runs/{run_id}/resume")
        assert resumed.status_code == 200, resumed.text
        assert (
            resumed.json()["status"] == "completed" and resumed.json()["content"] == "report of crunched rows"
        )
        calls = [line.split()[0] for line in log.read_text().splitlines()[before:]]
        # fetch ran before the kill and was checkpointed: the resume starts again at crunch
        assert calls == ["fetch", "crunch", "crunch", "report"]
    finally:
        c.stop()
