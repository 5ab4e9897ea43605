"""Fault injection on the store side, on DuckDB and PostgreSQL: values that are not JSON, overlapping
runs, processes killed with SIGKILL mid-run and mid-continuation, and two users on one store.

What must hold: no run is silently unsaved; a run in progress when its process dies shows as
interrupted; a paused run whose continuation died can be continued again; no update of session_state
is lost to an overlapping run; a user never reaches another user's session.
"""

from __future__ import annotations

import datetime
import decimal
import os
import subprocess
import sys
import textwrap
import threading
import time

import numpy as np
import pandas as pd
import pytest

from agno_nb import Agent, ScriptedModel, tool
from agno_nb.errors import AccessDeniedError
from agno_nb.models.scripts import text, tool_call
from agno_nb.storage.duckdb import DuckDBStore
from agno_nb.storage.postgres import PostgresStore

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def spec(store) -> str:
    """How a subprocess opens the same store."""
    if isinstance(store, PostgresStore):
        return store.dsn
    return store.path


def open_same(store):
    if isinstance(store, PostgresStore):
        return PostgresStore(store.dsn, schema=store.schema)
    return DuckDBStore(store.path, shared=True)


def child(code: str, *args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", textwrap.dedent(code), *args], cwd=ROOT, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env={**os.environ, "PYTHONPATH": ROOT})


def wait_for(predicate, timeout: float = 20.0, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


# ------------------------------------------------------------------------ values that are not JSON


@tool
def frame_stats() -> object:
    """Statistics of a frame, the way analysts return them."""
    df = pd.DataFrame({"region": ["a", "a", "b"], "q": [1, 2, 3], "v": [1.5, np.nan, 3.0]})
    return {"array": np.arange(3), "series": df["v"], "grouped": df.groupby(["region", "q"]).size().to_dict(),
            "mean": np.float64(2.25), "when": pd.Timestamp("2026-12-03"), "price": decimal.Decimal("12.50"),
            "tags": {"x", "y"}, "raw": b"\x00\xff", "nan": float("nan")}


def test_numpy_pandas_and_odd_values_never_lose_a_run(store):
    state = {"n": np.int64(3), "frame": pd.DataFrame({"a": [1, 2]}), "day": datetime.date(2026, 12, 3),
             "by_pair": {("a", 1): 2}, "arr": np.array([1.0, np.inf])}
    agent = Agent(model=ScriptedModel([tool_call("frame_stats"), text("done"), text("again")]), db=store,
                  tools=[frame_stats], session_state=state, add_history_to_context=True, user_id="ana")
    out = agent.run("stats please \ud800 (a lone surrogate pasted from somewhere)", session_id="odd")
    assert out.status == "completed" and out.saved is True, out.storage_error
    sent = next(m["content"] for m in out.messages if m.get("role") == "tool")  # what the model was given
    assert '"array": [0, 1, 2]' in sent and '"mean": 2.25' in sent and '"price": 12.5' in sent
    stored = store.get_session("odd").state
    assert stored["n"] == 3 and stored["frame"] == [{"a": 1}, {"a": 2}] and stored["by_pair"] == {"a, 1": 2}
    assert stored["arr"] == [1.0, None] and stored["day"] == "2026-12-03"
    assert store.get_run(out.run_id).input.startswith("stats please \ufffd")
    # the next run sees the first one's history: the session really was saved
    second = agent.run("and then?", session_id="odd")
    assert second.status == "completed" and store.get_session("odd").run_count == 2


def test_a_recursive_state_is_saved_with_the_cycle_marked(store):
    loop: dict = {"name": "loop"}
    loop["self"] = loop

    @tool
    def remember(session_state: dict) -> str:
        """Keep a self-referencing value."""
        session_state["graph"] = loop
        return "kept"

    agent = Agent(model=ScriptedModel([tool_call("remember"), text("ok")]), db=store, tools=[remember])
    out = agent.run("keep it", session_id="cyclic")
    assert out.saved is True
    assert store.get_session("cyclic").state["graph"] == {"name": "loop", "self": "[circular reference]"}


# -------------------------------------------------------------------------------- lost updates


def test_overlapping_runs_of_one_session_lose_no_update(store):
    @tool
    def set_key(key: str, session_state: dict) -> str:
        """Set one key of the session state."""
        time.sleep(0.02)  # overlap with the other runs
        session_state[key] = key.upper()
        return "set"

    def one(i: int) -> None:
        model = ScriptedModel([tool_call("set_key", key=f"k{i}"), text("ok")])
        agent = Agent(model=model, db=store, tools=[set_key], user_id="ana")
        out = agent.run("set", session_id="shared-state")
        assert out.saved is True, out.storage_error

    Agent(model=ScriptedModel(["hi"]), db=store, user_id="ana").run("start", session_id="shared-state")
    threads = [threading.Thread(target=one, args=(i,)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    state = store.get_session("shared-state").state
    assert state == {f"k{i}": f"K{i}" for i in range(20)}
    assert store.get_session("shared-state").run_count == 21


def test_two_processes_on_one_session_lose_no_update(store):
    code = """
        import sys
        from agno_nb import Agent, ScriptedModel, tool
        from agno_nb.models.scripts import text, tool_call
        from agno_nb.storage import open_store
        from agno_nb.storage.duckdb import DuckDBStore
        spec, who = sys.argv[1], sys.argv[2]
        store = open_store(spec) if spec.startswith("postgres") else DuckDBStore(spec, shared=True)

        @tool
        def set_key(key: str, session_state: dict) -> str:
            "Set a key."
            session_state[key] = who
            return "set"

        for i in range(12):
            agent = Agent(model=ScriptedModel([tool_call("set_key", key=f"{who}{i}"), text("ok")]), db=store,
                          tools=[set_key])
            out = agent.run("go", session_id="two-procs")
            assert out.saved, out.storage_error
        print("done")
    """
    if isinstance(store, DuckDBStore):
        store.close()
        store = DuckDBStore(store.path, shared=True)
    procs = [child(code, spec(store), who) for who in ("a", "b")]
    outputs = [p.communicate(timeout=120) for p in procs]
    for proc, (out, err) in zip(procs, outputs):
        assert proc.returncode == 0 and out.strip() == "done", err[-2000:]
    state = store.get_session("two-procs").state
    assert state == {**{f"a{i}": "a" for i in range(12)}, **{f"b{i}": "b" for i in range(12)}}
    assert store.get_session("two-procs").run_count == 24


# ------------------------------------------------------------------------------ killed processes


SLOW_RUN = """
    import sys
    from agno_nb import Agent, ScriptedModel
    from agno_nb.models.scripts import text
    from agno_nb.storage import open_store
    from agno_nb.storage.duckdb import DuckDBStore
    spec = sys.argv[1]
    store = open_store(spec) if spec.startswith("postgres") else DuckDBStore(spec, shared=True)
    agent = Agent(model=ScriptedModel([text("too late", delay=120)], timeout=300), db=store)
    print("started", flush=True)
    agent.run("a long question", session_id="killed", user_id="ana", run_id="victim")
"""


def test_a_run_killed_mid_way_is_interrupted_not_lost(store):
    if isinstance(store, DuckDBStore):
        store.close()
        store = DuckDBStore(store.path, shared=True)
    proc = child(SLOW_RUN, spec(store))
    assert proc.stdout.readline().strip() == "started"
    wait_for(lambda: store.get_run("victim"), what="the running run's row")
    assert store.get_run("victim").status == "running"  # its writer is alive
    proc.kill()
    proc.wait(10)
    run = store.get_run("victim")
    assert run.status == "interrupted" and "interrupted" in run.error
    assert run.input == "a long question" and run.user_id == "ana"
    assert store.reap_interrupted() == ["victim"]  # and written down for good
    assert store.get_session("killed").user_id == "ana"


CONTINUE_AND_HANG = """
    import sys, time
    from agno_nb import Agent, ScriptedModel, tool
    from agno_nb.models.scripts import text, tool_call
    from agno_nb.storage import open_store
    from agno_nb.storage.duckdb import DuckDBStore
    spec, mode = sys.argv[1], sys.argv[2]
    store = open_store(spec) if spec.startswith("postgres") else DuckDBStore(spec, shared=True)

    @tool(requires_confirmation=True)
    def transfer(amount: int) -> str:
        "Move money."
        if mode == "hang":
            print("in tool", flush=True)
            time.sleep(120)
        return f"moved {amount}"

    agent = Agent(model=ScriptedModel([tool_call("transfer", amount=5), text("all done")]), db=store,
                  tools=[transfer], user_id="ana")
    if mode == "pause":
        out = agent.run("pay", session_id="pay", run_id="paid")
        print(out.status, flush=True)
    else:
        agent.model = ScriptedModel([text("all done")])
        reqs = agent.get_run_requirements("paid")
        reqs[0].confirm()
        out = agent.continue_run("paid", requirements=reqs)
        print(out.status, out.content, flush=True)
"""


def test_a_continuation_killed_mid_way_can_be_continued_again(store):
    if isinstance(store, DuckDBStore):
        store.close()
        store = DuckDBStore(store.path, shared=True)
    first = child(CONTINUE_AND_HANG, spec(store), "pause")
    out, err = first.communicate(timeout=60)
    assert out.strip() == "paused", err[-2000:]
    hung = child(CONTINUE_AND_HANG, spec(store), "hang")
    assert hung.stdout.readline().strip() == "in tool"
    wait_for(lambda: (store.get_run("paid") or None) and store.get_run("paid").status == "running",
             what="the continuation's running row")
    hung.kill()
    hung.wait(10)
    assert store.get_run("paid").status == "interrupted"
    again = child(CONTINUE_AND_HANG, spec(store), "finish")
    out, err = again.communicate(timeout=60)
    assert out.strip() == "completed all done", err[-2000:]
    assert store.get_run("paid").status == "completed" and store.get_approval("paid") is None


# ------------------------------------------------------------------------------------- isolation


def test_one_user_never_reaches_another_users_session(store):
    secret = Agent(model=ScriptedModel(["noted"]), db=store, add_history_to_context=True)
    secret.run("my PIN is 4321", session_id="alice-s", user_id="alice")
    seen: list = []

    @tool
    def nothing() -> str:
        """Nothing."""
        return "x"

    def spy_model():
        return ScriptedModel(lambda messages, tools: seen.append(messages) or text("hello"))

    intruder = Agent(model=spy_model(), db=store, add_history_to_context=True)
    for user in (None, "", "bob"):
        with pytest.raises(AccessDeniedError):
            intruder.run("what is my PIN?", session_id="alice-s", user_id=user)
    assert not seen  # the model never saw alice's history
    with pytest.raises(AccessDeniedError):
        intruder.get_session_messages("alice-s", user_id="bob")
    with pytest.raises(AccessDeniedError):
        intruder.get_session_messages("alice-s")
    with pytest.raises(AccessDeniedError):
        intruder.fork_session("alice-s", user_id="bob")
    with pytest.raises(AccessDeniedError):
        intruder.delete_session("alice-s", user_id="bob")
    with pytest.raises(AccessDeniedError):
        intruder.rename_session("mine", session_id="alice-s", user_id="bob")
    assert store.get_session("alice-s").run_count == 1  # nothing written by the attempts

    @tool(requires_confirmation=True)
    def wire(amount: int) -> str:
        """Wire money."""
        return "wired"

    payer = Agent(model=ScriptedModel([tool_call("wire", amount=9), text("ok")]), db=store, tools=[wire])
    paused = payer.run("pay", session_id="alice-pay", user_id="alice")
    assert paused.status == "paused"
    thief = Agent(model=ScriptedModel(["x"]), db=store, tools=[wire])
    for user in (None, "bob"):
        with pytest.raises(AccessDeniedError):
            thief.get_run_requirements(paused.run_id, user_id=user)
        with pytest.raises(AccessDeniedError):
            thief.continue_run(paused.run_id, user_id=user)
    assert store.get_approval(paused.run_id)["claimed_by"] is None  # still waiting for alice
    assert intruder.get_session_messages("alice-s", user_id="alice")[0]["content"] == "my PIN is 4321"


def test_kill_9_soak_loses_no_finished_run(store):
    """A few trials of benchmarks/kill_soak.py (the benchmark runs 100 per store)."""
    sys.path.insert(0, os.path.join(ROOT, "benchmarks"))
    from kill_soak import soak

    if isinstance(store, DuckDBStore):
        store.close()
    totals = soak(spec(store), trials=3, seed=11)
    assert totals["lost"] == 0 and totals["corrupted"] == 0, totals
    assert totals["finished"] > 0


def test_replicas_starting_together_on_an_empty_postgres_all_work(postgres_server):
    """Eight processes open a brand-new database at once (each creates the schema if it must) and run the
    first runs of one new session: no error, and every run is counted."""
    dsn = postgres_server.create_database("together_from_scratch")
    code = """
        import sys
        from agno_nb import Agent, ScriptedModel
        from agno_nb.storage.postgres import PostgresStore
        store = PostgresStore(sys.argv[1])
        for i in range(3):
            out = Agent(model=ScriptedModel(["ok"]), db=store).run("hi", session_id="fresh", user_id="ana")
            assert out.saved, out.storage_error
        print("done")
    """
    procs = [child(code, dsn) for _ in range(8)]
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0 and out.strip() == "done", err[-1500:]
    store = PostgresStore(dsn)
    try:
        session = store.get_session("fresh")
        assert session.run_count == 24 and len(store.list_runs(session_id="fresh")) == 24
    finally:
        store.close()


@pytest.fixture
def own_postgres():
    """A PostgreSQL server of this test's own, to stop and start."""
    from pg_server import PostgresServer, PostgresUnavailable

    try:
        server = PostgresServer().start()
    except PostgresUnavailable as exc:
        pytest.skip(f"PostgreSQL UNAVAILABLE: {exc}")
    yield server
    server.stop()


def test_a_postgres_restart_mid_run_loses_nothing(own_postgres):
    """The server restarts while a run waits for its model: the run is saved on the new server."""
    store = PostgresStore(own_postgres.create_database("restarts"))
    try:
        agent = Agent(model=ScriptedModel([text("answered", delay=1.5)]), db=store, user_id="ana")
        restarter = threading.Timer(0.3, own_postgres.restart)
        restarter.start()
        out = agent.run("q", session_id="through-a-restart")
        restarter.join()
        assert out.ok and out.saved is True, out.storage_error
        assert store.get_run(out.run_id).status == "completed"
        assert agent.run("again", session_id="through-a-restart").saved  # and the next run just works
    finally:
        store.close()


def test_a_store_down_at_the_end_of_a_run_is_reported_and_the_save_retried(own_postgres):
    from agno_nb.traces.fold import TraceView

    store = PostgresStore(own_postgres.create_database("down"), connect_timeout=1)
    try:
        agent = Agent(model=ScriptedModel([text("answered", delay=0.8)]), db=store)
        halter = threading.Timer(0.3, own_postgres.halt)
        halter.start()
        out = agent.run("q", session_id="down-at-the-end")
        halter.join()
        assert out.ok and out.content == "answered"  # the answer is whole
        assert out.saved is False and "NOT SAVED" in repr(out)
        assert out.events[-1].type == "RunSaveFailed" and "PostgreSQL" in out.events[-1].error
        assert "not saved" in TraceView.from_events(out.events).bundle()["text/plain"].lower()
        own_postgres.resume()
        assert out.retry_save() is True and out.saved is True
        assert store.get_run(out.run_id).status == "completed"
        assert store.get_session("down-at-the-end").run_count == 1
    finally:
        store.close()
