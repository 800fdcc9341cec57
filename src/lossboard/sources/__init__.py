"""Everything that turns log files into runs: detect, parse, stitch, discover."""

from __future__ import annotations

import warnings
from pathlib import Path

from lossboard.errors import LossboardError, LossboardWarning
from lossboard.model import Runs
from lossboard.sources.logdir import load_paths


def load(*paths: str | Path, format: str | None = None, stitch: bool | None = None) -> Runs:
    """Load the training logs at ``paths`` (files or directories) as runs.

    Formats are detected from content; ``format`` forces one. Files of one run that was
    stopped and resumed are stitched (later files win where epochs overlap); ``stitch``
    forces all files into one run (True) or none (False). A file that cannot be read becomes
    a `LossboardWarning` and the others still load; only when nothing loads is it an error.

    >>> runs = lossboard.load("logs/training_0.log", "logs/training_65.log")  # doctest: +SKIP
    >>> runs[0].series["val/accuracy"].value[-1]  # doctest: +SKIP
    0.5624
    """
    if not paths:
        raise LossboardError("load() needs at least one path")
    loaded = load_paths(paths, format=format, stitch_files=stitch)
    if not loaded.runs and loaded.failures:
        raise LossboardError("nothing could be loaded:\n" + "\n".join(map(str, loaded.failures)))
    for failure in loaded.failures:
        warnings.warn(str(failure), LossboardWarning, stacklevel=2)
    return Runs(loaded.runs)
