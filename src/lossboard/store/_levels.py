"""The summary pyramid: M4 records of a series' blocks at several sizes, and the block-aligned
M4 read that makes a downsampled query touch O(buckets) stored values whatever the length.

A **record** sums up one block of consecutive points: how many there are, the first and the
last, the points holding the minimum and the maximum value (NaN aside), and the first NaN (its
first point again when it holds none). Level 0 is every point as a record of one; level ``k``
cuts the series into blocks of `LEVEL_POINTS` ``[k]`` points: 32, 128, 512 and 2,048 inside
each chunk, then 2, 8 and 32 whole chunks. Every block of a level is a union of whole blocks
of each finer level, so a coarser record is the reduction (`reduce`) of finer ones: M4 of M4s
is M4.

Stored: level 1 in one row beside each chunk, levels 2-7 in one row per level per group of
`GROUP_CHUNKS` chunks (`group_rows`); a row is a contiguous array of records, so one level of
one series decodes with one ``np.frombuffer``.

A read (`downsample`) picks the coarsest level with at least ``buckets`` blocks in the range
(`level_for`), so a bucket spans 1 to 4 of its blocks; covers the range with that level's
blocks wholly inside it and, towards the range's ends, finer blocks and finally single points
(`cover`); puts each block in the bucket of the step range where its first point falls; and
keeps each bucket's first, last, minimum, maximum and first NaN. Bucket edges thus move to
block edges: each point is in exactly one bucket, and a bucket keeps the real first, last,
minimum and maximum points (and first NaN) *of the points it covers*, so the range's extremes,
every spike and the first NaN survive; a bucket reaches at most one block past its step
range's edge, a block being no wider than a bucket on average (visually lossless at one bucket
a pixel). Below 32 points a bucket the read is exact: every point in the range is read.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import NamedTuple

import numpy as np

from lossboard.model import Series
from lossboard.store._crc import CorruptChunk, checksum
from lossboard.store.base import CHUNK_POINTS
from lossboard.store.downsample import edges, first_match

POINT = np.dtype([("step", "<i8"), ("epoch", "<f8"), ("wall_time", "<f8"), ("value", "<f8")])
RECORD = np.dtype([("count", "<i8"), ("first", POINT), ("last", POINT), ("low", POINT), ("high", POINT), ("nan", POINT)])
# points a block holds at each level (levels 5-7: chunks joined, while they are full); a small
# factor between levels keeps a read within 4x the buckets' count of records
LEVEL_POINTS = (1, 32, 128, 512, 2048, 8192, 32768, 131072)
GROUP_CHUNKS = 32  # chunks per stored row of levels 2-7: one block of the top level
# Records and points are handled as rows of 8-byte words (`RECORD` and `POINT` are their
# layout): numpy copies nested structured fields one by one, 30x slower than rows of int64.
# A point is 4 words (step, then epoch, wall time and value as float64 bits); a record is its
# count and five points: first, last, low, high, nan.
_WORDS = RECORD.itemsize // 8
_PARTS = _FIRST, _LAST, _LOW, _HIGH, _NAN = tuple(slice(1 + 4 * at, 5 + 4 * at) for at in range(5))
_STEP, _VALUE = 0, 3  # words of a point


class Row(NamedTuple):
    """One stored row of summaries: the chunks it covers, their points and its records' CRC."""

    first_step: int
    last_step: int
    count: int
    records: bytes
    checksum: int


def level_for(points: int, buckets: int) -> int:
    """The coarsest level with at least ``buckets`` whole blocks among ``points`` (0: read every point)."""
    return max(level for level, size in enumerate(LEVEL_POINTS) if level == 0 or points >= buckets * size)


def points_of(series: Series) -> np.ndarray:
    """A series' points as rows of 4 words (`POINT`)."""
    points = np.empty((len(series), 4), dtype=np.int64)
    points[:, _STEP] = series.step
    floats = points.view(np.float64)
    floats[:, 1], floats[:, 2], floats[:, _VALUE] = series.epoch, series.wall_time, series.value
    return points


