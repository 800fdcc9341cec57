"""Reading series, one or many, in three statements whatever their number (two for whole
series): shared by every backend.

A backend resolves the series (`Found`, with each whole series' extent from its tag row), for a
step range reads their extents from the level-1 rows (`Extent`, one statement), lets `plan` choose each one's summary level, then fetches every chunk and
summary row they need in one more statement: of each series, the rows of its level that overlap
the range, and of each finer level (and its chunks) only those reaching over the range's ends
(level 0: every chunk overlapping it). `answer` reads each series from those rows, CRC checks
included, through `lossboard.store._levels`; a single downsampled `read_series` is the same
read of one series. A server backend reads whole series in one statement (`read_whole`: the
lookup and the rows together), so a request costs one round trip.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import NamedTuple

from lossboard.errors import UsageError
from lossboard.model import Series
from lossboard.store import _chunks, _levels
from lossboard.store.base import SeriesData, Times, time_columns, without_times

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
    times: Times = True,
    extents_of: Callable[[list[int], int, int], Iterable[tuple]],
    rows_of: Callable[[list[tuple[int, int, bool]], int, int, bool, bool], Iterable[tuple]],
) -> dict[tuple[str, str, str], SeriesData]:
    """``found`` series in a backend's two statements, one for the whole series:
    ``extents_of(tag_ids, lo, hi)`` gives ``(tag_id, first_step, last_step, inner_points)`` of
    each series overlapping ``[lo, hi]`` (the whole series': `Found`'s own), ``rows_of(fetches,
    lo, hi, epochs, wall_times)`` every row those ask for (`fetches`, `answer`; the summaries'
    epochs and wall times only where wanted). The time columns ``times`` leaves out
    (`time_columns`) come back NaN, unread."""
    epochs, walls = time_columns(times)
    lo, hi = step_range or WHOLE
    if step_range is None:
        extents = {series.tag_id: Extent(series.first_step, series.last_step, series.points) for series in found}
    else:
        extents = {tag_id: Extent(*extent) for tag_id, *extent in extents_of([series.tag_id for series in found], lo, hi)}
    levels = dict(plan(found, extents, buckets))
    rows = rows_of(fetches(levels, step_range), lo, hi, epochs, walls)
    return answer({series.tag_id: series for series in found}, extents, levels, rows, step_range, buckets, times=times)


# what a whole-series read in one statement (`read_whole`) adds to each row: its series' `Found`
# and its rank among the series (the lookup's order)
WHOLE_COLUMNS = 8


def read_whole(rows: Iterable[tuple], buckets: int | None, *, times: Times = True) -> dict[tuple[str, str, str], SeriesData]:
    """Whole series from one statement that both finds them and fetches their rows (one round
    trip to a database server): each row as `answer` takes it, its first word the level `plan`
    would choose (the statement chooses it), then its series' `Found` and rank
    (`WHOLE_COLUMNS`). Series come keyed in rank order; a series without rows is not found."""
    _check_buckets(buckets)
    time_columns(times)
    found: dict[int, Found] = {}
    extents: dict[int, Extent] = {}
    levels: dict[int, int] = {}
    ranks: dict[tuple[str, str, str], int] = {}

    def learned() -> Iterator[tuple]:
        """The rows, each series' `Found` and level taken from its first one."""
        for row in rows:
            row, (*series, rank) = row[:-WHOLE_COLUMNS], row[-WHOLE_COLUMNS:]
            tag_id = row[1]
            if tag_id not in found:
                found[tag_id] = one = Found(*series)
                extents[tag_id], levels[tag_id] = Extent(one.first_step, one.last_step, one.points), row[0]
                ranks[one.run, one.tag, one.source_tag] = rank
            yield row

    read = answer(found, extents, levels, learned(), None, buckets, times=times)
    return {key: read[key] for key in sorted(read, key=ranks.__getitem__)}


def plan(found: Iterable[Found], extents: Mapping[int, Extent], buckets: int | None) -> list[tuple[int, int]]:
    """``(tag_id, level)`` to fetch for each series: `_levels.level_for` its inner points, or 0
    (every chunk overlapping the range) for a raw read."""
    _check_buckets(buckets)
    return [
        (series.tag_id, 0 if buckets is None or series.tag_id not in extents
         else _levels.level_for(extents[series.tag_id].inner_points, buckets))
        for series in found
    ]


def _check_buckets(buckets: int | None) -> None:
    if buckets is not None and buckets < 1:
        raise UsageError(f"buckets must be at least 1, got {buckets}")


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
    """One series' fetched rows: chunks ``(first_step, blobs)`` and summaries by level, and how
    many points the rows of its chosen level cover."""

    def __init__(self) -> None:
        self.chunks: list[tuple[int, _chunks.Blobs]] = []
        self.levels: dict[int, list[_levels.Row]] = defaultdict(list)
        self.points = 0


