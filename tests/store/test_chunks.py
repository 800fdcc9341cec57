"""Chunks: columns to little-endian bytes and back bit for bit, split, summarised, merged."""

from __future__ import annotations

import math
import struct
import zlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lossboard.store import _chunks
from lossboard.store.base import Columns
from lossboard.store.downsample import m4_index

NAN_PAYLOAD = struct.unpack("<d", bytes.fromhex("0100000000f87f7f"))[0]  # a NaN with a payload


def test_columns_encode_as_little_endian_int64_and_float64() -> None:
    series = _chunks.series_of([1, 256], [1.5, -math.inf], epoch=[0.0, math.nan])
    step, epoch, wall_time, value, crc = _chunks.encode(series)
    assert crc == zlib.crc32(step + epoch + wall_time + value)
    assert step == struct.pack("<2q", 1, 256)
    assert epoch[:8] == struct.pack("<d", 0.0)
    assert value == struct.pack("<2d", 1.5, -math.inf)
    assert math.isnan(struct.unpack("<d", wall_time[:8])[0])


@given(st.lists(st.floats(allow_nan=True, allow_infinity=True), min_size=1, max_size=50))
def test_every_float_round_trips_bit_for_bit(values: list[float]) -> None:
    values = [*values, NAN_PAYLOAD]
    series = _chunks.series_of(range(len(values)), values, wall_time=values)
    back = _chunks.decode("t", "t", [row.blobs for row in _chunks.chunk_rows(series, size=7)])
    assert back.value.tobytes() == struct.pack(f"<{len(values)}d", *values)
    assert back.wall_time.tobytes() == struct.pack(f"<{len(values)}d", *values)
    assert back.step.tolist() == list(range(len(values)))


def test_split_cuts_consecutive_chunks_of_at_most_size_points() -> None:
    series = _chunks.series_of(range(10), range(10))
    parts = _chunks.split(series, size=4)
    assert [part.step.tolist() for part in parts] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]


def test_chunk_summary_ignores_nan_but_not_infinity() -> None:
    rows = _chunks.chunk_rows(_chunks.series_of([3, 5, 9], [math.nan, 2.0, math.inf]))
    (row,) = rows
    assert (row.first_step, row.last_step, row.count) == (3, 9, 3)
    assert (row.value_min, row.value_max) == (2.0, math.inf)


def test_an_all_nan_chunk_has_no_min_or_max() -> None:
    (row,) = _chunks.chunk_rows(_chunks.series_of([1, 2], [math.nan, math.nan]))
    assert row.value_min is None and row.value_max is None


def test_merge_appends_and_the_new_value_wins_a_shared_step() -> None:
    old = _chunks.series_of([1, 2, 3], [10.0, 20.0, 30.0])
    new = _chunks.series_of([3, 4, 2], [33.0, 40.0, 22.0])
    merged = _chunks.merge(old, new)
    assert merged.step.tolist() == [1, 2, 3, 4]
    assert merged.value.tolist() == [10.0, 22.0, 33.0, 40.0]


def test_merge_into_nothing_sorts_and_keeps_the_last_of_a_repeated_step() -> None:
    empty = _chunks.series_of([], [])
    merged = _chunks.merge(empty, _chunks.series_of([5, 1, 5], [1.0, 2.0, 3.0]))
    assert merged.step.tolist() == [1, 5] and merged.value.tolist() == [2.0, 3.0]


def test_batch_columns_become_a_sorted_series_the_last_repeat_winning() -> None:
    columns = Columns(
        "train/loss",
        "loss",
        step=np.array([2, 1, 2]),
        epoch=np.array([np.nan, 1.0, np.nan]),
        wall_time=np.array([10.0, 11.0, 12.0]),
        value=np.array([7.0, 8.0, 9.0]),
    )
    series = _chunks.from_columns(columns)
    assert (series.tag, series.source_tag) == ("train/loss", "loss")
    assert series.step.tolist() == [1, 2]
    assert series.value.tolist() == [8.0, 9.0]
    assert series.wall_time.tolist() == [11.0, 12.0]
    assert series.epoch[0] == 1.0 and np.isnan(series.epoch[1])


@settings(max_examples=60, deadline=None)
@given(
    values=st.lists(st.one_of(st.floats(-5, 5), st.sampled_from([math.nan, math.inf, -math.inf])),
                    min_size=1, max_size=300),
    chunk=st.integers(1, 40),
    buckets=st.integers(1, 50),
    data=st.data(),
)
def test_m4_over_chunks_equals_m4_over_the_joined_columns(values, chunk, buckets, data) -> None:
    step = np.cumsum(data.draw(st.lists(st.integers(1, 5), min_size=len(values), max_size=len(values))))
    value = np.array(values, dtype=np.float64)
    lo = data.draw(st.integers(int(step[0]) - 3, int(step[-1])))
    hi = data.draw(st.integers(lo, int(step[-1]) + 3))
    series = _chunks.series_of(step, value, epoch=step / 2, wall_time=step * 10.0)
    rows = [_chunks.encode(series.take(slice(i, i + chunk))) for i in range(0, len(step), chunk)]
    kept, total = _chunks.m4_over_chunks(rows, buckets, lo=lo, hi=hi)
    index = m4_index(step, value, buckets, lo=lo, hi=hi)
    assert kept.step.tolist() == step[index].tolist()
    assert kept.epoch.tolist() == (step[index] / 2).tolist()
    assert kept.wall_time.tolist() == (step[index] * 10.0).tolist()
    np.testing.assert_array_equal(kept.value, value[index])
    assert total == int(((step >= lo) & (step <= hi)).sum())



