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
_NAN_ARRAY = array("d", [_NAN])


_HOLD = 4096  # a block this long is held (its values copied to the store); shorter ones are copied together

# A stretch of one series: step (int64), value (float64, or where in the store), epoch and wall
# time (float64; None: unknown throughout).
_Segment = tuple[np.ndarray, "np.ndarray | slice", "np.ndarray | None", "np.ndarray | None"]


class _Columns:
    """Growing columns of one series: typed arrays hold 8 bytes a value, not a float object.

    An epoch or wall-time column stays empty while no value so far knew it (most logs print no
    wall time): NaNs for the values before are written when the first known one comes, so a
    column nobody knows costs neither memory nor time. A long block (a table's chunk) is held
    after the arrays so far, and joined in `series`: its steps, epochs and wall times as they
    came (a chunk's series share them), its values copied to the end of ``store`` (its first
    ``stored`` values), a numpy array: from 4 MB numpy asks the kernel for huge pages, so a
    fresh page costs a fault per 2 MB, not per 4 KB (half the CPU of an ``array`` grown by
    ``frombytes``). So the parser's block is freed at once (the next one reuses its memory), and
    once a long block came, every value of the series goes to the store (those before it
    too), so they are one view of it in the end, never joined. Short blocks wait in
    ``pending`` until the collector's `add` ends (or a point comes), then are copied in
    together: three copies a series per `add`, not three per block.
    """

    __slots__ = ("held", "pending", "store", "stored", "step", "epoch", "wall_time", "value")

    def __init__(self) -> None:
        self.held: list[_Segment] = []
        self.pending: list[Columns] = []
        self.store, self.stored = _NO_VALUES, 0
        self._new_arrays()

    def _new_arrays(self) -> None:
        self.step = array("q")
        self.epoch = array("d")
        self.wall_time = array("d")
        self.value = array("d")

    def copy_pending(self) -> None:
        """Copy the short blocks waiting in ``pending`` into the arrays, in their order."""
        blocks, self.pending = self.pending, []
        if len(blocks) == 1:
            (block,) = blocks
            step, value, epoch, wall_time = block.step, block.value, block.epoch, block.wall_time
        else:
            step = np.concatenate([block.step for block in blocks])
            value = np.concatenate([block.value for block in blocks])
            epoch, wall_time = _joined(blocks, "epoch"), _joined(blocks, "wall_time")
        before = len(self.step)
        self.step.frombytes(_bytes_of(step, np.int64))
        self.value.frombytes(_bytes_of(value, np.float64))
        if epoch is not None or self.epoch:
            _extend(self.epoch, epoch, before, len(step))
        if wall_time is not None or self.wall_time:
            _extend(self.wall_time, wall_time, before, len(step))

    def close(self) -> None:
        """Move what the arrays hold to a held segment (views, no copy; the values copied to the
        store if the series has one): they stop growing."""
        if self.pending:
            self.copy_pending()
        if self.step:
            values = np.frombuffer(self.value)
            self.held.append((np.frombuffer(self.step, dtype=np.int64), self._stored(values) if self.stored else values,
                              np.frombuffer(self.epoch) if self.epoch else None,
                              np.frombuffer(self.wall_time) if self.wall_time else None))
            self._new_arrays()

    def hold(self, block: Columns) -> None:
        """Keep a long block after what the arrays hold: its values in the store. The values
        held before the first such block go to the store first (a series' first epoch, read
        line by line), so that in the end they all are one view of it, never joined: joining
        copied the values of every long series once more, into fresh pages."""
        self.close()
        if not self.stored:
            self.held = [(step, self._stored(value), epoch, wall) for step, value, epoch, wall in self.held]
        self.held.append((  # a column of a parser's matrix is copied, or it would keep the whole matrix
            np.ascontiguousarray(block.step, dtype=np.int64),
            self._stored(block.value),
            None if block.epoch is None else np.ascontiguousarray(block.epoch, dtype=np.float64),
            None if block.wall_time is None else np.ascontiguousarray(block.wall_time, dtype=np.float64),
        ))

    def _stored(self, values: np.ndarray) -> slice:
        """Copy ``values`` to the end of the store; where they are in it."""
        start = self.stored
        self.stored = end = start + len(values)
        if end > len(self.store):
            self.store = _grown(self.store, start, end)
        self.store[start:end] = values
        return slice(start, end)

    def take_values(self) -> np.ndarray:
        """The values of every held segment, in order: one view of the store once a long block
        came (then they all are there, one after the other from 0), else joined. The store is
        handed over: later blocks start a new one."""
        if self.stored:
            store, self.store, self.stored = self.store[: self.stored], _NO_VALUES, 0
            return store
        parts = [segment[1] for segment in self.held]
        return parts[0] if len(parts) == 1 else np.concatenate(parts)


