"""The notebook surface: %%agent / %%ask / %ask / %agno driven through a real IPython shell, the live
trace view (one display, throttled updates), approval controls (ipywidgets), the trace bundle, traces
of stored runs and the plotly charts.

Every shell test gets a fresh ``InteractiveShell`` in a temporary working directory (``%load_ext
agno_nb`` makes ``agno.duckdb`` in the cwd the default store); the default store and the live trace
observer are removed afterwards so other test files are not affected.
"""

from __future__ import annotations

import atexit
import datetime
import decimal
import json
import os
import sys

import pytest
from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell
from IPython.utils.capture import capture_output
from pydantic import BaseModel
from traitlets.config import Config

from agno_nb import Agent, ScriptedModel, tool
from agno_nb.models.scripts import error, json_reply, text, tool_call
from agno_nb.traces.fold import MIME_TYPE, TraceView
from agno_nb.run_events import RunContentDelta, RunContinued, RunOutput

ipywidgets = pytest.importorskip("ipywidgets")

WIDGET_MIME = "application/vnd.jupyter.widget-view+json"


# --------------------------------------------------------------------------------------- fixtures


def _cleanup_notebook_globals() -> None:
    from agno_nb import storage
    from agno_nb.notebook.live import live_trace_factory
    from agno_nb.observe import remove_run_observer

    remove_run_observer(live_trace_factory)
    store = storage._default
    storage._default = None
    if store is not None:
        store.close()


@pytest.fixture
def shell(tmp_path, monkeypatch):
    """A real IPython shell with ``%load_ext agno_nb``, in an empty working directory."""
    from agno_nb import observe, storage
    from agno_nb.notebook.live import live_trace_factory

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("AGNO_NB_DB", raising=False)
    monkeypatch.setenv("AGNO_NB_MODEL", "unset")  # records the original value, restored afterwards
    monkeypatch.delenv("AGNO_NB_MODEL")
    monkeypatch.setattr(storage, "_default", None)
    monkeypatch.setitem(sys.modules, "__main__", sys.modules["__main__"])  # the shell replaces __main__
    config = Config()
    config.HistoryManager.enabled = False
    InteractiveShell.clear_instance()
    sh = InteractiveShell.instance(config=config)
    # its exit hook resets the namespace with a gc.collect(): seconds per shell at interpreter exit
    atexit.unregister(sh.atexit_operations)
    result = sh.run_cell("%load_ext agno_nb")
    assert result.success, result.error_in_exec
    assert live_trace_factory in observe._factories
    assert storage.default_store().location == "agno.duckdb"
    try:
        yield sh
    finally:
        _cleanup_notebook_globals()
        InteractiveShell.clear_instance()


def cell(sh: InteractiveShell, code: str, *, history: bool = False):
    """Run a cell that must succeed; return what it displayed and printed."""
    with capture_output() as captured:
        result = sh.run_cell(code, store_history=history)
    assert result.error_before_exec is None and result.error_in_exec is None, (
        result.error_before_exec or result.error_in_exec, captured.stdout, captured.stderr)
    return captured


def usage_error(sh: InteractiveShell, code: str) -> str:
    """Run a cell that must fail with one UsageError line; check the kernel still works; return the message."""
    with capture_output() as captured:
        result = sh.run_cell(code)
    assert isinstance(result.error_in_exec, UsageError), (result.error_in_exec, captured.stdout, captured.stderr)
    shown = captured.stderr.strip()
    assert shown.startswith("UsageError: ") and "\n" not in shown, shown
    assert "Traceback" not in captured.stdout + captured.stderr
    with capture_output():
        assert sh.run_cell("__still_alive = 1 + 1").success
    assert sh.user_ns["__still_alive"] == 2
    return str(result.error_in_exec)


def magics(sh: InteractiveShell):
    return sh.magics_manager.registry["AgnoMagics"]


def live_outputs(captured) -> list:
    """The outputs of the live trace view (those with a display id)."""
    return [o for o in captured.outputs if (o.transient or {}).get("display_id")]


def recording_model(turns):
    """A scripted model that also records the messages of every request."""
    seen: list[list[dict]] = []
    turns = list(turns)

    def respond(messages, tools):
        seen.append([dict(m) for m in messages])
        return turns[len(seen) - 1] if len(seen) <= len(turns) else turns[-1]

    return ScriptedModel(respond, id="scripted/recorder"), seen


def echo_model():
    seen: list[list[dict]] = []

    def respond(messages, tools):
        seen.append([dict(m) for m in messages])
        return text(f"You said: {messages[-1]['content']}")

    return ScriptedModel(respond, id="scripted/echo-rec"), seen


def widgets_in(captured) -> list:
    from ipywidgets.widgets.widget import _instances

    return [_instances[o.data[WIDGET_MIME]["model_id"]] for o in captured.outputs if WIDGET_MIME in o.data]


def walk(widget):
    yield widget
    for child in getattr(widget, "children", ()):
        yield from walk(child)


def button(box, description: str):
    found = [w for w in walk(box) if isinstance(w, ipywidgets.Button) and w.description == description]
    assert len(found) == 1, [w.description for w in walk(box) if isinstance(w, ipywidgets.Button)]
    return found[0]


