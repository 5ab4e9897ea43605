"""Start a real, throwaway PostgreSQL server on 127.0.0.1 for the store tests.

Uses Debian's postgresql binaries (``scripts/test.sh`` installs the package when missing). initdb
refuses to run as root, so as root the server runs as the ``postgres`` system user. The server is
ours: started here, stopped by its PID file at the end, its data directory deleted.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time


class PostgresUnavailable(RuntimeError):
    """Why a server could not be started (the tests skip with this reason, loudly)."""


def _bindir() -> str:
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)
    for folder in candidates:
        if os.path.exists(os.path.join(folder, "initdb")):
            return folder
    found = shutil.which("initdb")
    if found:
        return os.path.dirname(os.path.realpath(found))
    raise PostgresUnavailable("no initdb found: install Debian's postgresql package (scripts/test.sh does)")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PostgresServer:
    def __init__(self) -> None:
        self.bindir = _bindir()
        self.root = tempfile.mkdtemp(prefix="agno_nb_pg_")
        self.data = os.path.join(self.root, "data")
        self.port = _free_port()
        self.as_postgres = os.geteuid() == 0
        self.dsn = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
        command = list(args)
        if self.as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        return subprocess.run(command, capture_output=True, text=True, timeout=timeout)

    def start(self) -> "PostgresServer":
        if self.as_postgres:
            shutil.chown(self.root, "postgres")
        result = self._run(os.path.join(self.bindir, "initdb"), "-D", self.data, "-U", "postgres",
                           "--auth=trust", "-E", "UTF8", "--no-sync")
        if result.returncode != 0:
            raise PostgresUnavailable(f"initdb failed: {result.stderr.strip()[-400:]}")
        options = (f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off "
                   f"-c synchronous_commit=off -c full_page_writes=off")
        result = self._run(os.path.join(self.bindir, "pg_ctl"), "-D", self.data, "-o", options, "-w",
                           "-l", os.path.join(self.root, "log"), "start")
        if result.returncode != 0:
            raise PostgresUnavailable(f"pg_ctl start failed: {result.stderr.strip()[-400:]} "
                                      f"{self.log()[-400:]}")
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return self
            except OSError:
                time.sleep(0.1)
        raise PostgresUnavailable(f"PostgreSQL did not accept connections: {self.log()[-400:]}")

    def restart(self) -> None:
        """Restart the server (fast mode: every open connection is terminated), same port and data."""
        options = (f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off "
                   f"-c synchronous_commit=off -c full_page_writes=off")
        result = self._run(os.path.join(self.bindir, "pg_ctl"), "-D", self.data, "-o", options, "-m", "fast",
                           "-w", "-l", os.path.join(self.root, "log"), "restart")
        if result.returncode != 0:
            raise PostgresUnavailable(f"pg_ctl restart failed: {result.stderr.strip()[-400:]}")

    def halt(self) -> None:
        """Stop the server but keep its data (``resume()`` starts it again on the same port)."""
        result = self._run(os.path.join(self.bindir, "pg_ctl"), "-D", self.data, "-m", "fast", "-w", "stop")
        if result.returncode != 0:
            raise PostgresUnavailable(f"pg_ctl stop failed: {result.stderr.strip()[-400:]}")

    def resume(self) -> None:
        options = (f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off "
                   f"-c synchronous_commit=off -c full_page_writes=off")
        result = self._run(os.path.join(self.bindir, "pg_ctl"), "-D", self.data, "-o", options, "-w",
                           "-l", os.path.join(self.root, "log"), "start")
        if result.returncode != 0:
            raise PostgresUnavailable(f"pg_ctl start failed: {result.stderr.strip()[-400:]}")

    def log(self) -> str:
        try:
            with open(os.path.join(self.root, "log")) as handle:
                return handle.read()
        except OSError:
            return ""

    def stop(self) -> None:
        self._run(os.path.join(self.bindir, "pg_ctl"), "-D", self.data, "-m", "fast", "-w", "stop")
        shutil.rmtree(self.root, ignore_errors=True)

    def create_database(self, name: str) -> str:
        import psycopg

        with psycopg.connect(self.dsn, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}"')
        return f"postgresql://postgres@127.0.0.1:{self.port}/{name}"
