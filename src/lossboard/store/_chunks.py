"""Series as chunks of raw column bytes: split, encode, decode, merge and downsample, shared by
every backend.

A chunk is up to `CHUNK_POINTS` consecutive points of one series. Each column is stored as
little-endian bytes (``<i8`` steps, ``<f8`` the rest), so NaN, +-inf and every other float
come back bit for bit, and a million points decode with one ``np.frombuffer`` per column.
Merging reuses `lossboard.sources.collect.last_per_step`: the store and a plain load keep the
same point when a step repeats.

Each chunk also carries its **block M4**: the M4 points of every `BLOCK_POINTS` consecutive
points, about an eighth of the chunk, and its **level-1 summary**, the M4 of every
`LEVEL_POINTS[1]` points; `lossboard.store._pyramid` builds level 2 over groups of chunks.
A downsampled read over a range wide enough (`read_m4`) takes the coarsest level whose
blocks still fit several to a bucket for the chunks wholly inside the range instead of their
points, so it reads O(buckets) values whatever the series length; see `m4_of_blocks` for
what that keeps.

    >>> new = series_of([1, 2], [0.5, float("nan")])
    >>> rows = chunk_rows(new)
    >>> decode("t", "t", [rows[0].blobs]).value.tolist()
    [0.5, nan]
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Sequence
from itertools import islice
from typing import NamedTuple, Protocol

import numpy as np

from lossboard.errors import LossboardError
from lossboard.model import Series
from lossboard.sources.collect import last_per_step
from lossboard.store.base import CHUNK_POINTS, Columns
from lossboard.store.downsample import m4_index

_STEP = np.dtype("<i8")
_FLOAT = np.dtype("<f8")
_GROUP_CHUNKS = 16  # chunks decoded together by `m4_over_chunks`: 32,768 points
BLOCK_POINTS = 32  # points per block of a chunk's block M4
# points per block at each level of the summary pyramid: the block M4, each chunk's
# level-1 summary, and level 2 (8 chunks a block: 32,768 points while chunks are full)
LEVEL_POINTS = (BLOCK_POINTS, 1024, 8 * CHUNK_POINTS)
# a downsampled read takes a level when buckets hold this many points on average: 8 blocks
# of block M4 (narrower reads stay exact, as before the pyramid), 4 of a coarser level (a
# block then never reaches past the bucket beside it, so it still only blurs bucket edges)
LEVEL_MIN_BUCKET_POINTS = (8 * LEVEL_POINTS[0], 4 * LEVEL_POINTS[1], 4 * LEVEL_POINTS[2])
# block M4 points, row by row: all four columns of a point together, so the blocks of many
# chunks join into one buffer and decode with one np.frombuffer
_POINT = np.dtype([("step", "<i8"), ("epoch", "<f8"), ("wall_time", "<f8"), ("value", "<f8")])

Blobs = tuple[bytes, bytes, bytes, bytes, int]  # step, epoch, wall_time, value, their checksum
Block = tuple[bytes, int]  # a chunk's block M4 points and their checksum


class CorruptChunk(LossboardError):
    """Stored chunk bytes that no longer match their checksum: the index file was damaged."""

    def __init__(self, tag: str) -> None:
        self.tag = tag
        super().__init__(f"a stored chunk of {'series ' + repr(tag) if tag else 'a series'} fails its checksum")


class ChunkRow(NamedTuple):
    """One chunk as a backend stores it: its summary, its column blobs with their checksum,
    its block M4 and its level-1 summary, each with its own."""

    first_step: int
    last_step: int
    count: int
    value_min: float | None  # None: every value is NaN
    value_max: float | None
    blobs: Blobs
    blocks: Block
    coarse: Block  # level 1: M4 of every LEVEL_POINTS[1] points


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


def checksum(*blobs: bytes) -> int:
    """CRC-32 of the blobs in order: what a chunk stores to detect its bytes changing."""
    crc = 0
    for blob in blobs:
        crc = zlib.crc32(blob, crc)
    return crc


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


def m4_over_chunks(
    rows: Iterable[Blobs], buckets: int, *, lo: int, hi: int
) -> tuple[Series, int]:
    """M4 of a series read chunk row by chunk row ``(step, epoch, wall_time, value, checksum)``, and
    how many points lie in ``[lo, hi]``.

    The result equals `m4_index` over the whole series: a bucket's first, last, minimum and
    maximum (and first NaN) are among those of its parts in each group of chunks, so M4 of the
    groups' M4 points is M4 of all. Rows are consumed a group at a time (512 KB a column), so a
    query holds one group and the kept points, never the series: allocating and freeing whole
    columns made the kernel page memory in and out, which cost as much as the work itself.
    """
    kept: list[Series] = []
    total = 0
    rows = iter(rows)
    while group := list(islice(rows, _GROUP_CHUNKS)):
        part = decode("", "", group)
        total += int(np.searchsorted(part.step, hi, side="right") - np.searchsorted(part.step, lo, side="left"))
        kept.append(part.take(m4_index(part.step, part.value, buckets, lo=lo, hi=hi)))
    if not kept:
        return series_of([], []), 0
    union = kept[0]
    for part in kept[1:]:
        union = union.append(part)
    return union.take(m4_index(union.step, union.value, buckets, lo=lo, hi=hi)), total


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
        blocks, coarse = block_m4(part), block_m4(part, LEVEL_POINTS[1])
        rows.append(
            ChunkRow(*summarize(part), encode(part), (blocks, checksum(blocks)), (coarse, checksum(coarse)))
        )
    return rows


def block_m4(chunk: Series, size: int = BLOCK_POINTS) -> bytes:
    """The M4 points of each run of ``size`` consecutive points of a chunk, as one blob."""
    count = len(chunk)
    return points_blob(chunk.take(m4_index(np.arange(count), chunk.value, -(-count // size))))


def points_blob(kept: Series) -> bytes:
    """Summary points as one blob, row by row (`decode_blocks` reads it back)."""
    points = np.empty(len(kept), dtype=_POINT)
    for name in _POINT.names:
        points[name] = getattr(kept, name)
    return points.tobytes()


def decode_blocks(blocks: Iterable[Block]) -> Series:
    """Block M4 blobs of consecutive chunks, in step order, as one series of strided views;
    each blob's checksum verified."""
    blobs = []
    for points, crc in blocks:
        if checksum(points) != crc:
            raise CorruptChunk("")
        blobs.append(points)
    points = np.frombuffer(b"".join(blobs), dtype=_POINT)
    return Series("", "", *(points[name] for name in _POINT.names))


