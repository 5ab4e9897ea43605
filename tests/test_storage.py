"""The storage layer: every query on both backends (a fresh DuckDB file and a fresh database on a real
PostgreSQL server), plus what only one backend can get wrong (DuckDB's file lock, PostgreSQL's network).

Tests that take ``store`` run twice (``[duckdb]`` and ``[postgres]``, see ``conftest.py``).
"""

from __future__ import annotations

import datetime
import json
import os
import socket
import subprocess
import sys
import textwrap
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from pydantic import BaseModel

import agno_nb
import agno_nb.storage
import agno_nb.storage.base as storage_base
import agno_nb.storage.schema as storage_schema
from agno_nb import Agent, ScriptedModel
from agno_nb.errors import ConfigurationError
from agno_nb.models.scripts import error as error_turn
from agno_nb.storage import NotFoundError, StoreConnectionError, StoreError, StoreSchemaError
from agno_nb.storage.duckdb import DuckDBStore
from agno_nb.storage.postgres import PostgresStore, redact_dsn
from agno_nb.storage.records import MemoryRecord, RunRecord, SessionRecord
from agno_nb.storage.schema import SCHEMA_VERSION, TABLES

#: the versions this code ships (tests may add more to MIGRATIONS)
SHIPPED = [m.version for m in storage_schema.MIGRATIONS]

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RUN_COLUMNS = RunRecord.__slots__


# ------------------------------------------------------------------------------------------ helpers


def is_pg(store) -> bool:
    return isinstance(store, PostgresStore)


def reopen(store):
    """A new store object on the same file / database and schema (after ``store.close()``)."""
    if isinstance(store, DuckDBStore):
        return DuckDBStore(store.path)
    return PostgresStore(store.dsn, schema=store.schema)


def ev(run_id: str, seq: int, type_: str = "Step", payload=None, ts: float | None = None) -> tuple:
    """An events row as ``Store.save_run`` takes it."""
    return (run_id, seq, type_, f"span-{seq}", None, ts if ts is not None else 1000.0 + seq,
            json.dumps(payload if payload is not None else {"seq": seq}))


def run(run_id: str, session_id: str | None, *, created_at: float, status: str = "completed",
        user_id: str | None = None, parent_run_id: str | None = None, **kw) -> RunRecord:
    kw.setdefault("messages", [{"role": "user", "content": f"q-{run_id}"},
                               {"role": "assistant", "content": f"a-{run_id}"}])
    return RunRecord(run_id, session_id, status=status, user_id=user_id, parent_run_id=parent_run_id,
                     created_at=created_at, updated_at=created_at, **kw)


def count(store, table: str, where: str = "", params=()) -> int:
    frame = store.sql(f"SELECT count(*) AS n FROM {table}" + (f" WHERE {where}" if where else ""), list(params))
    return int(frame["n"].iloc[0])


def table_rows(store, table: str) -> list[dict]:
    return store.sql(f"SELECT * FROM {table}").to_dict("records")


def cells_mentioning(store, needle: str) -> list[tuple[str, str, str]]:
    """(table, column, value) of every cell of every user-data table whose text contains ``needle``."""
    found = []
    for table in TABLES:
        for row in table_rows(store, table):
            for column, value in row.items():
                if needle in str(value):
                    found.append((table, column, str(value)[:80]))
    return found


def make_store(backend: str, tmp_path, request):
    if backend == "duckdb":
        return DuckDBStore(tmp_path / "agno.duckdb")
    # CREATE DATABASE costs ~0.25 s; a fresh schema (the store's own namespace: its search_path is that
    # schema only) in one database per module is as empty and as isolated, and costs nothing.
    return PostgresStore(request.getfixturevalue("pg_module_dsn"), schema=f"t_{uuid.uuid4().hex[:16]}")


@pytest.fixture(scope="module")
def pg_module_dsn(postgres_server):
    return postgres_server.create_database(f"storage_{uuid.uuid4().hex[:12]}")


@pytest.fixture(params=["duckdb", "postgres"])
def store(request, tmp_path):
    """As conftest's ``store`` (a fresh DuckDB file / a fresh, empty PostgreSQL store), but the PostgreSQL
    store is a fresh schema in a per-module database instead of a new database per test, to stay fast."""
    store = make_store(request.param, tmp_path, request)
    yield store
    store.close()


@pytest.fixture
def pg_store(postgres_server):
    """A store in a database of its own, under the default schema."""
    store = PostgresStore(postgres_server.create_database(f"p_{uuid.uuid4().hex[:16]}"))
    yield store
    store.close()


@pytest.fixture
def duck_store(tmp_path):
    store = DuckDBStore(tmp_path / "duck.duckdb")
    yield store
    store.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run_python(code: str, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": ROOT + os.pathsep + os.environ.get("PYTHONPATH", "")}
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code), *args], check=False, capture_output=True,
                          text=True, timeout=timeout, cwd=ROOT, env=env)


# ---------------------------------------------------------------------------------------- sessions


NESTED_STATE = {"cart": {"items": [{"sku": "a-1", "qty": 2, "tags": ["x", "y"]}, {"sku": "b", "qty": None}]},
                "flags": {"beta": True, "seen": False}, "ratio": 1.5, "count": 7, "empty": {}, "none": None,
                "text": "café ✓ — 数据"}


def test_session_save_get_round_trips_nested_state(store):
    assert store.get_session("s1") is None
    store.save_session(SessionRecord("s1", "team", "comp-1", "ana", "Q3 review", NESTED_STATE, "sum",
                                     created_at=100.0, updated_at=200.0, run_count=3))
    got = store.get_session("s1")
    assert got.state == NESTED_STATE
    assert (got.session_id, got.session_type, got.component_id, got.user_id, got.name, got.summary) == \
        ("s1", "team", "comp-1", "ana", "Q3 review", "sum")
    assert (got.created_at, got.updated_at, got.run_count) == (100.0, 200.0, 3)
    # stored as JSON text, not as a Python repr
    raw = store.sql("SELECT state FROM sessions WHERE session_id = ?", ["s1"])["state"].iloc[0]
    assert json.loads(raw) == NESTED_STATE


def test_session_upsert_keeps_name_and_summary_when_none(store):
    store.save_session(SessionRecord("s1", user_id="ana", name="Kept name", summary="Kept summary",
                                     state={"v": 1}, created_at=100.0, updated_at=100.0))
    store.save_session(SessionRecord("s1", user_id="ana", name=None, summary=None, state={"v": 2},
                                     created_at=555.0, updated_at=300.0))
    got = store.get_session("s1")
    assert (got.name, got.summary, got.state) == ("Kept name", "Kept summary", {"v": 2})
    assert got.created_at == 100.0 and got.updated_at == 300.0  # created_at is never moved
    store.save_session(SessionRecord("s1", user_id="ana", name="New", summary="New sum", updated_at=400.0))
    got = store.get_session("s1")
    assert (got.name, got.summary) == ("New", "New sum")
    store.set_session_summary("s1", "from the background")
    assert store.get_session("s1").summary == "from the background"
    assert count(store, "sessions") == 1


def test_list_sessions_filters_and_orders_by_most_recent_update(store):
    for sid, comp, user, updated in [("a", "c1", "ana", 100.0), ("b", "c1", "bo", 300.0),
                                     ("c", "c2", "ana", 200.0), ("d", "c1", "ana", 400.0)]:
        store.save_session(SessionRecord(sid, component_id=comp, user_id=user, created_at=1.0, updated_at=updated))
    assert [s.session_id for s in store.list_sessions()] == ["d", "b", "c", "a"]
    assert [s.session_id for s in store.list_sessions(component_id="c1")] == ["d", "b", "a"]
    assert [s.session_id for s in store.list_sessions(user_id="ana")] == ["d", "c", "a"]
    assert [s.session_id for s in store.list_sessions(component_id="c1", user_id="ana")] == ["d", "a"]
    assert [s.session_id for s in store.list_sessions(limit=2)] == ["d", "b"]
    assert store.list_sessions(user_id="nobody") == []
    assert all(isinstance(s.state, dict) for s in store.list_sessions())


