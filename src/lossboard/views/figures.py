"""Decide which figures to draw and what goes on them; no drawing library here.

The standard figures group tags by role, as practitioners draw them by hand: accuracy
(rank-1 and rank-5, train and validation on one axis), loss (train and validation), the
learning rate, throughput, and one figure for every other metric. `plot.py` renders the
specs with matplotlib and `term.py` in the terminal, so both show the same thing.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from lossboard.model import LR_CHANGE, RESUME, Run, Series
from lossboard.tags import BATCH, metric_of, split_of
from lossboard.views.colors import NEUTRAL, PALETTE, run_colors
from lossboard.views.hparams import hparam_metric_names, is_hparam
from lossboard.views.pixels import reduce_line

ACCURACY = "accuracy"
LOSS = "loss"
LR = "lr"
THROUGHPUT = "throughput"

_TOP_K = re.compile(r"top_k_accuracy_(\d+)$")
_LOSS_NAMES = re.compile(r"(^|[_\-/])(loss|cross-entropy|ce|nll|perplexity|ppl)($|[_\-/])", re.I)
_SPLIT_ORDER = {"train": 0, BATCH: 1, "val": 2, "test": 3}
_SPLIT_NAMES = {"train": "train", BATCH: "train (batch)", "val": "validation", "test": "test"}
X_AXES = ("epoch", "step", "wall")
BATCH_LINES_UP_TO_RUNS = 8  # beyond, a run's batch-level lines are left out where it has epoch-level ones
# up to what span (seconds) a wall-clock axis counts in which unit
_WALL_UNITS = ((180, "seconds", 1), (3 * 3600, "minutes", 60), (3 * 86400, "hours", 3600),
               (math.inf, "days", 86400))
SMOOTHING_POINTS = 1000  # the series length for which --smooth S is TensorBoard's S


@dataclass
class Line:
    run: str
    label: str
    source_tag: str
    x: np.ndarray
    y: np.ndarray
    color: str
    style: str  # "solid", "dashed", "dotted", "dashdot"
    is_batch: bool = False  # batch-level: drawn thin and faint behind the epoch values
    is_raw: bool = False  # the values under a smoothed line: drawn faint, not in the legend
    points_a_column: float = 0.0  # before it was reduced to pixel columns (0: not reduced)


@dataclass
class Marker:
    x: float
    kind: str  # RESUME or LR_CHANGE
    label: str
    color: str


@dataclass
class FigureSpec:
    key: str  # the role: "accuracy", "loss", "lr", "throughput", or the metric (names the file)
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


def smooth(values: np.ndarray, weight: float) -> np.ndarray:
    """TensorBoard's debiased exponential moving average, skipping non-finite values, with
    ``weight`` meaning what it means for a `SMOOTHING_POINTS`-point series.

    A series of n points is smoothed with ``weight ** (SMOOTHING_POINTS / (n - 1))`` per point,
    so the average always spans the same share of the line: an 8-point curve is not dragged
    back towards its first values (0.9 would put a loss that ends at 0.48 at 0.97), and a
    million batch values are smoothed visibly, not over the last ten.
    """
    finite = int(np.isfinite(values).sum())
    if weight <= 0 or finite < 2:
        return values
    per_point = weight ** (SMOOTHING_POINTS / (finite - 1))
    out = np.empty_like(values)
    last, kept = 0.0, 1.0
    for i, value in enumerate(values.tolist()):
        if not math.isfinite(value):
            out[i] = value
            continue
        last = last * per_point + (1 - per_point) * value
        kept *= per_point
        out[i] = last / (1 - kept) if kept < 1 else value
    return out


def build_figures(
    runs: Sequence[Run],
    *,
    x: str = "epoch",
    smoothing: float = 0.0,
    network: str | None = None,
    dataset: str | None = None,
    columns: int | None = None,
) -> list[FigureSpec]:
    """The figures for ``runs``: accuracy and loss first, then lr, throughput, the rest.

    With ``columns``, every line is reduced to what that many pixel columns can show
    (`lossboard.views.pixels`), so the figures no longer hold the runs' arrays. Smoothing is
    done before, on every point. Hyper-parameters (``hparam/...``) are not curves: see
    `lossboard.views.hparams`.
    """
    if x not in X_AXES:
        raise ValueError(f"x must be one of {', '.join(X_AXES)}, not {x!r}")
    colors = run_colors([run.name for run in runs])
    by_role: dict[str, list[tuple[Run, Series]]] = {}
    for run in runs:
        for series in _drawable(run):
            by_role.setdefault(role(series.tag), []).append((run, series))
    order = [ACCURACY, LOSS, LR, THROUGHPUT]
    keys = [k for k in order if k in by_role] + sorted(k for k in by_role if k not in order)
    starts = {run.name: _start_time(run) for run in runs} if x == "wall" else {}
    several = len(runs) > 1
    markers: dict[tuple[str, str], list[Marker]] = {}
    figures = []
    for key in keys:
        members = sorted(by_role[key], key=lambda m: _line_order(m[1]))
        axis = x if all(_has_axis(s, x) for _, s in members) else "step"
        xs = [_x_values(series, axis, starts.get(run.name)) for run, series in members]
        ys = [series.value for _, series in members]
        if key == LR:  # a rate holds until it changes, and the last one until the run ends
            ends = {run.name: _run_end(run, axis, starts.get(run.name))
                    for run in {run.name: run for run, _ in members}.values()}
            xs, ys = zip(*(_held_until(x_of, y_of, ends[run.name]) for (run, _), x_of, y_of in zip(members, xs, ys)))
        xlabel, xs = _wall_unit(list(xs)) if axis == "wall" else (axis, list(xs))
        has_top_k = any(_TOP_K.match(metric_of(s.tag)) for _, s in members)
        spec = FigureSpec(
            key=key,
            title=_title(key, members, network, dataset),
            xlabel=xlabel,
            ylabel=_ylabel(key, members),
        )
        tag_order = {tag: index for index, tag in enumerate(dict.fromkeys(s.tag for _, s in members))}
        x_range = x_limits(xs)
        for (run, series), line_x, line_y in zip(members, xs, ys):
            label = _label(series.tag, key, has_top_k) + (_MEAN if series.source_tag.endswith(_MEAN) else "")
            line = Line(
                run=run.name,
                label=f"{run.name}: {label}" if several else label,
                source_tag=series.source_tag,
                x=line_x,
                y=line_y,
                color=colors[run.name] if several else _split_color(series.tag, tag_order[series.tag]),
                style=_style(series.tag, several),
                is_batch=_is_batch_level(series),
            )
            if smoothing:
                spec.lines.append(_reduced(replace(line, is_raw=True), columns, x_range))
                line.y = smooth(line_y, smoothing)
            spec.lines.append(_reduced(line, columns, x_range))
        if len(runs) > BATCH_LINES_UP_TO_RUNS:  # many runs: each one's batch noise would bury the others
            has_epoch_line = {line.run for line in spec.lines if not line.is_batch}
            spec.lines = [line for line in spec.lines if not (line.is_batch and line.run in has_epoch_line)]
        _tell_apart(spec.lines)
        for run in {run.name: run for run, _ in members}.values():
            if (run.name, axis) not in markers:  # a long run's events are walked once, not once a figure
                markers[run.name, axis] = _markers(run, axis, colors[run.name] if several else NEUTRAL)
            spec.markers.extend(markers[run.name, axis])
        figures.append(spec)
    return figures


def _reduced(line: Line, columns: int | None, x_range: tuple[float, float] | None) -> Line:
    if columns is None:
        return line
    line.points_a_column = len(line.x) / columns
    line.x, line.y = reduce_line(line.x, line.y, columns, x_range=x_range)
    return line


def x_limits(xs: Sequence[np.ndarray]) -> tuple[float, float] | None:
    """The x axis of a figure: its lines' span and 5% more each side (as matplotlib pads).

    Lines are reduced per pixel column of exactly this range, and the figure sets it as its
    limits, so the columns are the axes' own pixel columns.
    """
    spans = [span for span in map(_finite_span, xs) if span is not None]
    if not spans:
        return None
    lo, hi = min(lo for lo, _ in spans), max(hi for _, hi in spans)
    pad = (hi - lo) * 0.05 if hi > lo else 0.5
    return lo - pad, hi + pad


def _finite_span(x: np.ndarray) -> tuple[float, float] | None:
    """The least and greatest finite value of ``x``, or None. `np.fmin` passes NaN by: no
    copy of the line's finite values where none is infinite (most lines)."""
    if not len(x):
        return None
    lo, hi = float(np.fmin.reduce(x)), float(np.fmax.reduce(x))
    if math.isfinite(lo) and math.isfinite(hi):
        return lo, hi
    known = x[np.isfinite(x)]
    return (float(known.min()), float(known.max())) if len(known) else None


