"""Reading many series in three statements, whatever their number: shared by every backend.

`Store.read_many` resolves the series, reads their extents and chunk counts from the
level-1 summaries (one statement each), then fetches every row any of them needs in one more
(`Wanted` says which: the level `plan` chose for each). This module plans that fetch and
answers each series from the fetched rows (`Fetched`) through the same `_chunks.read_m4` and
`_chunks.select` a single read uses, CRC checks included, so a read of many series is the
reads of each, minus the round trips.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import NamedTuple

from lossboard.store import _chunks, _pyramid
from lossboard.store.base import SeriesData

WHOLE = (-(2**63), 2**63 - 1)  # every step a series can hold
CHUNK = -1  # the kind of a fetched row that is a chunk's columns, not a summary


class Found(NamedTuple):
    """One series `read_many` resolved: its id and identity."""

    tag_id: int
    run: str
    tag: str
    source_tag: str


class Wanted(NamedTuple):
    """What to fetch of one series: its chunks over the range (only those reaching over its
    ends when ``level`` is set) and the summaries of ``level`` wholly inside (level 2: level 1 too)."""

    tag_id: int
    level: int | None


def plan(found: Iterable[Found], extents: Mapping[int, _chunks.Extent], buckets: int | None) -> list[Wanted]:
    """The level each series is read at, as `_chunks.read_m4` would choose it."""
    wanted = []
    for series in found:
        points = extents.get(series.tag_id, _chunks.Extent(None, None, 0, 0)).points
        wanted.append(Wanted(series.tag_id, _chunks.level_for(points, buckets) if buckets and points else None))
    return wanted


class Fetched:
    """One series' fetched rows, answering `_chunks.read_m4` and `_pyramid.covering` as the
    database would: filtered to the range they ask for, in step order."""

    def __init__(self) -> None:
        self.chunks: list[tuple[int, int, _chunks.Blobs]] = []
        self.levels: dict[int, list[tuple[int, int, bytes, int]]] = defaultdict(list)

    def sort(self) -> None:
        """Each kind in step order: the database returns them unsorted, as sorting there would
        copy every blob through its sorter."""
        self.chunks.sort(key=lambda row: row[0])
        for rows in self.levels.values():
            rows.sort(key=lambda row: row[0])

    def rows(self, lo: int, hi: int, *, edges_only: bool) -> list[tuple[int, _chunks.Blobs]]:
        return [
            (first, blobs)
            for first, last, blobs in self.chunks
            if last >= lo and first <= hi and not (edges_only and first >= lo and last <= hi)
        ]

    def blocks(self, lo: int, hi: int, level: int) -> list[_chunks.Block]:
        return _pyramid.covering(self, lo, hi, level)

    def summaries(self, level: int, lo: int, hi: int) -> list[tuple[int, int, bytes, int]]:
        return [row for row in self.levels[level] if row[0] >= lo and row[1] <= hi]


def answer(
    found: Sequence[Found],
    extents: Mapping[int, _chunks.Extent],
    chunk_counts: Mapping[int, int],
    rows: Iterable[tuple],
    step_range: tuple[int, int] | None,
    buckets: int | None,
) -> dict[tuple[str, str, str], SeriesData]:
    """Each series read from the fetched ``rows`` ``(kind, tag_id, first_step, last_step, step,
    epoch, wall_time, value, checksum)`` (a summary's points ride in ``value``), keyed by (run,
    tag, source_tag) in the order of ``found``.

    Rows may come in any order. A series read from every point is answered, and its rows let go,
    as soon as its last chunk (``chunk_counts``: the chunks overlapping the range) arrives, so
    many long series stream through instead of all sitting in memory at once; rows of a series
    already answered (a chunk written since its count was taken) are left out.
    """
    by_id = {series.tag_id: series for series in found}
    streamed = {want.tag_id for want in plan(found, extents, buckets) if want.level is None}
    fetched: dict[int, Fetched] = defaultdict(Fetched)
    read: dict[int, SeriesData] = {}
    for kind, tag_id, first, last, step, epoch, wall_time, value, crc in rows:
        if tag_id in read:
            continue
        if kind != CHUNK:
            fetched[tag_id].levels[kind].append((first, last, value, crc))
            continue
        chunks = fetched[tag_id].chunks
        chunks.append((first, last, (step, epoch, wall_time, value, crc)))
        if tag_id in streamed and len(chunks) == chunk_counts.get(tag_id, 0):
            read[tag_id] = _one(by_id[tag_id], extents, fetched.pop(tag_id), step_range, buckets)
    for series in found:
        if series.tag_id not in read:
            read[series.tag_id] = _one(series, extents, fetched.get(series.tag_id, Fetched()), step_range, buckets)
    return {(series.run, series.tag, series.source_tag): read[series.tag_id] for series in found}


def _one(
    series: Found,
    extents: Mapping[int, _chunks.Extent],
    rows: Fetched,
    step_range: tuple[int, int] | None,
    buckets: int | None,
) -> SeriesData:
    """One series from its fetched rows, as `read_series` reads it."""
    rows.sort()
    if buckets is None:
        lo, hi = step_range or WHOLE
        blobs = (blobs for _, blobs in rows.rows(lo, hi, edges_only=False))
        kept, total = _chunks.select(_chunks.decode(series.tag, series.source_tag, blobs), step_range, None, None)
    else:
        extent = extents.get(series.tag_id, _chunks.Extent(None, None, 0, 0))
        kept, total = _chunks.read_m4(rows, extent, step_range, buckets)
    return SeriesData.of(series.run, series.tag, series.source_tag, kept, total)