def test_rename_session_and_unknown_id_is_a_clear_not_found(store):
    store.save_session(SessionRecord("s1", user_id="ana", name="old", updated_at=100.0))
    store.rename_session("s1", "Quarterly numbers")
    got = store.get_session("s1")
    assert got.name == "Quarterly numbers" and got.updated_at > 100.0
    with pytest.raises(NotFoundError) as info:
        store.rename_session("missing-id", "x")
    assert "missing-id" in str(info.value) and "No session" in str(info.value)
    assert isinstance(info.value, KeyError) and isinstance(info.value, StoreError)
    assert store.get_session("missing-id") is None  # nothing created on the way


def test_get_session_with_another_user_id_is_none(store):
    store.save_session(SessionRecord("owned", user_id="ana", state={"secret": 1}))
    assert store.get_session("owned", user_id="bo") is None
    assert store.get_session("owned", user_id="ana").state == {"secret": 1}
    assert store.get_session("owned").user_id == "ana"


def _session_with_children(store, sid: str, user: str, n_runs: int = 2) -> list[str]:
    ids = []
    for i in range(n_runs):
        rid = f"{sid}-r{i}"
        store.save_run(run(rid, sid, created_at=1000.0 + i, user_id=user), [ev(rid, 0), ev(rid, 1)],
                       SessionRecord(sid, user_id=user, state={"i": i}))
        store.save_approval(rid, session_id=sid, user_id=user, component_id="c", requirements=[{"tool": "t"}],
                            state={"k": rid})
        store.save_checkpoint(rid, 0, "step0", output={"o": rid}, state={"s": 0}, user_id=user)
        ids.append(rid)
    return ids


def test_delete_session_cascades_to_its_runs_events_approvals_checkpoints_only(store):
    doomed = _session_with_children(store, "doomed", "ana")
    kept = _session_with_children(store, "kept", "ana")
    store.save_memory(MemoryRecord("m1", "ana", "likes tea"))
    store.delete_session("doomed")
    assert store.get_session("doomed") is None
    for rid in doomed:
        assert store.get_run(rid) is None
        assert store.get_events(rid) == []
        assert store.get_approval(rid) is None
        assert store.load_checkpoints(rid) == []
    assert store.get_session("kept").run_count == 2
    for rid in kept:
        assert store.get_run(rid).session_id == "kept"
        assert len(store.get_events(rid)) == 2
        assert store.get_approval(rid)["state"] == {"k": rid}
        assert len(store.load_checkpoints(rid)) == 1
    assert (count(store, "runs"), count(store, "events"), count(store, "approvals"), count(store, "checkpoints"),
            count(store, "sessions")) == (2, 4, 2, 2, 1)
    assert [m.memory_id for m in store.list_memories("ana")] == ["m1"]  # memories belong to the user
    with pytest.raises(NotFoundError, match="doomed"):
        store.delete_session("doomed")


def _source_session(store) -> None:
    store.save_session(SessionRecord("src", component_id="c", user_id="ana", name="Source", state={"x": [1, 2]},
                                     summary="so far"))
    for i in range(3):
        rid = f"r{i}"
        store.save_run(run(rid, "src", created_at=1000.0 + i, user_id="ana", content=f"answer {i}"),
                       [ev(rid, 0, "RunStarted", {"n": i}), ev(rid, 1, "RunCompleted", {"n": i, "done": True})],
                       SessionRecord("src", user_id="ana", state={"x": [1, 2]}))


def test_fork_session_copies_all_runs_and_events(store):
    _source_session(store)
    fork = store.fork_session("src", "fork1")
    assert fork.session_id == "fork1"
    got = store.get_session("fork1")
    assert (got.user_id, got.component_id, got.state, got.summary, got.run_count) == \
        ("ana", "c", {"x": [1, 2]}, "so far", 3)
    assert "Source" in got.name and got.name != "Source"
    forked = list(reversed(store.list_runs(session_id="fork1")))
    assert len(forked) == 3
    source_runs = {r.run_id for r in store.list_runs(session_id="src")}
    assert source_runs == {"r0", "r1", "r2"}  # the source is untouched
    for i, r in enumerate(forked):
        assert r.run_id not in source_runs and r.session_id == "fork1"
        assert r.content == f"answer {i}" and r.messages[0]["content"] == f"q-r{i}"
        assert [(e["seq"], e["type"], e["payload"]) for e in store.get_events(r.run_id)] == \
            [(0, "RunStarted", {"n": i}), (1, "RunCompleted", {"n": i, "done": True})]
    assert [r.content for r in store.last_runs("fork1", 10)] == ["answer 0", "answer 1", "answer 2"]
    assert count(store, "events") == 12
    # the fork is independent: deleting it leaves the source whole
    store.delete_session("fork1")
    assert count(store, "runs") == 3 and count(store, "events") == 6


def test_fork_session_upto_run_and_bad_ids(store):
    _source_session(store)
    store.fork_session("src", "upto", upto_run_id="r1")
    assert store.get_session("upto").run_count == 2
    assert [r.content for r in store.last_runs("upto", 10)] == ["answer 0", "answer 1"]
    assert count(store, "events", "run_id IN (SELECT run_id FROM runs WHERE session_id = ?)", ["upto"]) == 4

    with pytest.raises(NotFoundError, match="nope"):
        store.fork_session("nope", "f2")
    with pytest.raises(NotFoundError, match="r9"):
        store.fork_session("src", "f3", upto_run_id="r9")
    assert store.get_session("f2") is None and store.get_session("f3") is None
    # a fork never overwrites an existing session
    store.save_session(SessionRecord("taken", user_id="bo", state={"mine": True}))
    with pytest.raises(StoreError, match="already exists"):
        store.fork_session("src", "taken")
    taken = store.get_session("taken")
    assert (taken.user_id, taken.state, taken.run_count) == ("bo", {"mine": True}, 0)
    assert store.list_runs(session_id="taken") == []


def test_fork_session_remaps_parent_run_ids(store):
    store.save_run(run("lead", "src", created_at=1.0), (), SessionRecord("src"))
    store.save_run(run("member", "src", created_at=2.0, parent_run_id="lead"), ())
    store.fork_session("src", "f")
    forked = {r.run_id: r for r in store.list_runs(session_id="f")}
    lead = next(r for r in forked.values() if r.parent_run_id is None)
    member = next(r for r in forked.values() if r.parent_run_id is not None)
    assert member.parent_run_id == lead.run_id


# -------------------------------------------------------------------------------------------- runs


def test_save_run_writes_run_events_and_session_in_one_call(store):
    r = run("r1", "s1", created_at=1000.0, user_id="ana", input={"q": "sales?"}, content="42",
            metrics={"input_tokens": 10, "cost": 0.5}, component_id="agent-1", component_name="Ana")
    store.save_run(r, [ev("r1", 0, "RunStarted"), ev("r1", 1, "RunCompleted")],
                   SessionRecord("s1", component_id="agent-1", user_id="ana", state={"step": 1}))
    got = store.get_run("r1")
    assert (got.session_id, got.user_id, got.status, got.input, got.content, got.metrics) == \
        ("s1", "ana", "completed", {"q": "sales?"}, "42", {"input_tokens": 10, "cost": 0.5})
    assert (got.component_id, got.component_name, got.parent_run_id, got.error) == ("agent-1", "Ana", None, None)
    assert got.messages == [{"role": "user", "content": "q-r1"}, {"role": "assistant", "content": "a-r1"}]
    assert [e["type"] for e in store.get_events("r1")] == ["RunStarted", "RunCompleted"]
    session = store.get_session("s1")
    assert (session.user_id, session.state, session.run_count, session.component_id) == \
        ("ana", {"step": 1}, 1, "agent-1")
    assert store.get_run("missing") is None


def test_run_count_increments_per_saved_run(store):
    for i in range(3):
        store.save_run(run(f"r{i}", "s1", created_at=1000.0 + i), [ev(f"r{i}", 0)],
                       SessionRecord("s1", user_id="ana", state={"n": i}, updated_at=2000.0 + i))
        session = store.get_session("s1")
        assert session.run_count == i + 1 and session.state == {"n": i} and session.updated_at == 2000.0 + i
    store.save_run(run("r-nocount", "s1", created_at=1010.0), (), SessionRecord("s1"), count_run=False)
    assert store.get_session("s1").run_count == 3
    assert store.get_session("s1").user_id == "ana"  # a session saved without user keeps its owner