def _drawable(run: Run) -> list[Series]:
    """The run's curves: no hyper-parameters, and for batch-level values with no epoch-level
    twin, one value per epoch too (`_per_epoch`), so every figure has a line to read."""
    hparam_metrics = hparam_metric_names(run)
    series = [s for s in run.series.values() if not is_hparam(s, hparam_metrics)]
    tags = {s.tag for s in series}
    for s in list(series):
        if not _is_batch_level(s) or not _has_epochs(s):
            continue
        if split_of(s.tag) == BATCH:
            epoch_tag = f"train/{metric_of(s.tag)}"
            if epoch_tag not in tags:  # old MXNet prints train accuracy on batch lines only
                series.append(_per_epoch(s, epoch_tag, "last"))
        elif not any(other.tag == s.tag and not _is_batch_level(other) for other in series):
            series.append(_per_epoch(s, s.tag, "mean"))  # a Speedometer's throughput
    return series


_MEAN = " (epoch mean)"


def _per_epoch(series: Series, tag: str, how: str) -> Series:
    """One point per whole epoch: the epoch's last batch value (what the classic figure takes
    as that epoch's train value) or the mean of its batch values (for rates)."""
    known = ~np.isnan(series.epoch)
    series = series.take(np.flatnonzero(known)) if not known.all() else series
    whole = np.floor(series.epoch)
    starts = np.flatnonzero(np.concatenate([[True], whole[1:] != whole[:-1]]))
    last = np.append(starts[1:], len(whole)) - 1
    if how == "last":
        value, source_tag = series.value[last], f"{series.source_tag} (last batch of each epoch)"
    else:
        value = np.add.reduceat(series.value, starts) / np.diff(np.append(starts, len(whole)))
        source_tag = f"{series.source_tag}{_MEAN}"
    return Series(tag, source_tag, series.step[last], whole[last], series.wall_time[last], value)


