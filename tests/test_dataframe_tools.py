"""DataFrameTools: notebook DataFrames as agent tools (list, describe, read-only SQL, writes, plots)."""

from __future__ import annotations

import pandas as pd
import pytest

from agno_nb import Agent, ScriptedModel
from agno_nb.models.scripts import text, tool_call
from agno_nb.notebook import dataframe_tools as dft
from agno_nb.notebook.dataframe_tools import DataFrameToolError, DataFrameTools

REGIONS = ["North", "South", "East", "West"]
MONTHS = ["2024-01", "2024-02", "2024-03", "2024-04", "2024-05", "2024-06"]


def make_sales() -> pd.DataFrame:
    rows = [(region, month, 1000.0 + 100 * i + 10 * j, 10 + i + j)
            for i, region in enumerate(REGIONS) for j, month in enumerate(MONTHS)]
    return pd.DataFrame(rows, columns=["region", "month", "revenue", "units"])


@pytest.fixture
def ns() -> dict:
    """A notebook-like namespace: two frames, a private frame, and non-frame values."""
    sales = make_sales()
    targets = pd.DataFrame({"region": REGIONS, "target": [6500.0, None, 7500.0, 8000.0]})
    return {"sales": sales, "targets": targets, "_scratch": sales.head(2), "pd": pd, "n": 3}


def agent_for(toolkit: DataFrameTools, *turns) -> Agent:
    return Agent(model=ScriptedModel(list(turns)), tools=[toolkit])


def tool_messages(out) -> list[str]:
    return [m["content"] for m in out.messages if m.get("role") == "tool"]


# ------------------------------------------------------------------------------------------ setup

def test_tools_schema_and_confirmation_flag(ns):
    toolkit = DataFrameTools(ns)
    fns = toolkit.functions
    assert list(fns) == ["list_dataframes", "describe_dataframe", "query", "execute_sql", "plot"]
    assert fns["execute_sql"].requires_confirmation is True
    assert not any(fns[n].requires_confirmation for n in fns if n != "execute_sql")
    plot = fns["plot"].parameters
    assert plot["properties"]["kind"]["enum"] == ["bar", "line", "scatter", "histogram", "box"]
    assert plot["required"] == ["sql_or_name", "kind", "x"]
    # descriptions come from the Google-style docstrings
    assert "read-only" in fns["query"].schema["function"]["description"]
    assert "notebook variable" in fns["query"].parameters["properties"]["result_name"]["description"]
    assert fns["execute_sql"].parameters["required"] == ["sql", "result_name"]


def test_allow_writes_false_leaves_out_execute_sql(ns):
    toolkit = DataFrameTools(ns, allow_writes=False)
    assert "execute_sql" not in toolkit.functions
    assert set(toolkit.functions) == {"list_dataframes", "describe_dataframe", "query", "plot"}


def test_namespace_required_outside_ipython(monkeypatch):
    monkeypatch.setattr(dft, "_ipython", lambda: None)
    with pytest.raises(ValueError, match="namespace"):
        DataFrameTools()


def test_defaults_to_ipython_user_namespace(monkeypatch):
    user_ns = {"sales": make_sales()}

    class Shell:
        pass

    shell = Shell()
    shell.user_ns = user_ns
    monkeypatch.setattr(dft, "_ipython", lambda: shell)
    toolkit = DataFrameTools()
    assert toolkit.namespace is user_ns
    toolkit.query("SELECT count(*) AS n FROM sales", result_name="counted")
    assert user_ns["counted"]["n"].tolist() == [24]


# ----------------------------------------------------------------------------- list / describe

def test_list_dataframes_names_shapes_dtypes(ns):
    listing = DataFrameTools(ns).list_dataframes()
    assert "sales: 24 rows x 4 columns" in listing
    assert "revenue (float64)" in listing and "units (int64)" in listing
    assert "targets: 4 rows x 2 columns" in listing
    assert "_scratch" not in listing and "pd" not in listing.split(":")[0]
    assert listing.startswith("2 DataFrames")


def test_list_sees_frames_created_after_construction(ns):
    toolkit = DataFrameTools(ns)
    ns["costs"] = pd.DataFrame({"region": REGIONS, "cost": [1.0, 2.0, 3.0, 4.0]})
    assert "costs: 4 rows x 2 columns" in toolkit.list_dataframes()


def test_frames_argument_limits_what_the_model_sees(ns):
    toolkit = DataFrameTools(ns, frames={"s": ns["sales"]})
    assert toolkit.list_dataframes().startswith("1 DataFrame ")
    assert "- s: 24 rows" in toolkit.list_dataframes()
    with pytest.raises(DataFrameToolError, match="targets"):
        toolkit.query("SELECT * FROM targets")
    toolkit.query("SELECT region FROM s LIMIT 2", result_name="two")
    assert "two" in ns and "- two: 2 rows" in toolkit.list_dataframes()  # its own results become visible