def test_a_failed_save_run_writes_nothing(store):
    store.save_run(run("r1", "s1", created_at=1.0), [ev("r1", 0)], SessionRecord("s1", state={"v": 1}))
    with pytest.raises(StoreError):
        # same run id, not a replace: the insert fails, and the events and session update with it
        store.save_run(run("r1", "s1", created_at=2.0, content="dup"), [ev("r1", 5), ev("r1", 6)],
                       SessionRecord("s1", state={"v": 2}))
    assert [e["seq"] for e in store.get_events("r1")] == [0]
    session = store.get_session("s1")
    assert (session.run_count, session.state) == (1, {"v": 1})
    assert store.get_run("r1").content is None
    store.save_run(run("r2", "s1", created_at=3.0), [ev("r2", 0)], SessionRecord("s1"))  # the store still works
    assert store.get_session("s1").run_count == 2


def test_replace_updates_the_run_and_appends_continued_events_in_order(store):
    r = run("r1", "s1", created_at=1000.0, status="paused")
    store.save_run(r, [ev("r1", 0, "RunStarted"), ev("r1", 1, "RunPaused")], SessionRecord("s1"))
    r.status, r.content, r.updated_at = "completed", "final", 2000.0
    store.save_run(r, [ev("r1", 2, "ToolCallCompleted"), ev("r1", 3, "RunCompleted")], SessionRecord("s1"),
                   replace=True, count_run=False)
    got = store.get_run("r1")
    assert (got.status, got.content, got.updated_at, got.created_at) == ("completed", "final", 2000.0, 1000.0)
    assert [(e["seq"], e["type"]) for e in store.get_events("r1")] == \
        [(0, "RunStarted"), (1, "RunPaused"), (2, "ToolCallCompleted"), (3, "RunCompleted")]
    assert store.get_session("s1").run_count == 1
    assert count(store, "runs") == 1


def test_resaving_the_same_run_replaces_its_events(store):
    events = [ev("r1", 0, "RunStarted"), ev("r1", 1, "RunCompleted")]
    store.save_run(run("r1", "s1", created_at=1000.0), events, SessionRecord("s1"))
    store.save_run(run("r1", "s1", created_at=1000.0, content="again"), events, SessionRecord("s1"),
                   replace=True, count_run=False)
    assert store.get_run("r1").content == "again"
    assert [e["seq"] for e in store.get_events("r1")] == [0, 1]


def test_last_runs_is_the_last_n_completed_top_level_runs_oldest_first(store):
    plan = [("c1", "completed", None, 1.0), ("c2", "completed", None, 2.0), ("member", "completed", "c2", 3.0),
            ("e1", "error", None, 4.0), ("p1", "paused", None, 5.0), ("c3", "completed", None, 6.0),
            ("c4", "completed", None, 7.0), ("x1", "cancelled", None, 8.0)]
    for rid, status, parent, created in plan:
        store.save_run(run(rid, "s1", created_at=created, status=status, parent_run_id=parent), (), SessionRecord("s1"))
    store.save_run(run("other", "s2", created_at=9.0), (), SessionRecord("s2"))
    assert [r.run_id for r in store.last_runs("s1", 3)] == ["c2", "c3", "c4"]
    assert [r.run_id for r in store.last_runs("s1", 100)] == ["c1", "c2", "c3", "c4"]
    assert [r.run_id for r in store.last_runs("s1", 3, statuses=("completed", "error"))] == ["e1", "c3", "c4"]
    assert store.last_runs("s1", 0) == [] and store.last_runs("nope", 5) == []
    last = store.last_runs("s1", 1)[0]
    assert last.messages == [{"role": "user", "content": "q-c4"}, {"role": "assistant", "content": "a-c4"}]


def test_list_runs_filters_and_orders_newest_first(store):
    for rid, sid, user, created in [("a", "s1", "ana", 1.0), ("b", "s2", "bo", 2.0), ("c", "s1", "ana", 3.0),
                                    ("d", "s1", "bo", 4.0)]:
        store.save_run(run(rid, sid, created_at=created, user_id=user), ())
    assert [r.run_id for r in store.list_runs()] == ["d", "c", "b", "a"]
    assert [r.run_id for r in store.list_runs(session_id="s1")] == ["d", "c", "a"]
    assert [r.run_id for r in store.list_runs(user_id="ana")] == ["c", "a"]
    assert [r.run_id for r in store.list_runs(session_id="s1", user_id="bo")] == ["d"]
    assert [r.run_id for r in store.list_runs(limit=1)] == ["d"]
    assert store.list_runs(session_id="none") == []


def test_get_events_are_ordered_by_seq_with_payload_decoded(store):
    rows = [ev("r1", 2, "C", {"text": "third", "nested": {"a": [1]}}, ts=3.5), ev("r1", 0, "A", {"text": "first"}),
            ev("r1", 1, "B", {"text": "zweite — ü"})]
    store.save_run(run("r1", "s1", created_at=1.0), rows)
    store.save_run(run("r2", "s1", created_at=2.0), [ev("r2", 0, "Other")])
    got = store.get_events("r1")
    assert [(e["seq"], e["type"]) for e in got] == [(0, "A"), (1, "B"), (2, "C")]
    assert got[2]["payload"] == {"text": "third", "nested": {"a": [1]}}
    assert got[1]["payload"]["text"] == "zweite — ü"
    assert got[2]["ts"] == 3.5 and got[2]["span_id"] == "span-2" and got[2]["run_id"] == "r1"
    assert got[0]["parent_span_id"] is None
    assert store.get_events("missing") == []


def test_many_events_take_the_bulk_path_and_come_back_in_order(store):
    n = store.small_batch + 57
    rows = [ev("big", i, "Delta", {"i": i, "text": f"piece {i} ✓"}) for i in reversed(range(n))]
    store.save_run(run("big", "s1", created_at=1.0), rows, SessionRecord("s1"))
    got = store.get_events("big")
    assert [e["seq"] for e in got] == list(range(n))
    assert got[-1]["payload"] == {"i": n - 1, "text": f"piece {n - 1} ✓"}
    assert store.get_session("s1").run_count == 1


class Point(BaseModel):
    x: int
    label: str


class Report(BaseModel):
    region: str
    growth: float
    day: datetime.date
    points: list[Point]


def test_pydantic_content_round_trips_as_json(store):
    report = Report(region="EMEA", growth=12.5, day=datetime.date(2026, 1, 31),
                    points=[Point(x=1, label="a"), Point(x=2, label="b")])
    store.save_run(run("r1", "s1", created_at=1.0, content=report, input=Point(x=9, label="in")), ())
    got = store.get_run("r1")
    assert got.content == {"region": "EMEA", "growth": 12.5, "day": "2026-01-31",
                           "points": [{"x": 1, "label": "a"}, {"x": 2, "label": "b"}]}
    assert Report.model_validate(got.content) == report
    assert got.input == {"x": 9, "label": "in"}
    raw = store.sql("SELECT content FROM runs WHERE run_id = ?", ["r1"])["content"].iloc[0]
    assert isinstance(raw, str) and json.loads(raw) == got.content


@pytest.mark.parametrize("backend", ["duckdb", "postgres"])
def test_nan_and_infinity_in_state_and_content_do_not_lose_the_write(backend, tmp_path, request):
    store = make_store(backend, tmp_path, request)
    try:
        # e.g. a pandas mean over an empty column in session_state, or a structured output with inf
        store.save_run(run("r1", "s1", created_at=1.0, content={"growth": float("inf"), "ok": 1}), [ev("r1", 0)],
                       SessionRecord("s1", state={"mean": float("nan"), "region": "EU"}))
        state = store.get_session("s1").state
        assert state["region"] == "EU" and (state["mean"] is None or state["mean"] != state["mean"])
        assert store.get_run("r1").content["ok"] == 1
    finally:
        store.close()


@pytest.mark.parametrize("backend", ["duckdb", "postgres"])
def test_a_nul_character_in_a_message_does_not_lose_the_write(backend, tmp_path, request):
    store = make_store(backend, tmp_path, request)
    try:
        # e.g. a tool that returns text read from a binary file
        messages = [{"role": "tool", "content": "head\x00tail"}]
        store.save_run(run("r1", "s1", created_at=1.0, messages=messages), [ev("r1", 0)], SessionRecord("s1"))
        content = store.get_run("r1").messages[0]["content"]
        assert content.startswith("head") and content.endswith("tail")
        assert store.get_session("s1").run_count == 1
    finally:
        store.close()


