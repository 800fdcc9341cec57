"""What `lossboard run` records about a run: the command, where it ran, its commit, how it ended.

The record is ``run.json`` in the run directory, written when the command starts and again
when it ends, each time to a temporary file renamed over the old one, so a reader never sees
a half-written record (on a full disk, the end is written over the start in place). A run whose ``end_time`` is null is still going (or lossboard itself
was killed with SIGKILL)::

    {"command": ["python", "train.py"], "cwd": "/home/me/proj", "host": "gpu3", "user": "me",
     "pid": 41207, "python": "3.11.9", "lossboard": "0.1.0",
     "git": {"commit": "2b09383...", "branch": "main", "dirty": true, "root": "/home/me/proj"},
     "start_time": "2025-03-07T14:02:11.402+01:00", "end_time": "2025-03-07T16:40:02.113+01:00",
     "status": "finished", "exit_status": 0, "signal": null,
     "format": "keras-stdout", "problems": 0, "parse_failure": null,
     "series": {"val/accuracy": {"points": 50, "last": 0.9189, "last_step": 50}}}

>>> info = start_info(["python", "train.py"], cwd="/tmp", start=datetime.now().astimezone())
>>> write_info("runs/x", info)  # doctest: +SKIP
"""

from __future__ import annotations

import dataclasses
import getpass
import os
import platform
import signal
import socket
import subprocess
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson

from lossboard import __version__

RUN_FILE = "run.json"
_GIT_TIMEOUT_S = 5.0


@dataclasses.dataclass
class RunInfo:
    """One run's record; times are ISO 8601 with the UTC offset, ``status`` one of
    ``running``, ``finished`` (exit 0), ``failed`` (another exit status), ``killed`` (by a
    signal, named in ``signal``)."""

    command: list[str]
    cwd: str
    host: str
    user: str | None
    python: str
    start_time: str
    git: dict[str, Any] | None = None
    pid: int = dataclasses.field(default_factory=os.getpid)  # lossboard's: is a "running" run alive?
    lossboard: str = __version__
    end_time: str | None = None
    status: str = "running"
    exit_status: int | None = None
    signal: str | None = None
    format: str | None = None
    problems: int = 0
    parse_failure: str | None = None
    series: dict[str, Any] = dataclasses.field(default_factory=dict)

    def finish(self, returncode: int, *, end: datetime, live: dict[str, Any]) -> int:
        """Record how the command ended and return its exit status: ``returncode`` as
        `subprocess` gives it, ``-n`` when killed by signal n, is 128+n, as in a shell."""
        self.end_time = end.isoformat()
        if returncode < 0:
            self.status = "killed"
            self.exit_status = 128 - returncode
            self.signal = _signal_name(-returncode)
        else:
            self.status = "finished" if returncode == 0 else "failed"
            self.exit_status = returncode
        self.format = live["format"]
        self.problems = live["problems"]
        self.parse_failure = live["parse_failure"]
        self.series = live["series"]
        return self.exit_status


def start_info(command: list[str], *, cwd: str, start: datetime) -> RunInfo:
    """The record of a run that starts now, in ``cwd``, with the git state of ``cwd``."""
    return RunInfo(
        command=list(command),
        cwd=cwd,
        host=socket.gethostname(),
        user=_user(),
        python=platform.python_version(),
        start_time=start.isoformat(),
        git=git_state(cwd),
    )


def write_info(run_dir: str | Path, info: RunInfo) -> Path:
    """Write ``run.json`` atomically: a temporary file beside it, then a rename over it.

    When that fails (a full disk has no block for the temporary file), the temporary file is
    removed and the record is written over the old one in place, compact, and without the
    per-tag summary if only that makes it fit the blocks the old one holds: a run whose end
    is not recorded would look alive forever. Raises `OSError` when even that fails.
    """
    path = Path(run_dir) / RUN_FILE
    record = dataclasses.asdict(info)
    temporary = path.with_name(f".{RUN_FILE}.{os.getpid()}.tmp")
    try:
        temporary.write_bytes(orjson.dumps(record, option=orjson.OPT_INDENT_2))
        os.replace(temporary, path)
    except OSError:
        temporary.unlink(missing_ok=True)
        if not path.is_file():  # no record to write over: the first write's error says why
            raise
        _overwrite(path, record)
    return path


def _overwrite(path: Path, record: dict[str, Any]) -> None:
    with open(path, "r+b") as file:
        held = os.fstat(file.fileno())
        room = max(held.st_blocks * 512, held.st_size)
        data = orjson.dumps(record)
        if len(data) > room:  # a write past the old blocks would fail half-way on a full disk
            data = orjson.dumps({**record, "series": {}})
        file.write(data)
        file.truncate()


def git_state(cwd: str | Path) -> dict[str, Any] | None:
    """Commit, branch, dirty flag (tracked files changed) and root of the git work tree at
    ``cwd``; None outside a repository, without commits, or when git is not installed."""
    head = _git(cwd, "rev-parse", "HEAD", "--abbrev-ref", "HEAD", "--show-toplevel")
    if head is None or len(head.splitlines()) != 3:
        return None
    commit, branch, root = head.splitlines()
    changes = _git(cwd, "status", "--porcelain", "--untracked-files=no")
    return {
        "commit": commit,
        "branch": None if branch == "HEAD" else branch,  # "HEAD" means a detached head
        "dirty": None if changes is None else bool(changes.strip()),
        "root": root,
    }


def _git(cwd: str | Path, *args: str) -> str | None:
    # GIT_OPTIONAL_LOCKS=0: `git status` must not take the index lock from the user's own git.
    env = {**os.environ, "GIT_OPTIONAL_LOCKS": "0"}
    try:
        done = subprocess.run(
            ["git", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=_GIT_TIMEOUT_S
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout if done.returncode == 0 else None


def _user() -> str | None:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # a container user without a passwd entry or $USER
        return None


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"
