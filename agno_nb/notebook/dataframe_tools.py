"""``DataFrameTools``: the notebook's pandas DataFrames, as tools an agent can call.

An analyst's data already lives in the kernel as DataFrames. This toolkit lets a model see them
(``list_dataframes``, ``describe_dataframe``), query them with DuckDB SQL (``query``, read-only), change
copies of them (``execute_sql``, which pauses the run for a person's confirmation) and chart them
(``plot``, plotly). Every result lands back in the notebook as a variable, so the analyst can pick up
exactly where the agent left off: the model gets a short preview and the variable's name.

Read-only is enforced twice: ``query`` accepts only a single SELECT-type statement (checked on DuckDB's
own parse, not with a regex), and every statement runs on a fresh in-memory DuckDB connection where the
frames are registered as read-only views over the pandas objects, file and network access is switched
off (and the configuration locked), and Python replacement scans are disabled, so SQL can reach exactly
the frames the toolkit exposes and nothing else. ``execute_sql`` runs on copies of the frames it names,
so the user's DataFrames are never modified in place; only the ``result_name`` variable is (re)bound.

Problems (an unknown frame or column, SQL that is refused or fails) raise ``DataFrameToolError``;
called directly it is an ordinary exception, and in a run agno_nb turns it into the tool message the
model sees (``Error: DataFrameToolError: ...``), so the model can correct itself.
"""

from __future__ import annotations

import keyword
import re
import sys
import threading
from typing import TYPE_CHECKING, Any, Literal

from ..tools.toolkit import Toolkit

if TYPE_CHECKING:
    import duckdb
    import pandas as pd

__all__ = ["DataFrameToolError", "DataFrameTools"]

#: statements ``query`` accepts: DuckDB parses SELECT, WITH, VALUES, FROM-first, TABLE, DESCRIBE, SHOW and
#: SUMMARIZE (and PIVOT with an explicit IN list) all as SELECT statements
_READ_ONLY_TYPES = frozenset({"SELECT"})
#: statements ``execute_sql`` accepts: tables in, tables out (no files, no other databases, no settings)
_WRITE_TYPES = frozenset({"SELECT", "CREATE", "INSERT", "UPDATE", "DELETE", "ALTER", "DROP"})
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_CHANGED_TABLE = re.compile(
    r"^\s*(?:UPDATE|DELETE\s+FROM|TRUNCATE(?:\s+TABLE)?|INSERT\s+(?:OR\s+\w+\s+)?INTO|ALTER\s+TABLE)\s+"
    r"(?:IF\s+EXISTS\s+)?(?:\w+\.)*\"?([^\s\"(;,]+)\"?", re.IGNORECASE)
_CONFIG = {"enable_external_access": False, "python_enable_replacements": False,
           "autoinstall_known_extensions": False, "autoload_known_extensions": False,
           "lock_configuration": True}
_INSTRUCTIONS = (
    "The notebook's pandas DataFrames are available through the DataFrame tools. Call list_dataframes "
    "first to see their names and columns. In SQL (DuckDB dialect) each DataFrame is a table named like its "
    "variable. Every query result and figure is saved as a notebook variable; you see a preview and the "
    "variable's name, and you can query earlier results by that name.")


class DataFrameToolError(ValueError):
    """A DataFrame tool could not do what was asked; the message says why and what would work."""