class Extent(NamedTuple):
    """The chunks of a series that overlap a step range: their bounds and point counts."""

    first_step: int | None  # None: no chunk overlaps
    last_step: int | None
    points: int  # in every overlapping chunk
    inner_points: int  # in the chunks wholly inside the range


class ChunkSource(Protocol):
    """How `read_m4` reads one series' chunks from a backend, in step order."""

    def rows(self, lo: int, hi: int, *, edges_only: bool) -> Iterable[tuple[int, Blobs]]:
        """``(first_step, blobs)`` of the chunks overlapping ``[lo, hi]`` (only those reaching
        over its ends with ``edges_only``)."""
        ...

    def blocks(self, lo: int, hi: int, level: int) -> Iterable[Block]:
        """Summary blobs (points, checksum) covering exactly the chunks wholly inside
        ``[lo, hi]``, in step order: their block M4 (level 0), their level-1 summaries, or
        the level-2 rows wholly inside with the level-1 summaries of the chunks they leave."""
        ...


def read_m4(
    source: ChunkSource, extent: Extent, step_range: tuple[int, int] | None, buckets: int
) -> tuple[Series, int]:
    """M4 of a stored series over ``step_range`` (default: the whole series), and how many
    points that range holds: from the coarsest summary level whose blocks fit in a bucket
    (`level_for`, `m4_of_blocks`), else exactly from every point (`m4_over_chunks`)."""
    if not extent.points or extent.first_step is None or extent.last_step is None:
        return series_of([], []), 0
    lo, hi = step_range if step_range is not None else (extent.first_step, extent.last_step)
    level = level_for(extent.points, buckets)
    if level is None:
        rows = (blobs for _, blobs in source.rows(lo, hi, edges_only=False))
        return m4_over_chunks(rows, buckets, lo=lo, hi=hi)
    kept, edge_points = m4_of_blocks(
        source.rows(lo, hi, edges_only=True), source.blocks(lo, hi, level), buckets, lo=lo, hi=hi
    )
    return kept, extent.inner_points + edge_points


def level_for(points: int, buckets: int) -> int | None:
    """The coarsest summary level whose blocks fit in a bucket often enough over ``points``
    (`LEVEL_MIN_BUCKET_POINTS`; None: too few points a bucket, read them all)."""
    fitting = [level for level, least in enumerate(LEVEL_MIN_BUCKET_POINTS[: len(LEVEL_POINTS)]) if points >= buckets * least]
    return fitting[-1] if fitting else None


def m4_of_blocks(
    edges: Iterable[tuple[int, Blobs]], blocks: Iterable[Block], buckets: int, *, lo: int, hi: int
) -> tuple[Series, int]:
    """M4 over the block M4 of the chunks inside ``[lo, hi]`` and every point of the (at most
    two) chunks reaching over its ends, ``edges`` as ``(first_step, blobs)``; and how many of
    those edge points lie in ``[lo, hi]``.

    Every point kept is a point of the series in its own bucket, each block's extremes and
    first NaN survive to the final M4, so the range's extremes, spikes and first NaN are
    always kept. A bucket's first, last, minimum and maximum are exact but for the block at
    either of its ends, which it shares with its neighbour: with at least 8 blocks a bucket
    (4 of a coarser level, `read_m4`) that is invisible at the bucket's pixel width. Blocks of any level mix
    freely: each is M4 of the points it covers, and M4 of M4s is M4.
    """
    before: list[Blobs] = []
    after: list[Blobs] = []
    for first_step, blobs in edges:
        (before if first_step < lo else after).append(blobs)
    head, tail = decode("", "", before), decode("", "", after)
    inner = decode_blocks(blocks)
    # M4 of M4s is M4: the inner part shrinks to at most 5 points a bucket before joining
    union = head.append(inner.take(m4_index(inner.step, inner.value, buckets, lo=lo, hi=hi))).append(tail)
    inside = sum(
        int(np.searchsorted(part.step, hi, side="right") - np.searchsorted(part.step, lo, side="left"))
        for part in (head, tail)
    )
    return union.take(m4_index(union.step, union.value, buckets, lo=lo, hi=hi)), inside


def merge(old: Series, new: Series) -> Series:
    """``old`` and ``new`` points together, sorted by step; where both hold a step, ``new`` wins."""
    return last_per_step(new if not len(old) else old.append(new))