class Stored:
    """A series cut into chunks as a backend holds them: a `_chunks.ChunkSource` in memory."""

    def __init__(self, series, size: int) -> None:
        self.chunks = _chunks.chunk_rows(series, size=size)

    def _over(self, lo: int, hi: int):
        return [c for c in self.chunks if c.last_step >= lo and c.first_step <= hi]

    @staticmethod
    def _inside(chunk, lo: int, hi: int) -> bool:
        return chunk.first_step >= lo and chunk.last_step <= hi

    def rows(self, lo, hi, *, edges_only):
        return [(c.first_step, c.blobs) for c in self._over(lo, hi) if not (edges_only and self._inside(c, lo, hi))]

    def blocks(self, lo, hi):
        return [c.blocks for c in self._over(lo, hi) if self._inside(c, lo, hi)]

    def read_m4(self, step_range, buckets):
        lo, hi = step_range or (-(2**63), 2**63 - 1)
        over = self._over(lo, hi)
        extent = _chunks.Extent(
            over[0].first_step if over else None,
            over[-1].last_step if over else None,
            sum(c.count for c in over),
            sum(c.count for c in over if self._inside(c, lo, hi)),
        )
        return _chunks.read_m4(self, extent, step_range, buckets)


def noisy(seed: int, count: int) -> np.ndarray:
    """Random values with NaN, +-inf and repeated extremes sprinkled in."""
    rng = np.random.default_rng(seed)
    value = rng.standard_normal(count).round(1)
    for special in (math.nan, math.inf, -math.inf):
        value[rng.integers(0, count, rng.integers(0, 4))] = special
    return value


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    chunks=st.integers(1, 12),
    chunk_blocks=st.integers(1, 8),
    buckets=st.integers(1, 4),
    per_bucket=st.integers(8, 12),
    offset_blocks=st.integers(0, 4),
)
def test_block_m4_is_exact_when_buckets_start_on_block_edges(
    seed, chunks, chunk_blocks, buckets, per_bucket, offset_blocks
) -> None:
    size = chunk_blocks * _chunks.BLOCK_POINTS
    step = np.arange(chunks * size)
    value = noisy(seed, len(step))
    lo = offset_blocks * _chunks.BLOCK_POINTS
    hi = lo + buckets * per_bucket * _chunks.BLOCK_POINTS - 1
    series = _chunks.series_of(step, value, epoch=step / 2, wall_time=step * 10.0)
    kept, total = Stored(series, size).read_m4((lo, hi), buckets)
    index = m4_index(step, value, buckets, lo=lo, hi=hi)
    assert kept.step.tolist() == step[index].tolist()
    np.testing.assert_array_equal(kept.value, value[index])
    assert kept.wall_time.tolist() == (step[index] * 10.0).tolist()
    assert total == int(((step >= lo) & (step <= hi)).sum())


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), count=st.integers(256, 5000), size=st.integers(1, 700), data=st.data())
def test_block_m4_keeps_real_points_every_extreme_and_the_first_nan(seed, count, size, data) -> None:
    """Any range and chunking wide enough for block M4 (256 points a bucket)."""
    rng = np.random.default_rng(seed)
    step = np.cumsum(rng.integers(1, 4, count)) - 50
    value = noisy(seed, count)
    buckets = data.draw(st.integers(1, count // 256))
    first = data.draw(st.integers(0, count - 256 * buckets))
    last = data.draw(st.integers(first + 256 * buckets - 1, count - 1))
    lo, hi = int(step[first]) - data.draw(st.integers(0, 1)), int(step[last]) + data.draw(st.integers(0, 1))
    whole = data.draw(st.booleans())
    series = _chunks.series_of(step, value, epoch=step / 2, wall_time=step * 10.0)
    kept, total = Stored(series, size).read_m4(None if whole else (lo, hi), buckets)
    if whole:
        lo, hi = int(step[0]), int(step[-1])
    inside = (step >= lo) & (step <= hi)
    assert total == int(inside.sum())
    at = np.searchsorted(step, kept.step)  # every point kept is a point of the series, unchanged
    assert (step[at] == kept.step).all() and (np.diff(kept.step) > 0).all()
    np.testing.assert_array_equal(kept.value, value[at])
    assert kept.wall_time.tolist() == (kept.step * 10.0).tolist()
    assert len(kept) <= 5 * buckets
    window = value[inside]
    if len(window) and not np.isnan(window).all():
        assert np.nanmax(window) in kept.value and np.nanmin(window) in kept.value
    if np.isnan(window).any():
        assert step[inside][np.isnan(window)][0] in kept.step
    edges = lo + np.ceil(np.arange(buckets + 1) * (hi - lo + 1) / buckets).astype(np.int64)
    filled = np.histogram(step[inside], edges)[0] > 0
    assert (np.histogram(kept.step, edges)[0] > 0).tolist() == filled.tolist()


def test_a_changed_byte_in_a_chunk_or_its_block_m4_is_detected() -> None:
    (row,) = _chunks.chunk_rows(_chunks.series_of(range(100), np.linspace(0, 1, 100)))
    step, epoch, wall_time, value, crc = row.blobs
    flipped = bytes([value[0] ^ 1]) + value[1:]
    with pytest.raises(_chunks.CorruptChunk, match="series 'train/loss'"):
        _chunks.decode("train/loss", "loss", [(step, epoch, wall_time, flipped, crc)])
    points, block_crc = row.blocks
    with pytest.raises(_chunks.CorruptChunk):
        _chunks.decode_blocks([(points[:-1] + bytes([points[-1] ^ 1]), block_crc)])