class Forecast(BaseModel):
    city: str
    temp: int


def add(a: int, b: int = 1) -> int:
    """Add two numbers.

    Args:
        a: first
        b: second
    """
    return a + b


# ------------------------------------------------------------------------------------- %%agent


def test_agent_magic_binds_an_agent_with_every_setting_and_shows_a_card(shell, tmp_path):
    @tool(requires_confirmation=True)
    def delete(path: str) -> str:
        """Delete a file."""
        return path

    model = ScriptedModel(["ok"], id="scripted/card")
    shell.push({"m": model, "add": add, "delete": delete, "Forecast": Forecast})
    captured = cell(shell, "%%agent helper --model m --tools add,delete --db other.duckdb --output-schema Forecast "
                           "--markdown --history 5 --memory --user ana --tool-call-limit 4\n"
                           "You help with sums.\n")
    agent = shell.user_ns["helper"]
    assert isinstance(agent, Agent)
    assert agent.name == "helper" and agent.model is model and agent.instructions == "You help with sums."
    assert {"add", "delete"} <= set(agent.functions)
    assert agent.db == "other.duckdb" and agent.store().location == "other.duckdb"
    assert agent.output_schema is Forecast and agent.markdown is True
    assert agent.add_history_to_context is True and agent.num_history_runs == 5
    assert agent.enable_user_memories is True and agent.user_id == "ana" and agent.tool_call_limit == 4

    [card] = captured.outputs
    plain, html = card.data["text/plain"], card.data["text/html"]
    assert plain.splitlines()[0] == "agent helper: model scripted/card"
    assert "store: other.duckdb" in plain
    assert "tool add(a: integer, b?: integer)" in plain
    assert "tool delete(path: string) [requires_confirmation]" in plain
    assert "<code>add(a: integer, b?: integer)</code>" in html
    assert "<code>delete(path: string)</code>" in html and "requires_confirmation" in html
    assert "scripted/card" in html and "other.duckdb" in html
    assert "<script" not in html


def test_agent_magic_defaults_model_ids_and_the_default_store(shell):
    captured = cell(shell, "%%agent plain\nBe brief.")
    agent = shell.user_ns["plain"]
    assert agent.model is None and agent.tools == [] and agent.output_schema is None
    assert agent.add_history_to_context is True and agent.num_history_runs == 3  # --history 3 by default
    assert agent.enable_user_memories is False and agent.user_id is None and agent.tool_call_limit is None
    assert agent.store().location == "agno.duckdb"
    plain = captured.outputs[0].data["text/plain"]
    assert "model default" in plain and "store: agno.duckdb" in plain
    assert "no tools" in captured.outputs[0].data["text/html"]

    cell(shell, "%%agent byid --model openai/gpt-4o-mini --history 0\nx")
    assert shell.user_ns["byid"].model == "openai/gpt-4o-mini"
    assert shell.user_ns["byid"].add_history_to_context is False

    shell.push({"mid": "scripted/echo"})
    captured = cell(shell, "%%agent byvar --model mid\nx")
    assert shell.user_ns["byvar"].model == "scripted/echo"
    assert "model scripted/echo" in captured.outputs[0].data["text/plain"]


def test_rerunning_agent_cell_redefines_cleanly_with_a_fresh_conversation(shell):
    model, seen = echo_model()
    shell.push({"m": model})
    cell(shell, "%%agent helper --model m\nv1")
    first = shell.user_ns["helper"]
    cell(shell, "%ask helper remember the word banana")
    session1 = shell.user_ns["_"].session_id
    assert magics(shell).sessions["helper"] == session1

    cell(shell, "%%agent helper --model m\nv2")
    second = shell.user_ns["helper"]
    assert second is not first and second.instructions == "v2"
    assert "helper" not in magics(shell).sessions
    cell(shell, "%ask helper what was the word")
    out = shell.user_ns["_"]
    assert out.ok and out.session_id != session1
    sent = json.dumps(seen[-1])
    assert "v2" in sent and "banana" not in sent and "v1" not in sent


def test_reasoning_toolkit_by_name(shell):
    captured = cell(shell, "%%agent thinker --model openai/gpt-4o-mini --tools reasoning\nThink first.")
    functions = shell.user_ns["thinker"].functions
    assert {"think", "analyze"} <= set(functions)
    plain = captured.outputs[0].data["text/plain"]
    assert "tool think(" in plain and "tool analyze(" in plain


@pytest.mark.skipif(not os.path.exists(os.path.join(os.path.dirname(__file__), "..", "agno_nb", "notebook",
                                                    "dataframe_tools.py")),
                    reason="agno_nb/notebook/dataframe_tools.py does not exist yet")
def test_dataframes_toolkit_by_name_sees_the_notebook_frames(shell):
    import pandas

    model, seen = recording_model([tool_call("list_dataframes"), text("one frame")])
    shell.push({"m": model, "sales": pandas.DataFrame({"region": ["north", "south"], "amount": [3, 4]})})
    captured = cell(shell, "%%agent analyst --model m --tools dataframes\nAnalyse.")
    functions = shell.user_ns["analyst"].functions
    assert {"list_dataframes", "describe_dataframe", "query"} <= set(functions)
    assert "tool list_dataframes(" in captured.outputs[0].data["text/plain"]
    cell(shell, "%ask analyst which frames are there")
    out = shell.user_ns["_"]
    assert out.ok and out.tools[0].tool_name == "list_dataframes"
    assert "sales: 2 rows x 2 columns" in seen[-1][-1]["content"]