def test_frames_only_binds_into_a_private_namespace(monkeypatch):
    monkeypatch.setattr(dft, "_ipython", lambda: None)
    toolkit = DataFrameTools(frames={"sales": make_sales()})
    toolkit.query("SELECT * FROM sales LIMIT 1", result_name="one")
    assert list(toolkit.namespace) == ["one"]


def test_describe_dataframe_dtypes_nulls_stats(ns):
    text_ = DataFrameTools(ns).describe_dataframe("targets")
    assert "targets: 4 rows x 2 columns" in text_
    line = next(l for l in text_.splitlines() if l.startswith("target "))
    assert line.split()[1:] == ["float64", "3", "1"]  # dtype, non-null, nulls
    assert "mean" in text_ and "7333.333333" in text_  # describe() of the non-null targets


def test_describe_selected_columns_and_truncation(ns):
    toolkit = DataFrameTools(ns, max_chars=300)
    text_ = toolkit.describe_dataframe("sales", columns=["revenue"])
    assert "sales: 24 rows x 1 columns" in text_ and "region" not in text_
    long = toolkit.describe_dataframe("sales")
    assert len(long) <= 300 + 120 and "[Truncated to 300 characters." in long


def test_unknown_frame_and_column_errors(ns):
    toolkit = DataFrameTools(ns)
    with pytest.raises(DataFrameToolError) as info:
        toolkit.describe_dataframe("salez")
    assert str(info.value) == "There is no DataFrame named 'salez'. Known DataFrames: sales, targets."
    with pytest.raises(DataFrameToolError) as info:
        toolkit.describe_dataframe("sales", columns=["profit"])
    assert str(info.value) == "sales has no column 'profit'. Its columns: region, month, revenue, units."


# ------------------------------------------------------------------------------------------ query

def test_query_binds_full_result_and_previews(ns):
    toolkit = DataFrameTools(ns)
    reply = toolkit.query("SELECT region, sum(revenue) AS revenue FROM sales GROUP BY region ORDER BY region")
    result = ns["agno_result_1"]
    expected = ns["sales"].groupby("region", as_index=False)["revenue"].sum().sort_values("region")
    assert result["region"].tolist() == expected["region"].tolist()
    assert result["revenue"].tolist() == expected["revenue"].tolist()
    assert "`agno_result_1` (4 rows x 2 columns)" in reply
    assert "North 6150" in " ".join(reply.split())  # 6 months of 1000..1050 for North
    assert "truncated" not in reply
    toolkit.query("SELECT 1 AS x")
    assert "agno_result_2" in ns


def test_auto_names_skip_existing_variables(ns):
    ns["agno_result_1"] = "the user's own value"
    DataFrameTools(ns).query("SELECT 1 AS x")
    assert ns["agno_result_1"] == "the user's own value"
    assert isinstance(ns["agno_result_2"], pd.DataFrame)


def test_results_can_be_queried_again_by_name(ns):
    toolkit = DataFrameTools(ns)
    toolkit.query("SELECT region, revenue FROM sales WHERE revenue > 1300", result_name="big")
    reply = toolkit.query("SELECT count(*) AS n FROM big", result_name="n_big")
    assert ns["n_big"]["n"].tolist() == [(ns["sales"]["revenue"] > 1300).sum()]
    assert "n_big" in reply


def test_query_truncation_notice_rows_and_chars(ns):
    toolkit = DataFrameTools(ns, max_rows=5)
    reply = toolkit.query("SELECT * FROM sales ORDER BY revenue", result_name="all_sales")
    assert len(ns["all_sales"]) == 24  # the full result, not the preview
    assert "showing the first 5 of 24 rows" in reply
    assert "The full result is in the notebook variable `all_sales`" in reply
    preview = reply.splitlines()[1:-1]
    assert len(preview) == 6  # header + 5 rows
    narrow = DataFrameTools(ns, max_rows=100, max_chars=400).query("SELECT * FROM sales")
    assert len(narrow) < 800 and "cut to 400 characters" in narrow


