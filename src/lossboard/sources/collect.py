"""Gather the records a parser emits into one run's columns."""

from __future__ import annotations

import math
from array import array

import numpy as np

from lossboard.model import (
    RESUME,
    Columns,
    Event,
    FileProblem,
    Item,
    Media,
    Meta,
    Point,
    Problem,
    Series,
    SeriesKey,
    SeriesMap,
)

_NAN = math.nan
_NAN_ARRAY = array("d", [_NAN])


class _Columns:
    """Growing columns of one series: typed arrays hold 8 bytes a value, not a float object."""

    __slots__ = ("step", "epoch", "wall_time", "value")

    def __init__(self) -> None:
        self.step = array("q")
        self.epoch = array("d")
        self.wall_time = array("d")
        self.value = array("d")


class RunCollector:
    """Collects `Point`, `Columns`, `Event`, `Problem` and `Meta` records of one source file.

    Series are kept apart by `SeriesKey` (canonical tag and printed name), never merged. A
    point for a step the series already has replaces it (later wins), and a ``resume``
    event first drops what the series holds from the resumed epoch (or step) on, so a file
    that records a restart from an earlier checkpoint keeps only what the restart wrote.
    """

    def __init__(self, path: str) -> None:
        self.path = path
        self._columns: dict[SeriesKey, _Columns] = {}
        self.events: list[Event] = []
        self.media: list[Media] = []
        self.problems: list[FileProblem] = []
        self.meta: dict[str, str] = {}

    def add(self, items: list[Item]) -> None:
        columns = self._columns
        for item in items:
            if type(item) is Point:
                tag, source_tag, step, value, epoch, wall_time = item
                col = columns.get((tag, source_tag))
                if col is None:
                    col = columns[SeriesKey(tag, source_tag)] = _Columns()
                try:  # the int64 array checks the range itself: nothing added to the hot path
                    col.step.append(step)
                except OverflowError:  # a parser's guard missed it: this value is lost, not the file
                    self.problems.append(FileProblem(self.path, 0, f"{source_tag}: step {step} is outside "
                                                     "64-bit integers; value skipped"))
                    continue
                col.value.append(value)
                col.epoch.append(_NAN if epoch is None else epoch)
                col.wall_time.append(_NAN if wall_time is None else wall_time)
            elif type(item) is Columns:
                self._add_columns(item)
            elif type(item) is Event:
                if item.kind == RESUME:
                    self._cut(item)
                self.events.append(item)
            elif type(item) is Problem:
                self.problems.append(FileProblem(self.path, item.line, item.message))
            elif type(item) is Media:
                self.media.append(item)
            elif type(item) is Meta:
                self.meta[item.key] = item.value

    def _add_columns(self, item: Columns) -> None:
        key = SeriesKey(item.tag, item.source_tag)
        col = self._columns.get(key)
        if col is None:
            col = self._columns[key] = _Columns()
        col.step.frombytes(item.step.astype(np.int64, copy=False).tobytes())
        col.value.frombytes(item.value.astype(np.float64, copy=False).tobytes())
        for column, values in ((col.epoch, item.epoch), (col.wall_time, item.wall_time)):
            if values is None:
                column.extend(_NAN_ARRAY * len(item.step))
            else:
                column.frombytes(values.astype(np.float64, copy=False).tobytes())

    def _cut(self, resume: Event) -> None:
        for key, col in list(self._columns.items()):
            series = _to_series(key, col)
            kept = cut_before(series, resume)
            col.step = array("q", kept.step.tobytes())
            col.epoch = array("d", kept.epoch.tobytes())
            col.wall_time = array("d", kept.wall_time.tobytes())
            col.value = array("d", kept.value.tobytes())

    @property
    def is_empty(self) -> bool:
        return not any(col.step for col in self._columns.values())

    def series(self) -> SeriesMap:
        """The columns as series. Call once, at the end: the series share the collector's
        memory, so adding to it afterwards is refused (a resize would move that memory)."""
        return SeriesMap(_to_series(key, col) for key, col in self._columns.items() if col.step)


def _to_series(key: SeriesKey, col: _Columns) -> Series:
    # views on the arrays, not copies: a series of a 1 GB log is large
    series = Series(
        key.tag,
        key.source_tag,
        np.frombuffer(col.step, dtype=np.int64),
        np.frombuffer(col.epoch, dtype=np.float64),
        np.frombuffer(col.wall_time, dtype=np.float64),
        np.frombuffer(col.value, dtype=np.float64),
    )
    return last_per_step(series)


def last_per_step(series: Series) -> Series:
    """Sorted by step with one value per step: where a step repeats, the last one wins."""
    step = series.step
    if len(step) < 2 or (step[1:] > step[:-1]).all():  # np.diff could overflow int64
        return series
    order = np.argsort(step, kind="stable")
    sorted_steps = step[order]
    keep = np.ones(len(order), dtype=bool)
    keep[:-1] = sorted_steps[1:] != sorted_steps[:-1]
    index = order[keep]
    return series.take(index)


def cut_before(series: Series, resume: Event) -> Series:
    """The points of ``series`` that come before a resume point, by epoch when both know it."""
    if resume.epoch is not None and series.has_epochs:
        keep = ~(series.epoch >= resume.epoch)
    else:
        keep = series.step < resume.step
    return series if keep.all() else series.take(np.flatnonzero(keep))
