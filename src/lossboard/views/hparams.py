"""Hyper-parameters as a table, one row per run: they are settings, not curves.

A run's hyper-parameters come from its ``add_hparams`` record (the last one), or else from the
``hparam/<name>`` facts of its metadata; its metrics from that record and from the series the
figures leave out as hyper-parameter metrics (``hparam/accuracy``, last value).
"""

from __future__ import annotations

import csv
import math
from collections.abc import Collection, Sequence
from pathlib import Path

from lossboard.model import Run, Series

FILE_NAME = "hparams.csv"


def hparam_metric_names(run: Run) -> set[str]:
    """The metric names the run's ``add_hparams`` records carry (logged as scalars too)."""
    return {str(name) for media in run.media if media.kind == "hparams" for name in media.data.get("metrics", {})}


def is_hparam(series: Series, metric_names: Collection[str] = ()) -> bool:
    """Whether a series is a hyper-parameter metric rather than a curve: tagged ``hparam/...``,
    or a single value named like a metric of the run's ``add_hparams`` record."""
    if "hparam" in series.tag.split("/") or series.source_tag.startswith("hparam/"):
        return True
    return series.source_tag in metric_names and len(series) <= 1


def hparam_table(runs: Sequence[Run]) -> tuple[list[str], list[list[str]]]:
    """The header (``run``, the hyper-parameters, then the metrics) and a row per run that has any."""
    found: list[tuple[str, dict[str, str], dict[str, str]]] = []
    for run in runs:
        settings, metrics = _settings(run), _metrics(run)
        if settings or metrics:
            found.append((run.name, settings, metrics))
    setting_names = sorted({name for _, settings, _ in found for name in settings})
    metric_names = sorted({name for _, _, metrics in found for name in metrics} - set(setting_names))
    header = ["run", *setting_names, *metric_names]
    rows = [
        [name, *(settings.get(key, "") for key in setting_names), *(metrics.get(key, "") for key in metric_names)]
        for name, settings, metrics in found
    ]
    return header, rows


def write_hparams(runs: Sequence[Run], out_dir: str | Path) -> Path | None:
    """Write ``hparams.csv`` into ``out_dir`` when any run has hyper-parameters; its path, or None."""
    header, rows = hparam_table(runs)
    if not rows:
        return None
    path = Path(out_dir) / FILE_NAME
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def _settings(run: Run) -> dict[str, str]:
    records = [media for media in run.media if media.kind == "hparams"]
    if records:
        latest = max(records, key=lambda media: media.step)
        return {str(k): _text(v) for k, v in latest.data.get("hparams", {}).items()}
    return {key.partition("/")[2]: value for key, value in run.meta.items() if key.startswith("hparam/")}


def _metrics(run: Run) -> dict[str, str]:
    metrics = {}
    for media in sorted((m for m in run.media if m.kind == "hparams"), key=lambda media: media.step):
        metrics.update({str(k): _text(v) for k, v in media.data.get("metrics", {}).items()})
    names = hparam_metric_names(run)
    for series in run.series.values():
        if is_hparam(series, names) and len(series):
            metrics[series.source_tag] = _text(float(series.value[-1]))
    return metrics


def _text(value: object) -> str:
    if isinstance(value, float) and math.isfinite(value):
        return repr(value)
    return "" if value is None else str(value)