# ------------------------------------------------------------------------------------ bad input


@pytest.mark.parametrize(("code", "expected"), [
    ("%%agent a --bogus\nx", "unrecognized arguments: --bogus"),
    ("%%agent a --tools nosuch\nx", "Unknown tool 'nosuch'"),
    ("%%agent 1bad\nx", "'1bad' is not a valid Python name"),
    ("%%agent a\n   \n", "empty"),
    ("%%agent a --output-schema Nope\nx", "--output-schema Nope"),
    ("%%agent a --history many\nx", "invalid int value"),
    ("%%ask helper\n{missing_var}", "{missing_var} is not defined"),
    ("%%ask helper\n{}", "positional"),
    ("%%ask helper\n   ", "prompt is empty"),
    ("%%ask helper --format yaml\nhi", "invalid choice"),
    ("%agno bogus", "unknown command 'bogus'"),
    ("%agno model", "give a model id"),
    ("%agno memories", "whose?"),
    ("%agno new-session", "which agent?"),
    ("%agno trace", "no run yet"),
    ("%agno runs helper", "no conversation with helper"),
    ("%%agent a --model foo/bar\nx", "'foo' is not a known provider"),
    ("%%agent a --model nosuchvar\nx", "no notebook variable 'nosuchvar' holds a model"),
    ('%%agent a --model m\nReply like {"k": 1}', "not a field name"),
    ("%%workflow w\nsteps:\n  - nosuch", "(known: helper)"),
    ("%%ask helper --session 'open\nhi", "Cannot read the options"),
], ids=lambda v: v if len(v) < 30 else None)
def test_bad_input_is_one_usage_error_line_and_the_kernel_goes_on(shell, code, expected):
    shell.push({"m": ScriptedModel(["ok"], cycle=True)})
    cell(shell, "%%agent helper --model m\nhi")
    message = usage_error(shell, code)
    assert expected in message
    assert "a" not in shell.user_ns and "1bad" not in shell.user_ns  # a failed definition binds nothing


def test_magic_lines_take_comments_and_a_team_needs_no_body(shell):
    shell.push({"m": ScriptedModel(["ok"], cycle=True)})
    cell(shell, "%%agent a --model m  # the first member\nhi")
    cell(shell, "%%agent b --model m\nhi")
    captured = cell(shell, "%team crew --mode route --members a,b --model m  # no instructions")
    plain, html = captured.outputs[0].data["text/plain"], captured.outputs[0].data["text/html"]
    assert plain.startswith("team (route) crew") and "members: a, b" in plain
    assert "team, mode" in html and "route" in html and "a, b" in html
    cell(shell, "%%ask a -o r  # a comment, not part of the options\nhello")
    assert shell.user_ns["r"].ok and shell.user_ns["r"].messages[-2]["content"] == "hello"


def test_other_modules_add_agent_options_and_magics(shell):
    from IPython.core.magic import Magics, line_magic, magics_class

    from agno_nb.notebook import magics as nb_magics

    def apply(args, kwargs, magics):
        if args.shout:
            kwargs["instructions"] += " ANSWER IN CAPITALS."

    @magics_class
    class Extra(Magics):
        @line_magic
        def extra(self, line):
            return f"extra {line}"

    saved = (list(nb_magics.AGENT_OPTIONS), list(nb_magics.MAGIC_CLASSES))
    try:
        nb_magics.add_agent_option("--shout", action="store_true", apply=apply)
        nb_magics.register_magics(Extra)
        shell.run_line_magic("reload_ext", "agno_nb")
        shell.push({"m": ScriptedModel(["ok"])})
        cell(shell, "%%agent loud --model m --shout\nBe brief.")
        assert shell.user_ns["loud"].instructions == "Be brief. ANSWER IN CAPITALS."
        assert shell.run_line_magic("extra", "works") == "extra works"
    finally:
        nb_magics.AGENT_OPTIONS[:], nb_magics.MAGIC_CLASSES[:] = saved


def test_unknown_agent_lists_the_known_ones(shell):
    shell.push({"m": ScriptedModel(["ok"])})
    cell(shell, "%%agent helper --model m\nhi")
    cell(shell, "%%agent writer --model m\nhi")
    message = usage_error(shell, "%ask nobody hello")
    assert "'nobody'" in message and "['helper', 'writer']" in message
    assert "%%agent nobody" in message
    assert "['helper', 'writer']" in usage_error(shell, "%%ask nobody\nhello")
    assert "['helper', 'writer']" in usage_error(shell, "%agno new-session ghost")
    del shell.user_ns["helper"], shell.user_ns["writer"]
    assert "known: none" in usage_error(shell, "%ask nobody hello")


def test_unknown_run_id_in_agno_trace_is_a_usage_error(shell):
    assert "No run 'no-such-run'" in usage_error(shell, "%agno trace no-such-run")