def _is_batch_level(series: Series) -> bool:
    """Batch-level: the ``train_batch`` split, or more than two values per epoch."""
    if split_of(series.tag) == BATCH:
        return True
    if not _has_epochs(series) or series.source_tag.endswith(_MEAN):
        return False
    epochs = np.nanmax(series.epoch) - np.nanmin(series.epoch) + 1
    return len(series) > 2 * epochs


def _has_epochs(series: Series) -> bool:
    """`Series.has_epochs` without its pass over every point where the first point has an epoch
    (nearly every series): `build_figures` asks it ~50 times, ~2 ms of a 100 MB log's figures."""
    return bool(len(series.epoch)) and (not math.isnan(series.epoch[0]) or series.has_epochs)


def _tell_apart(lines: list[Line]) -> None:
    """Lines of one run that would read the same in the legend get their printed name."""
    seen: dict[tuple[str, str], int] = {}
    for line in lines:
        if not line.is_raw:
            seen[line.run, line.label] = seen.get((line.run, line.label), 0) + 1
    for line in lines:
        if seen.get((line.run, line.label), 0) > 1:
            line.label = f"{line.label} [{line.source_tag}]"


def _start_time(run: Run) -> float:
    starts = [np.nanmin(s.wall_time) for s in run.series.values() if len(s) and not np.isnan(s.wall_time).all()]
    return min(starts) if starts else 0.0


