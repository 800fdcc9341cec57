"""The summary pyramid: M4 records of a series' blocks at several sizes, and the block-aligned
M4 read that makes a downsampled query touch O(buckets) stored values whatever the length.

A **record** sums up one block of consecutive points: how many there are, the first and the
last, and the points holding the minimum and the maximum value (NaN aside); a block holding NaN
also has its first NaN, kept in a short list beside the records (`Records`), since few blocks
hold one. Level 0 is every point as a record of one; level ``k`` cuts the series into blocks of
`LEVEL_POINTS` ``[k]`` points: 32, 64, ... 2,048 inside each chunk, then 1, 2, ... 32 whole
chunks. Every block of a level is a union of whole blocks of each finer level, so a coarser
record is the reduction (`reduce`) of finer ones: M4 of M4s is M4.

Stored (`encode`): level 1 in one row beside each chunk, the coarser levels in one row per
level per group of `GROUP_CHUNKS` chunks (`group_rows`); a row is a contiguous array of
records then its NaN list, so one row decodes with two ``np.frombuffer``.

A read picks the coarsest level with at least ``buckets`` blocks in the range (`level_for`),
so a bucket spans 1 to 2 of its blocks; covers the range with that level's blocks wholly
inside it and, towards the range's ends, finer blocks and finally single points (`cover`);
puts each block in the bucket of the step range where its first point falls; and keeps each
bucket's first, last, minimum, maximum and first NaN (`downsample`). Bucket edges thus move to
block edges: each point is in exactly one bucket, and a bucket keeps the real first, last,
minimum and maximum points (and first NaN) *of the points it covers*, so the range's extremes,
every spike and the first NaN survive; a bucket reaches at most one block past its step
range's edge, a block being no wider than a bucket on average (visually lossless at one bucket
a pixel). Below 32 points a bucket the read is exact: every point in the range is read.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import NamedTuple

import numpy as np

from lossboard.model import Series
from lossboard.store._crc import CorruptChunk, checksum
from lossboard.store.base import CHUNK_POINTS
from lossboard.store.downsample import edges, first_match

POINT = np.dtype([("step", "<i8"), ("epoch", "<f8"), ("wall_time", "<f8"), ("value", "<f8")])
RECORD = np.dtype([("count", "<i8"), ("first", POINT), ("last", POINT), ("low", POINT), ("high", POINT)])
NAN = np.dtype([("record", "<i8"), ("point", POINT)])  # a record's first NaN, where it has one
# points a block holds at each level (from 4,096: chunks joined, while they are full); a factor
# of 2 between levels keeps a read within 2x the buckets' count of records
LEVEL_POINTS = (1,) + tuple(32 << shift for shift in range(13))  # 1, 32, 64, ..., 131,072
GROUP_CHUNKS = 32  # chunks per stored row of levels 2 and up: one block of the top level
# Records and points are handled as rows of 8-byte words (`RECORD` and `POINT` are their
# layout): numpy copies nested structured fields one by one, 30x slower than rows of int64.
# A point is 4 words (step, then epoch, wall time and value as float64 bits); a record is its
# count and four points: first, last, low, high.
_WORDS = RECORD.itemsize // 8
_PARTS = _FIRST, _LAST, _LOW, _HIGH = tuple(slice(1 + 4 * at, 5 + 4 * at) for at in range(4))
_STEP, _VALUE = 0, 3  # words of a point
_HEADER = 8  # a stored row begins with its number of records (int64)


class Records(NamedTuple):
    """Records as rows of words (`RECORD`), and the first NaN of those holding one: their
    indices among the rows (ascending) and the points (rows of 4 words)."""

    rows: np.ndarray
    nan_at: np.ndarray
    nans: np.ndarray


class Row(NamedTuple):
    """One stored row of summaries: the chunks it covers, their points, its records (`encode`)
    and their CRC."""

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


def reduce(source: Records | np.ndarray, starts: np.ndarray) -> Records:
    """One record per run of ``source`` beginning at each of ``starts`` (sorted, from 0).

    ``source`` is records or points (rows of 4 words: each a record of one). The minimum and
    maximum are each run's first holding them (NaN as +inf and -inf), as `downsample.m4_index`
    picks them.
    """
    if isinstance(source, np.ndarray):
        rows = np.ascontiguousarray(source)
        count = None
        first = last = low = high = _points(rows, 0)
        lows = highs = rows[:, _VALUE].view(np.float64)
        nan_at = np.flatnonzero(np.isnan(lows))
        nans = rows[nan_at]
    else:
        rows, nan_at, nans = source
        count, (first, last, low, high) = rows[:, 0], (_points(rows, part.start) for part in _PARTS)
        lows, highs = (rows[:, part.start + _VALUE].view(np.float64) for part in (_LOW, _HIGH))
    out = np.empty((len(starts), _WORDS), dtype=np.int64)
    to_first, to_last, to_low, to_high = (_points(out, part.start) for part in _PARTS)
    sizes = np.diff(np.append(starts, len(rows)))
    out[:, 0] = sizes if count is None else np.add.reduceat(count, starts)
    to_first[:] = first[starts]
    to_last[:] = last[starts + sizes - 1]
    to_low[:] = low[first_match(np.where(np.isnan(lows), np.inf, lows), starts, np.minimum, sizes)]
    to_high[:] = high[first_match(np.where(np.isnan(highs), -np.inf, highs), starts, np.maximum, sizes)]
    held, at = _first_in_runs(nan_at, starts, sizes)
    return Records(out, np.flatnonzero(held), nans[at[held]])


def _first_in_runs(marked: np.ndarray, starts: np.ndarray, sizes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Which runs hold one of the ``marked`` rows (ascending), and where in ``marked`` the
    first of each run's is."""
    at = np.searchsorted(marked, starts)
    if not len(marked):
        return np.zeros(len(starts), dtype=bool), at
    return (at < len(marked)) & (marked[np.minimum(at, len(marked) - 1)] < starts + sizes), at