def test_query_refuses_to_overwrite_user_variables(ns):
    toolkit = DataFrameTools(ns)
    with pytest.raises(DataFrameToolError, match="already exists"):
        toolkit.query("SELECT 1 AS x", result_name="sales")
    with pytest.raises(DataFrameToolError, match="already exists"):
        toolkit.query("SELECT 1 AS x", result_name="pd")
    with pytest.raises(DataFrameToolError, match="identifier"):
        toolkit.query("SELECT 1 AS x", result_name="not valid")
    assert ns["pd"] is pd and len(ns["sales"]) == 24
    toolkit.query("SELECT 1 AS x", result_name="mine")
    toolkit.query("SELECT 2 AS x", result_name="mine")  # its own result may be replaced
    assert ns["mine"]["x"].tolist() == [2]


@pytest.mark.parametrize("sql, why", [
    ("DROP TABLE sales", "DROP"),
    ("INSERT INTO sales VALUES ('Mars', '2024-01', 1.0, 1)", "INSERT"),
    ("UPDATE sales SET revenue = 0", "UPDATE"),
    ("DELETE FROM sales", "DELETE"),
    ("CREATE TABLE t AS SELECT * FROM sales", "CREATE"),
    ("COPY sales TO '{path}'", "COPY"),
    ("COPY (SELECT * FROM sales) TO '{path}' (FORMAT csv)", "COPY"),
    ("ATTACH '{path}' AS other", "ATTACH"),
    ("SET threads = 1", "SET"),
    ("PRAGMA show_tables", "PRAGMA"),
    ("SELECT * FROM sales; DROP TABLE sales", "exactly one statement; got 2"),
    ("SELECT 1; SELECT 2", "exactly one statement; got 2"),
    ("   -- just a comment", "empty"),
])
def test_query_is_read_only(ns, tmp_path, sql, why):
    path = tmp_path / "out.file"
    before = ns["sales"].copy()
    names = set(ns)
    with pytest.raises(DataFrameToolError, match=why):
        DataFrameTools(ns).query(sql.format(path=path))
    assert not path.exists()
    pd.testing.assert_frame_equal(ns["sales"], before)
    assert set(ns) == names


def test_reads_of_files_and_python_variables_are_blocked(ns, tmp_path):
    secret = tmp_path / "secret.csv"
    secret.write_text("a,b\n1,2\n")
    toolkit = DataFrameTools(ns)
    with pytest.raises(DataFrameToolError, match="disabled by configuration"):
        toolkit.query(f"SELECT * FROM read_csv('{secret}')")
    hidden_local = pd.DataFrame({"x": [1]})  # noqa: F841 - DuckDB's replacement scan would find it
    with pytest.raises(DataFrameToolError, match="hidden_local does not exist"):
        toolkit.query("SELECT * FROM hidden_local")
    toolkit.query("SELECT current_setting('enable_external_access') AS external, "
                  "current_setting('lock_configuration') AS locked", result_name="settings")
    assert ns["settings"].iloc[0].tolist() == [False, True]
    with pytest.raises(DataFrameToolError, match="no_such_function does not exist") as info:
        toolkit.query("SELECT no_such_function(1)")
    assert "Known DataFrames" not in str(info.value)  # the frame list is only added for missing tables


def test_sql_errors_are_duckdb_messages_shortened(ns):
    toolkit = DataFrameTools(ns)
    with pytest.raises(DataFrameToolError) as info:
        toolkit.query("SELECT profit FROM sales")
    message = str(info.value)
    assert message.startswith("DuckDB could not run the SQL: Binder Error:") and '"profit"' in message
    assert "LINE 1" not in message and "^^^" not in message
    with pytest.raises(DataFrameToolError, match=r"syntax error.*"):
        toolkit.query("SELEC * FROM sales")
    with pytest.raises(DataFrameToolError, match=r"Known DataFrames: sales, targets"):
        toolkit.query("SELECT * FROM salez")


# ------------------------------------------------------------------------------------ execute_sql

def test_execute_sql_update_runs_on_a_copy(ns):
    toolkit = DataFrameTools(ns)
    before = ns["sales"].copy()
    reply = toolkit.execute_sql("UPDATE sales SET revenue = revenue * 2 WHERE region = 'North'",
                                "sales_fixed")
    pd.testing.assert_frame_equal(ns["sales"], before)  # the user's frame is untouched
    fixed = ns["sales_fixed"]

    def revenue(df, region):
        return df.loc[df.region == region, "revenue"].tolist()

    assert revenue(fixed, "North") == [2 * v for v in revenue(before, "North")]
    assert revenue(fixed, "South") == revenue(before, "South")
    assert "table sales" in reply and "`sales_fixed` (24 rows x 4 columns)" in reply


