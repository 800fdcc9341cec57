"""What the dashboard's JSON routes return: plain functions of a store and checked arguments.

`lossboard.server.app` parses a request and calls one of these; each reads through
`lossboard.query` only and returns JSON-ready data (numpy columns included: the app encodes
them with orjson, NaN as null). docs/server-api.md shows each answer with an example.
"""

from __future__ import annotations

import math
import os
import re
import socket
from collections import Counter
from collections.abc import Sequence
from typing import Any

import numpy as np

from lossboard import query
from lossboard.errors import LossboardError, UsageError
from lossboard.model import Media
from lossboard.server.media import FILE_KINDS, MediaMissing, media_bytes
from lossboard.server.smoothing import smooth
from lossboard.store.base import RunInfo, SeriesData, Store, TagInfo, Times
from lossboard.store.downsample import m4_index
from lossboard.views import runs_table
from lossboard.views.figures import ACCURACY, LOSS, LR, THROUGHPUT, role, run_colors

_GROUP_ORDER = (ACCURACY, LOSS, LR, THROUGHPUT)
_UNIT = re.compile(r"_(s|ms|mb|gb)$")
_GROUP_TITLES = {ACCURACY: "Accuracy", LOSS: "Loss", LR: "Learning rate", THROUGHPUT: "Throughput"}


class UnknownRun(LossboardError):
    """A request names a run the store does not hold."""

    def __init__(self, names: Sequence[str]) -> None:
        self.names = list(names)
        super().__init__(f"no run named {', '.join(map(repr, self.names))} in the store; see /api/runs")


def runs(store: Store, *, now: float) -> list[dict[str, Any]]:
    """Every run: name, folder, formats, status, counts, last step and update, colour, metadata.

    The status is the one `lossboard ls` shows at ``now``: the recorded one (``lossboard run``'s
    ``run.json``) or, lacking it, one read from how recently the run's data changed.
    """
    infos = query.list_runs(store)
    colors = run_colors([info.name for info in infos])
    return [_run(info, colors[info.name], now) for info in infos]


def _run(info: RunInfo, color: str, now: float) -> dict[str, Any]:
    return {
        "name": info.name,
        "path": os.path.commonpath([os.path.dirname(s) for s in info.sources]) if info.sources else "",
        "formats": sorted(set(info.formats)),
        "status": runs_table.status(info.status, info.data_time, now),
        "recorded_status": info.status,
        "tags": info.tags,
        "points": info.points,
        "first_step": info.first_step,
        "last_step": info.last_step,
        "updated": info.data_time,  # when the run's files last changed: "updated 12 s ago"
        "color": color,
        "meta": info.meta,
    }


def tags(store: Store, run_names: Sequence[str]) -> dict[str, Any]:
    """The series of ``run_names``, and the chart groups `lossboard plot` would draw them in."""
    _check_runs(store, run_names)
    found = query.list_tags(store, run_names)
    by_group: dict[str, set[str]] = {}
    for info in found:
        if "hparam" in info.tag.split("/") or info.source_tag.startswith("hparam/"):
            continue  # a hyper-parameter is a column of the hparams table, not a curve
        by_group.setdefault(role(info.tag), set()).add(info.tag)
    keys = [k for k in _GROUP_ORDER if k in by_group] + sorted(k for k in by_group if k not in _GROUP_ORDER)
    return {
        "tags": [
            {
                "run": info.run,
                "tag": info.tag,
                "source_tag": info.source_tag,
                "points": info.points,
                "first_step": info.first_step,
                "last_step": info.last_step,
                "last_value": info.last_value,
            }
            for info in found
        ],
        "groups": [
            {"key": key, "title": _GROUP_TITLES.get(key) or _title(key), "tags": sorted(by_group[key])}
            for key in keys
        ],
    }


X_AXES = ("step", "epoch", "wall_time")
# the time columns an answer holds: a chart against steps or epochs shows the epoch (its
# tooltip) but no wall time, and a read leaving the wall times out fetches fewer bytes
TIMES = {"all": True, "epoch": "epoch", "none": False}
_BRACKET_PASSES = 3  # each narrows a zoom's step range to one bucket of the last: width**-3 at most


def _title(key: str) -> str:
    """``epoch_time_s`` -> ``epoch time (s)``, as `lossboard plot` titles it."""
    return _UNIT.sub(r" (\1)", key).replace("_", " ")


