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
level per group of `GROUP_CHUNKS` chunks (`group_rows`); a row is three blobs, its records'
steps, values and counts then its NaN list, their epochs, and their wall times, so that a
chart drawn against steps reads what it draws and no more (steps and values, and epochs for
its tooltip; wall times only against wall time), and each column decodes with one
``np.frombuffer``.

A read picks the coarsest level with at least ``buckets`` blocks in the range (`level_for`),
so a bucket spans 1 to 2 of its blocks; covers the range with that level's blocks wholly
inside it and, towards the range's ends, finer blocks and finally single points (`cover`);
puts each block in the bucket of the step range where its first point falls; and keeps each
bucket's first, last, minimum, maximum and first NaN (`downsample`). Bucket edges thus move to
block edges: each point is in exactly one bucket, and a bucket keeps the real first, last,
minimum and maximum points (and first NaN) *of the points it covers*, so the range's extremes,
every spike and the first NaN survive; a bucket reaches at most one block past its step
range's edge, a block being no wider than a bucket on average (visually lossless at one bucket
a pixel). Below 32 points a bucket the read is exact: every point in the range is read. Small
rows wholly inside the range (a long series' coarse levels: 32 records a row) are decoded
together (`decode_rows`), so their number costs copies, not Python calls.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import NamedTuple

import numpy as np

from lossboard.model import Series
from lossboard.store._crc import CorruptChunk, checksum
from lossboard.store.base import CHUNK_POINTS, Times, time_columns
from lossboard.store.downsample import edges, first_match

# points a block holds at each level (from 4,096: chunks joined, while they are full); a factor
# of 2 between levels keeps a read within 2x the buckets' count of records
LEVEL_POINTS = (1,) + tuple(32 << shift for shift in range(13))  # 1, 32, 64, ..., 131,072
GROUP_CHUNKS = 32  # chunks per stored row of levels 2 and up: one block of the top level
# A record's four points are a row of 4 in each column, so point ``part`` of record ``r`` is
# point ``4 * r + part`` of the flattened columns.
_FIRST, _LAST, _LOW, _HIGH = range(4)


class Points(NamedTuple):
    """Points as columns of one shape (a record's four points are a row of 4): steps, values,
    epochs and wall times, the last two None where a read left them out. Each is stored apart,
    so a read fetches only the columns its chart shows."""

    step: np.ndarray
    value: np.ndarray
    epoch: np.ndarray | None
    wall_time: np.ndarray | None

    def take(self, index: np.ndarray | slice) -> Points:
        """The points at ``index`` of the flattened columns."""
        return Points(*(None if column is None else column.reshape(-1)[index] for column in self))

    def rows(self, start: int, stop: int) -> Points:
        """Rows ``[start, stop)`` (views)."""
        return Points(*(None if column is None else column[start:stop] for column in self))

    def shaped(self, *shape: int) -> Points:
        """The columns reshaped (views where they can be)."""
        return Points(*(None if column is None else column.reshape(shape) for column in self))


_NONE = np.empty(0, dtype=np.int64)
NO_POINTS = Points(_NONE, np.empty(0), None, None)  # what a read of whole blocks takes from chunks


class Records(NamedTuple):
    """Records as their points (rows of 4: first, last, low, high) and counts, and the first
    NaN of those holding one: their indices among the records (ascending) and points."""

    points: Points
    count: np.ndarray
    nan_at: np.ndarray
    nans: Points


class Row(NamedTuple):
    """One stored row of summaries: the chunks it covers, their points, its records as stored
    (`encode`: steps and values, epochs, wall times; None where a read left them out), each
    blob with its CRC."""

    first_step: int
    last_step: int
    count: int
    records: bytes
    checksum: int
    epochs: bytes | None
    epochs_checksum: int
    wall_times: bytes | None
    wall_times_checksum: int


def level_for(points: int, buckets: int) -> int:
    """The coarsest level with at least ``buckets`` whole blocks among ``points`` (0: read every point)."""
    return max(level for level, size in enumerate(LEVEL_POINTS) if level == 0 or points >= buckets * size)


def points_of(series: Series, *, times: Times = True) -> Points:
    """A series' points as columns (`Points`), with the times ``times`` asks for (`time_columns`)."""
    epochs, walls = time_columns(times)
    return Points(series.step, series.value, series.epoch if epochs else None, series.wall_time if walls else None)


def reduce(source: Records | Points, starts: np.ndarray) -> Records:
    """One record per run of ``source`` beginning at each of ``starts`` (sorted, from 0).

    ``source`` is records or points (each a record of one). The minimum and maximum are each
    run's first holding them (NaN as +inf and -inf), as `downsample.m4_index` picks them.
    """
    if isinstance(source, Points):
        points, count = source, None
        first = last = low = high = np.arange(len(source.step))
        lows = highs = source.value
        nan_at = np.flatnonzero(np.isnan(lows))
        nans = source.take(nan_at)
    else:
        points, count = source.points, source.count
        first, last, low, high = (np.arange(part, 4 * len(count), 4) for part in range(4))
        lows, highs = source.points.value[:, _LOW], source.points.value[:, _HIGH]
        nan_at, nans = source.nan_at, source.nans
    sizes = np.diff(np.append(starts, len(lows)))
    picked = np.empty((len(starts), 4), dtype=np.intp)
    picked[:, _FIRST] = first[starts]
    picked[:, _LAST] = last[starts + sizes - 1]
    picked[:, _LOW] = low[_extreme_at(_nan_as(lows, np.inf, nan_at), starts, sizes, np.minimum)]
    picked[:, _HIGH] = high[_extreme_at(_nan_as(highs, -np.inf, nan_at), starts, sizes, np.maximum)]
    held, at = _first_in_runs(nan_at, starts, sizes)
    counts = sizes if count is None else np.add.reduceat(count, starts)
    return Records(
        points.take(picked.reshape(-1)).shaped(-1, 4),
        counts.astype(np.int64, copy=False), np.flatnonzero(held), nans.take(at[held]),
    )


def _extreme_at(values: np.ndarray, starts: np.ndarray, sizes: np.ndarray, reduce: np.ufunc) -> np.ndarray:
    """Per run of ``values`` (NaN-free), the index of its first value equal to the run's
    ``reduce`` (`np.minimum` or `np.maximum`). Most runs of a read hold one or two records, so
    those are settled by one comparison; only the few longer ones are reduced in full."""
    following = starts + (sizes > 1)  # a run's second value (its first, alone)
    behind = values[starts]
    best = starts + (reduce(values[following], behind) != behind)  # strictly beyond: ties keep the first
    longer = np.flatnonzero(sizes > 2)
    if len(longer):
        lengths = sizes[longer]
        index = _run_index(starts[longer], lengths)
        best[longer] = index[first_match(values[index], np.cumsum(lengths) - lengths, reduce, lengths)]
    return best


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


def encode(records: Records) -> tuple[bytes, bytes, bytes]:
    """Records as a stored row's three blobs. The first: their number, their points' steps
    (rows of 4), values (rows of 4) and counts, then one entry per record holding NaN (its
    index, its first NaN's step and value). The second: the epochs of their points (rows of 4),
    then of those NaN points; the third, their wall times likewise."""
    points, nans = records.points, records.nans
    entries = np.empty((len(records.nan_at), 3), dtype="<i8")
    entries[:, 0], entries[:, 1], entries[:, 2] = records.nan_at, nans.step, nans.value.view(np.int64)
    first = (np.int64(len(records.count)), points.step.astype("<i8", copy=False), points.value.astype("<f8", copy=False),
             records.count.astype("<i8", copy=False), entries)
    times = [b"".join(getattr(part, column).astype("<f8", copy=False).tobytes() for part in (points, nans))
             for column in ("epoch", "wall_time")]
    return b"".join(part.tobytes() for part in first), *times


def as_records(records: bytes, epochs: bytes | None, wall_times: bytes | None) -> Records:
    """A stored row's blobs back as `Records` (read-only views, no copy); a time blob None: not read."""
    words = np.frombuffer(records, dtype="<i8")  # one call, then views: a row is decoded per read
    count = int(words[0])
    step, value = words[1 : 1 + 4 * count].reshape(count, 4), words[1 + 4 * count : 1 + 8 * count].view("<f8").reshape(count, 4)
    counts, entries = words[1 + 8 * count : 1 + 9 * count], words[1 + 9 * count :].reshape(-1, 3)
    times = [(None, None) if blob is None else _split(np.frombuffer(blob, dtype="<f8"), count) for blob in (epochs, wall_times)]
    (epoch, nan_epoch), (wall_time, nan_wall_time) = times
    nans = Points(entries[:, 1], entries[:, 2].view(np.float64), nan_epoch, nan_wall_time)
    return Records(Points(step, value, epoch, wall_time), counts, entries[:, 0], nans)


def _split(column: np.ndarray, count: int) -> tuple[np.ndarray, np.ndarray]:
    """A stored time column: its ``count`` records' points (rows of 4), then its NaN points'."""
    return column[: 4 * count].reshape(count, 4), column[4 * count :]


def join(parts: Sequence[Records]) -> Records:
    """Consecutive records (at least one part) as one `Records`."""
    if len(parts) == 1:
        return parts[0]
    offsets = np.cumsum([0] + [len(part.count) for part in parts[:-1]])
    return Records(
        _joined([part.points for part in parts]),
        np.concatenate([part.count for part in parts]),
        np.concatenate([part.nan_at + offset for part, offset in zip(parts, offsets) if len(part.nan_at)] or [_NONE]),
        _joined([part.nans for part in parts]),
    )


def _joined(parts: Sequence[Points]) -> Points:
    """Points one after another (each time column only where every part has it)."""
    held = [all(column is not None for column in columns) for columns in zip(*parts)]
    parts = [part for part in parts if len(part.step)] or parts[:1]  # NaN lists: mostly empty
    if len(parts) == 1:
        return Points(*(column if keep else None for column, keep in zip(parts[0], held)))
    return Points(*(np.concatenate(columns) if keep else None for columns, keep in zip(zip(*parts), held)))


def between(records: Records, start: int, stop: int) -> Records:
    """Records ``[start, stop)`` (views)."""
    lo, hi = np.searchsorted(records.nan_at, (start, stop))
    return Records(records.points.rows(start, stop), records.count[start:stop], records.nan_at[lo:hi] - start,
                   records.nans.rows(lo, hi))


def sealed(blobs: tuple[bytes, bytes, bytes]) -> tuple[bytes, int, bytes, int, bytes, int]:
    """A row's three blobs (`encode`), each followed by its CRC: what a backend stores."""
    return tuple(part for blob in blobs for part in (blob, checksum(blob)))


def chunk_records(chunk: Series) -> tuple[bytes, int, bytes, int, bytes, int]:
    """A chunk's level-1 records (every 32 points) as the row stored beside it (`sealed`)."""
    return sealed(encode(reduce(points_of(chunk), np.arange(0, len(chunk), LEVEL_POINTS[1]))))


def group_rows(level1: Sequence[Row]) -> list[tuple[int, Row]]:
    """``(level, row)`` of levels 2 and up over consecutive chunks' level-1 rows (in step
    order), one row per level per `GROUP_CHUNKS` chunks, grouped from the first; each level
    reduced from the one below."""
    rows = []
    for start in range(0, len(level1), GROUP_CHUNKS):
        group = level1[start : start + GROUP_CHUNKS]
        parts = [as_records(row.records, row.epochs, row.wall_times) for row in group]
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
            rows.append((level, Row(*bounds, *sealed(encode(records)))))
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
        "SELECT first_step, last_step, count, points, checksum, epochs, epochs_checksum, wall_times, "
        f"wall_times_checksum FROM summaries WHERE tag_id = ? AND level = 1{after} ORDER BY first_step",
        params,
    )
    return group_rows([Row(first, last, count, bytes(records), crc, bytes(epochs), epochs_crc, bytes(walls), walls_crc)
                       for first, last, count, records, crc, epochs, epochs_crc, walls, walls_crc in level1])


