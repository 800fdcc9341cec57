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
_FIELDS = ("first", "last", "low", "high", "nan")


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
    """A series' points as one array of `POINT`."""
    points = np.empty(len(series), dtype=POINT)
    for name in POINT.names:
        points[name] = getattr(series, name)
    return points


def reduce(records: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """One record per run of ``records`` beginning at each of ``starts`` (sorted, from 0).

    ``records`` may be points (`POINT`): each is then a record of one. The minimum and maximum
    are each run's first holding them (NaN as +inf and -inf), as `downsample.m4_index` picks them.
    """
    if records.dtype == POINT:
        count, parts = np.ones(len(records), dtype=np.int64), dict.fromkeys(_FIELDS, records)
    else:
        count, parts = records["count"], {name: records[name] for name in _FIELDS}
    out = np.empty(len(starts), dtype=RECORD)
    sizes = np.diff(np.append(starts, len(records)))
    out["count"] = np.add.reduceat(count, starts)
    out["first"] = parts["first"][starts]
    out["last"] = parts["last"][starts + sizes - 1]
    low, high = parts["low"]["value"], parts["high"]["value"]
    out["low"] = parts["low"][first_match(np.where(np.isnan(low), np.inf, low), starts, np.minimum, sizes)]
    out["high"] = parts["high"][first_match(np.where(np.isnan(high), -np.inf, high), starts, np.maximum, sizes)]
    out["nan"] = out["first"]
    nans = np.flatnonzero(np.isnan(parts["nan"]["value"]))
    if len(nans):
        at = np.searchsorted(nans, starts)
        held = (at < len(nans)) & (nans[np.minimum(at, len(nans) - 1)] < starts + sizes)
        out["nan"][held] = parts["nan"][nans[at[held]]]
    return out


def chunk_records(chunk: Series) -> bytes:
    """A chunk's level-1 records (every 32 points) as the blob stored beside it."""
    return reduce(points_of(chunk), np.arange(0, len(chunk), LEVEL_POINTS[1])).tobytes()


def group_rows(level1: Sequence[Row]) -> list[tuple[int, Row]]:
    """``(level, row)`` of levels 2-7 over consecutive chunks' level-1 rows (in step order),
    one row per level per `GROUP_CHUNKS` chunks, grouped from the first."""
    rows = []
    for start in range(0, len(level1), GROUP_CHUNKS):
        group = level1[start : start + GROUP_CHUNKS]
        records = [np.frombuffer(row.records, dtype=RECORD) for row in group]
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
    """Rows ``(first_step, records, checksum)`` of one level as one record array in step
    order, each row's checksum verified (`CorruptChunk` naming ``what``)."""
    blobs = []
    for _, records, crc in sorted(rows, key=lambda row: row[0]):
        if checksum(records) != crc:
            raise CorruptChunk(what)
        blobs.append(records)
    return np.frombuffer(b"".join(blobs), dtype=RECORD)


def cover(levels: Mapping[int, np.ndarray], points: np.ndarray, top: int, lo: int, hi: int) -> np.ndarray:
    """The records covering each point of ``[lo, hi]`` once, in step order: the blocks of level
    ``top`` wholly inside, then finer ones towards the ends, then single ``points``.

    ``levels`` needs the rows of ``top`` overlapping the range and, of each finer level, those
    reaching over its ends; ``points``, those of the chunks reaching over its ends. What one
    level leaves uncovered lies inside one block of it that reaches over an end, so finer
    levels only ever fill at most two gaps, each inside a row (or chunk) that reaches over it.
    """
    taken = []
    gaps = [(lo, hi)]
    for level in range(top, -1, -1):
        records = points if level == 0 else levels.get(level, np.empty(0, dtype=RECORD))
        first = records["step"] if level == 0 else records["first"]["step"]
        last = records["step"] if level == 0 else records["last"]["step"]
        left = []
        for start, stop in gaps:
            inside = np.flatnonzero((first >= start) & (last <= stop))
            if not len(inside):
                left.append((start, stop))
                continue
            taken.append(records[inside] if level else reduce(records[inside], np.arange(len(inside))))
            left += [(start, int(first[inside[0]]) - 1), (int(last[inside[-1]]) + 1, stop)]
        gaps = [(start, stop) for start, stop in left if start <= stop]
    if not taken:
        return np.empty(0, dtype=RECORD)
    joined = np.concatenate(taken)
    return joined[np.argsort(joined["first"]["step"], kind="stable")]


def downsample(records: np.ndarray, buckets: int, lo: int, hi: int) -> Series:
    """The M4 points of ``records`` (covering ``[lo, hi]``, in step order), a record in the
    bucket of ``[lo, hi]`` cut in ``buckets`` equal step ranges where its first step falls."""
    if not len(records):
        return Series("", "", *(np.empty(0, dtype=POINT)[name] for name in POINT.names))
    bucket = np.searchsorted(edges(lo, hi, buckets), records["first"]["step"], side="right")
    starts = np.flatnonzero(np.concatenate([[True], bucket[1:] != bucket[:-1]]))
    kept = reduce(records, starts)
    nans = kept["nan"][np.isnan(kept["nan"]["value"])]
    points = np.concatenate([kept["first"], kept["last"], kept["low"], kept["high"], nans])
    points = points[np.argsort(points["step"], kind="stable")]
    points = points[np.concatenate([[True], points["step"][1:] != points["step"][:-1]])]
    return Series("", "", *(np.ascontiguousarray(points[name]) for name in POINT.names))