def series(
    store: Store,
    *,
    run_names: Sequence[str],
    tag_names: Sequence[str],
    width: int,
    x: str = "step",
    x_range: tuple[float, float] | None = None,
    smoothing: str = "none",
    weight: float = 0.6,
    window: int = 10,
    times: str = "all",
    ends: bool = False,
) -> list[dict[str, Any]]:
    """``run_names`` x ``tag_names``, M4-downsampled to ``width`` buckets, within ``x_range``.

    ``x_range`` is in units of ``x`` (one of `X_AXES`): the series of one chart may count steps
    differently (epochs on one, iterations on another), so a zoom is given on the axis drawn and
    each series turns it into its own steps. Smoothing runs over every stored point of the
    series first, so the smoothed curve is the same at every zoom; the points kept are the raw
    curve's M4 points (spikes stay) with the smoothed value beside each. ``total_points``
    counts the points in the range. Pairs the store does not hold are left out. ``times`` (a
    key of `TIMES`) says which time columns to read; those left out are NaN. With ``ends``,
    each answer also says where its run ends (`_run_ends`): a learning rate holds until the
    run stops, not until its last change.
    """
    if x not in X_AXES:
        raise UsageError(f"x must be one of {', '.join(X_AXES)}, not {x!r}")
    if times not in TIMES:
        raise UsageError(f"times must be one of {', '.join(TIMES)}, not {times!r}")
    read_times = TIMES[times]
    if x_range is not None and x_range[0] > x_range[1]:
        raise UsageError(f"the range must run from low to high, not {x_range[0]} to {x_range[1]}")
    _check_runs(store, run_names)
    held: dict[tuple[str, str], list[TagInfo]] = {}  # two series may share a label: both are drawn
    for info in query.list_tags(store, run_names):
        held.setdefault((info.run, info.tag), []).append(info)
    wanted = [info for run in run_names for tag in tag_names for info in held.get((run, tag), ())]
    answer = _answer(store, wanted, width, x, x_range, smoothing, weight, window, read_times)
    if ends:
        run_ends = _run_ends(store, [info for infos in held.values() for info in infos])
        for item in answer:
            item["run_end"] = run_ends[item["run"]]
    return answer


def _answer(
    store: Store, wanted: list[TagInfo], width: int, x: str, x_range: tuple[float, float] | None,
    smoothing: str, weight: float, window: int, times: Times,
) -> list[dict[str, Any]]:
    """`series`' answer for the series ``wanted``, in their order."""
    if smoothing != "none":
        return [item for info in wanted
                for item in _smoothed_series(store, info, width, x, x_range, smoothing, weight, window, times)]
    ranges = {_key(info): _step_range(store, info, x, x_range, width) for info in wanted}
    together: dict[tuple[int, int] | None, list[TagInfo]] = {}  # series sharing a range are read at once
    for info in wanted:
        together.setdefault(ranges[_key(info)], []).append(info)
    read: dict[tuple[str, str, str], SeriesData] = {}
    for step_range, infos in together.items():
        if step_range is None or step_range[0] <= step_range[1]:
            read.update(query.read_series_of(store, infos, step_range=step_range, buckets=width, times=times))
    answer = []
    for info in wanted:
        step_range = ranges[_key(info)]
        if step_range is not None and step_range[0] > step_range[1]:
            answer.append(_empty(info))
        elif _key(info) in read:
            answer.append(_columns(read[_key(info)], None))
    return answer


def _key(info: TagInfo) -> tuple[str, str, str]:
    return info.run, info.tag, info.source_tag


def _run_ends(store: Store, infos: Sequence[TagInfo]) -> dict[str, dict[str, float | None]]:
    """Where each run of ``infos`` ends on every axis: its last step, and the largest epoch and
    wall time of its series at that step (None where none has one)."""
    last_steps: dict[str, int] = {}
    for info in infos:
        last_steps[info.run] = max(last_steps.get(info.run, info.last_step), info.last_step)
    ends: dict[str, dict[str, float | None]] = {
        run: {"step": step, "epoch": None, "wall_time": None} for run, step in last_steps.items()
    }
    reaching: dict[int, list[TagInfo]] = {}  # the series that reach their run's end, by that step
    for info in infos:
        if info.last_step == last_steps[info.run]:
            reaching.setdefault(info.last_step, []).append(info)
    for step, group in reaching.items():
        for data in query.read_series_of(store, group, step_range=(step, step)).values():
            end = ends[data.run]
            for axis in ("epoch", "wall_time"):
                known = getattr(data, axis)[~np.isnan(getattr(data, axis))]
                if len(known):
                    end[axis] = max(float(known.max()), end[axis] if end[axis] is not None else -math.inf)
    return ends


def _smoothed_series(
    store: Store, info: TagInfo, width: int, x: str, x_range: tuple[float, float] | None,
    smoothing: str, weight: float, window: int, times: Times,
) -> list[dict[str, Any]]:
    """The answer for the one series ``info`` names, smoothed over every stored point."""
    step_range = _step_range(store, info, x, x_range, width)
    if step_range is not None and step_range[0] > step_range[1]:
        return [_empty(info)]
    found = query.read_series_of(store, [info], times=times)
    return [_smoothed(found[_key(info)], step_range, width, smoothing, weight, window)] if _key(info) in found else []