def _wall_unit(xs: list[np.ndarray]) -> tuple[str, list[np.ndarray]]:
    """Seconds since start, rescaled to the unit that makes the span read well."""
    ends = [np.nanmax(x) for x in xs if len(x) and not np.isnan(x).all()]
    span = max(ends, default=0.0)
    unit, seconds = next((unit, seconds) for limit, unit, seconds in _WALL_UNITS if span <= limit)
    return f"{unit} since start", [x / seconds for x in xs]


def _run_end(run: Run, axis: str, start: float | None) -> float:
    """The last x any of the run's curves reaches on ``axis`` (NaN when none has it)."""
    ends = [np.nanmax(x) for x in (_x_values(s, axis, start) for s in run.series.values() if _has_axis(s, axis))
            if len(x) and not np.isnan(x).all()]
    return max(ends, default=math.nan)


def _held_until(x: np.ndarray, y: np.ndarray, end: float) -> tuple[np.ndarray, np.ndarray]:
    """``x, y`` with the last value held to ``end``, where the run goes on after it."""
    finite = np.flatnonzero(np.isfinite(x) & np.isfinite(y))
    if not len(finite) or not end > x[finite[-1]]:
        return x, y
    return np.append(x, end), np.append(y, y[finite[-1]])


def _has_axis(series: Series, axis: str) -> bool:
    if axis == "epoch":
        return _has_epochs(series)
    if axis == "wall":
        return bool(len(series)) and not np.isnan(series.wall_time).all()
    return True


def _x_values(series: Series, axis: str, start: float | None) -> np.ndarray:
    if axis == "epoch":
        return series.epoch
    if axis == "wall":
        return series.wall_time - (start or 0.0)
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


def _line_order(series: Series) -> tuple[int, str, str]:
    return (_SPLIT_ORDER.get(split_of(series.tag), 9), metric_of(series.tag), series.source_tag)


def _label(tag: str, key: str, has_top_k: bool) -> str:
    """The legend text: the split, and the rank where rank-k curves are beside it."""
    split, metric = split_of(tag), metric_of(tag)
    split_name = _SPLIT_NAMES.get(split, split)
    if key == ACCURACY:
        top = _TOP_K.match(metric)
        return f"{split_name} rank-{top.group(1) if top else 1}" if has_top_k else split_name
    if key in (LR, THROUGHPUT) or split not in _SPLIT_ORDER:
        return readable(metric)
    if key == LOSS and metric != "loss":
        return f"{split_name} {metric}"
    return split_name


def readable(name: str) -> str:
    """A metric name as words: "epoch_time_s" -> "epoch time (s)", "gpu_mem_gb" -> "gpu mem (gb)"."""
    return re.sub(r"_(s|ms|mb|gb)$", r" (\1)", name).replace("_", " ")


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
    else:
        what = readable(key)
    title = f"{network}: {what}" if network else what[:1].upper() + what[1:]
    return f"{title} on {dataset}" if dataset else title


def _ylabel(key: str, members: list[tuple[Run, Series]]) -> str:
    return {ACCURACY: "accuracy", LOSS: "loss", LR: "learning rate", THROUGHPUT: "per second"}.get(
        key, readable(metric_of(members[0][1].tag)) if len({s.tag for _, s in members}) == 1 else "value"
    )