def test_execute_sql_create_table_as_and_final_select(ns):
    toolkit = DataFrameTools(ns)
    toolkit.execute_sql("CREATE TABLE top AS SELECT * FROM sales WHERE revenue >= 1300", "top_sales")
    assert len(ns["top_sales"]) == (ns["sales"].revenue >= 1300).sum() > 0
    toolkit.execute_sql("CREATE TABLE t AS SELECT region, sum(units) AS u FROM sales GROUP BY region; "
                        "INSERT INTO t VALUES ('Total', 0); SELECT * FROM t ORDER BY u DESC", "with_total")
    assert ns["with_total"]["region"].tolist()[-1] == "Total" and len(ns["with_total"]) == 5
    toolkit.execute_sql("CREATE TABLE keep AS SELECT 1 AS x; CREATE TABLE other AS SELECT 2 AS x; "
                        "SELECT 3 AS x", "keep")
    assert ns["keep"]["x"].tolist() == [1]  # the table named result_name wins over the final SELECT
    toolkit.execute_sql("CREATE TABLE zz AS SELECT 1 AS x; CREATE TABLE aa AS SELECT 2 AS x", "latest")
    assert ns["latest"]["x"].tolist() == [2]  # else the table the last statement created


def test_execute_sql_may_replace_a_frame_but_refuses_files(ns, tmp_path):
    toolkit = DataFrameTools(ns)
    toolkit.execute_sql("DELETE FROM targets WHERE target IS NULL", "targets")
    assert len(ns["targets"]) == 3
    with pytest.raises(DataFrameToolError, match="already exists"):
        toolkit.execute_sql("SELECT 1 AS x", "pd")
    path = tmp_path / "x.csv"
    with pytest.raises(DataFrameToolError, match="refused: COPY"):
        toolkit.execute_sql(f"CREATE TABLE t AS SELECT 1; COPY t TO '{path}'", "t")
    with pytest.raises(DataFrameToolError, match="refused: ATTACH"):
        toolkit.execute_sql(f"ATTACH '{tmp_path / 'db.duckdb'}' AS d", "t")
    assert not path.exists() and not (tmp_path / "db.duckdb").exists() and "t" not in ns
    with pytest.raises(DataFrameToolError, match="no table to save"):
        toolkit.execute_sql("DROP TABLE sales", "gone")


# ------------------------------------------------------------------------------------------- plot

def test_plot_from_frame_name(ns):
    import plotly.graph_objects as go

    reply = DataFrameTools(ns).plot("sales", "bar", x="region", y="revenue", color="month", title="Revenue")
    fig = ns["agno_figure_1"]
    assert isinstance(fig, go.Figure)
    assert {trace.type for trace in fig.data} == {"bar"}
    assert len(fig.data) == len(MONTHS)  # one trace per color
    assert sum(len(trace.x) for trace in fig.data) == 24
    assert fig.layout.title.text == "Revenue"
    assert "bar chart of sales (x=region, y=revenue, color=month) from 24 points" in reply
    assert "`agno_figure_1`" in reply and "displayed" not in reply  # not running in IPython


def test_plot_from_sql_and_kinds(ns):
    toolkit = DataFrameTools(ns)
    reply = toolkit.plot("SELECT month, sum(revenue) AS revenue FROM sales GROUP BY month ORDER BY month",
                         "line", x="month", y="revenue", result_name="trend")
    assert ns["trend"].data[0].type == "scatter" and ns["trend"].data[0].mode == "lines"
    assert list(ns["trend"].data[0].x) == MONTHS and "from 6 points" in reply and "`trend`" in reply
    toolkit.plot("sales", "histogram", x="revenue", result_name="hist")
    assert ns["hist"].data[0].type == "histogram"
    toolkit.plot("sales", "box", x="region", y="units", result_name="boxes")
    assert ns["boxes"].data[0].type == "box"
    toolkit.plot("sales", "scatter", x="units", y="revenue", result_name="dots")
    assert ns["dots"].data[0].mode == "markers" and len(ns["dots"].data[0].x) == 24


def test_plot_errors(ns):
    toolkit = DataFrameTools(ns)
    with pytest.raises(DataFrameToolError, match=r"no column 'profit'"):
        toolkit.plot("sales", "bar", x="region", y="profit")
    with pytest.raises(DataFrameToolError, match="needs y"):
        toolkit.plot("sales", "scatter", x="region")
    with pytest.raises(DataFrameToolError, match="Known DataFrames"):
        toolkit.plot("salez", "bar", x="region", y="revenue")
    with pytest.raises(DataFrameToolError, match="read-only"):
        toolkit.plot("DELETE FROM sales", "bar", x="region", y="revenue")
    assert not any(k.startswith("agno_figure") for k in ns)