@pytest.mark.parametrize(("stream", "retries"), [(True, 1), (False, 0)])
def test_model_failure_shows_in_the_trace_without_raising(shell, stream, retries):
    model = ScriptedModel([error("server")] * (retries + 1), max_retries=retries, retry_backoff=0.001)
    shell.push({"m": model})
    cell(shell, "%%agent helper --model m\nhi")
    captured = cell(shell, "%%ask helper -o res" + ("" if stream else " --no-stream") + "\nhello")
    out = shell.user_ns["res"]
    assert isinstance(out, RunOutput) and out.status == "error" and shell.user_ns["_"] is out
    last = live_outputs(captured)[-1].data
    assert last["text/plain"].startswith("[error] helper")
    trace = last[MIME_TYPE]
    assert trace["status"] == "error" and "Internal server error" in trace["error"]
    models = [c for c in trace["root"]["children"] if c["kind"] == "model"]
    assert [m["status"] for m in models] == ["error"] * (retries + 1)
    assert [m["attrs"]["retry_in"] for m in models] == pytest.approx([0.001] * retries + [None])
    assert "Internal server error (scripted)" in last["text/html"]
    # the kernel goes on, and the next question works
    model.script._turns.append(text("fine now"))
    cell(shell, "%ask helper again")
    assert shell.user_ns["_"].content == "fine now"


# ---------------------------------------------------------------------------------------- %%ask


def test_ask_puts_the_output_in_var_and_underscore_with_session_and_user(shell):
    model, _ = echo_model()
    shell.push({"m": model})
    cell(shell, "%%agent helper --model m\nhi")
    captured = cell(shell, "%%ask helper --session s1 --user ana -o res --no-stream\nHello there")
    out = shell.user_ns["res"]
    assert isinstance(out, RunOutput) and out.ok
    assert out.content == "You said: Hello there"
    assert shell.user_ns["_"] is out and magics(shell).last_run is out
    assert out.session_id == "s1"
    assert "helper" not in magics(shell).sessions  # an explicit --session is not the notebook conversation
    assert captured.stdout == ""  # --format markdown (default): the live view shows the answer, nothing printed
    session = shell.user_ns["helper"].store().get_session("s1")
    assert session is not None and session.user_id == "ana"


def test_line_ask_takes_the_rest_of_the_line_as_the_prompt(shell):
    model, _ = echo_model()
    shell.push({"m": model})
    cell(shell, "%%agent helper --model m\nhi")
    cell(shell, "%ask helper what is --up -o x")
    assert shell.user_ns["_"].content == "You said: what is --up -o x"
    assert "x" not in shell.user_ns


def test_line_ask_with_a_question_mark(shell):
    model, seen = echo_model()
    shell.push({"m": model})
    cell(shell, "%%agent helper --model m\nhi")
    captured = cell(shell, "%ask helper what is my name?")
    assert "not found" not in captured.stdout
    assert seen and seen[-1][-1]["content"] == "what is my name?"


def test_prompt_interpolation_from_namespace_history_and_attributes(shell):
    model, seen = echo_model()
    shell.push({"m": model})
    cell(shell, "%%agent helper --model m\nhi")

    class Config:
        city = "Paris"

    shell.push({"cfg": Config(), "who": "Ana"})
    cell(shell, "x = 41", history=True)
    n_in = shell.execution_count - 1
    cell(shell, "x + 1", history=True)
    n_out = shell.execution_count - 1
    assert shell.user_ns["Out"][n_out] == 42
    cell(shell, f"%%ask helper\nDear {{who}}: {{cfg.city}}; code {{In[{n_in}]}} gave {{Out[{n_out}]}}; {{{{literal}}}}")
    assert seen[-1][-1]["content"] == "Dear Ana: Paris; code x = 41 gave 42; {literal}"


def test_dataframe_interpolates_as_schema_and_preview(shell):
    import pandas

    model, seen = echo_model()
    frame = pandas.DataFrame({"city": [f"city{i}" for i in range(1000)], "temp": [float(i) for i in range(1000)]})
    shell.push({"m": model, "df": frame})
    cell(shell, "%%agent helper --model m\nhi")
    cell(shell, "%%ask helper\nSummarize {df}")
    prompt = seen[-1][-1]["content"]
    assert len(prompt) < 1000, len(prompt)
    assert "1,000 rows x 2 columns" in prompt
    assert "city (object)" in prompt or "city (str" in prompt
    assert "temp (float64)" in prompt
    assert "city0" in prompt and "city4" in prompt and "city5" not in prompt and "city999" not in prompt


def test_conversation_continues_across_cells_until_new_session(shell):
    model, seen = echo_model()
    shell.push({"m": model})
    cell(shell, "%%agent helper --model m\nhi")
    cell(shell, "%ask helper my name is Ana")
    first = shell.user_ns["_"]
    cell(shell, "%ask helper what is my name")
    second = shell.user_ns["_"]
    assert second.session_id == first.session_id == magics(shell).sessions["helper"]
    contents = [m["content"] for m in seen[-1]]
    assert "my name is Ana" in contents and "You said: my name is Ana" in contents
    assert contents[-1] == "what is my name"

    captured = cell(shell, "%agno new-session helper")
    assert "helper: the next question starts a new conversation" in captured.stdout
    cell(shell, "%ask helper who am I")
    third = shell.user_ns["_"]
    assert third.session_id != first.session_id
    assert "my name is Ana" not in json.dumps(seen[-1])