@pytest.mark.parametrize("backend", ["duckdb", "postgres"])
def test_text_that_spells_a_nul_escape_is_kept_as_written(backend, tmp_path, request):
    store = make_store(backend, tmp_path, request)
    try:
        # a user who types the six characters \u0000 (found by the served app's schemathesis run)
        typed = ["\\u0000", "a\\\\u0000b", "\\\x00"]
        store.save_run(run("r1", "s1", created_at=1.0, messages=[{"role": "user", "content": t} for t in typed]),
                       [ev("r1", 0)], SessionRecord("s1"))
        assert [m["content"] for m in store.get_run("r1").messages] == ["\\u0000", "a\\\\u0000b", "\\\ufffd"]
    finally:
        store.close()


def test_concurrent_writes_from_threads_on_one_store(store):
    def write(worker: int) -> None:
        for i in range(10):
            rid = f"w{worker}-{i}"
            store.save_run(run(rid, "busy", created_at=1000.0 + worker * 100 + i), [ev(rid, 0), ev(rid, 1)],
                           SessionRecord("busy", user_id="ana"))

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(write, range(4)))
    assert count(store, "runs") == 40 and count(store, "events") == 80
    assert store.get_session("busy").run_count == 40


# ---------------------------------------------------------------------------------------- memories


def test_memories_save_list_update_delete(store):
    store.save_memory(MemoryRecord("m1", "ana", "Prefers EUR", ["finance"], "agent-1", 100.0, 100.0))
    store.save_memory(MemoryRecord("m2", "ana", "Works in Lisbon", ["place", "work"], None, 200.0, 200.0))
    got = store.list_memories("ana")
    assert [(m.memory_id, m.memory, m.topics) for m in got] == \
        [("m2", "Works in Lisbon", ["place", "work"]), ("m1", "Prefers EUR", ["finance"])]
    assert got[1].agent_id == "agent-1"
    assert [m.memory_id for m in store.list_memories("ana", limit=1)] == ["m2"]
    # update: same id, same user
    store.save_memory(MemoryRecord("m1", "ana", "Prefers USD now", ["finance", "fx"], "agent-1", 999.0, 300.0))
    got = store.list_memories("ana")
    assert [m.memory_id for m in got] == ["m1", "m2"]
    assert (got[0].memory, got[0].topics, got[0].updated_at, got[0].created_at) == \
        ("Prefers USD now", ["finance", "fx"], 300.0, 100.0)
    assert store.delete_memory("ana", "m1") is True
    assert store.delete_memory("ana", "m1") is False
    assert [m.memory_id for m in store.list_memories("ana")] == ["m2"]


def test_memories_are_isolated_per_user(store):
    store.save_memory(MemoryRecord("m-ana", "ana", "Ana's salary is 90k", ["private"], created_at=1.0, updated_at=1.0))
    assert store.list_memories("bo") == []
    # bo cannot overwrite ana's memory by reusing its id
    store.save_memory(MemoryRecord("m-ana", "bo", "hijacked", ["evil"], created_at=5.0, updated_at=5.0))
    assert store.list_memories("bo") == []
    [mine] = store.list_memories("ana")
    assert (mine.memory, mine.topics, mine.user_id, mine.updated_at) == ("Ana's salary is 90k", ["private"], "ana", 1.0)
    # nor delete it
    assert store.delete_memory("bo", "m-ana") is False
    assert [m.memory for m in store.list_memories("ana")] == ["Ana's salary is 90k"]
    assert count(store, "memories") == 1
    rows = table_rows(store, "memories")
    assert rows[0]["user_id"] == "ana" and "hijacked" not in str(rows)


@pytest.mark.parametrize("user_id", [None, ""])
def test_list_memories_without_user_is_refused(store, user_id):
    store.save_memory(MemoryRecord("m1", "ana", "x"))
    with pytest.raises(StoreError, match="user_id"):
        store.list_memories(user_id)


# ------------------------------------------------------------------------- approvals, checkpoints


def test_approvals_save_get_upsert_delete(store):
    assert store.get_approval("r1") is None
    store.save_approval("r1", session_id="s1", user_id="ana", component_id="agent-1",
                        requirements=[{"tool": "refund", "args": {"amount": 30}}], state={"step": 1, "msgs": [1, 2]})
    got = store.get_approval("r1")
    assert (got["run_id"], got["session_id"], got["user_id"], got["component_id"]) == ("r1", "s1", "ana", "agent-1")
    assert got["requirements"] == [{"tool": "refund", "args": {"amount": 30}}]
    assert got["state"] == {"step": 1, "msgs": [1, 2]} and isinstance(got["created_at"], float)
    store.save_approval("r1", session_id="s1", user_id="ana", component_id="agent-1", requirements=[],
                        state={"step": 2})
    got = store.get_approval("r1")
    assert (got["requirements"], got["state"]) == ([], {"step": 2})
    assert count(store, "approvals") == 1
    store.save_approval("r2", session_id="s1", user_id="ana", component_id=None, requirements=None, state=None)
    store.delete_approval("r1")
    assert store.get_approval("r1") is None
    assert store.get_approval("r2")["requirements"] is None
    store.delete_approval("r1")  # deleting twice is harmless


def test_checkpoints_upsert_by_run_and_step_and_come_back_in_step_order(store):
    for step in (2, 0, 1):
        store.save_checkpoint("wf1", step, f"step{step}", output={"out": step}, state={"after": step}, user_id="ana")
    store.save_checkpoint("wf2", 0, "other", output="x", state={})
    assert [(c["step_index"], c["step_name"], c["output"], c["state"]) for c in store.load_checkpoints("wf1")] == \
        [(0, "step0", {"out": 0}, {"after": 0}), (1, "step1", {"out": 1}, {"after": 1}),
         (2, "step2", {"out": 2}, {"after": 2})]
    store.save_checkpoint("wf1", 1, "step1", output={"out": "retried"}, state={"after": "retry"})
    got = store.load_checkpoints("wf1")
    assert len(got) == 3 and got[1]["output"] == {"out": "retried"} and got[1]["state"] == {"after": "retry"}
    assert [c["output"] for c in store.load_checkpoints("wf2")] == ["x"]
    assert store.load_checkpoints("none") == []


# ---------------------------------------------------------------------------- users own their data


ALICE, BOB = "alice-7f3a9", "bob-19cd2"


def _user_data(store, u: str) -> dict[str, int]:
    """Sessions, runs (one a member run, one in a shared session), events, memories, approvals, checkpoints."""
    s1, s2 = f"{u}-sess1", f"{u}-sess2"
    store.save_session(SessionRecord("lobby", component_id="front-desk", user_id=None, state={"open": True}))
    specs = [(f"{u}-r1", s1, None), (f"{u}-r2", s1, f"{u}-r1"), (f"{u}-r3", s2, None), (f"{u}-r4", "lobby", None)]
    for i, (rid, sid, parent) in enumerate(specs):
        store.save_run(run(rid, sid, created_at=1000.0 + i, user_id=u, parent_run_id=parent,
                           input=f"question of {u}", content={"for": u}),
                       [ev(rid, 0, "RunStarted", {"who": u}), ev(rid, 1, "RunCompleted", {"who": u})],
                       SessionRecord(sid, component_id="front-desk", user_id=u if sid != "lobby" else None,
                                     state={"owner": u}, name=f"chat of {u}" if sid != "lobby" else None))
    store.save_memory(MemoryRecord(f"{u}-m1", u, f"{u} likes tea"))
    store.save_memory(MemoryRecord(f"{u}-m2", u, "works in sales", ["work"]))
    store.save_approval(f"{u}-r3", session_id=s2, user_id=u, component_id="front-desk",
                        requirements=[{"who": u}], state={"who": u})
    store.save_checkpoint(f"{u}-r1", 0, "a", output={"who": u}, state={}, user_id=u)
    store.save_checkpoint(f"{u}-r1", 1, "b", output={"who": u}, state={}, user_id=u)
    store.save_checkpoint(f"{u}-r3", 0, "a", output="no user column set", state={}, user_id=None)
    return {"sessions": 2, "runs": 4, "events": 8, "memories": 2, "approvals": 1, "checkpoints": 3}