_NO_VALUES = np.empty(0)


def _grown(store: np.ndarray, used: int, size: int) -> np.ndarray:
    """A store for at least ``size`` values that holds the ``used`` ones of ``store``. It grows
    4x: the end not written yet takes address space, not memory (but for the rest of a 2 MB
    huge page), and the copies while growing add up to a third of the values, not all."""
    grown = np.empty(max(size, 4 * len(store)))
    grown[:used] = store[:used]
    return grown


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
        waiting: list[_Columns] = []  # series with short blocks pending: copied in at the end
        for item in items:
            if type(item) is Point:
                tag, source_tag, step, value, epoch, wall_time = item
                col = columns.get((tag, source_tag))
                if col is None:
                    col = columns[SeriesKey(tag, source_tag)] = _Columns()
                if col.pending:  # blocks before this point go first
                    col.copy_pending()
                try:  # the int64 array checks the range itself: nothing added to the hot path
                    col.step.append(step)
                except OverflowError:  # a parser's guard missed it: this value is lost, not the file
                    self.problems.append(FileProblem(self.path, 0, f"{source_tag}: step {step} is outside "
                                                     "64-bit integers; value skipped"))
                    continue
                col.value.append(value)
                # the usual cases inline (known as before, unknown as before): no call per point
                if col.epoch and epoch is not None:
                    col.epoch.append(epoch)
                elif epoch is not None or col.epoch:  # else unknown so far: nothing to write
                    _append(col.epoch, epoch, len(col.step) - 1)
                if wall_time is not None or col.wall_time:
                    _append(col.wall_time, wall_time, len(col.step) - 1)
            elif type(item) is Columns:
                tag, source_tag, step, value, epoch, wall_time = item
                col = columns.get((tag, source_tag))
                if col is None:
                    col = columns[SeriesKey(tag, source_tag)] = _Columns()
                if len(step) >= _HOLD:
                    col.hold(item)
                    continue
                if not col.pending:
                    waiting.append(col)
                col.pending.append(item)
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
        for col in waiting:
            if col.pending:
                col.copy_pending()

    def _cut(self, resume: Event) -> None:
        for col in self._columns.values():
            if col.pending:
                col.copy_pending()
        filled = {key: col for key, col in self._columns.items() if col.step or col.held}
        joiner = _Joiner(filled.values())
        for key, col in filled.items():
            kept = cut_before(joiner.series(key, col), resume)
            col.held = []
            col.step = array("q", kept.step.tobytes())
            col.value = array("d", kept.value.tobytes())
            col.epoch = array("d", kept.epoch.tobytes() if kept.has_epochs else b"")
            col.wall_time = array("d", kept.wall_time.tobytes() if not np.isnan(kept.wall_time).all() else b"")

    @property
    def is_empty(self) -> bool:
        return not any(col.step or col.held for col in self._columns.values())

    def series(self) -> SeriesMap:
        """The columns as series, sorted by step, one value per step. A series of one segment
        is views on the collector's memory, not a copy: a series of a 1 GB log is large."""
        filled = {key: col for key, col in self._columns.items() if col.step or col.held}
        joiner = _Joiner(filled.values())
        return SeriesMap(joiner.series(key, col) for key, col in filled.items())


def _joined(blocks: list[Columns], field: str) -> np.ndarray | None:
    """The blocks' epochs or wall times (``field``) one after the other, NaN where a block does
    not know them; None if none does."""
    parts = [getattr(block, field) for block in blocks]
    if all(part is None for part in parts):
        return None
    return np.concatenate([np.full(len(block.step), _NAN) if part is None else part
                           for part, block in zip(parts, blocks)])


def _append(column: array, value: float | None, before: int) -> None:
    """Add a point's epoch or wall time (None: unknown) after ``before`` values."""
    if value is None:
        column.append(_NAN)
        return
    if before and not column:  # the first known one: those before it were unknown
        column.extend(_NAN_ARRAY * before)
    column.append(value)


