"""The ``agno-nb`` command.

    agno-nb run notebooks/quickstart.ipynb     # execute a notebook, print each cell's output
    agno-nb serve myapp:app --port 7777        # serve agents over HTTP (see agno_nb.serve.cli)
    agno-nb keys create --user ana --scope agents:*:run
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

__all__ = ["main"]


def run_notebook(path: Path, *, timeout: int, save: Path | None) -> int:
    """Execute a notebook top to bottom in a fresh kernel and print what each cell shows."""
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(notebook, timeout=timeout, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent.resolve())}})
    failed = None
    try:
        client.execute()
    except CellExecutionError as exc:
        failed = exc
    for index, cell in enumerate(notebook.cells, 1):
        if cell.cell_type != "code":
            continue
        print(f"\n── cell {index} " + "─" * 60)
        print(cell.source)
        for output in cell.get("outputs", []):
            _print_output(output)
    if save is not None:
        nbformat.write(notebook, save)
        print(f"\nexecuted notebook saved to {save}")
    if failed is not None:
        print(f"\nFAILED: {path} stopped at an error:\n{failed}", file=sys.stderr)
        return 1
    print(f"\nOK: {path} ran top to bottom.")
    return 0


def _print_output(output: dict) -> None:
    kind = output.get("output_type")
    if kind == "stream":
        print(output.get("text", ""), end="")
    elif kind in ("execute_result", "display_data"):
        print(output.get("data", {}).get("text/plain", ""))
    elif kind == "error":
        print(f"{output.get('ename')}: {output.get('evalue')}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="agno-nb", description="agno_nb: Jupyter-native agents.")
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="execute a notebook and print its outputs")
    run.add_argument("notebook", type=Path)
    run.add_argument("--timeout", type=int, default=600, help="seconds per cell (default 600)")
    run.add_argument("--save", type=Path, help="also write the executed notebook here")
    mcp = commands.add_parser("mcp", help="serve a module's agents, teams and workflows as MCP tools over stdio")
    mcp.add_argument("target", help="a .py file or importable module (notebooks: after agno-nb export)")
    mcp.add_argument("--name", help="the server name clients see (default: the module's name)")
    from .serve.cli import add_keys_parser, add_serve_parser

    add_serve_parser(commands)
    add_keys_parser(commands)
    args = parser.parse_args(argv)
    if args.command in ("serve", "keys"):
        from .serve.cli import keys_command, serve_command

        return serve_command(args) if args.command == "serve" else keys_command(args)
    if args.command == "mcp":
        from .mcp_server.cli import serve_stdio

        return serve_stdio(args.target, name=args.name)
    if args.command == "run":
        if not args.notebook.exists():
            parser.error(f"no such notebook: {args.notebook}")
        return run_notebook(args.notebook, timeout=args.timeout, save=args.save)
    return 2


if __name__ == "__main__":
    sys.exit(main())
