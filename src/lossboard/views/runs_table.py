"""The ``lossboard ls`` table: one row per indexed run, as plain aligned text.

Pure: `RunInfo` rows in (from `lossboard.query.list_runs`), text out; the clock that turns
"last update" (when the run's files last changed, as the index last read them) into an age is a
parameter. Runs are in natural order (run2 before run10). A run that `lossboard run` did not
start has no recorded status; its status comes from how recently its data changed: ``running`` within `RUNNING_S`, ``stale`` within `STALE_S` (it stopped writing
a short while ago: crashed, hung, or between phases), ``finished`` after that. A run recorded as
``running`` whose data has not changed for `STALE_S` is ``stale`` too (killed before it could
say so).

    >>> print(format_runs([], now=0.0))
    no runs in this index; add some with 'lossboard index LOGDIR'
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from lossboard.store.base import RunInfo

RUNNING_S = 5 * 60
STALE_S = 60 * 60
_DIGITS = re.compile(r"(\d+)")

HEADER = ("name", "format", "tags", "points", "first step", "last step", "last update", "status")
_RIGHT = frozenset({2, 3, 4, 5})  # numbers align right


def format_runs(runs: Sequence[RunInfo], *, now: float) -> str:
    """The table of ``runs``; ``now`` is the wall time the ages are counted from."""
    if not runs:
        return "no runs in this index; add some with 'lossboard index LOGDIR'"
    rows = [HEADER] + [_row(run, now) for run in sorted(runs, key=lambda run: natural_key(run.name))]
    widths = [max(len(row[i]) for row in rows) for i in range(len(HEADER))]
    lines = [
        "  ".join(cell.rjust(w) if i in _RIGHT else cell.ljust(w) for i, (cell, w) in enumerate(zip(row, widths)))
        for row in rows
    ]
    return "\n".join(line.rstrip() for line in lines)


def _row(run: RunInfo, now: float) -> tuple[str, ...]:
    return (
        run.name,
        ",".join(dict.fromkeys(run.formats)) or "-",
        str(run.tags),
        f"{run.points:,}",
        "-" if run.first_step is None else str(run.first_step),
        "-" if run.last_step is None else str(run.last_step),
        age(now - run.data_time) if run.data_time else "-",
        status(run.status, run.data_time, now),
    )


def natural_key(name: str) -> tuple:
    """Sort key that orders the numbers inside names by value: run2 before run10.

    >>> sorted(["run10", "run2", "Run1"], key=natural_key)
    ['Run1', 'run2', 'run10']
    """
    return tuple((0, int(part), part) if part.isdigit() else (1, part.lower(), part)
                 for part in _DIGITS.split(name) if part)


def status(recorded: str, updated: float | None, now: float) -> str:
    """The status to show: the recorded one, or one read from the data's recency (module doc)."""
    if recorded not in ("unknown", "running") or not updated:
        return recorded
    quiet = now - updated
    if quiet < RUNNING_S:
        return "running"
    if quiet < STALE_S or recorded == "running":
        return "stale"
    return "finished"


def age(seconds: float) -> str:
    """``42s ago``, ``5m ago``, ``3h ago``, ``2d ago``.

    >>> age(7300)
    '2h ago'
    """
    seconds = max(0.0, seconds)
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{int(seconds // size)}{unit} ago"
    return f"{int(seconds)}s ago"