def reduce(rows: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """One record per run of ``rows`` beginning at each of ``starts`` (sorted, from 0), as rows
    of words (`RECORD`).

    ``rows`` are records or points (4 words: each a record of one). The minimum and maximum
    are each run's first holding them (NaN as +inf and -inf), as `downsample.m4_index` picks them.
    """
    rows = np.ascontiguousarray(rows)
    if rows.shape[1] == 4:
        count = np.ones(len(rows), dtype=np.int64)
        first = last = low = high = nan = _points(rows, 0)
        lows = highs = nan_values = rows[:, _VALUE].view(np.float64)
    else:
        count, (first, last, low, high, nan) = rows[:, 0], (_points(rows, part.start) for part in _PARTS)
        lows, highs, nan_values = (rows[:, part.start + _VALUE].view(np.float64) for part in (_LOW, _HIGH, _NAN))
    out = np.empty((len(starts), _WORDS), dtype=np.int64)
    to_first, to_last, to_low, to_high, to_nan = (_points(out, part.start) for part in _PARTS)
    sizes = np.diff(np.append(starts, len(rows)))
    out[:, 0] = np.add.reduceat(count, starts)
    to_first[:] = first[starts]
    to_last[:] = last[starts + sizes - 1]
    to_low[:] = low[first_match(np.where(np.isnan(lows), np.inf, lows), starts, np.minimum, sizes)]
    to_high[:] = high[first_match(np.where(np.isnan(highs), -np.inf, highs), starts, np.maximum, sizes)]
    to_nan[:] = to_first
    nans = np.flatnonzero(np.isnan(nan_values))
    if len(nans):
        at = np.searchsorted(nans, starts)
        held = (at < len(nans)) & (nans[np.minimum(at, len(nans) - 1)] < starts + sizes)
        to_nan[held] = nan[nans[at[held]]]
    return out


def _points(rows: np.ndarray, word: int) -> np.ndarray:
    """The point at ``word`` of every row as one 32-byte item: a view, so that gathering points
    copies 32 bytes at a time rather than word by word."""
    return np.ndarray((len(rows),), dtype="V32", buffer=rows, offset=word * 8, strides=(rows.strides[0],))


def as_records(blob: bytes) -> np.ndarray:
    """A blob of records as rows of words (read-only, no copy)."""
    return np.frombuffer(blob, dtype=np.int64).reshape(-1, _WORDS)


def chunk_records(chunk: Series) -> bytes:
    """A chunk's level-1 records (every 32 points) as the blob stored beside it."""
    return reduce(points_of(chunk), np.arange(0, len(chunk), LEVEL_POINTS[1])).tobytes()


def group_rows(level1: Sequence[Row]) -> list[tuple[int, Row]]:
    """``(level, row)`` of levels 2-7 over consecutive chunks' level-1 rows (in step order),
    one row per level per `GROUP_CHUNKS` chunks, grouped from the first."""
    rows = []
    for start in range(0, len(level1), GROUP_CHUNKS):
        group = level1[start : start + GROUP_CHUNKS]
        records = [as_records(row.records) for row in group]
        chunk = np.repeat(np.arange(len(group)), [len(part) for part in records])
        block = np.concatenate([np.arange(len(part)) for part in records])
        joined = np.concatenate(records)
        bounds = (group[0].first_step, group[-1].last_step, sum(row.count for row in group))
        for level in range(2, len(LEVEL_POINTS)):
            size = LEVEL_POINTS[level]
            if size < CHUNK_POINTS:  # blocks inside a chunk: so many level-1 blocks
                opens = block % (size // LEVEL_POINTS[1]) == 0
            else:  # so many whole chunks
                opens = (block == 0) & (chunk % (size // CHUNK_POINTS) == 0)
            blob = reduce(joined, np.flatnonzero(opens)).tobytes()
            rows.append((level, Row(*bounds, blob, checksum(blob))))
    return rows


Query = Callable[[str, tuple], list]  # runs one statement (``?`` placeholders), returns its rows


def rebuild_groups(query: Query, tag_id: int, since: int) -> list[tuple[int, Row]]:
    """``(level, row)`` of levels 2-7 to insert after a series' chunks changed from step
    ``since`` on, once the stale ones are deleted here: the groups reaching ``since`` and the
    last one unless it is full. An append reads at most `GROUP_CHUNKS` level-1 rows."""
    query(
        "DELETE FROM summaries WHERE tag_id = ? AND level >= 2 AND first_step IN (SELECT first_step "
        "FROM summaries WHERE tag_id = ? AND level = 2 AND (last_step >= ? OR (count < ? AND first_step = "
        "(SELECT MAX(first_step) FROM summaries WHERE tag_id = ? AND level = 2))))",
        (tag_id, tag_id, since, GROUP_CHUNKS * CHUNK_POINTS, tag_id),
    )
    [(kept_last,)] = query("SELECT MAX(last_step) FROM summaries WHERE tag_id = ? AND level = 2", (tag_id,))
    after, params = ("", (tag_id,)) if kept_last is None else (" AND first_step > ?", (tag_id, kept_last))
    level1 = query(
        "SELECT first_step, last_step, count, points, checksum FROM summaries WHERE tag_id = ? AND level = 1"
        f"{after} ORDER BY first_step",
        params,
    )
    return group_rows([Row(first, last, count, bytes(records), crc) for first, last, count, records, crc in level1])


def decode(rows: Iterable[tuple[int, bytes, int]], what: str) -> np.ndarray:
    """Rows ``(first_step, records, checksum)`` of one level as one array of records in step
    order, each row's checksum verified (`CorruptChunk` naming ``what``)."""
    blobs = []
    for _, records, crc in sorted(rows, key=lambda row: row[0]):
        if checksum(records) != crc:
            raise CorruptChunk(what)
        blobs.append(records)
    return as_records(b"".join(blobs))


def cover(levels: Mapping[int, np.ndarray], points: np.ndarray, top: int, lo: int, hi: int) -> np.ndarray:
    """The records covering each point of ``[lo, hi]`` once, in step order: the blocks of level
    ``top`` wholly inside, then finer ones towards the ends, then single ``points``.

    ``levels`` needs the rows of ``top`` overlapping the range and, of each finer level, those
    reaching over its ends; ``points``, those of the chunks reaching over its ends. What one
    level leaves uncovered lies inside one block of it that reaches over an end, so finer
    levels only ever fill at most two gaps, each inside a row (or chunk) that reaches over it;
    and the blocks a level takes in a gap are consecutive.
    """
    taken = []
    gaps = [(lo, hi)]
    for level in range(top, -1, -1):
        rows = points if level == 0 else levels.get(level, np.empty((0, _WORDS), dtype=np.int64))
        first = rows[:, _STEP] if level == 0 else rows[:, _FIRST.start]
        last = rows[:, _STEP] if level == 0 else rows[:, _LAST.start]
        left = []
        for start, stop in gaps:
            inside = np.flatnonzero((first >= start) & (last <= stop))
            if not len(inside):
                left.append((start, stop))
                continue
            block = rows[inside[0] : inside[-1] + 1]
            taken.append(block if level else reduce(block, np.arange(len(block))))
            left += [(start, int(first[inside[0]]) - 1), (int(last[inside[-1]]) + 1, stop)]
        gaps = [(start, stop) for start, stop in left if start <= stop]
    if not taken:
        return np.empty((0, _WORDS), dtype=np.int64)
    # each part is consecutive blocks and no two overlap: ordering the parts orders the rows
    return np.concatenate(sorted(taken, key=lambda part: int(part[0, _FIRST.start])))


def count(records: np.ndarray) -> int:
    """How many points ``records`` cover."""
    return int(records[:, 0].sum())


def downsample(covers: Sequence[tuple[np.ndarray, int, int]], buckets: int) -> list[Series]:
    """For each ``(records, lo, hi)`` (records covering ``[lo, hi]``, in step order), its M4
    points: a record goes to the bucket of ``[lo, hi]`` cut in ``buckets`` equal step ranges
    where its first step falls. Every series is reduced in the same numpy calls."""
    keys = [
        number * (buckets + 2) + np.searchsorted(edges(lo, hi, buckets), records[:, _FIRST.start], side="right")
        for number, (records, lo, hi) in enumerate(covers)
    ]
    if not covers or not sum(len(key) for key in keys):
        return [Series("", "", np.empty(0, dtype=np.int64), *(np.empty(0) for _ in range(3))) for _ in covers]
    key = np.concatenate(keys)
    starts = np.flatnonzero(np.concatenate([[True], key[1:] != key[:-1]]))
    kept = reduce(np.concatenate([records for records, _, _ in covers]), starts)
    # a bucket's five points (a bucket without NaN repeats its first), in step order, repeats
    # dropped: worked out on the steps alone, then the points gathered once, 32 bytes at a time
    steps = kept[:, _FIRST.start + _STEP :: 4]  # first, last, low, high, nan
    row, column = np.repeat(np.arange(len(kept)), 5), np.argsort(steps, axis=1, kind="stable").ravel()
    steps, owner = steps[row, column], np.repeat(key[starts] // (buckets + 2), 5)
    fresh = np.concatenate([[True], (steps[1:] != steps[:-1]) | (owner[1:] != owner[:-1])])
    five = np.ndarray((len(kept), 5), dtype="V32", buffer=kept, offset=_FIRST.start * 8, strides=(kept.strides[0], 32))
    points = five[row[fresh], column[fresh]].view(np.int64).reshape(-1, 4)
    owner = owner[fresh]
    floats = points.view(np.float64)
    columns = (points[:, _STEP], floats[:, 1], floats[:, 2], floats[:, _VALUE])
    bounds = np.searchsorted(owner, np.arange(len(covers) + 1))
    return [
        Series("", "", *(column[start:stop].copy() for column in columns))
        for start, stop in zip(bounds[:-1], bounds[1:])
    ]
