"""A pytest plugin that starts a real, throwaway PostgreSQL server for the store tests.

The session fixture `postgres_url` runs ``initdb`` into a temporary directory, starts the
server on a free local port (its socket directory inside that temporary directory too), creates
a database and yields its URL; the server is stopped and the directory removed at session end.
Run as root (CI containers), the server binaries run as the ``postgres`` user, as initdb refuses
root. Without the binaries (Debian: ``apt-get install postgresql``) the tests are skipped, unless
the ``CI`` environment variable is set: there a missing server is a failure, not a skip.

Load it from a conftest::

    pytest_plugins = ["tests.store.postgres_server"]
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import NoReturn

import pytest

_DATABASE = "lossboard_test"
_USER = "postgres"
# durability is worthless for a throwaway server; these make it start and write fast
_SERVER_OPTIONS = (
    "-c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off "
    "-c full_page_writes=off -c shared_buffers=32MB -c max_connections=30"
)


def _unavailable(reason: str) -> NoReturn:
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI is set, so this is a failure, not a skip)", pytrace=False)
    pytest.skip(reason)


def _bin_dir() -> Path | None:
    """The newest PostgreSQL server binaries: Debian's versioned directories, else PATH."""
    found = glob.glob("/usr/lib/postgresql/*/bin/pg_ctl")
    if found:
        newest = max(found, key=lambda path: int(Path(path).parts[-3]))
        return Path(newest).parent
    on_path = shutil.which("pg_ctl")
    return Path(on_path).parent if on_path else None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class _Server:
    """One temporary cluster; commands run as the ``postgres`` user when we are root."""

    def __init__(self, bin_dir: Path) -> None:
        self.bin_dir = bin_dir
        self.root = Path(tempfile.mkdtemp(prefix="lossboard-pg-"))
        self.data = self.root / "data"
        self.as_postgres = os.geteuid() == 0
        if self.as_postgres:
            account = pwd.getpwnam("postgres")
            os.chown(self.root, account.pw_uid, account.pw_gid)
        self.port = 0

    def run(self, program: str, *args: str) -> None:
        command = [str(self.bin_dir / program), *args]
        if self.as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        done = subprocess.run(command, capture_output=True, text=True)
        if done.returncode:
            log = self.root / "server.log"
            tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            raise RuntimeError(f"{' '.join(command)} failed:\n{done.stdout}{done.stderr}{tail}")

    def start(self) -> str:
        self.run("initdb", "-D", str(self.data), "-U", _USER, "--auth=trust", "-E", "UTF8", "--no-sync")
        self.port = _free_port()
        self.resume()
        self.run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", _USER, _DATABASE)
        return f"postgresql://{_USER}@127.0.0.1:{self.port}/{_DATABASE}"

    def pause(self) -> None:
        """Stop the server as a crash or an administrator would, keeping its data (fault tests)."""
        self.run("pg_ctl", "stop", "-D", str(self.data), "-m", "immediate", "-w")

    def resume(self) -> None:
        """Start the server on its port with its data."""
        options = f"-p {self.port} -k {self.root} {_SERVER_OPTIONS}"
        self.run("pg_ctl", "start", "-w", "-D", str(self.data), "-l", str(self.root / "server.log"), "-o", options)

    def stop(self) -> None:
        try:
            if (self.data / "postmaster.pid").exists():
                self.run("pg_ctl", "stop", "-D", str(self.data), "-m", "immediate", "-w")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_server(postgres_url: str) -> _Server:
    """The server behind `postgres_url`, to pause and resume it (fault tests)."""
    return _SERVERS[postgres_url]


_SERVERS: dict[str, _Server] = {}


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """The URL of a database on a PostgreSQL server started for this test session."""
    try:
        import psycopg  # noqa: F401
    except ImportError:
        _unavailable("psycopg is not installed: pip install 'lossboard[postgres]'")
    bin_dir = _bin_dir()
    if bin_dir is None:
        _unavailable("PostgreSQL server binaries not found (Debian: apt-get install postgresql)")
    server = _Server(bin_dir)
    try:
        url = server.start()
        _SERVERS[url] = server
        yield url
    finally:
        server.stop()