def _extend(column: array, values: np.ndarray | None, before: int, count: int) -> None:
    """Add a block's ``count`` epochs or wall times (None: unknown) after ``before`` values."""
    if values is None:
        column.extend(_NAN_ARRAY * count)
        return
    if before and not column:  # the first known ones: those before them were unknown
        column.extend(_NAN_ARRAY * before)
    column.frombytes(_bytes_of(values, np.float64))


def _bytes_of(values: np.ndarray, dtype: type) -> memoryview:
    """``values`` as ``dtype``, in bytes for ``array.frombytes``: copied only if they are not
    already (``tobytes`` would copy them again)."""
    return memoryview(np.ascontiguousarray(values, dtype=dtype)).cast("B")


class _Joiner:
    """Joins each series' segments into one array per column, releasing the segments as it goes.

    A table's chunk gives every series the same steps (and epochs): a column whose segments
    several series share is joined once and the series share the result. Long segments are
    the same when they are the same memory (`_identity`), short ones when they hold the same
    values (`_one_copy`).
    """

    def __init__(self, columns: Iterable[_Columns]) -> None:
        uses: Counter[tuple] = Counter()
        seen: dict[tuple[int, bytes], np.ndarray] = {}
        for col in columns:
            col.close()
            if len(col.held) > 1:
                col.held = [_one_copy(segment, seen) for segment in col.held]
                uses.update(_identity(field, col.held) for field in _SHAREABLE)
        self._shared: dict[tuple, list] = {key: [count, None] for key, count in uses.items() if count > 1}
        self._nan = np.empty(0)

    def series(self, key: SeriesKey, col: _Columns) -> Series:
        """The series of ``col``, which then holds it as its one segment (asking again is free)."""
        col.close()
        value = col.take_values()
        step, epoch, wall_time = (self._join(field, col.held) for field in (0, 2, 3))
        col.held = [(step, value, epoch, wall_time)]
        return last_per_step(Series(key.tag, key.source_tag, step, self._or_nan(epoch, len(step)),
                                    self._or_nan(wall_time, len(step)), value))

    def _join(self, field: int, segments: list[_Segment]) -> np.ndarray | None:
        """One column of the segments one after the other, NaN where a segment does not know
        it; None if none does."""
        parts = [segment[field] for segment in segments]
        if len(parts) == 1 or all(part is None for part in parts):
            return parts[0]
        shared = self._shared.get(_identity(field, segments)) if field in _SHAREABLE else None
        if shared is not None and shared[1] is not None:
            joined = shared[1]
        elif all(part is not None for part in parts):
            joined = np.concatenate(parts)
        else:
            joined = np.full(sum(len(segment[0]) for segment in segments), _NAN)
            start = 0
            for part, segment in zip(parts, segments):
                if part is not None:
                    joined[start : start + len(part)] = part
                start += len(segment[0])
        if shared is not None:  # kept for the series still to come, dropped after the last
            shared[0] -= 1
            shared[1] = joined if shared[0] else None
        return joined

    def _or_nan(self, column: np.ndarray | None, length: int) -> np.ndarray:
        """``column``, or a read-only view of one NaN array all series share: nobody knew it."""
        if column is not None:
            return column
        if len(self._nan) < length:
            self._nan = np.full(length, _NAN)
            self._nan.setflags(write=False)
        return self._nan[:length]


_SHAREABLE = (0, 2, 3)  # step, epoch and wall time: a chunk reads them once for all its series


def _one_copy(segment: _Segment, seen: dict[tuple[int, bytes], np.ndarray]) -> _Segment:
    """``segment`` with its steps, epochs and wall times replaced by equal ones ``seen`` before,
    if it is shorter than a held block: the series' own copy of what a chunk's short blocks
    shared (each series copies them into its arrays), which alone would keep a column from
    being joined once for all the series that share the rest of it."""
    if len(segment[0]) >= _HOLD:
        return segment
    step, value, epoch, wall_time = segment
    return (seen.setdefault((0, step.tobytes()), step), value,
            None if epoch is None else seen.setdefault((2, epoch.tobytes()), epoch),
            None if wall_time is None else seen.setdefault((3, wall_time.tobytes()), wall_time))


def _identity(field: int, segments: list[_Segment]) -> tuple:
    """One column of a series' segments by where their values are: the same memory holds the
    same values (a table's chunk hands each series its own view of one steps array)."""
    return field, tuple(
        (None if segment[field] is None else segment[field].__array_interface__["data"][0], len(segment[0]))
        for segment in segments
    )


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
