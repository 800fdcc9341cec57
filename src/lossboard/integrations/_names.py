"""Run directories for the integrations: named after the framework's run, never shared.

A run is identified by its directory (DESIGN.md), so two trainings must never write into one:
`run_dir` claims a new directory with ``mkdir``, which only one process can win, and takes
``name#2``, ``name#3``... when the name is taken (the loader's and the export's way of
telling equal names apart).
"""

from __future__ import annotations

import os
import re
import socket
from datetime import datetime

_UNSAFE = re.compile(r"[\x00-\x1f/\\]+")


def stamp() -> str:
    """``Dec03_14-05-09_gpu1``: when and where, as torch's and HF's default run names say it."""
    return f"{datetime.now():%b%d_%H-%M-%S}_{socket.gethostname()}"


def run_dir(parent: str | os.PathLike, name: str) -> str:
    """A new directory ``parent/name`` (``name#2``... if taken), created; its path."""
    os.makedirs(parent, exist_ok=True)
    base = os.path.join(parent, _UNSAFE.sub("_", name).strip() or "run")
    candidate, number = base, 1
    while True:
        try:
            os.mkdir(candidate)
            return candidate
        except FileExistsError:
            number += 1
            candidate = f"{base}#{number}"
