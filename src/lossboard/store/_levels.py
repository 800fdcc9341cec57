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
RECORD = np.dtype([("first", POINT), ("last", POINT), ("low", POINT), ("high", POINT)])  # and a count
NAN = np.dtype([("record", "<i8"), ("point", POINT)])  # a record's first NaN, where it has one
# points a block holds at each level (from 4,096: chunks joined, while they are full); a factor
# of 2 between levels keeps a read within 2x the buckets' count of records
LEVEL_POINTS = (1,) + tuple(32 << shift for shift in range(13))  # 1, 32, 64, ..., 131,072
GROUP_CHUNKS = 32  # chunks per stored row of levels 2 and up: one block of the top level
# Points are handled as rows of 4 words (step, then epoch, wall time and value as float64
# bits; `POINT` is their layout) and gathered as 32-byte items: numpy copies nested structured
# fields one by one, 30x slower. A record's four points are consecutive rows, so point ``part``
# of record ``r`` is row ``4 * r + part`` of a level's point table.
_FIRST, _LAST, _LOW, _HIGH = range(4)
_STEP, _VALUE = 0, 3  # words of a point
_HEADER = 8  # a stored row begins with its number of records (int64)


class Records(NamedTuple):
    """Records as their points (`RECORD`: rows of 16 words) and counts, and the first NaN of
    those holding one: their indices among the records (ascending) and points (rows of 4 words)."""

    points: np.ndarray
    count: np.ndarray
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
        table = _table(source)
        first = last = low = high = np.arange(len(source))
        lows = highs = source[:, _VALUE].view(np.float64)
        nan_at = np.flatnonzero(np.isnan(lows))
        nans, count = source[nan_at], None
    else:
        table = _table(source.points)
        first, last, low, high = (np.arange(part, source.points.size // 4, 4) for part in range(4))
        lows, highs = (source.points[:, 4 * part + _VALUE].view(np.float64) for part in (_LOW, _HIGH))
        nan_at, nans, count = source.nan_at, source.nans, source.count
    sizes = np.diff(np.append(starts, len(lows)))
    picked = np.empty((len(starts), 4), dtype=np.intp)
    picked[:, _FIRST] = first[starts]
    picked[:, _LAST] = last[starts + sizes - 1]
    picked[:, _LOW] = low[first_match(_nan_as(lows, np.inf, nan_at), starts, np.minimum, sizes)]
    picked[:, _HIGH] = high[first_match(_nan_as(highs, -np.inf, nan_at), starts, np.maximum, sizes)]
    held, at = _first_in_runs(nan_at, starts, sizes)
    points = table[picked.reshape(-1)].view(np.int64).reshape(-1, 16)
    counts = sizes if count is None else np.add.reduceat(count, starts)
    return Records(points, counts.astype(np.int64, copy=False), np.flatnonzero(held), nans[at[held]])


def _table(points: np.ndarray) -> np.ndarray:
    """Points (rows of 4 words, or of 16: a record's four) as one 32-byte item each."""
    return np.ascontiguousarray(points).view("V32").reshape(-1)


def _nan_as(values: np.ndarray, fill: float, nan_at: np.ndarray) -> np.ndarray:
    """``values`` with NaN as ``fill``: only records holding a NaN (``nan_at``) can have one
    as their extreme, so without any the values are taken as they are."""
    if not len(nan_at):
        return values
    return np.where(np.isnan(values), fill, values)


def _first_in_runs(marked: np.ndarray, starts: np.ndarray, sizes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Which runs hold one of the ``marked`` rows (ascending), and where in ``marked`` the
    first of each run's is."""
    at = np.searchsorted(marked, starts)
    if not len(marked):
        return np.zeros(len(starts), dtype=bool), at
    return (at < len(marked)) & (marked[np.minimum(at, len(marked) - 1)] < starts + sizes), at


def encode(records: Records) -> bytes:
    """Records as a stored row: their number, their points, their counts, then the NaN list (`NAN`)."""
    nans = np.empty((len(records.nan_at), 5), dtype=np.int64)
    nans[:, 0], nans[:, 1:] = records.nan_at, records.nans
    parts = (records.points, records.count.astype("<i8", copy=False), nans)
    return np.int64(len(records.count)).tobytes() + b"".join(part.tobytes() for part in parts)


def as_records(blob: bytes) -> Records:
    """A stored row back as `Records` (read-only views, no copy)."""
    count = int.from_bytes(blob[:_HEADER], "little", signed=True)
    points = np.frombuffer(blob, dtype=np.int64, count=16 * count, offset=_HEADER).reshape(count, 16)
    counts = np.frombuffer(blob, dtype=np.int64, count=count, offset=_HEADER + points.nbytes)
    nans = np.frombuffer(blob, dtype=np.int64, offset=_HEADER + points.nbytes + counts.nbytes).reshape(-1, 5)
    return Records(points, counts, nans[:, 0], nans[:, 1:])


def join(parts: Sequence[Records]) -> Records:
    """Consecutive records as one `Records`."""
    if len(parts) == 1:
        return parts[0]
    offsets = np.cumsum([0] + [len(part.count) for part in parts[:-1]])
    return Records(
        np.concatenate([part.points for part in parts] or [np.empty((0, 16), np.int64)]),
        np.concatenate([part.count for part in parts] or [np.empty(0, np.int64)]),
        np.concatenate([part.nan_at + offset for part, offset in zip(parts, offsets)] or [np.empty(0, np.int64)]),
        np.concatenate([part.nans for part in parts] or [np.empty((0, 4), np.int64)]),
    )


def between(records: Records, start: int, stop: int) -> Records:
    """Records ``[start, stop)`` (views)."""
    lo, hi = np.searchsorted(records.nan_at, (start, stop))
    nan_at, nans = records.nan_at[lo:hi] - start, records.nans[lo:hi]
    return Records(records.points[start:stop], records.count[start:stop], nan_at, nans)


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
        chunk = np.repeat(np.arange(len(group)), [len(part.count) for part in parts])
        place = np.concatenate([np.arange(len(part.count)) for part in parts]) * LEVEL_POINTS[1]
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


def cover(
    levels: Mapping[int, Sequence[Row]], points: np.ndarray, top: int, lo: int, hi: int, what: str
) -> list[Records]:
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
            if level == 0:
                parts = _points_in(points, start, stop)
            else:
                parts = _blocks_in(levels.get(level, ()), start, stop, what)
            if not parts:
                left.append((start, stop))
                continue
            taken += parts
            left += [(start, _step(parts[0], 0, _FIRST) - 1), (_step(parts[-1], -1, _LAST) + 1, stop)]
        gaps = [(start, stop) for start, stop in left if start <= stop]
    # each part is consecutive blocks and no two overlap: ordering the parts orders the records
    return sorted(taken, key=lambda part: _step(part, 0, _FIRST))


def _step(records: Records, at: int, part: int) -> int:
    """The step of point ``part`` of record ``at``."""
    return int(records.points[at, 4 * part + _STEP])


def _blocks_in(rows: Sequence[Row], start: int, stop: int, what: str) -> list[Records]:
    """The blocks of ``rows`` (one level, step order) wholly inside ``[start, stop]``, as parts."""
    parts = []
    for row in rows:
        if row.last_step < start or row.first_step > stop:
            continue
        records = decode(row, what)
        if row.first_step < start or row.last_step > stop:
            first, last = records.points[:, 4 * _FIRST + _STEP], records.points[:, 4 * _LAST + _STEP]
            inside = np.flatnonzero((first >= start) & (last <= stop))
            if not len(inside):
                continue
            records = between(records, int(inside[0]), int(inside[-1]) + 1)
        parts.append(records)
    return parts


def _points_in(points: np.ndarray, start: int, stop: int) -> list[Records]:
    """The points inside ``[start, stop]`` as records of one (none or one part)."""
    begin, end = np.searchsorted(points[:, _STEP], (start, stop + 1))
    return [reduce(points[begin:end], np.arange(end - begin))] if end > begin else []


def count(parts: Sequence[Records]) -> int:
    """How many points the records of ``parts`` cover."""
    return sum(int(part.count.sum()) for part in parts)


BATCH_RECORDS = 1 << 13  # records reduced in one go: small enough to stay in the CPU's caches


def downsample(covers: Sequence[tuple[Sequence[Records], int, int]], buckets: int) -> list[Series]:
    """For each ``(parts, lo, hi)`` (records covering ``[lo, hi]``, in step order), its M4
    points: a record goes to the bucket of ``[lo, hi]`` cut in ``buckets`` equal step ranges
    where its first step falls. Series are reduced together, a batch of about `BATCH_RECORDS`
    records in the same numpy calls: many short series cost few calls, and a batch's arrays
    stay in the caches (and in memory the process holds, rather than pages mapped afresh)."""
    kept: list[Series] = []
    batch: list[tuple[Sequence[Records], int, int]] = []
    size = 0
    for cover in covers:
        batch.append(cover)
        size += sum(len(part.count) for part in cover[0])
        if size >= BATCH_RECORDS:
            kept += _downsample(batch, buckets)
            batch, size = [], 0
    return kept + (_downsample(batch, buckets) if batch else [])


def _downsample(covers: Sequence[tuple[Sequence[Records], int, int]], buckets: int) -> list[Series]:
    """`downsample` of one batch: each bucket's points are chosen by their place in the point
    table, and only the points kept are then gathered."""
    sizes = [sum(len(part.count) for part in parts) for parts, _, _ in covers]
    if not sum(sizes):
        return [Series("", "", np.empty(0, dtype=np.int64), *(np.empty(0) for _ in range(3))) for _ in covers]
    records = join([part for parts, _, _ in covers for part in parts])
    points = records.points
    bounds = np.cumsum([0] + sizes)
    firsts = np.ascontiguousarray(points[:, 4 * _FIRST + _STEP])
    key = np.empty(len(points), dtype=np.int64)
    for number, ((_, lo, hi), start, stop) in enumerate(zip(covers, bounds[:-1], bounds[1:])):
        bucket = np.searchsorted(edges(lo, hi, buckets), firsts[start:stop], side="right")
        key[start:stop] = number * (buckets + 2) + bucket
    starts = np.flatnonzero(np.concatenate([[True], key[1:] != key[:-1]]))
    runs = np.diff(np.append(starts, len(points)))
    lows, highs = (points[:, 4 * part + _VALUE].view(np.float64) for part in (_LOW, _HIGH))
    low = first_match(_nan_as(lows, np.inf, records.nan_at), starts, np.minimum, runs)
    high = first_match(_nan_as(highs, -np.inf, records.nan_at), starts, np.maximum, runs)
    held, at = _first_in_runs(records.nan_at, starts, runs)
    # each bucket's points by their place in the table of the records' points, then their NaN
    # points (4 * len(points) + entry)
    table = _table(points)
    if len(records.nans):
        table = np.concatenate([table, _table(records.nans)])
    steps = table.view(np.int64).reshape(-1, 4)[:, _STEP]
    # a bucket's first, low, high, first NaN (only in a batch holding one) and last
    chosen = np.empty((len(starts), 5 if held.any() else 4), dtype=np.intp)
    chosen[:, 0], chosen[:, -1] = 4 * starts + _FIRST, 4 * (starts + runs - 1) + _LAST
    chosen[:, 1], chosen[:, 2] = 4 * low + _LOW, 4 * high + _HIGH
    if chosen.shape[1] == 5:  # a bucket without NaN names its first twice
        chosen[:, 3] = np.where(held, len(points) * 4 + at, chosen[:, 0])
    # the middle points in step order (points on one step are one point: any order)
    for left, right in ((1, 2), (2, 3), (1, 2))[: 1 if chosen.shape[1] == 4 else 3]:
        swap = np.flatnonzero(steps[chosen[:, left]] > steps[chosen[:, right]])
        chosen[swap, left], chosen[swap, right] = chosen[swap, right], chosen[swap, left]
    ahead = steps[chosen]
    fresh = np.empty(chosen.shape, dtype=bool)
    fresh[:, 0], fresh[:, 1:] = True, ahead[:, 1:] != ahead[:, :-1]
    picked = np.flatnonzero(fresh)
    # one copy of the kept points as four columns; each series' columns are views of it
    columns = np.ascontiguousarray(table[chosen.reshape(-1)[picked]].view(np.int64).reshape(-1, 4).T)
    floats = columns.view(np.float64)
    cuts = np.searchsorted(picked, chosen.shape[1] * np.searchsorted(starts, bounds))
    step, epoch, wall_time, value = columns[_STEP], floats[1], floats[2], floats[_VALUE]
    return [
        Series("", "", step[start:stop], epoch[start:stop], wall_time[start:stop], value[start:stop])
        for start, stop in zip(cuts[:-1], cuts[1:])
    ]