def _step_range(
    store: Store, info: TagInfo, x: str, x_range: tuple[float, float] | None, width: int
) -> tuple[int, int] | None:
    """The steps of one series whose ``x`` lies in ``x_range``, within the series' own steps.

    Epochs and wall times grow with the step, so an M4 overview of the series at ``width``
    buckets brackets the range to within a bucket (the points just outside it included, so the
    line runs to the chart's edges), and an overview of that bracket narrows it further,
    without ever reading every point.
    """
    if x_range is None:
        return None
    if x == "step":
        low, high = math.ceil(max(x_range[0], info.first_step)), math.floor(min(x_range[1], info.last_step))
        return low, high
    first, last = info.first_step, info.last_step
    for _ in range(_BRACKET_PASSES):
        overview = query.read_series_of(store, [info], step_range=(first, last), buckets=width,
                                        times="epoch" if x == "epoch" else True)[_key(info)]
        xs = getattr(overview, x)
        known = ~np.isnan(xs)
        steps, xs = overview.step[known], xs[known]
        if not len(xs):
            return None
        if x_range[1] < xs[0] or x_range[0] > xs[-1]:
            return last + 1, last  # nothing in the range
        before, after = np.flatnonzero(xs < x_range[0]), np.flatnonzero(xs > x_range[1])
        first = int(steps[before[-1]]) if len(before) else first
        last = int(steps[after[0]]) if len(after) else last
    return first, last


def _smoothed(
    data: SeriesData, step_range: tuple[int, int] | None, width: int, method: str, weight: float, window: int
) -> dict[str, Any]:
    smoothed = smooth(data.value, method, weight=weight, window=window, steps=data.step)
    lo, hi = step_range if step_range is not None else (None, None)
    first = 0 if lo is None else int(np.searchsorted(data.step, lo, side="left"))
    stop = len(data.step) if hi is None else int(np.searchsorted(data.step, hi, side="right"))
    kept = np.empty(0, dtype=np.intp)
    if first < stop:
        kept = first + m4_index(data.step[first:stop], data.value[first:stop], width, lo=lo, hi=hi)
    picked = SeriesData(
        data.run, data.tag, data.source_tag, data.step[kept], data.epoch[kept], data.wall_time[kept],
        data.value[kept], total_points=stop - first,
    )
    return _columns(picked, smoothed[kept])


def _empty(info: TagInfo) -> dict[str, Any]:
    nothing = np.empty(0)
    return {
        "run": info.run, "tag": info.tag, "source_tag": info.source_tag, "total_points": 0,
        "step": nothing, "epoch": nothing, "wall_time": nothing, "value": nothing, "smoothed": None,
    }


def _columns(data: SeriesData, smoothed: np.ndarray | None) -> dict[str, Any]:
    return {
        "run": data.run,
        "tag": data.tag,
        "source_tag": data.source_tag,
        "total_points": data.total_points,
        "step": data.step,
        "epoch": data.epoch,
        "wall_time": data.wall_time,
        "value": data.value,
        "smoothed": smoothed,
    }