def test_format_text_prints_the_answer(shell):
    shell.push({"m": ScriptedModel(["The answer is 42."])})
    cell(shell, "%%agent helper --model m\nhi")
    captured = cell(shell, "%%ask helper --format text\nquestion")
    assert captured.stdout.strip() == "The answer is 42."


def test_format_json_displays_a_structured_output(shell):
    shell.push({"m": ScriptedModel([json_reply({"city": "Paris", "temp": 21}), "plain words"]),
                "Forecast": Forecast})
    cell(shell, "%%agent fc --model m --output-schema Forecast\nForecast.")
    captured = cell(shell, "%%ask fc --format json -o res\nParis?")
    assert isinstance(shell.user_ns["res"].content, Forecast)
    shown = [o.data for o in captured.outputs if "application/json" in o.data]
    assert len(shown) == 1 and shown[0]["application/json"] == {"city": "Paris", "temp": 21}

    cell(shell, "%%agent talk --model m\nTalk.")
    captured = cell(shell, "%%ask talk --format json\nhi")
    shown = [o.data for o in captured.outputs if "application/json" in o.data]
    assert shown[0]["application/json"] == {"content": "plain words"}


# ---------------------------------------------------------------------------------------- %agno


def test_agno_list_config_model_and_help(shell):
    shell.push({"m": ScriptedModel(["ok"], id="scripted/listed"), "add": add})
    cell(shell, "%%agent helper --model m --tools add\nhi")
    cell(shell, "%%agent other --model openai/gpt-4o-mini --db other.duckdb\nhi")
    frame = shell.run_line_magic("agno", "list")
    assert list(frame.columns) == ["name", "model", "tools", "store"]
    rows = {r["name"]: r for r in frame.to_dict("records")}
    assert set(rows) == {"helper", "other"}
    assert rows["helper"]["model"] == "scripted/listed" and rows["helper"]["tools"] == "add"
    assert rows["helper"]["store"] == "agno.duckdb" and rows["other"]["store"] == "other.duckdb"
    assert rows["other"]["model"] == "openai/gpt-4o-mini"

    cell(shell, "%ask helper hi")
    config = shell.run_line_magic("agno", "config")
    assert config["store"] == "agno.duckdb" and config["agents"] == ["helper", "other"]
    assert config["sessions"] == {"helper": shell.user_ns["_"].session_id}
    assert config["model"].endswith("(default)")
    captured = cell(shell, "%agno model scripted/echo")
    assert "scripted/echo" in captured.stdout and os.environ["AGNO_NB_MODEL"] == "scripted/echo"
    assert shell.run_line_magic("agno", "config")["model"] == "scripted/echo"

    for line in ("%agno help", "%agno"):
        out = cell(shell, line).stdout
        assert "%%agent NAME" in out and "%%ask NAME" in out and "%agno model ID" in out


def test_agno_sessions_and_runs(shell):
    model, _ = echo_model()
    shell.push({"m": model})
    cell(shell, "%%agent helper --model m\nhi")
    cell(shell, "%%agent other --model m\nhi")
    cell(shell, "%ask helper one")
    cell(shell, "%ask helper two")
    cell(shell, "%ask other three")
    session = magics(shell).sessions["helper"]

    frame = shell.run_line_magic("agno", "sessions helper")
    assert list(frame["session_id"]) == [session] and list(frame["run_count"]) == [2]
    assert set(shell.run_line_magic("agno", "sessions")["session_id"]) == {session, magics(shell).sessions["other"]}

    runs = shell.run_line_magic("agno", "runs helper")
    assert list(runs["input"]) == ["two", "one"]  # newest first
    assert list(runs["content"]) == ["You said: two", "You said: one"]
    assert set(runs["status"]) == {"completed"} and set(runs["session_id"]) == {session}
    assert len(shell.run_line_magic("agno", "runs")) == 3


def test_agno_trace_of_the_last_run_and_of_a_stored_run(shell):
    shell.push({"m": ScriptedModel([tool_call("add", a=2, b=3), "**five**"]), "add": add})
    cell(shell, "%%agent helper --model m --tools add\nhi")
    cell(shell, "%ask helper 2+3?")
    out = shell.user_ns["_"]

    captured = cell(shell, "%agno trace")
    [shown] = captured.outputs
    assert set(shown.data) == {MIME_TYPE, "text/html", "text/plain"}
    assert shown.data[MIME_TYPE]["run_id"] == out.run_id and shown.data[MIME_TYPE]["status"] == "completed"

    captured = cell(shell, f"%agno trace {out.run_id}")
    [stored] = captured.outputs
    trace = stored.data[MIME_TYPE]
    assert trace["run_id"] == out.run_id and trace["status"] == "completed" and trace["answer"] == "**five**"
    assert [c["kind"] for c in trace["root"]["children"]] == ["model", "tool", "model"]
    assert "<strong>five</strong>" in stored.data["text/html"]
    assert stored.data["text/plain"].startswith(f"[completed] run {out.run_id}\n[completed] helper: 2 model")


