"""Gather the records a parser emits into one run's columns."""

from __future__ import annotations

import math
from array import array
from collections import Counter
from collections.abc import Iterable

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

# One block of a series as it came: step (int64), value (float64), epoch and wall time (None: unknown).
_Block = tuple[np.ndarray, np.ndarray, "np.ndarray | None", "np.ndarray | None"]


class _Parts:
    """One series as the blocks it came in, plus the points added one by one since the last block.

    A `Columns` block is kept as the parser made it, not copied: the blocks are joined once,
    when the series is asked for. Points go to typed arrays (8 bytes a value, not a float object)
    that become a block of their own when a `Columns` block or a resume comes after them.
    """

    __slots__ = ("blocks", "step", "epoch", "wall_time", "value")

    def __init__(self) -> None:
        self.blocks: list[_Block] = []
        self._new_points()

    def _new_points(self) -> None:
        self.step = array("q")
        self.epoch = array("d")
        self.wall_time = array("d")
        self.value = array("d")

    def close_points(self) -> None:
        """Move the points added so far into a block (views on their arrays, no copy)."""
        if self.step:
            self.blocks.append((
                np.frombuffer(self.step, dtype=np.int64),
                np.frombuffer(self.value, dtype=np.float64),
                np.frombuffer(self.epoch, dtype=np.float64),
                np.frombuffer(self.wall_time, dtype=np.float64),
            ))
            self._new_points()

    def hold(self, series: Series) -> None:
        """Keep ``series`` as the one block, a column unknown throughout staying unknown."""
        _, _, epoch, wall_time = self.blocks[0]
        self.blocks = [(series.step, series.value, None if epoch is None else series.epoch,
                        None if wall_time is None else series.wall_time)]

    def __bool__(self) -> bool:
        return bool(self.step) or any(len(block[0]) for block in self.blocks)


class RunCollector:
    """Collects `Point`, `Columns`, `Event`, `Problem` and `Meta` records of one source file.

    Series are kept apart by `SeriesKey` (canonical tag and printed name), never merged. A
    point for a step the series already has replaces it (later wins), and a ``resume``
    event first drops what the series holds from the resumed epoch (or step) on, so a file
    that records a restart from an earlier checkpoint keeps only what the restart wrote.
    """

    def __init__(self, path: str) -> None:
        self.path = path
        self._parts: dict[SeriesKey, _Parts] = {}
        self.events: list[Event] = []
        self.media: list[Media] = []
        self.problems: list[FileProblem] = []
        self.meta: dict[str, str] = {}

    def add(self, items: list[Item]) -> None:
        series = self._parts
        for item in items:
            if type(item) is Point:
                tag, source_tag, step, value, epoch, wall_time = item
                parts = series.get((tag, source_tag))
                if parts is None:
                    parts = series[SeriesKey(tag, source_tag)] = _Parts()
                try:  # the int64 array checks the range itself: nothing added to the hot path
                    parts.step.append(step)
                except OverflowError:  # a parser's guard missed it: this value is lost, not the file
                    self.problems.append(FileProblem(self.path, 0, f"{source_tag}: step {step} is outside "
                                                     "64-bit integers; value skipped"))
                    continue
                parts.value.append(value)
                parts.epoch.append(_NAN if epoch is None else epoch)
                parts.wall_time.append(_NAN if wall_time is None else wall_time)
            elif type(item) is Columns:
                tag, source_tag, step, value, epoch, wall_time = item
                parts = series.get((tag, source_tag))
                if parts is None:
                    parts = series[SeriesKey(tag, source_tag)] = _Parts()
                if parts.step:  # points came first: they keep their place before this block
                    parts.close_points()
                parts.blocks.append((step.astype(np.int64, copy=False), value.astype(np.float64, copy=False),
                                     epoch, wall_time))
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

    def _cut(self, resume: Event) -> None:
        held = {key: parts for key, parts in self._parts.items() if parts}
        joiner = _Joiner(held.values())
        for key, parts in held.items():
            series = joiner.series(key, parts)
            kept = cut_before(series, resume)
            if kept is not series:
                parts.hold(kept)

    @property
    def is_empty(self) -> bool:
        return not any(self._parts.values())

    def series(self) -> SeriesMap:
        """The columns as series, sorted by step with one value per step.

        Arrays several series share (one chunk's steps, printed once for all its metrics) are
        joined once and stay shared, and a column unknown throughout is a read-only view of
        one NaN array: a log's series take much less than 32 bytes a point.
        """
        held = {key: parts for key, parts in self._parts.items() if parts}
        joiner = _Joiner(held.values())
        return SeriesMap(joiner.series(key, parts) for key, parts in held.items())


class _Joiner:
    """Joins the blocks of each series into arrays, once for blocks that several series share."""

    def __init__(self, all_parts: Iterable[_Parts]) -> None:
        uses: Counter[tuple] = Counter()
        for parts in all_parts:
            parts.close_points()
            uses.update(_shared_key(field, parts.blocks) for field in _SHAREABLE if len(parts.blocks) > 1)
        self._shared = {key: [count, None] for key, count in uses.items() if count > 1}
        self._nan = np.empty(0)

    def series(self, key: SeriesKey, parts: _Parts) -> Series:
        """The series of ``parts``, which then holds it as its one block (a second call is free)."""
        parts.close_points()
        step, value, epoch, wall_time = (self._join(field, parts.blocks) for field in range(4))
        parts.blocks = [(step, value, epoch, wall_time)]
        series = last_per_step(Series(key.tag, key.source_tag, step, self._or_nan(epoch, len(step)),
                                      self._or_nan(wall_time, len(step)), value))
        if series.step is not step:  # hold the sorted copy only
            parts.hold(series)
        return series

    def _join(self, field: int, blocks: list[_Block]) -> np.ndarray | None:
        """One field of the blocks one after the other, int64 steps and float64 the rest
        (NaN where a block does not know it); None if no block knows it."""
        arrays = [block[field] for block in blocks]
        if all(part is None for part in arrays):
            return None
        dtype = np.int64 if field == 0 else np.float64
        if len(arrays) == 1:
            return np.asarray(arrays[0], dtype=dtype)
        shared = self._shared.get(_shared_key(field, blocks)) if field in _SHAREABLE else None
        if shared is not None and shared[1] is not None:
            joined = shared[1]
        elif any(part is None for part in arrays):
            joined = np.empty(sum(len(block[0]) for block in blocks), dtype=dtype)
            start = 0
            for part, block in zip(arrays, blocks):
                end = start + len(block[0])
                joined[start:end] = _NAN if part is None else part
                start = end
        else:
            joined = np.concatenate(arrays, dtype=dtype, casting="unsafe")
        if shared is not None:  # kept for the series still to come, dropped after the last
            shared[0] -= 1
            shared[1] = joined if shared[0] else None
        return joined

    def _or_nan(self, column: np.ndarray | None, length: int) -> np.ndarray:
        """``column``, or a read-only view of NaNs for a column unknown throughout."""
        if column is not None:
            return column
        if len(self._nan) < length:
            self._nan = np.full(length, _NAN)
            self._nan.setflags(write=False)
        return self._nan[:length]


_SHAREABLE = (0, 2, 3)  # step, epoch and wall time: a chunk prints them once for all its metrics


def _shared_key(field: int, blocks: list[_Block]) -> tuple:
    """What identifies one field of a list of blocks: the very arrays, and their lengths (None has one id)."""
    return field, tuple(id(block[field]) for block in blocks), tuple(len(block[0]) for block in blocks)


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
