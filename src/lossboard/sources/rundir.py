"""Run directories written by ``lossboard run``: ``run.json`` beside ``output.log``.

``run.json`` says what ran (command, git commit, host, times, exit status) and which format
the live parser found in the output; the loader makes the directory one run, reads
``output.log`` with that format, and keeps the record as the run's metadata. ``output.log``
stays the source of truth: the per-tag summary in ``run.json`` is not data.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson

RUN_INFO = "run.json"
OUTPUT = "output.log"
_FIELDS = ("cwd", "host", "user", "pid", "python", "start_time", "end_time", "status", "exit_status", "signal")


def run_info(directory: Path) -> dict[str, Any] | None:
    """The ``run.json`` of ``directory``, or None when there is none or it cannot be read."""
    try:
        info = orjson.loads((directory / RUN_INFO).read_bytes())
    except (OSError, orjson.JSONDecodeError):
        return None
    return info if isinstance(info, dict) else None


def logged_format(path: Path) -> str | None:
    """The format ``lossboard run`` detected for ``path``, when it is a run's output.log."""
    if path.name != OUTPUT:
        return None
    info = run_info(path.parent)
    found = info.get("format") if info else None
    return found if isinstance(found, str) else None


def run_meta(info: dict[str, Any]) -> dict[str, str]:
    """The record as run metadata, every value a string."""
    meta = {key: str(info[key]) for key in _FIELDS if info.get(key) is not None}
    command = info.get("command")
    if isinstance(command, list):
        import shlex  # only a run directory's record needs it: a load of a log does not pay for it

        meta["command"] = shlex.join(str(part) for part in command)
    git = info.get("git")
    if isinstance(git, dict):
        for key in ("commit", "branch"):
            if git.get(key):
                meta[f"git_{key}"] = str(git[key])
        if "dirty" in git:
            meta["git_dirty"] = "true" if git["dirty"] else "false"
    return meta
