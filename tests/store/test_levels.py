"""The summary levels and the block-aligned M4 read, against a brute force over the raw points.

The oracle (`expected`) is the rule of `lossboard.store._levels` written point by point: with
every chunk full but the last, point ``i``'s block at level ``k`` holds the points
``i // size * size`` onwards; a point is read through the coarsest block (up to the level
chosen) lying wholly inside the range, goes to the bucket where that block's first step falls,
and each bucket keeps the first, last, minimum and maximum (NaN aside) and first NaN of its
points. Below 32 points a bucket it is `m4_index` over the points.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lossboard.model import Series
from lossboard.store import _chunks, _levels, _many
from lossboard.store.base import CHUNK_POINTS, Batch, Columns, SourceState, Store
from lossboard.store.downsample import edges, m4_index

SIZES = _levels.LEVEL_POINTS


def expected(series: Series, buckets: int, lo: int, hi: int) -> tuple[np.ndarray, int]:
    """Indices of the points a downsampled read of ``[lo, hi]`` keeps, and the points in range."""
    step, value, count = series.step, series.value, len(series)
    inside = np.flatnonzero((step >= lo) & (step <= hi))
    if not len(inside):
        return inside, 0
    chunk_first = np.arange(0, count, CHUNK_POINTS)
    chunk_last = np.minimum(chunk_first + CHUNK_POINTS, count) - 1
    whole = (step[chunk_first] >= lo) & (step[chunk_last] <= hi)
    inner = int(np.sum((chunk_last - chunk_first + 1)[whole]))
    top = max(level for level, size in enumerate(SIZES) if level == 0 or inner >= buckets * size)
    if top == 0:
        return m4_index(step, value, buckets, lo=lo, hi=hi), len(inside)
    head = np.full(len(inside), -1)  # the first point of the block each point is read through
    for level in range(top, -1, -1):
        first = inside // SIZES[level] * SIZES[level]
        last = np.minimum(first + SIZES[level], count) - 1
        fits = (head < 0) & (step[first] >= lo) & (step[last] <= hi)
        head[fits] = first[fits]
    bucket = np.searchsorted(edges(lo, hi, buckets), step[head], side="right")
    kept = set()
    for number in np.unique(bucket):
        points = inside[bucket == number]
        values = value[points]
        nan = np.isnan(values)
        kept |= {points[0], points[-1], points[np.argmin(np.where(nan, np.inf, values))],
                 points[np.argmax(np.where(nan, -np.inf, values))]}
        if nan.any():
            kept.add(points[np.argmax(nan)])
    return np.array(sorted(kept), dtype=np.intp), len(inside)


def assert_read(series: Series, got, buckets: int, lo: int, hi: int) -> None:
    index, total = expected(series, buckets, lo, hi)
    assert got.total_points == total
    assert got.step.tolist() == series.step[index].tolist()
    for name in ("epoch", "wall_time", "value"):
        assert getattr(got, name).tobytes() == getattr(series, name)[index].tobytes()


def stored_rows(series: Series) -> list[tuple]:
    """Every chunk and summary row of ``series`` as a backend fetches them (`_many.answer`)."""
    chunks = _chunks.chunk_rows(series)
    rows = [(0, 1, *row[:3], *row.blobs, None, None) for row in chunks]
    level1 = [_levels.Row(*row[:3], *row.level1) for row in chunks]
    for level, row in [(1, row) for row in level1] + _levels.group_rows(level1):
        rows.append((level, 1, *row[:3], None, row.epochs, row.wall_times, row.records, row.checksum, row.epochs_checksum,
                     row.wall_times_checksum))
    return rows


def read_rows(series: Series, buckets: int, lo: int, hi: int):
    """`_many.answer` over every row of the series (extra rows must not matter)."""
    chunk_first = np.arange(0, len(series), CHUNK_POINTS)
    chunk_last = np.minimum(chunk_first + CHUNK_POINTS, len(series)) - 1
    overlap = (series.step[chunk_last] >= lo) & (series.step[chunk_first] <= hi)
    whole = overlap & (series.step[chunk_first] >= lo) & (series.step[chunk_last] <= hi)
    extents = {}
    if overlap.any():
        sizes = chunk_last - chunk_first + 1
        extents[1] = _many.Extent(int(series.step[chunk_first[overlap][0]]), int(series.step[chunk_last[overlap][-1]]),
                                  int(sizes[whole].sum()))
    found = [_many.Found(1, "r", "t", "s", int(series.step[0]), int(series.step[-1]), len(series))]
    levels = dict(_many.plan(found, extents, buckets))
    return _many.answer({1: found[0]}, extents, levels, stored_rows(series), (lo, hi), buckets)["r", "t", "s"]


values = st.one_of(st.floats(-5, 5), st.sampled_from([math.nan, math.inf, -math.inf]))


@settings(max_examples=40, deadline=None)
@given(
    count=st.integers(1, 40_000),
    buckets=st.integers(1, 60),
    specials=st.lists(st.tuples(st.integers(0, 39_999), values), max_size=30),
    data=st.data(),
)
def test_a_read_over_stored_rows_is_the_block_aligned_m4_of_the_points(count, buckets, specials, data) -> None:
    rng = np.random.default_rng(count)
    step = np.cumsum(rng.integers(1, 4, size=count))
    value = rng.standard_normal(count)
    for at, special in specials:
        value[at % count] = special
    series = _chunks.series_of(step, value, epoch=step / 7, wall_time=step * 10.0)
    lo = data.draw(st.integers(int(step[0]) - 5, int(step[-1])))
    hi = data.draw(st.integers(lo, int(step[-1]) + 5))
    assert_read(series, read_rows(series, buckets, lo, hi), buckets, lo, hi)


@pytest.mark.parametrize("lo, hi", [(-(2**61), 2**61), (2**50, 2**50 + 2**52), (2**50, 2**51)])
def test_a_range_reaching_far_past_the_series_cuts_buckets_as_the_edges_do(lo: int, hi: int) -> None:
    """Buckets are found by arithmetic where it fits in int64, else by the edges: both agree."""
    rng = np.random.default_rng(2)
    step = 2**50 + np.cumsum(rng.integers(1, 2**40, size=40_000))
    series = _chunks.series_of(step, rng.standard_normal(len(step)), epoch=step / 7, wall_time=step * 1.0)
    for buckets in (1, 7, 2_000):
        assert_read(series, read_rows(series, buckets, lo, hi), buckets, lo, hi)


def test_blocks_starting_on_a_bucket_edge_open_that_bucket() -> None:
    step = np.arange(64 * 2_000)  # level 2: a block of 64 points a bucket, each on an edge
    series = _chunks.series_of(step, np.cos(step / 500.0), epoch=step / 7, wall_time=step * 1.0)
    for buckets, hi in ((2_000, len(step) - 1), (1_000, len(step) - 1), (999, len(step) + 63)):
        assert_read(series, read_rows(series, buckets, 0, hi), buckets, 0, hi)


@settings(max_examples=200, deadline=None)
@given(
    values=st.lists(values, min_size=1, max_size=200),
    cuts=st.sets(st.integers(1, 199)),
)
def test_records_reduced_in_runs_are_the_m4_of_their_points(values, cuts) -> None:
    series = _chunks.series_of(range(len(values)), values, epoch=range(len(values)))
    starts = np.array(sorted({0} | {cut for cut in cuts if cut < len(values)}))
    points = _levels.points_of(series)
    once = _levels.reduce(points, starts)
    twice = _levels.reduce(_levels.reduce(points, np.arange(len(values))), starts)  # M4 of M4s is M4
    assert _levels.encode(once) == _levels.encode(twice)
    stored = _levels.as_records(*_levels.encode(once))  # and a stored row reads back as written
    nans = dict(zip(stored.nan_at.tolist(), stored.nans.step.tolist()))
    assert (stored.nans.epoch == stored.nans.step).all() and np.isnan(stored.nans.wall_time).all()  # the epoch rides with its point
    for number, (steps, epochs, walls, count, start, stop) in enumerate(
        zip(stored.points.step, stored.points.epoch, stored.points.wall_time, stored.count, starts, [*starts[1:], len(values)])
    ):
        part = np.array(values[start:stop], dtype=np.float64)
        nan = np.isnan(part)
        assert count == stop - start
        assert steps.tolist() == [start, stop - 1, start + np.argmin(np.where(nan, np.inf, part)),
                                  start + np.argmax(np.where(nan, -np.inf, part))]
        assert (epochs == steps).all() and np.isnan(walls).all()  # epoch = step, no wall time
        assert nans.get(number) == (start + np.argmax(nan) if nan.any() else None)


def test_a_read_of_whole_series_takes_their_rows_in_any_order() -> None:
    """A whole series is read as soon as its rows hold all its points: rows interleaved,
    reversed or shuffled, with rows of other levels among them, each series reads the same."""
    rng = np.random.default_rng(8)
    series = {}
    for tag_id, count in ((1, 150_000), (2, 9_000), (3, 40_000)):
        step = np.cumsum(rng.integers(1, 3, size=count))
        value = rng.standard_normal(count)
        value[count // 3] = np.nan
        series[tag_id] = _chunks.series_of(step, value, epoch=step / 7, wall_time=step * 10.0)
    found = [_many.Found(tag_id, f"r{tag_id}", "t", "s", int(one.step[0]), int(one.step[-1]), len(one))
             for tag_id, one in series.items()]
    extents = {one.tag_id: _many.Extent(one.first_step, one.last_step, one.points) for one in found}
    levels = dict(_many.plan(found, extents, 500))
    assert sorted(levels.values()) == [0, 2, 4]
    rows = [(row[0], tag_id, *row[2:]) for tag_id, one in series.items() for row in stored_rows(one)]
    for order in (rows, rows[::-1], [rows[at] for at in rng.permutation(len(rows))]):
        read = _many.answer({one.tag_id: one for one in found}, extents, levels, iter(order), None, 500)
        for one in found:
            assert_read(series[one.tag_id], read[one.run, "t", "s"], 500, one.first_step, one.last_step)


def test_series_reduced_together_in_batches_are_each_what_they_are_alone() -> None:
    """Many series' records outnumber one batch: each still reads as if downsampled alone,
    whether its batch holds NaN or not."""
    rng = np.random.default_rng(4)
    covers = []
    for number in range(12):
        count = 20_000 + 3_000 * number
        step = np.cumsum(rng.integers(1, 3, size=count))
        value = rng.standard_normal(count)
        if number in (3, 4, 9):
            value[rng.integers(0, count, size=40)] = np.nan
        points = _levels.points_of(_chunks.series_of(step, value, epoch=step / 3, wall_time=step * 2.0))
        records = _levels.reduce(points, np.arange(0, count, 16))
        halves = [_levels.between(records, 0, 300), _levels.between(records, 300, len(records.count))]
        covers.append((halves, int(step[0]) - number, int(step[-1])))
    assert sum(len(records.count) for parts, _, _ in covers for records in parts) > 2 * _levels.BATCH_RECORDS
    together = _levels.downsample(covers, 700)
    for cover, read in zip(covers, together):
        [alone] = _levels.downsample([cover], 700)
        for name in ("step", "epoch", "wall_time", "value"):
            assert getattr(read, name).tobytes() == getattr(alone, name).tobytes()
    assert any(np.isnan(read.value).any() for read in together)


def test_level_blocks_nest_in_chunks_and_groups() -> None:
    count = 3 * _levels.GROUP_CHUNKS * CHUNK_POINTS + 1_000  # three full groups and a partial one
    series = _chunks.series_of(np.arange(count), np.sin(np.arange(count) / 50.0))
    level1 = [_levels.Row(*row[:3], *row.level1) for row in _chunks.chunk_rows(series)]
    for level, row in [(1, row) for row in level1] + _levels.group_rows(level1):
        records = _levels.as_records(row.records, row.epochs, row.wall_times)
        size = SIZES[level]
        first = records.points.step[:, 0]
        assert (first % size == 0).all()  # every block starts on its level's edge
        assert (records.count[:-1] == size).all() and records.count.sum() == row.count


def test_level_for_leaves_between_one_and_two_blocks_a_bucket() -> None:
    for points in (1, 31, 32 * 100, 10**6, 16 * 10**6, 10**9):
        for buckets in (1, 100, 1_500, 2_000):
            level = _levels.level_for(points, buckets)
            if level:
                assert buckets <= points // SIZES[level] < 2 * buckets or level == len(SIZES) - 1
            else:
                assert points < 32 * buckets


# -- on every backend: the rows the statements choose, after appends and overwrites -----------

COUNT = 2 * _levels.GROUP_CHUNKS * CHUNK_POINTS + 12_345  # every level, two groups and a part


def _written(store: Store) -> Series:
    """A series written in uneven appends, then partly overwritten; returned as it should read."""
    rng = np.random.default_rng(3)
    step = np.arange(COUNT, dtype=np.int64) * 3
    value = rng.standard_normal(COUNT).cumsum()
    value[[10, 77_777, 200_000]] = [1e9, np.nan, -np.inf]
    wall = step * 0.25
    for number, part in enumerate(np.split(np.arange(COUNT), [4096, 50_001, 170_000, 260_000]), 1):
        store.apply(Batch(SourceState("a.csv", "a", "csv", 0, number, 1, 1, number),
                          columns=[Columns("train/loss", "loss", step[part], step[part] / 1000, wall[part], value[part])]))
    again = np.arange(120_000, 121_000)
    value[again] = -5.0
    store.apply(Batch(SourceState("a.csv", "a", "csv", 0, 9, 1, 1, 9),
                      columns=[Columns("train/loss", "loss", step[again], step[again] / 1000, wall[again], value[again])]))
    return _chunks.series_of(step, value, epoch=step / 1000, wall_time=wall)


def test_every_backend_reads_the_block_aligned_m4_at_every_level_and_range(store: Store) -> None:
    series = _written(store)
    last = int(series.step[-1])
    for buckets in (1, 3, 7, 40, 333, 1_500, 9_000):
        for lo, hi in ((0, last), (1, last - 1), (12_290, 500_000), (300_001, 300_500), (-10, 5), (700_000, 10**12)):
            got = store.read_series("a", "train/loss", step_range=(lo, hi), buckets=buckets)
            assert_read(series, got, buckets, lo, hi)
        got = store.read_series("a", "train/loss", buckets=buckets)
        assert_read(series, got, buckets, 0, last)


@pytest.mark.parametrize("buckets", [2, 1_500])
def test_many_series_in_one_read_match_the_oracle(store: Store, buckets: int) -> None:
    """Series reduced together stay apart, even where one ends on the step the next begins with."""
    series = _written(store)
    shorts = {"b": _chunks.series_of(np.arange(100), np.arange(100.0) % 7),
              "c": _chunks.series_of(np.arange(99, 199), np.arange(100.0) % 5)}
    for run, short in shorts.items():
        store.apply(Batch(SourceState(f"{run}.csv", run, "csv", 0, 1, 1, 1, 1), columns=[
            Columns("train/loss", "loss", short.step, short.epoch, short.wall_time, short.value)]))
    read = store.read_many([("b", "train/loss"), ("c", "train/loss"), ("a", "train/loss")], buckets=buckets)
    assert_read(series, read["a", "train/loss", "loss"], buckets, 0, int(series.step[-1]))
    for run, short in shorts.items():
        assert_read(short, read[run, "train/loss", "loss"], buckets, int(short.step[0]), int(short.step[-1]))


@pytest.mark.parametrize("times", [True, "epoch", False])
def test_rows_decoded_together_are_the_rows_decoded_one_by_one(times) -> None:
    """`decode_rows` (one pass over many rows) gives what decoding each row and joining them
    gives: every column, the NaN list with each record's index shifted by the rows before it."""
    count = 5 * _levels.GROUP_CHUNKS * CHUNK_POINTS + 777
    rng = np.random.default_rng(3)
    value = rng.standard_normal(count)
    value[rng.choice(count, 300, replace=False)] = np.nan
    step = np.arange(count) * 3
    series = _chunks.series_of(step, value, epoch=step / 7)
    level1 = [_levels.Row(*row[:3], *row.level1) for row in _chunks.chunk_rows(series)]
    epochs, walls = (times is not False), (times is True)
    for level in (1, 2, 8, 13):
        rows = [row for number, row in [(1, row) for row in level1] + _levels.group_rows(level1) if number == level]
        rows = [row._replace(epochs=row.epochs if epochs else None, wall_times=row.wall_times if walls else None) for row in rows]
        together = _levels.decode_rows(rows, "x")
        apart = _levels.join([_levels.decode(row, "x") for row in rows])
        assert len(together.nan_at) > 1 and together.nan_at.tolist() == apart.nan_at.tolist()
        assert together.count.tolist() == apart.count.tolist()
        for got, want in ((together.points, apart.points), (together.nans, apart.nans)):
            for column, expected_column in zip(got, want):
                assert (column is None) == (expected_column is None)
                if column is not None:
                    assert column.tobytes() == expected_column.tobytes()
        assert (together.points.epoch is None) != epochs and (together.points.wall_time is None) != walls