def _points(rows: np.ndarray, word: int) -> np.ndarray:
    """The point at ``word`` of every row as one 32-byte item: a view, so that gathering points
    copies 32 bytes at a time rather than word by word."""
    return np.ndarray((len(rows),), dtype="V32", buffer=rows, offset=word * 8, strides=(rows.strides[0],))


def encode(records: Records) -> bytes:
    """Records as a stored row: their number, the records, then the NaN list (`NAN`)."""
    nans = np.empty((len(records.nan_at), 5), dtype=np.int64)
    nans[:, 0], nans[:, 1:] = records.nan_at, records.nans
    return np.int64(len(records.rows)).tobytes() + records.rows.tobytes() + nans.tobytes()


def as_records(blob: bytes) -> Records:
    """A stored row back as `Records` (read-only views, no copy)."""
    count = int.from_bytes(blob[:_HEADER], "little", signed=True)
    rows = np.frombuffer(blob, dtype=np.int64, count=count * _WORDS, offset=_HEADER).reshape(count, _WORDS)
    nans = np.frombuffer(blob, dtype=np.int64, offset=_HEADER + rows.nbytes).reshape(-1, 5)
    return Records(rows, nans[:, 0], nans[:, 1:])


def join(parts: Sequence[Records]) -> Records:
    """Consecutive records as one `Records`."""
    if len(parts) == 1:
        return parts[0]
    offsets = np.cumsum([0] + [len(part.rows) for part in parts[:-1]])
    return Records(
        np.concatenate([part.rows for part in parts]) if parts else np.empty((0, _WORDS), dtype=np.int64),
        np.concatenate([part.nan_at + offset for part, offset in zip(parts, offsets)] or [np.empty(0, np.int64)]),
        np.concatenate([part.nans for part in parts] or [np.empty((0, 4), np.int64)]),
    )


def _slice(records: Records, start: int, stop: int) -> Records:
    """Records ``[start, stop)`` (views)."""
    lo, hi = np.searchsorted(records.nan_at, (start, stop))
    return Records(records.rows[start:stop], records.nan_at[lo:hi] - start, records.nans[lo:hi])


def chunk_records(chunk: Series) -> bytes:
    """A chunk's level-1 records (every 32 points) as the row stored beside it."""
    return encode(reduce(points_of(chunk), np.arange(0, len(chunk), LEVEL_POINTS[1])))