def events(store: Store, run_names: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
    """Resumes, learning-rate changes, checkpoints, ... of each run, by run."""
    _check_runs(store, run_names)
    return {
        run: [event._asdict() for event in found]
        for run, found in query.read_events(store, run_names).items()
    }


def _check_runs(store: Store, run_names: Sequence[str]) -> None:
    missing = query.missing_runs(store, run_names)
    if missing:
        raise UnknownRun(missing)


MEDIA_KINDS = ("image", "video", "audio", "histogram", "text", "pr_curve", "hparams")


def media(store: Store, run_names: Sequence[str], *, tag: str | None = None, kind: str | None = None
          ) -> list[dict[str, Any]]:
    """Per run and media tag: its kind and every step stored (the image slider's stops).

    Only what indexing found is listed; `media_item` fetches one step. ``tag`` and ``kind``
    narrow the list.
    """
    if kind is not None and kind not in MEDIA_KINDS:
        raise UsageError(f"kind must be one of {', '.join(MEDIA_KINDS)}, not {kind!r}")
    _check_runs(store, run_names)
    found = query.read_media(store, run_names, tags=None if tag is None else [tag])
    answer = []
    for run in run_names:
        steps: dict[tuple[str, str], set[int]] = {}
        for record in found[run]:
            if kind is None or record.kind == kind:
                steps.setdefault((record.kind, record.tag), set()).add(record.step)
        for media_kind, media_tag in sorted(steps, key=lambda kind_tag: (kind_tag[1], kind_tag[0])):  # by tag
            answer.append({"run": run, "tag": media_tag, "kind": media_kind,
                           "steps": sorted(steps[media_kind, media_tag])})
    return answer


class UnknownMedia(LossboardError):
    """A request names a media tag or step the run does not hold."""


def media_record(store: Store, run: str, tag: str, step: int) -> Media:
    """The record of ``run``'s ``tag`` at ``step``: the last one written there, as for scalars."""
    _check_runs(store, [run])
    held = query.read_media(store, [run], tags=[tag], step_range=(step, step))[run]
    if not held:
        raise UnknownMedia(f"run {run!r} has no media {tag!r} at step {step}; see /api/media?run=...")
    return held[-1]


def media_item(store: Store, run: str, tag: str, step: int) -> dict[str, Any]:
    """One histogram, text, PR curve or hyper-parameter record as JSON (images, sounds: `media_file`)."""
    return media_item_of(run, media_record(store, run, tag, step))


def media_item_of(run: str, record: Media) -> dict[str, Any]:
    """``record`` as JSON; an image's place in the run's files stays on the server."""
    data = record.data
    if record.kind in FILE_KINDS:
        data = {key: value for key, value in data.items() if key not in ("offset", "path")}  # not the client's
    return {"run": run, "tag": record.tag, "kind": record.kind, "step": record.step,
            "wall_time": record.wall_time, "data": data}


def media_records(store: Store, run: str, tag: str) -> list[dict[str, Any]]:
    """Every step of one histogram, text or PR-curve tag, in step order (one record a step,
    the last written): what the histogram views draw at once. Images go one by one (`media_file`)."""
    _check_runs(store, [run])
    by_step = {record.step: record for record in query.read_media(store, [run], tags=[tag])[run]}
    if not by_step:
        raise UnknownMedia(f"run {run!r} has no media {tag!r}; see /api/media?run=...")
    return [media_item_of(run, by_step[step]) for step in sorted(by_step)]


def media_file(store: Store, run: str, tag: str, step: int) -> tuple[bytes, str]:
    """The encoded image, video or sound of ``run``'s ``tag`` at ``step`` and its content type,
    read from the run's own files as the store lists them (`lossboard.server.media`)."""
    record = media_record(store, run, tag, step)
    return media_file_of(store, run, record)


def media_file_of(store: Store, run: str, record: Media) -> tuple[bytes, str]:
    """`media_file` for a record already found."""
    if record.kind not in FILE_KINDS:
        raise UnknownMedia(f"{record.tag!r} of run {run!r} is {record.kind}, not an image or a sound; use /api/media/item")
    (info,) = [info for info in query.list_runs(store) if info.name == run]
    try:
        return media_bytes(info.sources, record)
    except MediaMissing as missing:
        if info.host and info.host != socket.gethostname():  # a team store: the files are on the indexer's machine
            raise MediaMissing(f"{missing}; the run was indexed on {info.host}: serve it there to see its media") from None
        raise


def hparams(store: Store, run_names: Sequence[str]) -> dict[str, Any]:
    """One row a run: its hyper-parameters and the last value of each metric, for the table.

    Hyper-parameters come from the run's last ``hparams`` record (``add_hparams``) or, lacking
    one, from the ``hparam/<name>`` facts its logs revealed. ``metrics`` are the tags, sorted.
    """
    _check_runs(store, run_names)
    records = query.read_media(store, run_names, tags=["hparams"])
    meta = {info.name: info.meta for info in query.list_runs(store)}
    last: dict[str, dict[str, float | None]] = {run: {} for run in run_names}
    found = query.list_tags(store, run_names)
    labels = Counter((info.run, info.tag) for info in found)
    for info in found:
        # two series of a run under one label (Loss/train and train_loss) go by their printed names
        last[info.run][info.tag if labels[info.run, info.tag] == 1 else info.source_tag] = info.last_value
    rows = []
    for run in run_names:
        held = [record.data for record in records[run] if record.kind == "hparams"]
        values = dict(held[-1]["hparams"]) if held else {
            key.removeprefix("hparam/"): _number_or_text(value) for key, value in meta[run].items()
            if key.startswith("hparam/")}
        rows.append({"run": run, "hparams": values, "metrics": last[run]})
    names = sorted({name for row in rows for name in row["hparams"]})
    metrics = sorted({name for row in rows for name in row["metrics"]})
    return {"hparams": names, "metrics": metrics, "runs": rows}


def _number_or_text(text: str) -> float | str:
    """A fact's value as the number it spells (so the table sorts 0.1 before 0.05 right), else as text."""
    try:
        return float(text)
    except ValueError:
        return text