def test_export_and_delete_everything_of_one_user(store, tmp_path):
    expected = _user_data(store, ALICE)
    _user_data(store, BOB)
    # the shared lobby's state was last written by a run (owner: bob); make it impersonal before comparing
    store.save_session(SessionRecord("lobby", user_id=None, state={"open": True}))
    with store.transaction() as cur:  # (and forget which runs it had last: their ids name their users here)
        cur.execute("UPDATE sessions SET recent_runs = NULL WHERE session_id = 'lobby'")
    bob_before = {t: sorted(str(sorted(r.items())) for r in table_rows(store, t) if BOB in str(r)) for t in TABLES}
    assert sum(map(len, bob_before.values())) == 20

    path = tmp_path / "alice.jsonl"
    written = store.export_user_jsonl(ALICE, str(path))
    lines = path.read_text(encoding="utf-8").splitlines()
    items = [json.loads(line) for line in lines]
    assert written == len(lines) == sum(expected.values())
    per_table = {t: sum(1 for i in items if i["table"] == t) for t in TABLES}
    assert per_table == expected
    assert all(ALICE in json.dumps(item["row"]) for item in items)
    assert BOB not in path.read_text(encoding="utf-8")
    assert {i["row"]["run_id"] for i in items if i["table"] == "runs"} == {f"{ALICE}-r{i}" for i in range(1, 5)}

    counts = store.delete_user(ALICE)
    assert counts == expected
    assert cells_mentioning(store, ALICE) == []
    bob_after = {t: sorted(str(sorted(r.items())) for r in table_rows(store, t) if BOB in str(r)) for t in TABLES}
    assert bob_after == bob_before
    assert store.get_session("lobby") is not None  # a shared session is nobody's to delete
    assert [r.run_id for r in store.list_runs(session_id="lobby")] == [f"{BOB}-r4"]
    assert len(store.list_memories(BOB)) == 2 and store.list_memories(ALICE) == []
    assert list(store.export_user(ALICE)) == []
    assert store.delete_user(ALICE) == {t: 0 for t in TABLES}


# --------------------------------------------------------------------------------- SQL and analysts


def _analyst_data(store) -> None:
    store.save_session(SessionRecord("s-old", component_id="agent-1", user_id="ana", name="old", created_at=10.0,
                                     updated_at=10.0))
    store.save_run(run("r1", "s-new", created_at=100.0, user_id="ana", input="hi", content={"n": 1},
                       metrics={"input_tokens": 11, "output_tokens": 22, "duration": 0.5, "cost": 0.01,
                                "tool_calls": 1}, component_id="agent-1"),
                   [ev("r1", 0, "RunStarted", {"a": 1}), ev("r1", 1, "RunCompleted", {"b": 2})],
                   SessionRecord("s-new", component_id="agent-1", user_id="ana", state={"k": "v"}, updated_at=200.0))
    store.save_run(run("r2", "s-new", created_at=150.0, user_id="ana", status="error", error="boom"), ())
    store.save_run(run("r3", "s-bo", created_at=160.0, user_id="bo"), (), SessionRecord("s-bo", user_id="bo",
                                                                                          updated_at=50.0))
    store.save_memory(MemoryRecord("m1", "ana", "likes tea", ["food"], created_at=1.0, updated_at=1.0))
    store.save_memory(MemoryRecord("m2", "ana", "lives in Porto", created_at=2.0, updated_at=2.0))
    store.save_memory(MemoryRecord("m3", "bo", "bo's"))


def test_store_sql_returns_dataframes_with_question_mark_params(store):
    import pandas

    _analyst_data(store)
    frame = store.sql("SELECT status, count(*) AS n FROM runs WHERE user_id = ? GROUP BY status ORDER BY status",
                      ["ana"])
    assert isinstance(frame, pandas.DataFrame)
    assert list(frame.columns) == ["status", "n"]
    assert [(s, int(n)) for s, n in zip(frame["status"], frame["n"])] == [("completed", 1), ("error", 1)]
    frame = store.sql("SELECT run_id FROM runs WHERE user_id = ? AND created_at > ? ORDER BY run_id", ["ana", 120])
    assert list(frame["run_id"]) == ["r2"]
    assert list(store.sql("SELECT run_id FROM runs WHERE run_id LIKE 'r%' ORDER BY run_id")["run_id"]) == \
        ["r1", "r2", "r3"]
    assert store.sql("SELECT run_id FROM runs WHERE user_id = ?", ["nobody"]).empty
    with pytest.raises(StoreError):
        store.sql("SELECT * FROM no_such_table")
    assert count(store, "runs") == 3  # an error does not poison the store


@pytest.mark.parametrize("backend", [
    "duckdb",
    "postgres",
])
def test_store_sql_question_mark_inside_a_string_literal(backend, tmp_path, request):
    store = make_store(backend, tmp_path, request)
    try:
        store.save_session(SessionRecord("s1", user_id="ana", name="why?"))
        frame = store.sql("SELECT session_id FROM sessions WHERE name = 'why?' AND user_id = ?", ["ana"])
        assert list(frame["session_id"]) == ["s1"]
    finally:
        store.close()


@pytest.mark.parametrize("backend", [
    "duckdb",
    "postgres",
])
def test_store_sql_runs_statements_without_result_rows(backend, tmp_path, request):
    store = make_store(backend, tmp_path, request)
    try:
        store.save_session(SessionRecord("s1", user_id="ana", name="before"))
        frame = store.sql("UPDATE sessions SET name = ? WHERE session_id = ?", ["after", "s1"])
        assert frame is not None
        assert store.get_session("s1").name == "after"
    finally:
        store.close()


def test_analyst_tables(store):
    import pandas

    _analyst_data(store)
    sessions = agno_nb.sessions(store)
    assert isinstance(sessions, pandas.DataFrame)
    assert list(sessions.columns) == ["session_id", "session_type", "component_id", "user_id", "name", "run_count",
                                      "summary", "state", "created", "updated"]
    assert list(sessions["session_id"]) == ["s-new", "s-bo", "s-old"]
    assert list(agno_nb.sessions(store, user_id="ana")["session_id"]) == ["s-new", "s-old"]
    assert list(agno_nb.sessions(store, agent_id="agent-1")["session_id"]) == ["s-new", "s-old"]
    assert int(sessions.set_index("session_id").loc["s-new", "run_count"]) == 1
    assert sessions["updated"].iloc[0].year >= 1970

    runs = agno_nb.runs(store, session_id="s-new")
    assert list(runs["run_id"]) == ["r2", "r1"]
    for column in ("run_id", "session_id", "status", "input", "content", "error", "created", "input_tokens",
                   "output_tokens", "duration", "cost", "tool_calls"):
        assert column in runs.columns
    assert "metrics" not in runs.columns
    r1 = runs.set_index("run_id").loc["r1"]
    assert (r1["input"], r1["content"], r1["input_tokens"], r1["output_tokens"], r1["cost"], r1["tool_calls"]) == \
        ("hi", {"n": 1}, 11, 22, 0.01, 1)
    assert runs.set_index("run_id").loc["r2", "error"] == "boom"
    assert list(agno_nb.runs(store, user_id="bo")["run_id"]) == ["r3"]
    assert agno_nb.runs(store, session_id="none").empty

    events = agno_nb.events("r1", store)
    assert list(events.columns) == ["seq", "type", "span_id", "parent_span_id", "time", "payload"]
    assert list(events["type"]) == ["RunStarted", "RunCompleted"] and list(events["seq"]) == [0, 1]
    assert json.loads(events["payload"].iloc[1]) == {"b": 2}

    memories = agno_nb.memories("ana", store)
    assert list(memories.columns) == ["memory_id", "memory", "topics", "agent_id", "updated"]
    assert list(memories["memory_id"]) == ["m2", "m1"]
    assert agno_nb.memories("nobody", store).empty


def test_analyst_tables_use_the_default_store(store, monkeypatch):
    monkeypatch.delenv("AGNO_NB_DB", raising=False)
    monkeypatch.setattr(agno_nb.storage, "_default", store)
    _analyst_data(store)
    assert list(agno_nb.sessions()["session_id"]) == ["s-new", "s-bo", "s-old"]
    assert list(agno_nb.runs(session_id="s-bo")["run_id"]) == ["r3"]
    assert len(agno_nb.events("r1")) == 2 and len(agno_nb.memories("ana")) == 2