class DataFrameTools(Toolkit):
    """The notebook's pandas DataFrames as agent tools: list, describe, SQL query, change copies, plot.

    Args:
        namespace: where DataFrames are found and results are bound (a module's or a notebook's
            variables). Defaults to the IPython user namespace when running in IPython.
        frames: expose exactly these DataFrames (by the name the model uses) instead of every DataFrame
            in ``namespace``; results are still bound into ``namespace`` (or a private dict outside IPython).
        max_rows: rows of a result shown to the model (the full result is always in the namespace).
        max_chars: characters of any tool result shown to the model.
        allow_writes: include ``execute_sql`` (which always asks a person to confirm each call).
        timeout: seconds one SQL statement may run before it is stopped (the model is told).
        max_result_rows: the most rows a query result may have; a larger result is refused (the model is
            told to aggregate or add a LIMIT), so one careless query cannot fill the kernel's memory.
    """

    def __init__(self, namespace: dict | None = None, *, frames: dict[str, pd.DataFrame] | None = None,
                 max_rows: int = 20, max_chars: int = 4000, allow_writes: bool = True, timeout: float = 30.0,
                 max_result_rows: int = 1_000_000):
        if max_rows < 1 or max_chars < 200:
            raise ValueError(f"DataFrameTools: max_rows must be >= 1 and max_chars >= 200 "
                             f"(got max_rows={max_rows}, max_chars={max_chars}).")
        if frames is not None:
            bad = [n for n in frames if not isinstance(n, str) or not n]
            if bad:
                raise ValueError(f"DataFrameTools: frames must be keyed by non-empty names, got {bad!r}.")
        #: expose every DataFrame of the namespace (otherwise only ``frames`` and our own results)
        self._scan = frames is None
        if namespace is None:
            shell = _ipython()
            if shell is not None:
                namespace = shell.user_ns
            elif frames is not None:
                namespace = {}
            else:
                raise ValueError(
                    "DataFrameTools needs DataFrames: outside IPython pass a namespace "
                    "(DataFrameTools(globals())) or frames (DataFrameTools(frames={'sales': sales_df})).")
        self.namespace: dict = namespace
        self.frames: dict[str, Any] = dict(frames or {})
        self.max_rows = max_rows
        self.max_chars = max_chars
        self.allow_writes = allow_writes
        if timeout <= 0 or max_result_rows < 1:
            raise ValueError(f"DataFrameTools: timeout must be > 0 and max_result_rows >= 1 "
                             f"(got timeout={timeout}, max_result_rows={max_result_rows}).")
        self.timeout = timeout
        self.max_result_rows = max_result_rows
        #: names this toolkit bound; ``query`` and ``plot`` may only overwrite these
        self._own: set[str] = set()
        self._lock = threading.Lock()
        tools: list[Any] = [self.list_dataframes, self.describe_dataframe, self.query]
        if allow_writes:
            tools.append(self.execute_sql)
        tools.append(self.plot)
        super().__init__("dataframe_tools", tools, instructions=_INSTRUCTIONS,
                         requires_confirmation_tools=["execute_sql"] if allow_writes else ())

    # ----------------------------------------------------------------------------------- tools

    def list_dataframes(self) -> str:
        """List the DataFrames available to query, with their shape and column types.

        Returns:
            One line per DataFrame: its name (also its table name in SQL), rows x columns, and each
            column with its dtype.
        """
        frames = self._frames()
        if not frames:
            return "There are no DataFrames in the notebook yet."
        plural = "s" if len(frames) != 1 else ""
        lines = [f"{len(frames)} DataFrame{plural} (use the names as SQL table names):"]
        for name, df in frames.items():
            columns = ", ".join(f"{c} ({t})" for c, t in df.dtypes.astype(str).items())
            lines.append(f"- {name}: {df.shape[0]} rows x {df.shape[1]} columns: {columns}")
        return self._clip("\n".join(lines), "Call describe_dataframe(name) for one DataFrame's full list.")

    def describe_dataframe(self, name: str, columns: list[str] | None = None) -> str:
        """Describe one DataFrame: column dtypes, null counts and summary statistics.

        Args:
            name: the DataFrame's name, as listed by list_dataframes.
            columns: only these columns (default: all of them).

        Returns:
            The shape, a table of dtype / non-null / null count per column, and pandas describe() statistics.
        """
        df = self._frame(name)
        if columns:
            _check_columns(df, columns, name)
            df = df[list(columns)]
        import pandas as pd

        info = pd.DataFrame({"dtype": df.dtypes.astype(str), "non_null": df.notna().sum(),
                             "nulls": df.isna().sum()})
        parts = [f"{name}: {df.shape[0]} rows x {df.shape[1]} columns", info.to_string()]
        if df.shape[1]:
            try:
                stats = df.describe(include="all").T
            except ValueError:  # e.g. no rows
                stats = None
            if stats is not None and not stats.empty:
                parts += ["Statistics (describe(), one row per column):", stats.to_string(float_format=_fmt)]
        return self._clip("\n\n".join(parts), "Pass columns=[...] to describe fewer columns.")

    def query(self, sql: str, result_name: str | None = None) -> str:
        """Run a read-only DuckDB SQL query over the notebook's DataFrames and save the result.

        Each DataFrame is a table named like its variable. Only one SELECT statement is allowed
        (WITH, VALUES, DESCRIBE, SHOW and SUMMARIZE count as SELECT); use execute_sql to create or
        change data. The full result is saved as a notebook variable; you get a preview.

        Args:
            sql: a single read-only DuckDB SQL statement, e.g.
                SELECT region, sum(revenue) FROM sales GROUP BY region.
            result_name: the notebook variable to save the result in (a new Python identifier);
                default agno_result_N.

        Returns:
            The variable name, the result's shape and a preview of its first rows.
        """
        name = self._target(result_name, overwrite_frames=False)
        result = self._read(sql)
        name = self._bind(name, "agno_result", result)
        return self._report(name, result)

    def execute_sql(self, sql: str, result_name: str) -> str:
        """Run DuckDB SQL that creates or changes data, on copies of the DataFrames, and save a result.

        The statements (e.g. CREATE TABLE top AS SELECT ..., UPDATE sales SET ..., INSERT, DELETE,
        ALTER) run on copies, so the notebook's DataFrames are not modified; a person confirms each call.
        The table saved as result_name is: the table named result_name if the SQL created or changed it,
        else the result of a final SELECT, else the table the last statement created or changed.

        Args:
            sql: one or more DuckDB SQL statements separated by semicolons.
            result_name: the notebook variable to bind the resulting DataFrame to (may replace a DataFrame).

        Returns:
            The variable name, the result's shape and a preview of its first rows.
        """
        if not result_name:
            raise DataFrameToolError(
                "execute_sql needs result_name: the notebook variable for the resulting table.")
        name: str = self._target(result_name, overwrite_frames=True)  # type: ignore[assignment]
        frames = self._frames()
        con = _connect()
        try:
            statements = _parse(con, sql, frames)
            refused = [_type(s) for s in statements if _type(s) not in _WRITE_TYPES]
            if refused:
                raise DataFrameToolError(
                    f"execute_sql runs statements on tables only ({', '.join(sorted(_WRITE_TYPES))}); "
                    f"refused: {', '.join(dict.fromkeys(refused))}. Files, other databases, extensions and "
                    f"settings are not available.")
            # copy only the frames the SQL names (copying is the cost of a write; views would be read-only)
            wanted = {n: df for n, df in frames.items()
                      if re.search(rf"\b{re.escape(n)}\b", sql, re.IGNORECASE)}
            for i, (table, df) in enumerate(wanted.items()):
                source = f"__agno_source_{i}"
                con.register(source, df)
                con.execute(f"CREATE TABLE {_quote(table)} AS SELECT * FROM {source}")
                con.unregister(source)
            before = _tables(con)
            changed: list[str] = []
            final = None
            for statement in statements:
                kind = _type(statement)
                if kind == "SELECT":
                    final = self._bounded(con, statement.query, frames)
                else:
                    final = None
                    self._bounded(con, statement.query, frames)
                if kind in ("CREATE", "INSERT", "UPDATE", "DELETE", "ALTER"):
                    after = _tables(con)
                    target = _changed_table(statement.query, before, after)
                    before = after
                    if target is not None:
                        changed = [t for t in changed if t != target] + [target]
            tables = _tables(con)
            changed = [t for t in changed if t in tables]
            by_lower = {t.lower(): t for t in changed}
            if name.lower() in by_lower:
                source, result = f"table {by_lower[name.lower()]}", _fetch(con, by_lower[name.lower()])
            elif final is not None:
                source, result = "the final SELECT", final
            elif changed:
                source, result = f"table {changed[-1]}", _fetch(con, changed[-1])
            else:
                raise DataFrameToolError(
                    f"The SQL ran but produced no table to save as {name!r}: create or change a table "
                    f"(e.g. CREATE TABLE {name} AS SELECT ...) or end with a SELECT.")
        finally:
            con.close()
        name = self._bind(name, "agno_result", result)
        return self._report(name, result, source=source)

    def plot(self, sql_or_name: str, kind: Literal["bar", "line", "scatter", "histogram", "box"], x: str,
             y: str | None = None, color: str | None = None, title: str | None = None,
             result_name: str | None = None) -> str:
        """Chart a DataFrame or the result of a read-only SQL query with plotly, shown in the notebook.

        Args:
            sql_or_name: a DataFrame's name, or a read-only DuckDB SELECT whose result is plotted.
            kind: the chart type.
            x: the column on the x axis.
            y: the column on the y axis (required for bar, line and scatter).
            color: a column whose values get separate colors.
            title: the chart title.
            result_name: the notebook variable to save the figure in (a new Python identifier);
                default agno_figure_N.

        Returns:
            What was drawn (kind, axes, number of points) and the figure's variable name.
        """
        if kind not in _PLOTS:
            raise DataFrameToolError(f"Unknown plot kind {kind!r}; use one of {', '.join(_PLOTS)}.")
        if y is None and kind in ("bar", "line", "scatter"):
            raise DataFrameToolError(f"A {kind} chart needs y (the column for the y axis).")
        name = self._target(result_name, overwrite_frames=False)
        source = sql_or_name.strip()
        if _IDENTIFIER.match(source):
            data, label = self._frame(source), source
        else:
            data, label = self._read(source), "the query result"
        _check_columns(data, [c for c in (x, y, color) if c is not None], label)
        import plotly.express as px

        options: dict[str, Any] = {"x": x, "title": title}
        if y is not None:
            options["y"] = y
        if color is not None:
            options["color"] = color
        fig = getattr(px, kind)(data, **options)
        name = self._bind(name, "agno_figure", fig)
        shown = _display(fig)
        axes = f"x={x}" + (f", y={y}" if y else "") + (f", color={color}" if color else "")
        return (f"Created a {kind} chart of {label} ({axes}) from {len(data)} points"
                f"{f', titled {title!r}' if title else ''}. The plotly figure is in the notebook variable "
                f"`{name}`{'; it is displayed in the notebook' if shown else ''}.")

    # --------------------------------------------------------------------------------- helpers

    def _frames(self) -> dict[str, pd.DataFrame]:
        """The DataFrames the model may see, by name (read live, so new cells' frames appear)."""
        import pandas as pd

        found: dict[str, pd.DataFrame] = {}
        if self._scan:
            names: Any = list(self.namespace)
        else:
            names = [n for n in list(self._own) if n in self.namespace]
        for name in names:
            value = self.namespace.get(name)
            if isinstance(name, str) and not name.startswith("_") and isinstance(value, pd.DataFrame):
                found[name] = value
        found.update(self.frames)
        return found

    def _frame(self, name: str) -> pd.DataFrame:
        frames = self._frames()
        df = frames.get(name)
        if df is None:
            raise DataFrameToolError(f"There is no DataFrame named {name!r}. {_known(frames)}")
        return df

    def _read(self, sql: str) -> pd.DataFrame:
        """The result of one read-only statement over every exposed frame."""
        frames = self._frames()
        con = _connect()
        try:
            statements = _parse(con, sql, frames)
            if len(statements) != 1:
                raise DataFrameToolError(
                    f"query runs exactly one statement; got {len(statements)}. Send them one at a time.")
            kind = _type(statements[0])
            if kind not in _READ_ONLY_TYPES:
                hint = ""
                if kind == "MULTI":
                    hint = " List PIVOT values explicitly (PIVOT t ON col IN ('a', 'b') USING sum(x))."
                elif kind in _WRITE_TYPES:
                    hint = " Use execute_sql to create or change data."
                raise DataFrameToolError(
                    f"query is read-only: it runs a single SELECT (or WITH, VALUES, DESCRIBE, SHOW, "
                    f"SUMMARIZE) statement; this statement is {kind} and was not run.{hint}")
            for name, df in frames.items():
                con.register(name, df)
            return self._bounded(con, statements[0].query, frames)
        finally:
            con.close()

    def _bounded(self, con: duckdb.DuckDBPyConnection, query: str, frames: dict[str, Any]) -> pd.DataFrame:
        """Run ``query`` within ``timeout`` seconds and ``max_result_rows`` rows, or say which bound it hit."""
        import duckdb

        timer = threading.Timer(self.timeout, con.interrupt)
        timer.daemon = True
        timer.start()
        try:
            cursor = con.execute(query)
            chunks, rows = [], 0
            while True:
                chunk = cursor.fetch_df_chunk(16)
                if chunk.empty:
                    break
                chunks.append(chunk)
                rows += len(chunk)
                if rows > self.max_result_rows:
                    raise DataFrameToolError(
                        f"The result has more than {self.max_result_rows:,} rows and was not kept; aggregate "
                        f"(GROUP BY), filter (WHERE) or add a LIMIT.")
        except duckdb.InterruptException:
            raise DataFrameToolError(f"The query ran longer than {self.timeout:g} s and was stopped; filter or "
                                     f"aggregate earlier, or ask for less.") from None
        except DataFrameToolError:
            raise
        except Exception as exc:
            raise DataFrameToolError(_sql_error(exc, frames)) from None
        finally:
            timer.cancel()
        if not chunks:
            return _empty(cursor)
        return chunks[0] if len(chunks) == 1 else pd.concat(chunks, ignore_index=True)

    def _target(self, requested: str | None, *, overwrite_frames: bool) -> str | None:
        """Check a requested variable name before any work is done (None: an automatic name at bind time).

        Never a private name, and never a variable this toolkit did not create, except that
        ``execute_sql`` (confirmed by a person) may replace a DataFrame.
        """
        if requested is None or requested == "":
            return None
        if not _IDENTIFIER.match(requested) or keyword.iskeyword(requested) or requested.startswith("_"):
            raise DataFrameToolError(
                f"result_name {requested!r} must be a Python identifier that does not start with '_'.")
        import pandas as pd

        existing = self.namespace.get(requested, _MISSING)
        if existing is _MISSING or requested in self._own:
            return requested
        if overwrite_frames and isinstance(existing, pd.DataFrame):
            return requested
        what = "a DataFrame" if isinstance(existing, pd.DataFrame) else f"a {type(existing).__name__}"
        raise DataFrameToolError(
            f"The notebook variable {requested!r} already exists ({what}) and this tool will not replace it; "
            f"choose a new result_name or omit it.")

    def _bind(self, name: str | None, prefix: str, value: Any) -> str:
        """Bind ``value`` as ``name`` (or the first free ``<prefix>_N``) and return the name."""
        with self._lock:
            if name is None:
                n = 1
                while f"{prefix}_{n}" in self.namespace:
                    n += 1
                name = f"{prefix}_{n}"
            self.namespace[name] = value
            self._own.add(name)
        return name

    def _report(self, name: str, df: pd.DataFrame, *, source: str | None = None) -> str:
        rows, cols = df.shape
        head = f"Saved {'' if source is None else source + ' '}as the notebook variable `{name}` " \
               f"({rows} row{'s' if rows != 1 else ''} x {cols} column{'s' if cols != 1 else ''})."
        if rows == 0:
            return f"{head} The result is empty. Columns: {', '.join(map(str, df.columns))}."
        preview = df.head(self.max_rows).to_string(index=False, float_format=_fmt, max_colwidth=80)
        notes = []
        if rows > self.max_rows:
            notes.append(f"showing the first {self.max_rows} of {rows} rows")
        budget = self.max_chars - len(head) - 300
        if len(preview) > budget:
            cut = preview.rfind("\n", 0, max(budget, 0))
            preview = preview[:cut] if cut > 0 else preview[:max(budget, 0)]
            notes.append(f"the preview was cut to {self.max_chars} characters")
        text = f"{head}\n{preview}"
        if notes:
            text += (f"\n[The result was truncated ({'; '.join(notes)}). The full result is in the notebook "
                     f"variable `{name}`; query it by that name (e.g. SELECT ... FROM {name}).]")
        return text

    def _clip(self, text: str, hint: str) -> str:
        if len(text) <= self.max_chars:
            return text
        cut = text.rfind("\n", 0, self.max_chars - 200)
        kept = text[:cut if cut > 0 else self.max_chars - 200]
        return f"{kept}\n[Truncated to {self.max_chars} characters. {hint}]"


