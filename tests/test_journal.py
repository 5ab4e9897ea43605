"""The DuckDB run journal (``agno_nb.storage.journal``): a finished run is on disk when ``run()`` returns,
reads see every write, a run's session read waits only for its own session's writes, and the runs of a
process that died before they reached the file are applied by whoever opens it next."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from agno_nb import Agent, ScriptedModel
from agno_nb.models.scripts import text
from agno_nb.storage import journal as journal_module
from agno_nb.storage.duckdb import DuckDBStore

ROOT = str(Path(__file__).resolve().parents[1])


@pytest.fixture
def held(monkeypatch):
    """The applier waits far longer than a test: what is applied, a read applied."""
    monkeypatch.setattr(journal_module, "BATCH_DELAY", 3600.0)


def _agent(store: DuckDBStore) -> Agent:
    return Agent(name="j", model=ScriptedModel([text("ok")], cycle=True), db=store)


def test_a_finished_run_is_in_the_synced_journal_before_the_file(tmp_path, held):
    store = DuckDBStore(tmp_path / "j.duckdb")
    try:
        out = _agent(store).run("hello", session_id="a")
        journal = store.journal
        assert journal.pending and journal.touches("a") and journal.touches(out.run_id)
        assert out.run_id.encode() in Path(journal.path).read_bytes()
        assert store.get_run(out.run_id).status == "completed"  # any other read applies it first
        assert not journal.pending and not journal.touches("a")
        assert Path(journal.path).stat().st_size == 0  # applied: the file starts afresh
    finally:
        store.close()
    assert not Path(journal.path).exists()


def test_a_session_read_waits_for_its_own_sessions_writes_only(tmp_path, held):
    store = DuckDBStore(tmp_path / "j.duckdb")
    try:
        agent = _agent(store)
        first = agent.run("one", session_id="a")
        store.session_cache.clear()  # read from the file, as another store object of this process would
        session, _ = store.load_session("b", 3)
        assert session is None and store.journal.touches("a")  # b's read did not apply a's run
        session, runs = store.load_session("a", 3)
        assert session.run_count == 1 and [r.run_id for r in runs] == [first.run_id]
        assert not store.journal.pending
        second = agent.run("two", session_id="b")
        with pytest.raises(Exception, match="already used"):  # a chosen run id is checked past the journal
            store.load_session("c", 0, new_run_id=second.run_id)
    finally:
        store.close()


_DIES_AFTER_RUNS = """
import os, sys
sys.path.insert(0, {root!r})
from agno_nb import Agent, ScriptedModel
from agno_nb.models.scripts import text
from agno_nb.storage import journal
from agno_nb.storage.duckdb import DuckDBStore

journal.BATCH_DELAY = 3600.0  # nothing reaches the file: only the journal has these runs
store = DuckDBStore(sys.argv[1])
agent = Agent(name="j", model=ScriptedModel([text("ok")], cycle=True), db=store)
ids = [agent.run(f"q{{i}}", session_id="s").run_id for i in range(5)]
print(" ".join(ids), flush=True)
os._exit(0)  # as kill -9 would: no atexit, no flush
"""


def test_runs_of_a_process_that_died_are_applied_by_the_next_opener(tmp_path):
    path = str(tmp_path / "j.duckdb")
    result = subprocess.run([sys.executable, "-c", textwrap.dedent(_DIES_AFTER_RUNS.format(root=ROOT)), path],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    ids = result.stdout.split()
    leftovers = [p for p in os.listdir(tmp_path) if ".journal-" in p]
    assert len(ids) == 5 and len(leftovers) == 1
    store = DuckDBStore(path)
    try:
        assert [store.get_run(i).status for i in ids] == ["completed"] * 5
        assert store.get_session("s").run_count == 5
        assert not [p for p in os.listdir(tmp_path) if ".journal-" in p]
    finally:
        store.close()
    again = DuckDBStore(path)  # opened again: nothing applied twice
    try:
        assert again.get_session("s").run_count == 5
    finally:
        again.close()


def test_saves_are_synced_off_the_callers_thread_and_share_syncs(tmp_path, held, monkeypatch):
    import threading

    from agno_nb.storage.records import RunRecord
    from agno_nb.storage.run_writes import RunWrite

    store = DuckDBStore(tmp_path / "j.duckdb")
    gate, syncs, real_sync = threading.Event(), [], os.fdatasync

    def slow_sync(fd):  # the disk is slow: the first sync waits until the test lets it go
        syncs.append(threading.current_thread().name)
        gate.wait(30)
        real_sync(fd)

    monkeypatch.setattr(journal_module.os, "fdatasync", slow_sync)
    try:
        first = store.commit(RunWrite(RunRecord("r0", "s0", status="completed")))
        while not syncs:  # the sync thread took the first save and is inside its sync
            threading.Event().wait(0.01)
        futures = [store.commit(RunWrite(RunRecord(f"r{i}", f"s{i}", status="completed"))) for i in range(1, 6)]
        assert not first.done() and not any(f.done() for f in futures)  # commit() returned at once
        gate.set()
        for future in [first, *futures]:
            future.result(30)
        assert syncs == ["agno_nb-journal-sync"] * 2  # the five that queued meanwhile: one sync
        assert [store.get_run(f"r{i}").status for i in range(6)] == ["completed"] * 6
    finally:
        gate.set()
        store.close()


def test_stop_ends_both_threads_even_while_a_batch_is_gathering(tmp_path, monkeypatch):
    """At exit the journal stops its threads; a stop that arrives while the applier waits for the rest of a
    burst must still end it (the applier's wake-up is cleared after that wait)."""
    import threading
    import time as real_time

    gathering = threading.Event()

    class Clock:  # the journal's time module, with a sleep that says when the applier is in it
        @staticmethod
        def sleep(seconds):
            gathering.set()
            real_time.sleep(seconds)

    monkeypatch.setattr(journal_module, "BATCH_DELAY", 0.3)
    monkeypatch.setattr(journal_module, "time", Clock)
    store = DuckDBStore(tmp_path / "j.duckdb")
    try:
        _agent(store).run("hello", session_id="a")
        assert gathering.wait(10)  # the applier is gathering its batch
        journal = store.journal
        threads = [journal._syncer, journal._thread]
        journal.stop()
        assert all(thread is not None and not thread.is_alive() for thread in threads)
        assert store.get_session("a").run_count == 1
    finally:
        store.close()


def test_a_save_the_database_refuses_is_set_aside_and_the_others_go_in(tmp_path, held):
    """One bad write (here: a run id that is already stored) must not hold back the batch it is in, nor
    every read after it: it goes to ``<database>.rejected`` and the rest is applied."""
    from agno_nb.storage.records import RunRecord
    from agno_nb.storage.run_writes import RunWrite

    store = DuckDBStore(tmp_path / "j.duckdb")
    try:
        store.commit(RunWrite(RunRecord("taken", "s1", status="completed"))).result(30)
        store.flush_journal()
        futures = [store.commit(RunWrite(RunRecord(run_id, "s2", status="completed")))
                   for run_id in ("before", "taken", "after")]
        for future in futures:
            future.result(30)
        assert [store.get_run(i) is not None for i in ("before", "after")] == [True, True]  # the read applied
        assert store.get_run("taken").session_id == "s1"
        rejected = Path(store.path + ".rejected").read_text().splitlines()
        assert len(rejected) == 1 and '"run_id": "taken"' in rejected[0] and "Duplicate key" in rejected[0]
        assert not store.journal.pending
    finally:
        store.close()
