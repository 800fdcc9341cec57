"""The ``inspect`` report: formats, runs, and per series what was found, as plain text."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from lossboard.model import Run
from lossboard.sources.coverage import Coverage


def _number(value: float) -> str:
    return f"{value:.6g}"


def describe(
    runs: Sequence[Run], coverage: dict[str, Coverage] | None = None, *, unread: bool = False
) -> str:
    """One block per run: its sources and formats, a table of series, events, problems.

    ``coverage`` (by source path) adds the share of each file's number-bearing lines that gave
    a value; ``unread`` also lists the others, one row per shape.
    """
    blocks = []
    coverage = coverage or {}
    for run in runs:
        lines = [f"run {run.name}"]
        for source, fmt in zip(run.sources, run.formats):
            lines.append(f"  source  {source}  [{fmt}]")
            found = coverage.get(source)
            if found is not None:
                lines.extend(_coverage_lines(found, unread=unread))
        if run.series:
            rows = [("tag", "source tag", "points", "steps", "epochs", "last")]
            for s in run.series.values():
                epochs = s.epoch[~np.isnan(s.epoch)]
                rows.append(
                    (
                        s.tag,
                        s.source_tag,
                        str(len(s)),
                        f"{s.step[0]}..{s.step[-1]}",
                        f"{_number(epochs.min())}..{_number(epochs.max())}" if len(epochs) else "-",
                        _number(s.value[-1]),
                    )
                )
            widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
            for row in rows:
                lines.append("  " + "  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip())
            for tag, names in run.series.shared_labels().items():
                printed = ", ".join(repr(name) for name in names)
                lines.append(f"  note    {len(names)} series share the tag {tag}, kept apart: {printed}")
        else:
            lines.append("  no metrics")
        counts: dict[str, int] = {}
        for event in run.events:
            counts[event.kind] = counts.get(event.kind, 0) + 1
        if counts:
            lines.append("  events  " + ", ".join(f"{kind} x{n}" for kind, n in sorted(counts.items())))
        for problem in run.problems:
            lines.append(f"  problem {problem}")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def _coverage_lines(coverage: Coverage, *, unread: bool) -> list[str]:
    lines = [
        f"          read {coverage.read:,} of {coverage.numbered:,} lines with numbers "
        f"({coverage.share_read:.1%}); {coverage.unread:,} gave no value"
        + ("" if unread or not coverage.unread else " (see inspect --unread)")
    ]
    if unread:
        for shape in sorted(coverage.shapes.values(), key=lambda shape: -shape.count):
            where = ", ".join(f"{coverage.path}:{number}" for number in shape.lines)
            lines.append(f"          unread x{shape.count:<6,} {where}")
            lines.append(f"                  {shape.example[:160]}")
    return lines
