"""Chunks: columns to little-endian bytes and back bit for bit, split, summarised, merged."""

from __future__ import annotations

import math
import struct
import zlib

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from lossboard.store import _chunks
from lossboard.store.base import Columns

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
