"""The ``lossboard ls`` table: one row per indexed run, as plain aligned text.

Pure: `RunInfo` rows in (from `lossboard.query.list_runs`), text out; the clock that turns
"last update" into an age is a parameter.

    >>> print(format_runs([], now=0.0))
    no runs in this index; add some with 'lossboard index LOGDIR'
"""

from __future__ import annotations

from collections.abc import Sequence

from lossboard.store.base import RunInfo

HEADER = ("name", "format", "tags", "points", "first step", "last step", "last update", "status")
_RIGHT = frozenset({2, 3, 4, 5})  # numbers align right


def format_runs(runs: Sequence[RunInfo], *, now: float) -> str:
    """The table of ``runs``; ``now`` is the wall time the ages are counted from."""
    if not runs:
        return "no runs in this index; add some with 'lossboard index LOGDIR'"
    rows = [HEADER] + [_row(run, now) for run in runs]
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
        age(now - run.updated) if run.updated else "-",
        run.status,
    )


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
