"""Series as chunks of raw column bytes: split, encode, decode, merge and downsample, shared by
every backend.

A chunk is up to `CHUNK_POINTS` consecutive points of one series. Each column is stored as
little-endian bytes (``<i8`` steps, ``<f8`` the rest), so NaN, +-inf and every other float
come back bit for bit, and a million points decode with one ``np.frombuffer`` per column.
Merging reuses `lossboard.sources.collect.last_per_step`: the store and a plain load keep the
same point when a step repeats.

Each chunk also carries its level-1 summary records (`lossboard.store._levels`), written
with it; the coarser levels span chunks and are rebuilt by the backends after a write.

    >>> new = series_of([1, 2], [0.5, float("nan")])
    >>> rows = chunk_rows(new)
    >>> decode("t", "t", [rows[0].blobs]).value.tolist()
    [0.5, nan]
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import NamedTuple

import numpy as np

from lossboard.model import Series
from lossboard.sources.collect import last_per_step
from lossboard.store._crc import CorruptChunk, checksum
from lossboard.store._levels import Row, chunk_records, group_rows
from lossboard.store.base import CHUNK_POINTS, Columns
from lossboard.store.downsample import m4_index

_STEP = np.dtype("<i8")
_FLOAT = np.dtype("<f8")
Blobs = tuple[bytes, bytes, bytes, bytes, int]  # step, epoch, wall_time, value, their checksum
Block = tuple[bytes, int, bytes, int, bytes, int]  # a chunk's level-1 records as stored (`_levels.sealed`)


class ChunkRow(NamedTuple):
    """One chunk as a backend stores it: its summary, its column blobs with their checksum,
    and its level-1 records with theirs."""

    first_step: int
    last_step: int
    count: int
    value_min: float | None  # None: every value is NaN
    value_max: float | None
    blobs: Blobs
    level1: Block


def series_of(
    step: Iterable[int],
    value: Iterable[float],
    *,
    epoch: Iterable[float] | None = None,
    wall_time: Iterable[float] | None = None,
    tag: str = "",
    source_tag: str = "",
) -> Series:
    """A `Series` from plain sequences (unknown epochs and wall times as NaN), not yet sorted."""
    steps = np.asarray(step, dtype=np.int64)
    nan = np.full(len(steps), np.nan)
    return Series(
        tag,
        source_tag,
        steps,
        nan if epoch is None else np.asarray(epoch, dtype=np.float64),
        nan.copy() if wall_time is None else np.asarray(wall_time, dtype=np.float64),
        np.asarray(value, dtype=np.float64),
    )


def from_columns(columns: Columns) -> Series:
    """A batch's columns as a sorted series with one value per step (the last one wins)."""
    return last_per_step(
        series_of(
            columns.step,
            columns.value,
            epoch=columns.epoch,
            wall_time=columns.wall_time,
            tag=columns.tag,
            source_tag=columns.source_tag,
        )
    )


def encode(series: Series) -> Blobs:
    """The four columns as little-endian bytes, and their checksum."""
    columns = (
        series.step.astype(_STEP, copy=False).tobytes(),
        series.epoch.astype(_FLOAT, copy=False).tobytes(),
        series.wall_time.astype(_FLOAT, copy=False).tobytes(),
        series.value.astype(_FLOAT, copy=False).tobytes(),
    )
    return (*columns, checksum(*columns))


def decode(tag: str, source_tag: str, blobs: Iterable[Sequence], *, checked: bool = True) -> Series:
    """Chunks (in step order) back into one series: each column joined, then decoded once.

    Each row's checksum is verified (`CorruptChunk`); ``checked=False`` is for the migrations
    that read chunks written before checksums existed.
    """
    columns: tuple[list[bytes], ...] = ([], [], [], [])
    for row in blobs:
        if checked and checksum(*row[:4]) != row[4]:
            raise CorruptChunk(tag)
        for column, blob in zip(columns, row[:4]):
            column.append(blob)
    step, epoch, wall_time, value = columns
    return Series(tag, source_tag, join(step, steps=True), join(epoch), join(wall_time), join(value))


def join(blobs: Sequence[bytes], *, steps: bool = False) -> np.ndarray:
    """One column of consecutive chunks as one native int64 (steps) or float64 array."""
    stored, native = (_STEP, np.int64) if steps else (_FLOAT, np.float64)
    return np.frombuffer(b"".join(blobs), dtype=stored).astype(native, copy=False)


def select(
    series: Series,
    step_range: tuple[int, int] | None,
    time_range: tuple[float, float] | None,
    buckets: int | None,
) -> tuple[Series, int]:
    """The points of a decoded series within both ranges (ends included; an unknown wall time
    is outside any time range), M4-downsampled when ``buckets`` is given, and how many points
    the ranges hold."""
    if step_range is not None:
        start = np.searchsorted(series.step, step_range[0], side="left")
        stop = np.searchsorted(series.step, step_range[1], side="right")
        series = series.take(slice(start, stop))
    if time_range is not None:
        wall = series.wall_time
        series = series.take(np.flatnonzero((wall >= time_range[0]) & (wall <= time_range[1])))
    total = len(series)
    if buckets is not None:
        lo, hi = step_range if step_range is not None else (None, None)
        series = series.take(m4_index(series.step, series.value, buckets, lo=lo, hi=hi))
    return series, total


def split(series: Series, size: int = CHUNK_POINTS) -> list[Series]:
    """Consecutive slices of at most ``size`` points (views, not copies)."""
    return [series.take(slice(start, start + size)) for start in range(0, len(series), size)]


def summarize(series: Series) -> tuple[int, int, int, float | None, float | None]:
    """First and last step, count, and the value min and max ignoring NaN (None if all NaN)."""
    value = series.value
    finite_or_inf = value[~np.isnan(value)]
    if len(finite_or_inf):
        low, high = float(finite_or_inf.min()), float(finite_or_inf.max())
    else:
        low = high = None
    return int(series.step[0]), int(series.step[-1]), len(series), low, high


def chunk_rows(series: Series, size: int = CHUNK_POINTS) -> list[ChunkRow]:
    """A sorted series cut into chunks, each summarised and encoded, ready to insert."""
    rows = []
    for part in split(series, size):
        rows.append(ChunkRow(*summarize(part), encode(part), chunk_records(part)))
    return rows


def summary_rows(chunks: Iterable[tuple[int, int, int, bytes, bytes, bytes, bytes, int]]) -> list[tuple[int, Row]]:
    """``(level, row)`` of every summary level of a series from its chunks ``(first_step,
    last_step, count, *blobs)`` in step order: what a migration writes for an existing series."""
    level1 = []
    for first, last, count, *blobs in chunks:
        level1.append(Row(first, last, count, *chunk_records(decode("", "", [blobs]))))
    return [(1, row) for row in level1] + group_rows(level1)


def merge(old: Series, new: Series) -> Series:
    """``old`` and ``new`` points together, sorted by step; where both hold a step, ``new`` wins."""
    return last_per_step(new if not len(old) else old.append(new))