def test_analyst_tables_without_a_store_say_how_to_configure_one(monkeypatch):
    monkeypatch.setattr(agno_nb.storage, "_default", None)
    monkeypatch.delenv("AGNO_NB_DB", raising=False)
    for call in (lambda: agno_nb.sessions(), lambda: agno_nb.runs(session_id="s"), lambda: agno_nb.events("r1"),
                 lambda: agno_nb.memories("ana")):
        with pytest.raises(ConfigurationError) as info:
            call()
        message = str(info.value)
        assert "No store configured" in message
        assert "set_default_store" in message and "AGNO_NB_DB" in message and "DuckDBStore" in message
    assert agno_nb.storage._default is None


# -------------------------------------------------------------------------------------------- schema


def test_fresh_store_is_at_the_current_schema_version(store):
    assert store.schema_version() == SCHEMA_VERSION == storage_schema.MIGRATIONS[-1].version
    versions = store.sql("SELECT version FROM schema_version ORDER BY version")
    assert list(versions["version"]) == [m.version for m in storage_schema.MIGRATIONS]
    for table in TABLES:
        assert count(store, table) == 0
    store.close()
    again = reopen(store)  # reopening does not apply anything twice
    try:
        assert again.schema_version() == SCHEMA_VERSION
        assert count(again, "schema_version") == len(storage_schema.MIGRATIONS)
    finally:
        again.close()


def _raw_rows(store, query: str) -> list[tuple]:
    """Read with the driver itself, bypassing the store (and its migration)."""
    if isinstance(store, DuckDBStore):
        import duckdb

        con = duckdb.connect(store.path)
        try:
            return con.execute(query).fetchall()
        finally:
            con.close()
    import psycopg

    with psycopg.connect(store.dsn) as conn:
        conn.execute(f"SET search_path TO {store.schema}")
        return conn.execute(query).fetchall()


def test_a_store_from_a_newer_version_is_refused_and_left_untouched(store):
    store.save_session(SessionRecord("s1", user_id="ana", state={"v": 1}))
    with store.transaction() as cur:
        cur.execute("INSERT INTO schema_version VALUES (?, ?, ?)", [SCHEMA_VERSION + 5, time.time(), "from the future"])
    store.close()
    newer = reopen(store)
    try:
        with pytest.raises(StoreSchemaError) as info:
            newer.get_session("s1")
        message = str(info.value)
        assert "Upgrade" in message and str(SCHEMA_VERSION + 5) in message
        with pytest.raises(StoreSchemaError):  # and again: never migrated halfway
            newer.save_session(SessionRecord("s2"))
    finally:
        newer.close()
    versions = sorted(_raw_rows(store, "SELECT version FROM schema_version"))
    assert versions == [*((v,) for v in SHIPPED), (SCHEMA_VERSION + 5,)]
    assert _raw_rows(store, "SELECT session_id, user_id FROM sessions") == [("s1", "ana")]


def _patch_migrations(monkeypatch, extra: list) -> int:
    migrations = list(storage_schema.MIGRATIONS) + extra
    version = migrations[-1].version
    for module in (storage_schema, storage_base):
        monkeypatch.setattr(module, "MIGRATIONS", migrations)
        monkeypatch.setattr(module, "SCHEMA_VERSION", version)
    return version


def test_an_older_store_is_migrated_forward_and_keeps_its_data(store, monkeypatch):
    store.save_run(run("r1", "s1", created_at=1.0, user_id="ana", content="kept"), [ev("r1", 0)],
                   SessionRecord("s1", user_id="ana", state={"v": 1}, name="n"))
    store.save_memory(MemoryRecord("m1", "ana", "kept memory"))
    store.close()
    v2 = storage_schema.Migration(SCHEMA_VERSION + 1, "session tags",
                                  lambda json_type: ["ALTER TABLE sessions ADD COLUMN tags TEXT"])
    target = _patch_migrations(monkeypatch, [v2])
    migrated = reopen(store)
    try:
        assert migrated.schema_version() == target == SCHEMA_VERSION + 1
        frame = migrated.sql("SELECT session_id, name, tags FROM sessions")
        assert list(frame["session_id"]) == ["s1"] and frame["tags"].isna().all()
        got = migrated.get_session("s1")
        assert (got.state, got.name, got.run_count) == ({"v": 1}, "n", 1)
        assert migrated.get_run("r1").content == "kept" and len(migrated.get_events("r1")) == 1
        assert [m.memory for m in migrated.list_memories("ana")] == ["kept memory"]
        with migrated.transaction() as cur:
            cur.execute("UPDATE sessions SET tags = ? WHERE session_id = ?", ["q3", "s1"])
        assert list(migrated.sql("SELECT tags FROM sessions")["tags"]) == ["q3"]
        versions = migrated.sql("SELECT version, description FROM schema_version ORDER BY version")
        assert list(versions["version"]) == [*SHIPPED, SCHEMA_VERSION + 1]
        assert versions["description"].iloc[-1] == "session tags"
    finally:
        migrated.close()


def _bad_migration(monkeypatch) -> None:
    bad = storage_schema.Migration(SCHEMA_VERSION + 1, "broken",
                                   lambda json_type: ["ALTER TABLE sessions ADD COLUMN tags TEXT",
                                                      "SELECT * FROM table_that_does_not_exist"])
    _patch_migrations(monkeypatch, [bad])


def test_a_failing_migration_is_rolled_back(store, monkeypatch):
    store.save_session(SessionRecord("s1", user_id="ana"))
    store.close()
    _bad_migration(monkeypatch)
    broken = reopen(store)
    try:
        with pytest.raises(Exception, match="table_that_does_not_exist"):
            broken.get_session("s1")
    finally:
        broken.close()
    assert sorted(_raw_rows(store, "SELECT version FROM schema_version")) == [(v,) for v in SHIPPED]
    assert _raw_rows(store, "SELECT session_id FROM sessions") == [("s1",)]
    columns = _raw_rows(store, "SELECT * FROM sessions")
    assert len(columns[0]) == len(SessionRecord.__slots__)  # the ALTER of the failed step was undone too


def test_a_failing_migration_raises_a_store_error(store, monkeypatch):
    store.close()
    _bad_migration(monkeypatch)
    broken = reopen(store)
    try:
        with pytest.raises(StoreSchemaError, match=f"schema version {SCHEMA_VERSION + 1}"):
            broken.get_session("s1")
    finally:
        broken.close()


# ------------------------------------------------------------------------------------- DuckDB only


def test_duckdb_a_file_that_is_not_a_database_is_a_clear_error_and_left_untouched(tmp_path):
    path = tmp_path / "notes.duckdb"
    data = os.urandom(64 * 1024)
    path.write_bytes(data)
    store = DuckDBStore(path)
    with pytest.raises(StoreConnectionError) as info:
        store.get_session("x")
    message = str(info.value)
    assert str(path) in message and "not a DuckDB database" in message and "untouched" in message
    with pytest.raises(StoreConnectionError):
        store.list_sessions()
    store.close()
    assert path.read_bytes() == data
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.duckdb"]  # no WAL or other file left behind


def test_duckdb_memory_store_works():
    store = DuckDBStore(":memory:", shared=True)
    assert store.shared is False  # nothing to share
    store.save_run(run("r1", "s1", created_at=1.0), [ev("r1", 0)], SessionRecord("s1"))
    assert store.get_session("s1").run_count == 1 and len(store.get_events("r1")) == 1
    store.close()


_OPEN_AND_REPORT = """
    import sys, time
    from agno_nb.storage.duckdb import DuckDBStore
    start = time.monotonic()
    try:
        DuckDBStore(sys.argv[1], shared=sys.argv[2] == "shared", lock_timeout=float(sys.argv[3])).get_session("x")
        print("OK")
    except Exception as exc:
        print(type(exc).__name__ + "|" + str(exc) + "|" + str(round(time.monotonic() - start, 2)))
"""


def test_duckdb_a_second_process_gets_a_locked_error_naming_the_holder(duck_store):
    duck_store.save_session(SessionRecord("mine", state={"v": 1}))  # this process holds the file now
    result = run_python(_OPEN_AND_REPORT, duck_store.path, "plain", "0", timeout=60)
    assert result.returncode == 0, result.stderr
    kind, message, _ = result.stdout.strip().split("|")
    assert kind == "StoreLockedError", result.stdout
    assert f"process {os.getpid()}" in message
    assert "shared=True" in message and "PostgresStore" in message
    assert "Traceback" not in result.stdout
    # the holder is unaffected
    duck_store.save_session(SessionRecord("mine2"))
    assert {s.session_id for s in duck_store.list_sessions()} == {"mine", "mine2"}


