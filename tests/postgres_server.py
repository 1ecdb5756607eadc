"""A throwaway PostgreSQL server for the test session, or the one TEST_DATABASE_URL names.

The server is started from the installed binaries (`initdb`, `pg_ctl`) in a temporary
folder, listening on the loopback only. PostgreSQL refuses to run as root, so under root
it runs as the unprivileged user `nobody`. Every test gets a database of its own.
"""

from __future__ import annotations

import glob
import itertools
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path
from typing import Final
from urllib.parse import urlsplit, urlunsplit

import asyncpg

UNPRIVILEGED_USER: Final = "nobody"


class ServerUnavailable(Exception):
    """Raised when no PostgreSQL server can be had; the message says why."""


def find_binaries() -> Path | None:
    """Return the folder holding initdb and pg_ctl, if PostgreSQL is installed."""
    found = shutil.which("initdb")
    if found and shutil.which("pg_ctl"):
        return Path(found).parent
    for folder in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if (Path(folder) / "initdb").exists() and (Path(folder) / "pg_ctl").exists():
            return Path(folder)
    return None


def _server_user() -> str | None:
    """Return the user to run the server as: an unprivileged one under root, else ourselves."""
    return UNPRIVILEGED_USER if os.geteuid() == 0 else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class PostgresServer:
    """A server to create test databases on: started here, or given by URL."""

    def __init__(self, admin_url: str, folder: Path | None, binaries: Path | None) -> None:
        self.admin_url = admin_url
        self._folder = folder
        self._binaries = binaries
        self._names = itertools.count(1)
        self._options = ""

    @classmethod
    def from_environment(cls) -> PostgresServer:
        """Use TEST_DATABASE_URL, or start a server from the installed binaries."""
        given = os.environ.get("TEST_DATABASE_URL", "").strip()
        if given:
            return cls(given, None, None)
        binaries = find_binaries()
        if binaries is None:
            raise ServerUnavailable(
                "no PostgreSQL server: set TEST_DATABASE_URL or install the server "
                "(initdb and pg_ctl, Debian's package postgresql)"
            )
        return cls.start(binaries)

    @classmethod
    def start(cls, binaries: Path) -> PostgresServer:
        """Create a cluster in a temporary folder and start it on a free loopback port."""
        folder = Path(tempfile.mkdtemp(prefix="bot-test-postgres-"))
        user = _server_user()
        if user is not None:
            shutil.chown(folder, user)
        data = folder / "data"
        port = _free_port()
        try:
            subprocess.run(
                [binaries / "initdb", "-D", data, "-U", "postgres", "--auth=trust",
                 "--encoding=UTF8", "--locale=C.UTF-8", "--no-sync"],
                check=True, capture_output=True, cwd=folder, user=user,
            )  # fmt: skip
            options = (
                f"-c listen_addresses=127.0.0.1 -p {port} -c unix_socket_directories={folder} "
                "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
                "-c max_connections=200"
            )
            subprocess.run(
                [binaries / "pg_ctl", "start", "-w", "-t", "60", "-D", data,
                 "-l", folder / "server.log", "-o", options],
                check=True, capture_output=True, cwd=folder, user=user,
            )  # fmt: skip
        except subprocess.CalledProcessError as exc:
            log = folder / "server.log"
            detail = log.read_text() if log.exists() else exc.stderr.decode(errors="replace")
            shutil.rmtree(folder, ignore_errors=True)
            raise ServerUnavailable(f"the PostgreSQL server did not start: {detail}") from exc
        server = cls(f"postgresql://postgres@127.0.0.1:{port}/postgres", folder, binaries)
        server._options = options
        return server

    def halt(self) -> None:
        """Shut a server started here down (its data stays), as an operator's restart does."""
        assert self._folder is not None and self._binaries is not None
        subprocess.run(
            [self._binaries / "pg_ctl", "stop", "-w", "-m", "fast", "-D", self._folder / "data"],
            check=True, capture_output=True, cwd=self._folder, user=_server_user(),
        )  # fmt: skip

    def resume(self) -> None:
        """Start a halted server again on the same port."""
        assert self._folder is not None and self._binaries is not None
        subprocess.run(
            [self._binaries / "pg_ctl", "start", "-w", "-t", "60", "-D", self._folder / "data",
             "-l", self._folder / "server.log", "-o", self._options],
            check=True, capture_output=True, cwd=self._folder, user=_server_user(),
        )  # fmt: skip

    async def create_database(self) -> str:
        """Create an empty database and return its URL."""
        name = f"bot_test_{os.getpid()}_{next(self._names)}"
        conn = await asyncpg.connect(self.admin_url)
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            await conn.execute(f'CREATE DATABASE "{name}" TEMPLATE template0')
        finally:
            await conn.close()
        parts = urlsplit(self.admin_url)
        return urlunsplit(parts._replace(path=f"/{name}"))

    async def drop_database(self, url: str) -> None:
        """Drop a database made by `create_database`, closing what still uses it."""
        name = urlsplit(url).path.lstrip("/")
        conn = await asyncpg.connect(self.admin_url)
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()

    def stop(self) -> None:
        """Stop a server started here and delete its folder."""
        if self._folder is None or self._binaries is None:
            return
        subprocess.run(
            [self._binaries / "pg_ctl", "stop", "-m", "immediate", "-D", self._folder / "data"],
            check=False, capture_output=True, cwd=self._folder, user=_server_user(),
        )  # fmt: skip
        shutil.rmtree(self._folder, ignore_errors=True)