def test_agno_memories_returns_the_users_memories(shell):
    from agno_nb.storage import default_store
    from agno_nb.storage.records import MemoryRecord

    default_store().save_memory(MemoryRecord("m1", "ana", "Ana prefers metric units", ["units"]))
    default_store().save_memory(MemoryRecord("m2", "bob", "Bob likes tea"))
    frame = shell.run_line_magic("agno", "memories ana")
    assert list(frame["memory"]) == ["Ana prefers metric units"]
    assert shell.run_line_magic("agno", "memories nobody").empty


# ------------------------------------------------------------------------------ TraceView / bundle


def _run(agent: Agent, prompt: str = "go", **kwargs) -> RunOutput:
    return agent.run(prompt, **kwargs)


def _stream(agent: Agent, prompt: str = "go") -> RunOutput:
    out = None
    for event in agent.run(prompt, stream=True):
        out = out or RunOutput(event.ref)
        out.apply(event)
    return out


def test_trace_tree_and_totals_of_a_run_with_tools_and_a_tool_error():
    def boom() -> str:
        """Fail."""
        raise RuntimeError("kaput")

    agent = Agent(name="calc", model=ScriptedModel([tool_call("add", a=1, b=2), tool_call("boom"), "**3**"]),
                  tools=[add, boom])
    out = _stream(agent)
    view = TraceView.from_events(out.events)
    data = view.to_json()
    root = data["root"]
    assert root["kind"] == "run" and root["name"] == "calc" and root["status"] == "completed"
    assert root["attrs"]["input"] == "go"
    assert [(c["kind"], c["name"], c["status"]) for c in root["children"]] == [
        ("model", "scripted/inline", "ok"), ("tool", "add", "ok"), ("model", "scripted/inline", "ok"),
        ("tool", "boom", "error"), ("model", "scripted/inline", "ok")]
    add_span, boom_span = root["children"][1], root["children"][3]
    assert add_span["attrs"]["arguments"] == {"a": 1, "b": 2} and add_span["attrs"]["result"] == 3
    assert boom_span["attrs"]["error"] == "RuntimeError: kaput" and boom_span["attrs"]["error_type"] == "RuntimeError"
    starts = [c["start"] for c in root["children"]]
    assert starts == sorted(starts) and all(c["duration"] >= 0 for c in root["children"])

    totals = data["totals"]
    assert totals["model_requests"] == 3 == out.metrics.model_requests
    assert totals["tool_calls"] == 2 == out.metrics.tool_calls
    assert (totals["input_tokens"], totals["output_tokens"]) == (out.metrics.input_tokens, out.metrics.output_tokens)
    assert totals["input_tokens"] > 0 and totals["output_tokens"] > 0
    assert totals["duration"] == pytest.approx(out.metrics.duration, abs=1e-5)
    assert 0 <= totals["ttft"] <= totals["duration"]
    assert totals["ttft"] == pytest.approx(out.metrics.ttft, abs=1e-5)
    assert data["answer"] == "**3**" and data["events"] == len(out.events) and data["run_id"] == out.run_id
    assert view.to_text().splitlines()[0].startswith("[completed] calc: 3 model request(s), 2 tool call(s)")


def test_trace_shows_retries():
    model = ScriptedModel([error("server"), error("rate_limit"), "ok"], max_retries=2, retry_backoff=0.001)
    data = TraceView.from_events(_run(Agent(model=model)).events).to_json()
    models = data["root"]["children"]
    assert [(m["status"], m["attrs"]["attempt"]) for m in models] == [("error", 1), ("error", 2), ("ok", 3)]
    assert models[0]["attrs"]["retry_in"] == pytest.approx(0.001)
    assert models[1]["attrs"]["retry_in"] == pytest.approx(0.002)
    assert "Internal server error" in models[0]["attrs"]["error"]
    assert data["totals"]["model_requests"] == 1 and data["status"] == "completed"


def test_trace_shows_reasoning_steps_from_the_pass_and_from_reasoning_tools():
    from agno_nb.tools.reasoning import ReasoningTools

    step = {"title": "Plan", "reasoning": "add them", "action": "sum", "result": "3", "confidence": 0.9,
            "next_action": "final_answer"}
    model = ScriptedModel([json_reply(step), tool_call("think", title="Check", thought="looks right"), "3"])
    agent = Agent(name="r", model=model, tools=[ReasoningTools()], reasoning=True)
    out = _run(agent)
    assert out.ok, out.status_reason
    root = TraceView.from_events(out.events).to_json()["root"]
    kinds = [(c["kind"], c["name"]) for c in root["children"]]
    assert ("reasoning", "Plan") in kinds and ("reasoning", "Check") in kinds
    assert kinds.index(("reasoning", "Plan")) < kinds.index(("tool", "think")) < kinds.index(("reasoning", "Check"))
    plan = next(c for c in root["children"] if c["name"] == "Plan")
    assert plan["attrs"]["reasoning"] == "add them" and plan["attrs"]["confidence"] == 0.9
    assert plan["status"] == "ok" and plan["children"] == []


