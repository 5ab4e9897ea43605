"""The ``agno-nb`` command.

    agno-nb run notebooks/quickstart.ipynb     # execute a notebook, print each cell's output
    agno-nb serve myapp:app --port 7777        # serve agents over HTTP (see agno_nb.serve.cli)
    agno-nb export analysis.ipynb --out app/   # the notebook as a deployable app folder
    agno-nb serve analysis.ipynb               # a notebook served directly (exported to a temporary folder)
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


def _serve_notebook(args: argparse.Namespace) -> int | None:
    """``agno-nb serve NOTEBOOK.ipynb``: export to a temporary folder and serve its ``app`` from there (the
    folder is the working directory, so workers and the reloader import it by name too)."""
    import os

    from .errors import AgnoNBError
    from .export.temporary import export_to_temporary

    try:
        folder = export_to_temporary(str(Path(args.target).resolve()))
    except AgnoNBError as exc:
        print(f"agno-nb serve: {exc}", file=sys.stderr)
        return 2
    os.chdir(folder)
    args.target = "app:app"
    return None


def export_command(args: argparse.Namespace) -> int:
    """``agno-nb export``: write the app folder, list what was written and what to look at."""
    from .export import ExportError, export_notebook

    try:
        result = export_notebook(args.notebook, args.out, force=args.force, include_data=args.include_data)
    except ExportError as exc:
        print(f"agno-nb export: {exc}", file=sys.stderr)
        return 2
    print(f"exported {args.notebook} to {result.out}/")
    for name in result.files:
        print(f"  {name}")
    served = ", ".join(f"{kind} {name}" for kind, name in result.components)
    print(f"serves: {served}")
    for warning in result.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    print(f"run it: cd {result.out} && agno-nb serve app:app")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="agno-nb", description="agno_nb: Jupyter-native agents.")
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="execute a notebook and print its outputs")
    run.add_argument("notebook", type=Path)
    run.add_argument("--timeout", type=int, default=600, help="seconds per cell (default 600)")
    run.add_argument("--save", type=Path, help="also write the executed notebook here")
    mcp = commands.add_parser("mcp", help="serve a module's agents, teams and workflows as MCP tools over stdio")
    mcp.add_argument("target", help="a .py file, an importable module, or a notebook (.ipynb)")
    mcp.add_argument("--name", help="the server name clients see (default: the module's name)")
    export = commands.add_parser("export", help="export a notebook as a served app (app.py, requirements, "
                                 "Dockerfile, compose, Kubernetes)")
    export.add_argument("notebook", type=Path)
    export.add_argument("--out", type=Path, help="the folder to write (default: <notebook>_app next to it)")
    export.add_argument("--force", action="store_true",
                        help="replace the files a previous export wrote there (other files are left alone)")
    export.add_argument("--include-data", action="store_true",
                        help="copy the files the knowledge reads into data/ (default: refer to them)")
    from .serve.cli import add_keys_parser, add_serve_parser

    add_serve_parser(commands)
    add_keys_parser(commands)
    args = parser.parse_args(argv)
    if args.command == "serve" and args.target.endswith(".ipynb"):
        status = _serve_notebook(args)
        if status is not None:
            return status
    if args.command in ("serve", "keys"):
        from .serve.cli import keys_command, serve_command

        return serve_command(args) if args.command == "serve" else keys_command(args)
    if args.command == "export":
        return export_command(args)
    if args.command == "mcp":
        from .mcp_server.cli import serve_stdio

        target = args.target
        if target.endswith(".ipynb"):
            from .errors import AgnoNBError
            from .export.temporary import export_to_temporary

            try:
                target = str(export_to_temporary(target) / "app.py")
            except AgnoNBError as exc:
                print(f"agno-nb mcp: {exc}", file=sys.stderr)
                return 2
        return serve_stdio(target, name=args.name or Path(args.target).stem)
    if args.command == "run":
        if not args.notebook.exists():
            parser.error(f"no such notebook: {args.notebook}")
        return run_notebook(args.notebook, timeout=args.timeout, save=args.save)
    return 2


if __name__ == "__main__":
    sys.exit(main())