def group_rows(level1: Sequence[Row]) -> list[tuple[int, Row]]:
    """``(level, row)`` of levels 2 and up over consecutive chunks' level-1 rows (in step
    order), one row per level per `GROUP_CHUNKS` chunks, grouped from the first; each level
    reduced from the one below."""
    rows = []
    for start in range(0, len(level1), GROUP_CHUNKS):
        group = level1[start : start + GROUP_CHUNKS]
        parts = [as_records(row.records) for row in group]
        records = join(parts)
        # where each record's block begins: its chunk, and its first point's place in it
        chunk = np.repeat(np.arange(len(group)), [len(part.rows) for part in parts])
        place = np.concatenate([np.arange(len(part.rows)) for part in parts]) * LEVEL_POINTS[1]
        bounds = (group[0].first_step, group[-1].last_step, sum(row.count for row in group))
        for level in range(2, len(LEVEL_POINTS)):
            size = LEVEL_POINTS[level]
            if size <= CHUNK_POINTS:  # blocks inside a chunk
                opens = place % size == 0
            else:  # so many whole chunks
                opens = (place == 0) & (chunk % (size // CHUNK_POINTS) == 0)
            starts = np.flatnonzero(opens)
            records, chunk, place = reduce(records, starts), chunk[starts], place[starts]
            blob = encode(records)
            rows.append((level, Row(*bounds, blob, checksum(blob))))
    return rows


Query = Callable[[str, tuple], list]  # runs one statement (``?`` placeholders), returns its rows


def rebuild_groups(query: Query, tag_id: int, since: int) -> list[tuple[int, Row]]:
    """``(level, row)`` of levels 2 and up to insert after a series' chunks changed from step
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


def decode(row: Row, what: str) -> Records:
    """One stored row's records, its checksum verified (`CorruptChunk` naming ``what``)."""
    if checksum(row.records) != row.checksum:
        raise CorruptChunk(what)
    return as_records(row.records)


def cover(levels: Mapping[int, Sequence[Row]], points: np.ndarray, top: int, lo: int, hi: int, what: str) -> list[Records]:
    """The records covering each point of ``[lo, hi]`` once, in step order, as consecutive
    parts: the blocks of level ``top`` wholly inside, then finer ones towards the ends, then
    single ``points``. Each row read is checked (`decode`, naming ``what``).

    ``levels`` holds, in step order, the rows of ``top`` overlapping the range and, of each
    finer level, those reaching over its ends; ``points``, those of the chunks reaching over its
    ends. What one level leaves uncovered lies inside one block of it that reaches over an end,
    so finer levels only ever fill at most two gaps, each inside a row (or chunk) that reaches
    over it; and the blocks a level takes in a gap are consecutive. A row wholly inside a gap is
    taken whole, without looking at its steps.
    """
    taken: list[Records] = []
    gaps = [(lo, hi)]
    for level in range(top, -1, -1):
        left = []
        for start, stop in gaps:
            parts = _points_in(points, start, stop) if level == 0 else _blocks_in(levels.get(level, ()), start, stop, what)
            if not parts:
                left.append((start, stop))
                continue
            taken += parts
            left += [(start, int(parts[0].rows[0, _FIRST.start]) - 1), (int(parts[-1].rows[-1, _LAST.start]) + 1, stop)]
        gaps = [(start, stop) for start, stop in left if start <= stop]
    # each part is consecutive blocks and no two overlap: ordering the parts orders the records
    return sorted(taken, key=lambda part: int(part.rows[0, _FIRST.start]))


def _blocks_in(rows: Sequence[Row], start: int, stop: int, what: str) -> list[Records]:
    """The blocks of ``rows`` (one level, step order) wholly inside ``[start, stop]``, as parts."""
    parts = []
    for row in rows:
        if row.last_step < start or row.first_step > stop:
            continue
        records = decode(row, what)
        if row.first_step < start or row.last_step > stop:
            first, last = records.rows[:, _FIRST.start], records.rows[:, _LAST.start]
            inside = np.flatnonzero((first >= start) & (last <= stop))
            if not len(inside):
                continue
            records = _slice(records, int(inside[0]), int(inside[-1]) + 1)
        parts.append(records)
    return parts


def _points_in(points: np.ndarray, start: int, stop: int) -> list[Records]:
    """The points inside ``[start, stop]`` as records of one (none or one part)."""
    begin, end = np.searchsorted(points[:, _STEP], (start, stop + 1))
    return [reduce(points[begin:end], np.arange(end - begin))] if end > begin else []


def count(parts: Sequence[Records]) -> int:
    """How many points the records of ``parts`` cover."""
    return sum(int(part.rows[:, 0].sum()) for part in parts)


# the order of a bucket's three middle points (low, high, nan) by their steps, ties in that
# order: indexed by (low > high) + 2 (low > nan) + 4 (high > nan); 2 and 5 cannot happen
_MIDDLE = np.array([[0, 1, 2], [1, 0, 2], [0, 1, 2], [1, 2, 0], [0, 2, 1], [0, 1, 2], [2, 0, 1], [2, 1, 0]])


def downsample(covers: Sequence[tuple[Sequence[Records], int, int]], buckets: int) -> list[Series]:
    """For each ``(parts, lo, hi)`` (records covering ``[lo, hi]``, in step order), its M4
    points: a record goes to the bucket of ``[lo, hi]`` cut in ``buckets`` equal step ranges
    where its first step falls. Every series is reduced in the same numpy calls, which pick
    each bucket's five records and parts of records; only the points kept are then gathered."""
    sizes = [sum(len(part.rows) for part in parts) for parts, _, _ in covers]
    if not sum(sizes):
        return [Series("", "", np.empty(0, dtype=np.int64), *(np.empty(0) for _ in range(3))) for _ in covers]
    records = join([part for parts, _, _ in covers for part in parts])
    rows, firsts = records.rows, records.rows[:, _FIRST.start]
    bounds = np.cumsum([0] + sizes)
    key = np.empty(len(rows), dtype=np.int64)
    for number, (_, lo, hi) in enumerate(covers):
        start, stop = bounds[number], bounds[number + 1]
        key[start:stop] = number * (buckets + 2) + np.searchsorted(edges(lo, hi, buckets), firsts[start:stop], side="right")
    starts = np.flatnonzero(np.concatenate([[True], key[1:] != key[:-1]]))
    runs = np.diff(np.append(starts, len(rows)))
    lows, highs = rows[:, _LOW.start + _VALUE].view(np.float64), rows[:, _HIGH.start + _VALUE].view(np.float64)
    low = first_match(np.where(np.isnan(lows), np.inf, lows), starts, np.minimum, runs)
    high = first_match(np.where(np.isnan(highs), -np.inf, highs), starts, np.maximum, runs)
    held, at = _first_in_runs(records.nan_at, starts, runs)
    # each bucket's five points as references: 4 * record + part (first, last, low, high), or
    # 4 * len(rows) + entry for a NaN point; a bucket without NaN names its first twice
    first, last = 4 * starts, 4 * (starts + runs - 1) + 1
    middle = np.stack([4 * low + 2, 4 * high + 3, np.where(held, 4 * len(rows) + at, first)], axis=1)
    steps = _step_of(records, middle)
    order = _MIDDLE[(steps[:, 0] > steps[:, 1]) + 2 * (steps[:, 0] > steps[:, 2]) + 4 * (steps[:, 1] > steps[:, 2])]
    five = np.concatenate([first[:, None], np.take_along_axis(middle, order, axis=1), last[:, None]], axis=1)
    steps = _step_of(records, five)
    fresh = np.concatenate([np.ones((len(five), 1), dtype=bool), steps[:, 1:] != steps[:, :-1]], axis=1)
    points = _point_of(records, five[fresh])
    owner = np.repeat(key[starts] // (buckets + 2), fresh.sum(axis=1))
    floats = points.view(np.float64)
    columns = (points[:, _STEP], floats[:, 1], floats[:, 2], floats[:, _VALUE])
    cuts = np.searchsorted(owner, np.arange(len(covers) + 1))
    return [
        Series("", "", *(column[start:stop].copy() for column in columns))
        for start, stop in zip(cuts[:-1], cuts[1:])
    ]


def _step_of(records: Records, refs: np.ndarray) -> np.ndarray:
    """The steps of the points ``refs`` name (`downsample`)."""
    rows, nans = records.rows, records.nans
    record, part = np.divmod(np.minimum(refs, 4 * len(rows) - 1), 4)
    steps = rows[record, 1 + 4 * part]
    if len(nans):
        is_nan = refs >= 4 * len(rows)
        steps[is_nan] = nans[refs[is_nan] - 4 * len(rows), _STEP]
    return steps


def _point_of(records: Records, refs: np.ndarray) -> np.ndarray:
    """The points ``refs`` name (`downsample`), as rows of 4 words."""
    rows, nans = records.rows, records.nans
    out = np.empty(len(refs), dtype="V32")
    is_nan = refs >= 4 * len(rows)
    record, part = np.divmod(refs[~is_nan], 4)
    out[~is_nan] = np.ndarray((len(rows), 4), dtype="V32", buffer=rows, offset=8, strides=(rows.strides[0], 32))[record, part]
    out[is_nan] = np.ascontiguousarray(nans).view("V32").ravel()[refs[is_nan] - 4 * len(rows)]
    return out.view(np.int64).reshape(-1, 4)