def test_trace_shows_a_tripped_guardrail():
    from agno_nb.agent.hooks import GuardrailTripped

    def no_secrets(input):
        if "secret" in input:
            raise GuardrailTripped("no_secrets", "the input mentions a secret")

    out = _run(Agent(name="g", model=ScriptedModel(["never"]), pre_hooks=[no_secrets]), "my secret")
    view = TraceView.from_events(out.events)
    data = view.to_json()
    assert data["status"] == "blocked" and data["root"]["status"] == "blocked"
    [guard] = data["root"]["children"]
    assert (guard["kind"], guard["name"], guard["status"]) == ("guardrail", "no_secrets", "blocked")
    assert guard["attrs"] == {"reason": "the input mentions a secret", "stage": "input"}
    assert data["totals"]["model_requests"] == 0
    assert "no_secrets" in view.bundle()["text/html"]


def test_trace_of_a_paused_run_shows_requirements_and_reopens_when_continued():
    ran = []

    @tool(requires_confirmation=True)
    def deploy(env: str) -> str:
        """Deploy."""
        ran.append(env)
        return f"deployed {env}"

    agent = Agent(name="ops", model=ScriptedModel([tool_call("deploy", env="prod"), "shipped"]), tools=[deploy])
    paused = _run(agent)
    view = TraceView.from_events(paused.events)
    data = view.to_json()
    assert data["status"] == "paused"
    [req] = data["requirements"]
    assert (req["tool_name"], req["kind"], req["arguments"], req["decision"]) == (
        "deploy", "confirmation", {"env": "prod"}, None)
    tool_span = next(c for c in data["root"]["children"] if c["kind"] == "tool")
    assert tool_span["status"] == "paused" and tool_span["attrs"]["awaiting"] == "confirmation"
    assert tool_span["duration"] is not None
    bundle = view.bundle()
    assert "waiting for <b>confirmation</b>" in bundle["text/html"] and "deploy(" in bundle["text/html"]
    assert bundle["text/plain"].startswith("[paused] ops")
    json.dumps(bundle[MIME_TYPE])

    paused.requirements[0].confirm()
    continued = agent.continue_run(paused)
    assert continued.ok and ran == ["prod"]
    [resumed] = list(continued.iter_events(RunContinued))
    view.add(resumed)
    assert view.status == "running" and view.requirements == []
    assert tool_span["id"] in view.spans and view.spans[tool_span["id"]].status == "decided"
    for event in continued.events[1:]:
        view.add(event)
    data = view.to_json()
    assert data["status"] == "completed" and data["answer"] == "shipped" and data["requirements"] == []
    # the paused call and its run after approval are one span
    assert [(c["kind"], c["status"]) for c in data["root"]["children"]] == [("model", "ok"), ("tool", "ok"),
                                                                             ("model", "ok")]
    assert data["root"]["children"][1]["attrs"]["decision"] == "confirmed"
    assert 0 <= data["totals"]["ttft"] <= data["totals"]["duration"]

    alone = TraceView.from_events(continued.events).to_json()  # the continuation's own view (live display)
    assert alone["status"] == "completed" and alone["agent"] == "ops" and alone["run_id"] == paused.run_id
    assert 0 <= alone["totals"]["duration"] < 60 and alone["answer"] == "shipped"
    assert [c["kind"] for c in alone["root"]["children"]] == ["tool", "model"]


def test_bundle_is_self_contained_markdown_escaped_and_json():
    answer = "Result: **bold** and `code`\n\n<script>alert(1)</script> <b>raw</b> & more"

    def lookup(q: str) -> str:
        """Look up."""
        return "<img src=x onerror=alert(1)>"

    out = _run(Agent(name="<agent&>", model=ScriptedModel([tool_call("lookup", q="<q>"), answer]), tools=[lookup]))
    bundle = out._repr_mimebundle_()
    assert set(bundle) == {MIME_TYPE, "text/html", "text/plain"}
    html = bundle["text/html"]
    assert "<strong>bold</strong>" in html and "<code>code</code>" in html
    assert "<script" not in html and "<b>raw</b>" not in html and "&lt;b&gt;raw&lt;/b&gt;" in html
    assert "<img" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "<agent&>" not in html and "&lt;agent&amp;&gt;" in html
    assert "http://" not in html and "https://" not in html and "<link" not in html
    assert "<details" in html and "<style" not in html  # inline styles only: untrusted notebooks keep them
    assert json.loads(json.dumps(bundle[MIME_TYPE]))["answer"] == answer
    assert bundle["text/plain"].splitlines()[0].startswith("[completed] <agent&>: 2 model request(s), 1 tool call(s)")
    assert bundle["text/plain"].endswith(answer)


def test_long_tool_results_are_previewed_not_copied():
    def big() -> str:
        """Big."""
        return "x" * 5000

    out = _run(Agent(model=ScriptedModel([tool_call("big"), "ok"]), tools=[big]))
    tool_span = TraceView.from_events(out.events).to_json()["root"]["children"][1]
    result = tool_span["attrs"]["result"]
    assert len(result) < 700 and result.endswith("... (5,000 characters)")


def test_trace_json_is_serializable_with_any_tool_result():
    def stats() -> dict:
        """Stats."""
        return {"day": datetime.date(2024, 1, 2), "total": decimal.Decimal("1.50"), "tags": {"a"}}

    out = _run(Agent(model=ScriptedModel([tool_call("stats"), "ok"]), tools=[stats]))
    assert out.ok
    json.dumps(out._repr_mimebundle_()[MIME_TYPE])