_MISSING = object()
_PLOTS = ("bar", "line", "scatter", "histogram", "box")


def _connect() -> duckdb.DuckDBPyConnection:
    """A throwaway in-memory connection that can reach registered frames and nothing else."""
    import duckdb

    return duckdb.connect(":memory:", config=dict(_CONFIG))


def _parse(con: duckdb.DuckDBPyConnection, sql: str, frames: dict[str, Any]) -> list[Any]:
    try:
        statements = con.extract_statements(sql)
    except Exception as exc:
        raise DataFrameToolError(_sql_error(exc, frames)) from None
    if not statements:
        raise DataFrameToolError(
            "The SQL is empty: send one statement, e.g. SELECT * FROM <dataframe> LIMIT 5.")
    return statements


def _type(statement: Any) -> str:
    return getattr(statement.type, "name", str(statement.type)).upper()


def _tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    rows = con.execute("SELECT table_name FROM duckdb_tables() ORDER BY table_name").fetchall()
    return [r[0] for r in rows]


def _changed_table(query: str, before: list[str], after: list[str]) -> str | None:
    """The table a CREATE / INSERT / UPDATE / DELETE / ALTER statement wrote (None if not a table)."""
    created = [t for t in after if t not in before]
    if created:
        return created[-1]
    match = _CHANGED_TABLE.match(query)
    if match is None:
        return None
    by_lower = {t.lower(): t for t in after}
    return by_lower.get(match.group(1).lower())


