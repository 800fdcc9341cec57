"""Decide which figures to draw and what goes on them; no drawing library here.

The standard figures group tags by role, as practitioners draw them by hand: accuracy
(rank-1 and rank-5, train and validation on one axis), loss (train and validation), the
learning rate, throughput, and one figure for every other metric. `plot.py` renders the
specs with matplotlib and `term.py` in the terminal, so both show the same thing.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from lossboard.model import LR_CHANGE, RESUME, Run, Series
from lossboard.tags import BATCH, metric_of, split_of

ACCURACY = "accuracy"
LOSS = "loss"
LR = "lr"
THROUGHPUT = "throughput"

_TOP_K = re.compile(r"top_k_accuracy_(\d+)$")
_LOSS_NAMES = re.compile(r"(^|[_\-/])(loss|cross-entropy|ce|nll|perplexity|ppl)($|[_\-/])", re.I)
_SPLIT_ORDER = {"train": 0, BATCH: 1, "val": 2, "test": 3}
_SPLIT_NAMES = {"train": "train", BATCH: "train (batch)", "val": "validation", "test": "test"}
# colour-blind-safe qualitative palette (Okabe-Ito, then the rest of matplotlib's tab10)
PALETTE = (
    "#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000",
    "#8c564b", "#7f7f7f",
)
X_AXES = ("epoch", "step", "wall")


@dataclass
class Line:
    run: str
    label: str
    x: np.ndarray
    y: np.ndarray
    color: str
    style: str  # "solid", "dashed", "dotted", "dashdot"
    is_batch: bool = False  # batch-level: drawn thin and faint behind the epoch values


@dataclass
class Marker:
    x: float
    kind: str  # RESUME or LR_CHANGE
    label: str
    color: str


@dataclass
class FigureSpec:
    key: str  # file name stem: "accuracy", "loss", "lr", "throughput", or the metric
    title: str
    xlabel: str
    ylabel: str
    lines: list[Line] = field(default_factory=list)
    markers: list[Marker] = field(default_factory=list)


def role(tag: str) -> str:
    """Which standard figure a tag belongs on."""
    split, metric = split_of(tag), metric_of(tag)
    if split == "opt":
        return LR if metric.startswith("lr") else metric  # lr, lr_pg0, lr-SGD: one figure
    if split == "perf":  # rates share an axis; times and memory each get their own
        return THROUGHPUT if metric.endswith("_per_sec") else metric
    if metric == "accuracy" or _TOP_K.match(metric):
        return ACCURACY
    if _LOSS_NAMES.search(metric):
        return LOSS
    return metric if split in _SPLIT_ORDER else tag.replace("/", "_")


def run_colors(names: Sequence[str]) -> dict[str, str]:
    """A colour per run that depends on its name only, unless two names collide."""
    colors: dict[str, str] = {}
    taken: set[int] = set()
    for name in sorted(names):
        index = zlib.crc32(name.encode()) % len(PALETTE)
        for offset in range(len(PALETTE)):
            candidate = (index + offset) % len(PALETTE)
            if candidate not in taken or len(taken) >= len(PALETTE):
                break
        taken.add(candidate)
        colors[name] = PALETTE[candidate]
    return colors


def smooth(values: np.ndarray, weight: float) -> np.ndarray:
    """TensorBoard-style exponential moving average, debiased, skipping non-finite values."""
    if weight <= 0 or len(values) == 0:
        return values
    out = np.empty_like(values)
    last, count = 0.0, 0
    for i, value in enumerate(values.tolist()):
        if not np.isfinite(value):
            out[i] = value
            continue
        last = last * weight + (1 - weight) * value
        count += 1
        out[i] = last / (1 - weight**count)
    return out


def build_figures(
    runs: Sequence[Run],
    *,
    x: str = "epoch",
    smoothing: float = 0.0,
    network: str | None = None,
    dataset: str | None = None,
) -> list[FigureSpec]:
    """The figures for ``runs``: accuracy and loss first, then lr, throughput, the rest."""
    if x not in X_AXES:
        raise ValueError(f"x must be one of {', '.join(X_AXES)}, not {x!r}")
    colors = run_colors([run.name for run in runs])
    by_role: dict[str, list[tuple[Run, Series]]] = {}
    for run in runs:
        for series in _with_epoch_fallback(run):
            by_role.setdefault(role(series.tag), []).append((run, series))
    order = [ACCURACY, LOSS, LR, THROUGHPUT]
    keys = [k for k in order if k in by_role] + sorted(k for k in by_role if k not in order)
    figures = []
    for key in keys:
        members = by_role[key]
        axis = x if all(_has_axis(s, x) for _, s in members) else "step"
        spec = FigureSpec(
            key=_file_stem(key),
            title=_title(key, members, network, dataset),
            xlabel={"epoch": "epoch", "step": "step", "wall": "hours since start"}[axis],
            ylabel=_ylabel(key, members),
        )
        several = len(runs) > 1
        for index, (run, series) in enumerate(sorted(members, key=lambda m: _line_order(m[1].tag))):
            xs = _x_values(series, axis)
            ys = smooth(series.value, smoothing) if smoothing else series.value
            color = colors[run.name] if several else _split_color(series.tag, index)
            label = _label(series.tag, key)
            spec.lines.append(
                Line(
                    run=run.name,
                    label=f"{run.name}: {label}" if several else label,
                    x=xs,
                    y=ys,
                    color=color,
                    style=_style(series.tag, several),
                    is_batch=split_of(series.tag) == BATCH,
                )
            )
        for run in {run.name: run for run, _ in members}.values():
            spec.markers.extend(_markers(run, axis, colors[run.name] if several else "#555555"))
        figures.append(spec)
    return figures


def _with_epoch_fallback(run: Run) -> list[Series]:
    """The run's series plus, where a metric exists only batch-level, its last value per epoch.

    Old MXNet logs print train accuracy on batch lines only; the classic figure takes the
    last batch line of each epoch as that epoch's train value, and so do we.
    """
    series = list(run.series.values())
    for s in run.series.values():
        if split_of(s.tag) != BATCH or not s.has_epochs:
            continue
        epoch_tag = f"train/{metric_of(s.tag)}"
        if epoch_tag in run.series:
            continue
        whole = np.floor(s.epoch)
        last = np.flatnonzero(np.append(whole[1:] != whole[:-1], True))
        series.append(
            Series(
                epoch_tag,
                f"{s.source_tag} (last batch of each epoch)",
                whole[last].astype(np.int64),
                whole[last],
                s.wall_time[last],
                s.value[last],
            )
        )
    return series


def _has_axis(series: Series, axis: str) -> bool:
    if axis == "epoch":
        return series.has_epochs
    if axis == "wall":
        return bool(len(series)) and not np.isnan(series.wall_time).all()
    return True


def _x_values(series: Series, axis: str) -> np.ndarray:
    if axis == "epoch":
        return series.epoch
    if axis == "wall":
        start = np.nanmin(series.wall_time)
        return (series.wall_time - start) / 3600.0
    return series.step.astype(np.float64)


def _markers(run: Run, axis: str, color: str) -> list[Marker]:
    markers = []
    for event in run.events:
        if event.kind not in (RESUME, LR_CHANGE):
            continue
        if axis == "epoch":
            if event.epoch is None:
                continue
            position = float(event.epoch)
        elif axis == "step":
            position = float(event.step)
        else:
            continue
        label = "resume" if event.kind == RESUME else event.text or "lr change"
        markers.append(Marker(position, event.kind, label, color))
    return markers


def _line_order(tag: str) -> tuple[int, str]:
    return (_SPLIT_ORDER.get(split_of(tag), 9), metric_of(tag))


def _label(tag: str, key: str) -> str:
    split, metric = split_of(tag), metric_of(tag)
    split_name = _SPLIT_NAMES.get(split, split)
    if key == ACCURACY:
        top = _TOP_K.match(metric)
        return f"{split_name} rank-{top.group(1) if top else 1}"
    if key in (LR, THROUGHPUT) or split not in _SPLIT_ORDER:
        return metric.replace("_", " ")
    if key == LOSS and metric != "loss":
        return f"{split_name} {metric}"
    return split_name


def _split_color(tag: str, index: int) -> str:
    """One run: a colour per split (batch values share train's), so train and validation
    read apart at a glance; metrics of no split take the palette in order."""
    split = split_of(tag)
    order = _SPLIT_ORDER.get(BATCH if split == BATCH else split)
    if order is None:
        return PALETTE[index % len(PALETTE)]
    return PALETTE[{0: 0, 1: 0, 2: 1, 3: 2}[order]]


def _style(tag: str, several_runs: bool) -> str:
    """Rank-k accuracy is dashed; with several runs (a colour each) the split sets the style."""
    top_k = bool(_TOP_K.match(metric_of(tag)))
    if not several_runs:
        return "dashed" if top_k else "solid"
    split = split_of(tag)
    if split == "val":
        return "dashdot" if top_k else "dashed"
    if split == "test":
        return "dotted"
    return "dotted" if top_k else "solid"


def _title(key: str, members: list[tuple[Run, Series]], network: str | None, dataset: str | None) -> str:
    metrics = {metric_of(s.tag) for _, s in members}
    if key == ACCURACY:
        ranks = ([1] if "accuracy" in metrics else []) + sorted(
            int(m.group(1)) for m in map(_TOP_K.match, metrics) if m
        )
        what = "accuracy" if ranks == [1] else " and ".join(f"rank-{r}" for r in ranks) + " accuracy"
    elif key == LOSS:
        what = "cross-entropy loss" if metrics == {"cross-entropy"} else "loss"
    elif key == LR:
        what = "learning rate"
    elif key == THROUGHPUT:
        what = "throughput"
    else:  # "epoch_time_s" -> "epoch time (s)", "gpu_mem_gb" -> "gpu mem (gb)"
        what = re.sub(r"_(s|ms|mb|gb)$", r" (\1)", key).replace("_", " ")
    title = f"{network}: {what}" if network else what[:1].upper() + what[1:]
    return f"{title} on {dataset}" if dataset else title


def _ylabel(key: str, members: list[tuple[Run, Series]]) -> str:
    return {ACCURACY: "accuracy", LOSS: "loss", LR: "learning rate", THROUGHPUT: "per second"}.get(
        key, metric_of(members[0][1].tag).replace("_", " ") if len({s.tag for _, s in members}) == 1 else "value"
    )


def _file_stem(key: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", key).strip("_") or "metric"
