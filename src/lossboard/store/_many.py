"""Reading series, one or many, in three statements whatever their number (two for whole
series): shared by every backend.

A backend resolves the series (`Found`, with each whole series' extent from its tag row), for a
step range reads their extents from the level-1 rows (`Extent`, one statement), lets `plan` choose each one's summary level, then fetches every chunk and
summary row they need in one more statement: of each series, the rows of its level that overlap
the range, and of each finer level (and its chunks) only those reaching over the range's ends
(level 0: every chunk overlapping it). `answer` reads each series from those rows, CRC checks
included, through `lossboard.store._levels`; a single downsampled `read_series` is the same
read of one series.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import NamedTuple

from lossboard.errors import UsageError
from lossboard.model import Series
from lossboard.store import _chunks, _levels
from lossboard.store.base import SeriesData

WHOLE = (-(2**63), 2**63 - 1)  # every step a series can hold


class Found(NamedTuple):
    """One series a read resolved: its id, identity, and its first and last step and points
    (what its tag row keeps: the extent of a read of the whole series)."""

    tag_id: int
    run: str
    tag: str
    source_tag: str
    first_step: int
    last_step: int
    points: int


class Extent(NamedTuple):
    """The chunks of one series overlapping the range: their bounds, and the points of those
    wholly inside it (what chooses the level: a chunk at either end adds at most its own)."""

    first_step: int
    last_step: int
    inner_points: int


def read(
    found: Sequence[Found],
    step_range: tuple[int, int] | None,
    buckets: int | None,
    *,
    extents_of: Callable[[list[int], int, int], Iterable[tuple]],
    rows_of: Callable[[list[tuple[int, int, bool]], int, int], Iterable[tuple]],
) -> dict[tuple[str, str, str], SeriesData]:
    """``found`` series in a backend's two statements, one for the whole series:
    ``extents_of(tag_ids, lo, hi)`` gives ``(tag_id, first_step, last_step, inner_points)`` of
    each series overlapping ``[lo, hi]`` (the whole series': `Found`'s own), ``rows_of(fetches,
    lo, hi)`` every row those ask for (`fetches`, `answer`)."""
    lo, hi = step_range or WHOLE
    if step_range is None:
        extents = {series.tag_id: Extent(series.first_step, series.last_step, series.points) for series in found}
    else:
        extents = {tag_id: Extent(*extent) for tag_id, *extent in extents_of([series.tag_id for series in found], lo, hi)}
    levels = dict(plan(found, extents, buckets))
    return answer(found, extents, levels, rows_of(fetches(levels, step_range), lo, hi), step_range, buckets)


def plan(found: Iterable[Found], extents: Mapping[int, Extent], buckets: int | None) -> list[tuple[int, int]]:
    """``(tag_id, level)`` to fetch for each series: `_levels.level_for` its inner points, or 0
    (every chunk overlapping the range) for a raw read."""
    if buckets is not None and buckets < 1:
        raise UsageError(f"buckets must be at least 1, got {buckets}")
    return [
        (series.tag_id, 0 if buckets is None or series.tag_id not in extents
         else _levels.level_for(extents[series.tag_id].inner_points, buckets))
        for series in found
    ]


def fetches(levels: Mapping[int, int], step_range: tuple[int, int] | None) -> list[tuple[int, int, bool]]:
    """``(tag_id, level, whole)`` rows to fetch: of each series' level every row overlapping the
    range (``whole``), and with a range, of each finer level (0: chunks) the rows reaching over
    its ends; without one, no row reaches over them."""
    wanted = []
    for tag_id, level in levels.items():
        wanted.append((tag_id, level, True))
        if step_range is not None:
            wanted += [(tag_id, finer, False) for finer in range(level)]
    return wanted


class _Fetched:
    """One series' fetched rows: chunks ``(first_step, blobs)`` and summaries by level."""

    def __init__(self) -> None:
        self.chunks: list[tuple[int, _chunks.Blobs]] = []
        self.levels: dict[int, list[_levels.Row]] = defaultdict(list)


def answer(
    found: Sequence[Found],
    extents: Mapping[int, Extent],
    levels: Mapping[int, int],
    rows: Iterable[tuple],
    step_range: tuple[int, int] | None,
    buckets: int | None,
) -> dict[tuple[str, str, str], SeriesData]:
    """Each series read from the fetched ``rows`` ``(level, tag_id, first_step, last_step, count,
    step, epoch, wall_time, value, checksum)`` (level 0: a chunk; a summary's records ride in
    ``value``), in any order, keyed by (run, tag, source_tag) in the order of ``found``;
    ``levels`` as `plan` chose."""
    fetched: dict[int, _Fetched] = defaultdict(_Fetched)
    for level, tag_id, first, last, count, step, epoch, wall_time, value, crc in rows:
        if level == 0:
            fetched[tag_id].chunks.append((first, (step, epoch, wall_time, value, crc)))
        else:
            fetched[tag_id].levels[level].append(_levels.Row(first, last, count, value, crc))
    read: dict[int, SeriesData] = {}
    covered = []  # series read through summaries: downsampled together below
    for series in found:
        extent, level, held = extents.get(series.tag_id), levels.get(series.tag_id, 0), fetched[series.tag_id]
        if extent is None or level == 0 or buckets is None:
            read[series.tag_id] = _exact(series, held, step_range, buckets)
            continue
        lo, hi = step_range if step_range is not None else (extent.first_step, extent.last_step)
        by_level = {number: sorted(rows, key=lambda row: row.first_step) for number, rows in held.levels.items()}
        points = _levels.points_of(_points(series, held))
        covered.append((series, _levels.cover(by_level, points, level, lo, hi, series.tag), lo, hi))
    kept = _levels.downsample([(parts, lo, hi) for _, parts, lo, hi in covered], buckets or 1)
    for (series, parts, _, _), points in zip(covered, kept):
        read[series.tag_id] = SeriesData.of(series.run, series.tag, series.source_tag, points, _levels.count(parts))
    return {(series.run, series.tag, series.source_tag): read[series.tag_id] for series in found}


def _points(series: Found, held: _Fetched) -> Series:
    """The fetched chunks of one series, decoded in step order."""
    chunks = sorted(held.chunks, key=lambda row: row[0])
    return _chunks.decode(series.tag, series.source_tag, (blobs for _, blobs in chunks))


def _exact(series: Found, held: _Fetched, step_range: tuple[int, int] | None, buckets: int | None) -> SeriesData:
    """One series read from every point of its fetched chunks."""
    kept, total = _chunks.select(_points(series, held), step_range, None, buckets)
    return SeriesData.of(series.run, series.tag, series.source_tag, kept, total)