def _empty(cursor: Any) -> pd.DataFrame:
    """An empty result with the query's columns."""
    import pandas

    return pandas.DataFrame(columns=[column[0] for column in cursor.description or ()])


def _fetch(con: duckdb.DuckDBPyConnection, table: str) -> pd.DataFrame:
    return con.execute(f"SELECT * FROM {_quote(table)}").df()


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _known(frames: dict[str, Any]) -> str:
    if not frames:
        return "There are no DataFrames in the notebook."
    return f"Known DataFrames: {', '.join(frames)}."


def _check_columns(df: pd.DataFrame, columns: list[str], label: str) -> None:
    present = {str(c) for c in df.columns}
    unknown = [c for c in columns if c not in present]
    if unknown:
        raise DataFrameToolError(
            f"{label} has no column{'s' if len(unknown) > 1 else ''} {', '.join(map(repr, unknown))}. "
            f"Its columns: {', '.join(map(str, df.columns))}.")


def _sql_error(exc: BaseException, frames: dict[str, Any]) -> str:
    """DuckDB's message, kept to its first lines (the caret diagram is dropped) and to 600 characters."""
    lines = [line for line in str(exc).splitlines() if line.strip()]
    kept: list[str] = []
    for line in lines:
        if line.startswith("LINE ") or len("\n".join(kept + [line])) > 600:
            break
        kept.append(line)
    message = "\n".join(kept) or type(exc).__name__
    text = f"DuckDB could not run the SQL: {message}"
    if "Table with name" in message:
        text += f" {_known(frames)}"
    return text


def _fmt(value: float) -> str:
    return f"{value:.10g}"


def _ipython() -> Any:
    """The running IPython shell, or None (IPython is imported only if something imported it already)."""
    if "IPython" not in sys.modules:
        return None
    try:
        from IPython import get_ipython
    except Exception:
        return None
    return get_ipython()


def _display(fig: Any) -> bool:
    if _ipython() is None:
        return False
    from IPython.display import display

    display(fig)
    return True