def decode(row: Row, what: str) -> Records:
    """One stored row's records, its checksums verified (`CorruptChunk` naming ``what``)."""
    _verify(row, what)
    return as_records(row.records, row.epochs, row.wall_times)


def _verify(row: Row, what: str) -> None:
    """`CorruptChunk` naming ``what`` if a blob read of ``row`` fails its checksum."""
    stored = ((row.records, row.checksum), (row.epochs, row.epochs_checksum), (row.wall_times, row.wall_times_checksum))
    if any(blob is not None and checksum(blob) != crc for blob, crc in stored):
        raise CorruptChunk(what)


def cover(
    levels: Mapping[int, Sequence[Row]], points: Points, top: int, lo: int, hi: int, what: str
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
    return int(records.points.step[at, part])


# a row of fewer records bytes is decoded with its small neighbours (`decode_rows`): its Python
# and numpy calls would cost more than copying its records, which a larger row's views avoid
SMALL_ROW_BYTES = 16_384


def _blocks_in(rows: Sequence[Row], start: int, stop: int, what: str) -> list[Records]:
    """The blocks of ``rows`` (one level, step order) wholly inside ``[start, stop]``, as parts:
    small rows wholly inside decoded together (`decode_rows`), the others alone."""
    parts: list[Records] = []
    small: list[Row] = []
    for row in rows:
        if row.last_step < start or row.first_step > stop:
            continue
        inside = row.first_step >= start and row.last_step <= stop
        if inside and len(row.records) < SMALL_ROW_BYTES:
            small.append(row)
            continue
        if small:
            parts.append(decode_rows(small, what))
            small = []
        records = decode(row, what)
        if not inside:
            first, last = records.points.step[:, _FIRST], records.points.step[:, _LAST]
            kept = np.flatnonzero((first >= start) & (last <= stop))
            if not len(kept):
                continue
            records = between(records, int(kept[0]), int(kept[-1]) + 1)
        parts.append(records)
    return parts + ([decode_rows(small, what)] if small else [])


def decode_rows(rows: Sequence[Row], what: str) -> Records:
    """Consecutive rows' records as one `Records`, checksums verified (`decode`): the same
    numpy calls for any number of rows, so a read of many small coarse rows does not pay for
    each (a 16 M-point series to 2,000 buckets reads 123 rows of 32 records)."""
    if len(rows) == 1:
        return decode(rows[0], what)
    for row in rows:
        _verify(row, what)
    words = np.frombuffer(b"".join(row.records for row in rows), dtype="<i8")
    sizes = np.array([len(row.records) // 8 for row in rows])
    heads = np.cumsum(sizes) - sizes  # each row's first word: its number of records
    counts = words[heads]
    held = (sizes - 1 - 9 * counts) // 3  # each row's entries of a record holding NaN
    entries = _runs(words, heads + 1 + 9 * counts, 3 * held).reshape(-1, 3)
    columns = [_runs(words, heads + 1, 4 * counts).reshape(-1, 4),
               _runs(words, heads + 1 + 4 * counts, 4 * counts).view("<f8").reshape(-1, 4)]
    nan_columns = [entries[:, 1], entries[:, 2].view(np.float64)]
    for blobs in ([row.epochs for row in rows], [row.wall_times for row in rows]):
        if any(blob is None for blob in blobs):
            columns.append(None)
            nan_columns.append(None)
            continue
        floats = np.frombuffer(b"".join(blobs), dtype="<f8")
        lengths = 4 * counts + held
        starts = np.cumsum(lengths) - lengths
        columns.append(_runs(floats, starts, 4 * counts).reshape(-1, 4))
        nan_columns.append(_runs(floats, starts + 4 * counts, held))
    nan_at = entries[:, 0] + np.repeat(np.cumsum(counts) - counts, held)
    return Records(Points(*columns), _runs(words, heads + 1 + 8 * counts, counts), nan_at, Points(*nan_columns))


def _runs(column: np.ndarray, starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """``column[starts[i] : starts[i] + lengths[i]]`` for each ``i``, one after another."""
    return column[_run_index(starts, lengths)]


def _run_index(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """The indexes ``starts[i], ..., starts[i] + lengths[i] - 1`` for each ``i``, one after another."""
    ends = np.cumsum(lengths)
    return np.repeat(starts - (ends - lengths), lengths) + np.arange(ends[-1] if len(ends) else 0)


def _points_in(points: Points, start: int, stop: int) -> list[Records]:
    """The points inside ``[start, stop]`` as records of one (none or one part)."""
    begin, end = np.searchsorted(points.step, (start, stop + 1))
    return [reduce(points.rows(begin, end), np.arange(end - begin))] if end > begin else []


def count(parts: Sequence[Records]) -> int:
    """How many points the records of ``parts`` cover."""
    return int(np.add.reduce(np.concatenate([part.count for part in parts]))) if parts else 0


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


def _bucket_keys(firsts: np.ndarray, ranges: Sequence[tuple[int, int]], bounds: np.ndarray, buckets: int) -> np.ndarray:
    """For each series' records (``bounds`` apart), a key per record that differs from the next
    record's exactly where the bucket of its first step (``firsts``) in its series' range does.

    Step ``s`` of ``[lo, hi]`` falls in bucket ``(s - lo) * buckets // (hi - lo + 1)`` (the
    equal step ranges of `downsample.edges`), computed so in int64 where it cannot overflow;
    steps near the ends of int64 take `downsample.edges`' way."""
    key = np.empty(len(firsts), dtype=np.int64)
    for number, ((lo, hi), start, stop) in enumerate(zip(ranges, bounds[:-1], bounds[1:])):
        span = hi - lo + 1
        if span * buckets < 2**63:
            bucket = (firsts[start:stop] - lo) * buckets // span
        else:
            bucket = np.searchsorted(edges(lo, hi, buckets), firsts[start:stop], side="right") - 1
        key[start:stop] = bucket + number * (buckets + 2)
    return key


def _downsample(covers: Sequence[tuple[Sequence[Records], int, int]], buckets: int) -> list[Series]:
    """`downsample` of one batch: each bucket's points are chosen by their place among the
    records' points, and only the points kept are then gathered."""
    sizes = [sum(len(part.count) for part in parts) for parts, _, _ in covers]
    if not sum(sizes):
        return [Series("", "", np.empty(0, dtype=np.int64), *(np.empty(0) for _ in range(3))) for _ in covers]
    records = join([part for parts, _, _ in covers for part in parts])
    steps, values = records.points.step, records.points.value
    bounds = np.cumsum([0] + sizes)
    key = _bucket_keys(steps[:, _FIRST], [(lo, hi) for _, lo, hi in covers], bounds, buckets)
    opens = np.empty(len(key), dtype=bool)  # a record opening a bucket
    opens[0] = True
    np.not_equal(key[1:], key[:-1], out=opens[1:])
    starts = np.flatnonzero(opens)
    runs = np.diff(np.append(starts, len(steps)))
    low = _extreme_at(_nan_as(values[:, _LOW], np.inf, records.nan_at), starts, runs, np.minimum)
    high = _extreme_at(_nan_as(values[:, _HIGH], -np.inf, records.nan_at), starts, runs, np.maximum)
    held, at = _first_in_runs(records.nan_at, starts, runs)
    # each bucket's points by their place among the records' points, then their NaN points
    # (4 * len(steps) + entry)
    table = records.points.take(slice(None))
    if len(records.nan_at):
        table = _joined([table, records.nans])
    # a bucket's first, low, high, first NaN (only in a batch holding one) and last
    chosen = np.empty((len(starts), 5 if held.any() else 4), dtype=np.intp)
    chosen[:, 0], chosen[:, -1] = 4 * starts + _FIRST, 4 * (starts + runs - 1) + _LAST
    chosen[:, 1], chosen[:, 2] = 4 * low + _LOW, 4 * high + _HIGH
    if chosen.shape[1] == 5:  # a bucket without NaN names its first twice
        chosen[:, 3] = np.where(held, len(steps) * 4 + at, chosen[:, 0])
    # the middle points in step order (points on one step are one point: any order). A bucket's
    # points are a row of ``width``; every step below works on the flattened rows, as numpy
    # loops over a short last axis a row at a time
    width = chosen.shape[1]
    ahead = table.step[chosen].reshape(-1)
    chosen = chosen.reshape(-1)
    for left in (1, 2, 1)[: 1 if width == 4 else 3]:
        swap = np.flatnonzero(ahead[left::width] > ahead[left + 1 :: width]) * width + left
        for column in (chosen, ahead):
            column[swap], column[swap + 1] = column[swap + 1], column[swap]
    fresh = np.empty(len(ahead), dtype=bool)  # a point not on its predecessor's step in its bucket
    np.not_equal(ahead[1:], ahead[:-1], out=fresh[1:])
    fresh[::width] = True
    kept = np.flatnonzero(fresh)
    index = chosen[kept]
    step, value = ahead[kept], table.value[index]  # the steps were gathered already
    unread = None if table.epoch is not None and table.wall_time is not None else np.full(len(step), np.nan)
    epoch, wall_time = (unread if column is None else column[index] for column in (table.epoch, table.wall_time))
    cuts = np.searchsorted(kept, np.searchsorted(starts, bounds) * width)  # each series' first bucket's first point
    return [
        Series("", "", step[start:stop], epoch[start:stop], wall_time[start:stop], value[start:stop])
        for start, stop in zip(cuts[:-1], cuts[1:])
    ]