def test_duckdb_shared_store_waits_then_gives_up_with_a_locked_error(duck_store):
    duck_store.get_session("x")
    result = run_python(_OPEN_AND_REPORT, duck_store.path, "shared", "0.5", timeout=60)
    kind, message, elapsed = result.stdout.strip().split("|")
    assert kind == "StoreLockedError", result.stdout + result.stderr
    assert str(os.getpid()) in message
    assert float(elapsed) >= 0.4  # it waited its lock_timeout before giving up


_SHARED_WRITER = """
    import sys, time
    from agno_nb.storage.duckdb import DuckDBStore
    from agno_nb.storage.records import RunRecord, SessionRecord
    tag, path, start_at = sys.argv[1], sys.argv[2], float(sys.argv[3])
    store = DuckDBStore(path, shared=True, lock_timeout=30)
    while time.time() < start_at:
        time.sleep(0.005)
    for i in range(30):
        run_id = f"{tag}-{i}"
        store.save_run(RunRecord(run_id, "together", user_id=tag, status="completed", created_at=time.time()),
                       [(run_id, 0, "RunStarted", None, None, time.time(), "{}")],
                       SessionRecord("together", state={"last": tag}))
    print("done", tag)
"""


def test_duckdb_shared_stores_in_two_processes_take_turns(tmp_path):
    path = str(tmp_path / "shared.duckdb")
    start_at = f"{time.time() + 1.0:.3f}"
    env = {**os.environ, "PYTHONPATH": ROOT + os.pathsep + os.environ.get("PYTHONPATH", "")}
    procs = [subprocess.Popen([sys.executable, "-c", textwrap.dedent(_SHARED_WRITER), tag, path, start_at],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT, env=env)
             for tag in ("a", "b")]
    outputs = []
    try:
        for proc in procs:
            outputs.append(proc.communicate(timeout=90))
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    for proc, (out, err) in zip(procs, outputs):
        assert proc.returncode == 0, err
        assert "Traceback" not in err and out.startswith("done")
    store = DuckDBStore(path)
    try:
        assert count(store, "runs") == 60 and count(store, "events") == 60
        assert count(store, "runs", "user_id = ?", ["a"]) == 30 and count(store, "runs", "user_id = ?", ["b"]) == 30
        assert store.get_session("together").run_count == 60
        assert store.schema_version() == SCHEMA_VERSION
        assert count(store, "schema_version") == len(storage_schema.MIGRATIONS)
    finally:
        store.close()
    import duckdb

    con = duckdb.connect(path, read_only=True)
    try:
        assert con.execute("SELECT count(*) FROM runs").fetchone()[0] == 60
    finally:
        con.close()


# ---------------------------------------------------------------------------------- PostgreSQL only


@pytest.mark.parametrize("template", [
    "postgresql://bob:S3cretPw!@127.0.0.1:{port}/app",
    "host=127.0.0.1 port={port} dbname=app user=bob password=S3cretPw!",
])
def test_postgres_unreachable_server_is_one_clear_error_without_the_password(template):
    dsn = template.format(port=free_port())
    store = PostgresStore(dsn, connect_timeout=1)
    assert "S3cretPw!" not in repr(store) and "***" in store.location
    start = time.monotonic()
    with pytest.raises(StoreConnectionError) as info:
        store.get_session("x")
    message = str(info.value)
    assert "S3cretPw!" not in message and "***" in message
    assert "Cannot connect to PostgreSQL" in message and "bob" in message and "app" in message
    assert info.value.__cause__ is None and info.value.__suppress_context__
    assert time.monotonic() - start < 10
    with pytest.raises(StoreConnectionError):  # and again on the next call, not a stale state
        store.list_sessions()


@pytest.mark.parametrize("dsn, expected", [
    ("postgresql://bob:s3cret@db.example.com:5432/app", "postgresql://bob:***@db.example.com:5432/app"),
    ("postgres://bob:p%40ss:w0rd@h/app?sslmode=require", "postgres://bob:***@h/app?sslmode=require"),
    ("postgresql://bob@h/app", "postgresql://bob@h/app"),
    ("postgresql://h:5432/app", "postgresql://h:5432/app"),
    ("host=h port=5432 dbname=app user=bob password=s3cret", "host=h port=5432 dbname=app user=bob password=***"),
    ("host=h password='with spaces' dbname=app", "host=h password=*** dbname=app"),
    ("PASSWORD = s3cret host=h", "PASSWORD = *** host=h"),
    ("host=h dbname=app", "host=h dbname=app"),
])
def test_redact_dsn(dsn, expected):
    assert redact_dsn(dsn) == expected


def test_redact_dsn_password_in_url_query():
    redacted = redact_dsn("postgresql://bob@h/app?password=s3cret")
    assert "s3cret" not in redacted and "password=***" in redacted