def answer(
    found: Mapping[int, Found],
    extents: Mapping[int, Extent],
    levels: Mapping[int, int],
    rows: Iterable[tuple],
    step_range: tuple[int, int] | None,
    buckets: int | None,
    *,
    times: Times = True,
) -> dict[tuple[str, str, str], SeriesData]:
    """Each series read from the fetched ``rows`` ``(level, tag_id, first_step, last_step, count,
    step, epoch, wall_time, value, checksum, epochs_checksum, wall_times_checksum)`` (level 0: a
    chunk; a summary's records ride in ``value``, its epochs and wall times (or NULL, not read)
    in ``epoch`` and ``wall_time``), in any order, keyed by (run, tag, source_tag) in the
    order of ``found`` (by tag id; a row's series is looked up as the row is read, so the rows
    may fill it as they come); ``levels`` as `plan` chose.

    Rows are taken as they come. In a read of whole series, a series whose rows of its level
    hold all its points is complete: it is read then, with the ones before it, and its rows let
    go, so a request holds a batch of rows at a time rather than all of them. Memory freed that
    way is reused by the next rows; rows held to the end are given back to the system and
    mapped afresh by the next request, which cost more than reducing them.
    """
    fetched: dict[int, _Fetched] = defaultdict(_Fetched)
    answers = _Answers(extents, levels, step_range, buckets, times)
    for level, tag_id, first, last, count, step, epoch, wall_time, value, crc, epoch_crc, wall_time_crc in rows:
        held = fetched[tag_id]
        if level == 0:
            held.chunks.append((first, (step, epoch, wall_time, value, crc)))
        else:
            held.levels[level].append(_levels.Row(first, last, count, value, crc, epoch, epoch_crc, wall_time, wall_time_crc))
        held.points += count if level == levels.get(tag_id, 0) else 0
        if step_range is None and held.points == found[tag_id].points:
            answers.add(found[tag_id], fetched.pop(tag_id))
    for series in found.values():
        if series.tag_id not in answers.read:
            answers.add(series, fetched.pop(series.tag_id, _Fetched()))
    answers.flush()
    return {(series.run, series.tag, series.source_tag): answers.read[series.tag_id] for series in found.values()}


class _Answers:
    """The series read so far (`read`, by tag id), those read through summaries downsampled
    together some `_levels.BATCH_RECORDS` records at a time."""

    def __init__(
        self,
        extents: Mapping[int, Extent],
        levels: Mapping[int, int],
        step_range: tuple[int, int] | None,
        buckets: int | None,
        times: Times,
    ) -> None:
        self.extents, self.levels, self.step_range, self.buckets, self.times = extents, levels, step_range, buckets, times
        self.read: dict[int, SeriesData | None] = {}
        self.waiting: list[tuple[Found, list[_levels.Records], int, int]] = []
        self.records = 0

    def add(self, series: Found, held: _Fetched) -> None:
        """Read one series from its rows (now, or with the next batch)."""
        extent, level = self.extents.get(series.tag_id), self.levels.get(series.tag_id, 0)
        if extent is None or level == 0 or self.buckets is None:
            self.read[series.tag_id] = _exact(series, held, self.step_range, self.buckets, self.times)
            return
        lo, hi = self.step_range if self.step_range is not None else (extent.first_step, extent.last_step)
        by_level = {number: sorted(rows, key=lambda row: row.first_step) for number, rows in held.levels.items()}
        points = _levels.points_of(_points(series, held), times=self.times) if held.chunks else _levels.NO_POINTS
        parts = _levels.cover(by_level, points, level, lo, hi, series.tag)
        self.read[series.tag_id] = None  # until its batch is reduced
        self.waiting.append((series, parts, lo, hi))
        self.records += sum(len(part.count) for part in parts)
        if self.records >= _levels.BATCH_RECORDS:
            self.flush()

    def flush(self) -> None:
        """Downsample the waiting series together."""
        kept = _levels.downsample([(parts, lo, hi) for _, parts, lo, hi in self.waiting], self.buckets or 1)
        for (series, parts, _, _), points in zip(self.waiting, kept):
            self.read[series.tag_id] = SeriesData.of(series.run, series.tag, series.source_tag, points, _levels.count(parts))
        self.waiting, self.records = [], 0


def _points(series: Found, held: _Fetched) -> Series:
    """The fetched chunks of one series, decoded in step order."""
    chunks = sorted(held.chunks, key=lambda row: row[0])
    return _chunks.decode(series.tag, series.source_tag, (blobs for _, blobs in chunks))


def _exact(
    series: Found, held: _Fetched, step_range: tuple[int, int] | None, buckets: int | None, times: Times
) -> SeriesData:
    """One series read from every point of its fetched chunks (the time columns ``times``
    leaves out NaN, as a read through the summaries leaves them)."""
    kept, total = _chunks.select(_points(series, held), step_range, None, buckets)
    return SeriesData.of(series.run, series.tag, series.source_tag, without_times(kept, times), total)