# -------------------------------------------------------------------------------------- stored runs


def test_trace_from_store_rebuilds_a_stored_run(tmp_path):
    from agno_nb.traces.stored import trace_from_store
    from agno_nb.storage import DuckDBStore, NotFoundError

    store = DuckDBStore(tmp_path / "runs.duckdb")
    try:
        agent = Agent(name="calc", model=ScriptedModel([tool_call("add", a=2, b=2), "**4**"]), tools=[add], db=store)
        out = _run(agent, "2+2?")
        bundle = trace_from_store(out.run_id, store)
        assert set(bundle) == {MIME_TYPE, "text/html", "text/plain"}
        trace = bundle[MIME_TYPE]
        assert trace["run_id"] == out.run_id and trace["agent"] == "calc" and trace["status"] == "completed"
        assert trace["answer"] == "**4**" and trace["events"] == len(out.events)
        assert trace["root"]["attrs"]["input"] == "2+2?"
        children = trace["root"]["children"]
        assert [(c["kind"], c["status"]) for c in children] == [("model", "ok"), ("tool", "ok"), ("model", "ok")]
        assert children[1]["name"] == "add" and children[1]["attrs"]["arguments"] == {"a": 2, "b": 2}
        assert children[1]["attrs"]["result"] == 4
        assert all(c["duration"] is not None and c["duration"] >= 0 for c in children)
        totals = trace["totals"]
        assert (totals["model_requests"], totals["tool_calls"]) == (2, 1)
        assert totals["input_tokens"] == out.metrics.input_tokens
        assert "<strong>4</strong>" in bundle["text/html"] and "<script" not in bundle["text/html"]
        json.dumps(trace)
        with pytest.raises(NotFoundError, match="nope"):
            trace_from_store("nope", store)
        # the path of the store works as well as the store
        assert trace_from_store(out.run_id, str(tmp_path / "runs.duckdb"))[MIME_TYPE]["run_id"] == out.run_id
    finally:
        store.close()


def test_trace_from_store_without_a_store_says_so(monkeypatch):
    from agno_nb import storage
    from agno_nb.errors import ConfigurationError
    from agno_nb.traces.stored import trace_from_store

    monkeypatch.setattr(storage, "_default", None)
    monkeypatch.delenv("AGNO_NB_DB", raising=False)
    with pytest.raises(ConfigurationError, match="No store configured"):
        trace_from_store("any")


# -------------------------------------------------------------------------------------------- plots


def test_timeline_bars_match_the_spans():
    pytest.importorskip("plotly")
    from agno_nb.notebook.plots import timeline

    out = _run(Agent(model=ScriptedModel([tool_call("add", a=1, b=1, delay=0.0), text("two", delay=0.01)]),
                     tools=[add]))
    fig = timeline(out)
    spans = TraceView.from_events(out.events).to_json()["root"]["children"]
    assert [t.name for t in fig.data] == ["model", "tool"]
    for trace in fig.data:
        assert trace.type == "bar" and trace.orientation == "h"
        expected = [s for s in spans if s["kind"] == trace.name]
        assert list(trace.base) == pytest.approx([s["start"] * 1000 for s in expected])
        assert list(trace.x) == pytest.approx([s["duration"] * 1000 for s in expected])
        assert all(f" {trace.name}: " in label for label in trace.y)
    order = list(fig.layout.yaxis.categoryarray)  # rows in time order, not grouped by kind
    assert [label.split(". ", 1)[1].split(":")[0] for label in order] == ["model", "tool", "model"]
    model_bars = fig.data[0]
    assert len(model_bars.x) == 2 and model_bars.x[1] >= 10  # the second request took >= 10 ms
    assert out.run_id in fig.layout.title.text


def test_session_metrics_plots_tokens_duration_and_cost(tmp_path):
    pytest.importorskip("plotly")
    from agno_nb.notebook.plots import session_metrics
    from agno_nb.storage import DuckDBStore

    store = DuckDBStore(tmp_path / "m.duckdb")
    try:
        agent = Agent(model=ScriptedModel(["short", "a much longer answer than the first one"]), db=store)
        first = _run(agent, "one", session_id="s1")
        second = _run(agent, "two", session_id="s1")
        fig = session_metrics("s1", store)
        by_name = {t.name: t for t in fig.data}
        assert set(by_name) == {"input tokens", "output tokens", "duration", "cost"}
        assert list(by_name["output tokens"].x) == [1, 2]
        assert list(by_name["output tokens"].y) == [first.metrics.output_tokens, second.metrics.output_tokens]
        assert list(by_name["input tokens"].y) == [first.metrics.input_tokens, second.metrics.input_tokens]
        assert list(by_name["duration"].y) == pytest.approx([first.metrics.duration, second.metrics.duration])
        assert list(by_name["cost"].y) == [0.0, 0.0]
        with pytest.raises(ValueError, match="no runs"):
            session_metrics("empty", store)
    finally:
        store.close()


def test_interpolate_unit():
    from agno_nb.notebook.magics import interpolate

    assert interpolate("{a} {{b}} {c[0]}", {"a": 1, "c": ["z"]}) == "1 {b} z"
    with pytest.raises(UsageError, match="Cannot fill"):
        interpolate("{a", {"a": 1})