def test_postgres_store_survives_its_connection_being_killed(pg_store):
    import psycopg

    pg_store.save_session(SessionRecord("before", user_id="ana", state={"v": 1}))
    pid = int(pg_store.sql("SELECT pg_backend_pid() AS pid")["pid"].iloc[0])
    with psycopg.connect(pg_store.dsn, autocommit=True) as admin:
        # every connection of the store's pool, as when the server restarts
        pids = [row[0] for row in admin.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid()")]
        assert pid in pids
        for other in pids:
            assert admin.execute("SELECT pg_terminate_backend(%s)", [other]).fetchone()[0] is True
        for _ in range(100):  # wait until the backends are really gone
            if not admin.execute("SELECT 1 FROM pg_stat_activity WHERE pid = ANY(%s)", [pids]).fetchall():
                break
            time.sleep(0.02)
    # The pooled connections are dead; the next operations notice at their first statement (nothing
    # done yet) and go on, transparently, on fresh connections.
    pg_store.save_session(SessionRecord("after", user_id="ana", state={"v": 2}))
    new_pid = int(pg_store.sql("SELECT pg_backend_pid() AS pid")["pid"].iloc[0])
    assert new_pid not in pids
    assert pg_store.get_session("before").state == {"v": 1}
    assert pg_store.get_session("after").state == {"v": 2}
    assert {s.session_id for s in pg_store.list_sessions()} == {"before", "after"}


def test_postgres_store_keeps_working_across_a_server_restart(tmp_path):
    from pg_server import PostgresServer, PostgresUnavailable

    try:
        server = PostgresServer().start()  # its own server: restarting the shared one would disturb others
    except PostgresUnavailable as exc:
        pytest.skip(f"PostgreSQL UNAVAILABLE: {exc}")
    store = PostgresStore(server.create_database("restart"), pool_min=2, pool_max=4)
    try:
        store.save_run(run("r1", "s1", created_at=1.0, user_id="ana"), [ev("r1", 0)], SessionRecord("s1"))
        assert store.pool_stats()["pool_size"] >= 1
        server.restart()
        # every pooled connection died with the old server: no operation fails because of it
        for i in range(4):
            store.save_run(run(f"r{i + 2}", "s1", created_at=2.0 + i, user_id="ana"), [ev(f"r{i + 2}", 0)],
                           SessionRecord("s1"))
        assert store.get_session("s1").run_count == 5 and len(store.list_runs(session_id="s1")) == 5
    finally:
        store.close()
        server.stop()


def test_postgres_store_reports_a_connection_lost_mid_transaction(pg_store):
    import psycopg

    pg_store.save_session(SessionRecord("before", user_id="ana"))
    with pytest.raises(StoreConnectionError, match="Lost the connection"):
        with pg_store.transaction() as cur:
            cur.execute("INSERT INTO sessions (session_id, session_type, created_at, updated_at) "
                        "VALUES ('during', 'agent', 1, 1)")
            cur.execute("SELECT pg_backend_pid()")
            pid = cur.fetchall()[0][0]
            with psycopg.connect(pg_store.dsn, autocommit=True) as admin:
                admin.execute("SELECT pg_terminate_backend(%s)", [pid])
            time.sleep(0.2)  # let the termination arrive (not a timing assertion)
            cur.execute("SELECT 1")  # a statement after others: never retried, the insert may be lost
    assert pg_store.get_session("during") is None  # not half-applied
    assert pg_store.get_session("before") is not None  # and the store goes on


def test_postgres_tables_live_in_their_own_schema(pg_store):
    import psycopg

    pg_store.save_session(SessionRecord("s1"))
    with psycopg.connect(pg_store.dsn) as conn:
        rows = conn.execute("SELECT table_schema, table_name FROM information_schema.tables "
                            "WHERE table_name = 'sessions'").fetchall()
    assert rows == [("agno", "sessions")]
    with pytest.raises(StoreError, match="identifier"):
        PostgresStore(pg_store.dsn, schema="agno; DROP TABLE x")


# ---------------------------------------------------------------------------------------- write cost


def test_the_1000th_run_does_not_rewrite_earlier_runs(store):
    def messages(i: int) -> list[dict]:
        return [{"role": "user", "content": f"question {i}"}, {"role": "assistant", "content": f"answer {i}"}]

    # 998 runs in one transaction (fast), then runs 999 and 1,000 through the public save_run
    rows = [(f"r{i:04d}", "long", None, "agent", "a", "A", "ana", "completed", json.dumps(f"question {i}"),
             json.dumps(f"answer {i}"), json.dumps(messages(i)), "{}", None, 1000.0 + i, 1000.0 + i, None, None)
            for i in range(998)]
    one = "(" + ", ".join("?" * len(RUN_COLUMNS)) + ")"
    with store.transaction() as cur:
        for start in range(0, len(rows), 200):
            chunk = rows[start:start + 200]
            cur.execute(f"INSERT INTO runs ({', '.join(RUN_COLUMNS)}) VALUES " + ", ".join([one] * len(chunk)),
                        [value for row in chunk for value in row])
    store.save_session(SessionRecord("long", user_id="ana", run_count=998, created_at=1000.0, updated_at=1000.0))
    store.save_run(run("r0998", "long", created_at=1998.0, user_id="ana", messages=messages(998)),
                   [ev("r0998", 0)], SessionRecord("long", user_id="ana", state={"n": 999}, updated_at=1998.0))

    def snapshot() -> dict:
        extra = ", xmin::text AS version" if is_pg(store) else ""
        frame = store.sql(f"SELECT run_id, updated_at, messages{extra} FROM runs ORDER BY run_id")
        return {row["run_id"]: row for row in frame.to_dict("records")}

    before = snapshot()
    assert len(before) == 999
    store.save_run(run("r0999", "long", created_at=1999.0, user_id="ana", messages=messages(999)),
                   [ev("r0999", 0)], SessionRecord("long", user_id="ana", state={"n": 1000}, updated_at=1999.0))
    after = snapshot()
    assert len(after) == 1000
    # not one earlier row changed: same values, and on PostgreSQL the same row versions (xmin)
    assert {k: after[k] for k in before} == before
    for i, (run_id, row) in enumerate(sorted(after.items())):
        assert json.loads(row["messages"]) == messages(i)  # every row holds only its own messages
    session = store.get_session("long")
    assert (session.run_count, session.state) == (1000, {"n": 1000})
    assert [r.run_id for r in store.last_runs("long", 3)] == ["r0997", "r0998", "r0999"]


# ------------------------------------------------------------------------------------ agents on a store


def test_agent_runs_land_in_runs_events_and_sessions(store):
    agent = Agent(name="analyst", model=ScriptedModel(["one", "two"]), db=store, instructions="Be brief.",
                  add_history_to_context=True)
    first = agent.run("hi", session_id="chat-1", user_id="ana")
    second = agent.run("again", session_id="chat-1", user_id="ana")
    assert first.status == second.status == "completed"
    # the second run read the first one back from the store as history
    assert [(m["role"], m["content"]) for m in second.messages] == \
        [("system", "Be brief."), ("user", "hi"), ("assistant", "one"), ("user", "again"), ("assistant", "two")]
    runs = {r.run_id: r for r in store.list_runs(session_id="chat-1")}
    assert set(runs) == {first.run_id, second.run_id}
    stored = runs[second.run_id]
    assert (stored.session_id, stored.user_id, stored.status, stored.component_id, stored.content, stored.error) == \
        ("chat-1", "ana", "completed", agent.id, "two", None)
    assert stored.input == "again"
    # the run row holds only the messages this run added
    assert [(m["role"], m["content"]) for m in stored.messages] == [("user", "again"), ("assistant", "two")]
    events = store.get_events(first.run_id)
    assert len(events) == len(first.events)
    assert [e["seq"] for e in events] == list(range(len(events)))
    assert events[0]["type"] == "RunStarted" and events[-1]["type"] == "RunCompleted"
    session = store.get_session("chat-1")
    assert (session.user_id, session.component_id, session.run_count) == ("ana", agent.id, 2)
    # another user cannot continue ana's session
    with pytest.raises(ConfigurationError, match="another user"):
        agent.run("mine now", session_id="chat-1", user_id="bo")
    assert store.get_session("chat-1").run_count == 2


def test_agent_run_ending_in_error_is_stored_with_its_error(store):
    agent = Agent(model=ScriptedModel([error_turn("server")]), db=store, retries=0)
    out = agent.run("boom", session_id="bad", user_id="ana")
    assert out.status == "error"
    stored = store.get_run(out.run_id)
    assert (stored.status, stored.session_id, stored.user_id) == ("error", "bad", "ana")
    assert stored.error and "Internal server error" in stored.error and stored.error == out.status_reason
    events = store.get_events(out.run_id)
    assert events[-1]["type"] == "RunError" and "Internal server error" in events[-1]["payload"]["error"]
    assert store.get_session("bad").run_count == 1
    assert store.last_runs("bad", 5) == []  # an errored run is not history


def test_agent_session_state_is_persisted_and_merged(store):
    first_agent = Agent(name="s", model=ScriptedModel(["a"]), db=store,
                        session_state={"region": "default", "unit": "default"})
    out = first_agent.run("1", session_id="st", user_id="ana", session_state={"region": "EMEA"})
    assert out.session_state == {"region": "EMEA", "unit": "default"}
    assert store.get_session("st").state == {"region": "EMEA", "unit": "default"}
    # the stored state wins over the agent's defaults; defaults fill the gaps
    second_agent = Agent(name="s", model=ScriptedModel(["b", "c"]), db=store,
                         session_state={"region": "APAC", "currency": "EUR"})
    out = second_agent.run("2", session_id="st", user_id="ana")
    assert out.session_state == {"region": "EMEA", "unit": "default", "currency": "EUR"}
    # the run's own values win over the stored state
    out = second_agent.run("3", session_id="st", user_id="ana", session_state={"unit": "kEUR"})
    assert out.session_state == {"region": "EMEA", "unit": "kEUR", "currency": "EUR"}
    assert store.get_session("st").state == {"region": "EMEA", "unit": "kEUR", "currency": "EUR"}
    assert store.get_session("st").run_count == 3
    assert second_agent.session_state == {"region": "APAC", "currency": "EUR"}  # configuration untouched


# ------------------------------------------------------------------------------- PostgreSQL pool


def test_postgres_operations_run_concurrently_on_pooled_connections(postgres_server):
    import threading

    store = PostgresStore(postgres_server.create_database(f"p_{uuid.uuid4().hex[:16]}"), pool_max=3)
    try:
        together = threading.Barrier(3, timeout=20)

        def hold(_: int) -> int:
            with store.transaction() as cur:  # three transactions open at the same moment
                cur.execute("SELECT pg_backend_pid()")
                pid = cur.fetchall()[0][0]
                together.wait()
                return pid

        with ThreadPoolExecutor(3) as pool:
            pids = list(pool.map(hold, range(3)))
        assert len(set(pids)) == 3
        assert store.pool_stats()["pool_size"] <= 3
    finally:
        store.close()


def test_postgres_pool_exhaustion_is_a_clear_error(postgres_server):
    import threading

    store = PostgresStore(postgres_server.create_database(f"p_{uuid.uuid4().hex[:16]}"), pool_max=1,
                          pool_timeout=0.3)
    try:
        release = threading.Event()
        holding = threading.Event()

        def hold() -> None:
            with store.transaction() as cur:
                cur.execute("SELECT 1")
                holding.set()
                release.wait(20)

        holder = threading.Thread(target=hold)
        holder.start()
        assert holding.wait(20)
        with pytest.raises(StoreConnectionError, match=r"No free PostgreSQL connection.*pool_max=1"):
            store.get_session("s1")
        release.set()
        holder.join(20)
        assert store.get_session("s1") is None  # and the pool works again once a connection is free
    finally:
        store.close()
