"""The ``inspect`` report: formats, runs, and per series what was found, as plain text."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from lossboard.model import Run


def _number(value: float) -> str:
    return f"{value:.6g}"


def describe(runs: Sequence[Run]) -> str:
    """One block per run: its sources and formats, a table of series, events, problems."""
    blocks = []
    for run in runs:
        lines = [f"run {run.name}"]
        for source, fmt in zip(run.sources, run.formats):
            lines.append(f"  source  {source}  [{fmt}]")
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