def test_plot_displays_inline_in_ipython(ns, monkeypatch):
    import IPython.display

    shown = []
    monkeypatch.setattr(dft, "_ipython", lambda: object())
    monkeypatch.setattr(IPython.display, "display", lambda obj: shown.append(obj))
    reply = DataFrameTools(ns).plot("sales", "bar", x="region", y="revenue")
    assert shown == [ns["agno_figure_1"]] and "displayed in the notebook" in reply


# ------------------------------------------------------------------------------------- agent runs

def test_agent_query_run_sees_preview_and_binds_result(ns):
    toolkit = DataFrameTools(ns, max_rows=3)
    agent = agent_for(toolkit,
                      tool_call("query", sql="SELECT * FROM sales WHERE region = 'East' ORDER BY month"),
                      text("East grew every month."))
    out = agent.run("How is East doing?")
    assert out.status == "completed" and out.content == "East grew every month."
    [seen] = tool_messages(out)
    assert "`agno_result_1` (6 rows x 4 columns)" in seen
    assert "showing the first 3 of 6 rows" in seen and "full result is in the notebook variable" in seen
    assert ns["agno_result_1"]["month"].tolist() == MONTHS
    assert "DataFrame tools" in out.messages[0]["content"]  # the toolkit's instructions reach the prompt


@pytest.mark.parametrize("sql", ["DROP TABLE sales", "INSERT INTO sales SELECT * FROM sales",
                                 "COPY sales TO 'leak.csv'", "ATTACH 'other.duckdb'",
                                 "SELECT 1; DELETE FROM sales"])
def test_agent_read_only_refusal_reaches_the_model(ns, tmp_path, monkeypatch, sql):
    monkeypatch.chdir(tmp_path)
    agent = agent_for(DataFrameTools(ns), tool_call("query", sql=sql), text("Sorry."))
    out = agent.run("Clean up sales")
    assert out.status == "completed"
    [seen] = tool_messages(out)
    assert seen.startswith("Error: DataFrameToolError:")
    assert ("read-only" in seen) or ("exactly one statement" in seen)
    assert len(ns["sales"]) == 24 and list(tmp_path.iterdir()) == []


def test_agent_unknown_frame_error_lists_known_names(ns):
    agent = agent_for(DataFrameTools(ns), tool_call("describe_dataframe", name="revenue"), text("ok"))
    [seen] = tool_messages(agent.run("describe revenue"))
    assert seen == ("Error: DataFrameToolError: There is no DataFrame named 'revenue'. "
                    "Known DataFrames: sales, targets.")


def test_agent_execute_sql_pauses_then_runs_after_confirm(ns):
    toolkit = DataFrameTools(ns)
    agent = agent_for(toolkit,
                      tool_call("execute_sql", sql="UPDATE sales SET units = 0 WHERE region = 'West'",
                                result_name="no_west_units"),
                      text("Done."))
    out = agent.run("Zero West's units")
    assert out.status == "paused"
    assert "no_west_units" not in ns  # nothing ran yet
    [req] = out.requirements
    assert req.tool_name == "execute_sql" and req.arguments["result_name"] == "no_west_units"
    req.confirm()
    done = agent.continue_run(out)
    assert done.status == "completed" and done.content == "Done."
    result = ns["no_west_units"]
    assert result.loc[result.region == "West", "units"].tolist() == [0] * 6
    assert (ns["sales"].loc[ns["sales"].region == "West", "units"] > 0).all()  # original untouched
    assert any("`no_west_units` (24 rows x 4 columns)" in m for m in tool_messages(done))


def test_agent_execute_sql_rejected_binds_nothing(ns):
    agent = agent_for(DataFrameTools(ns),
                      tool_call("execute_sql", sql="DELETE FROM sales", result_name="empty"),
                      text("Understood."))
    out = agent.run("Delete everything")
    out.requirements[0].reject("no deletes today")
    done = agent.continue_run(out)
    assert done.status == "completed" and "empty" not in ns and len(ns["sales"]) == 24


def test_agent_plot_run(ns):
    import plotly.graph_objects as go

    agent = agent_for(DataFrameTools(ns),
                      tool_call("plot", kind="bar", x="region", y="units", result_name="units_by_region",
                                sql_or_name="SELECT region, sum(units) AS units FROM sales GROUP BY region"),
                      text("Here is the chart."))
    out = agent.run("Chart units by region")
    [seen] = tool_messages(out)
    fig = ns["units_by_region"]
    assert isinstance(fig, go.Figure) and fig.data[0].type == "bar"
    assert sorted(fig.data[0].x) == sorted(REGIONS)
    assert seen.startswith("Created a bar chart of the query result (x=region, y=units) from 4 points")
    assert "`units_by_region`" in seen
