"""`Store.read_many` on every backend: each series exactly as `read_series` reads it alone.

The expected values are each series read by itself, whose contract tests/store/test_contract.py
checks from the batches; here many series of every size are read at once and compared bit for bit.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from lossboard import query
from lossboard.errors import UsageError
from lossboard.store._levels import LEVEL_POINTS
from lossboard.store.base import Store, StoreError
from lossboard.store.urls import open_store

from ._versions import sql
from .test_contract import bits, cols, put

BIG = 140_000  # past the top level's 131,072 points: one bucket reads every level's rows


def _fill(store: Store) -> None:
    """Three runs: short series with NaN and infinities, two series sharing a label, and long
    ones whose downsampled reads take each level of the pyramid."""
    rng = np.random.default_rng(12)
    odd = [0.5, math.nan, math.inf, -math.inf, 2.0, math.nan, -0.0, 7.0]
    put(store, "a", columns={"train/loss": cols(range(0, 80, 10), odd, source_tag="loss")})
    a_long = rng.normal(size=20_000)
    a_long[12_345] = 50.0
    a_long[17_000] = math.nan
    put(store, "a", path="logs/a/more.csv", columns={"val/accuracy": cols(range(20_000), a_long, source_tag="val_acc")})
    put(store, "b", columns={"train/loss": cols(range(0, 300, 3), rng.normal(size=100), source_tag="Loss/train")})
    put(store, "b", path="logs/b/tb.csv", columns={"train/loss": cols(range(1, 300, 3), rng.normal(size=100), source_tag="train_loss")})
    big = rng.normal(size=BIG)
    big[99_999] = -40.0
    put(store, "c", columns={"train/loss": cols(range(5, 5 + BIG), big, source_tag="loss")})


def _same(left, right) -> None:
    assert (left.run, left.tag, left.source_tag, left.total_points) == (right.run, right.tag, right.source_tag, right.total_points)
    assert left.step.tolist() == right.step.tolist()
    for column in ("epoch", "wall_time", "value"):
        assert bits(getattr(left, column)) == bits(getattr(right, column))


@pytest.mark.parametrize("step_range", [None, (0, 150), (30, 30), (3_000, 131_000), (10**9, 2 * 10**9)])
@pytest.mark.parametrize("buckets", [None, 1, 3, 50, 2_000])
def test_many_series_read_at_once_are_each_read_alone(store: Store, step_range, buckets) -> None:
    _fill(store)
    pairs = [("a", "train/loss"), ("a", "val/accuracy"), ("b", "train/loss"), ("c", "train/loss"), ("c", "none/such"), ("z", "train/loss")]
    many = store.read_many(pairs, step_range=step_range, buckets=buckets)
    alone = {}
    for info in store.list_tags(["a", "b", "c"]):
        data = store.read_series(info.run, info.tag, source_tag=info.source_tag, step_range=step_range, buckets=buckets)
        alone[info.run, info.tag, info.source_tag] = data
    assert sorted(many) == sorted(alone)
    assert list(many) == sorted(many, key=lambda key: (pairs.index(key[:2]), key[2]))  # as asked, then by source tag
    for key, data in alone.items():
        _same(many[key], data)


@pytest.mark.parametrize("step_range", [None, (3_000, 131_000)])
@pytest.mark.parametrize("buckets", [None, 3, 2_000])
@pytest.mark.parametrize("times", [False, "epoch"])
def test_a_read_without_wall_times_gives_the_same_points_and_no_wall_times(store: Store, step_range, buckets, times) -> None:
    """What a chart drawn against steps asks for: the wall times (and without its tooltip, the
    epochs) are left unread, the rest is what a read of every column gives."""
    _fill(store)
    steps = np.arange(50_000)
    put(store, "d", columns={"train/loss": cols(steps, np.sin(steps / 99), epochs=steps / 1000, walls=steps * 0.5)})
    pairs = [("a", "train/loss"), ("a", "val/accuracy"), ("b", "train/loss"), ("c", "train/loss"), ("d", "train/loss")]
    whole = store.read_many(pairs, step_range=step_range, buckets=buckets)
    bare = store.read_many(pairs, step_range=step_range, buckets=buckets, times=times)
    assert list(bare) == list(whole)
    for key, data in whole.items():
        assert data.total_points == bare[key].total_points and data.step.tolist() == bare[key].step.tolist()
        assert bits(data.value) == bits(bare[key].value)
        if times == "epoch":
            assert bits(bare[key].epoch) == bits(data.epoch)
        else:
            assert np.isnan(bare[key].epoch).all()
        assert np.isnan(bare[key].wall_time).all()
        assert len(bare[key].epoch) == len(bare[key].wall_time) == len(data.step)
    assert not np.isnan(whole["d", "train/loss", "loss"].wall_time).any()
    assert not np.isnan(whole["d", "train/loss", "loss"].epoch).any()
    read = query.read_series(store, runs=["d"], tags=["train/loss"], time_range=(0, math.inf), buckets=3, times=times)
    data = read["d", "train/loss", "loss"]
    assert np.isnan(data.wall_time).all() and len(data.step) > 3
    assert np.isnan(data.epoch).all() == (times is False)


@pytest.mark.parametrize("size", LEVEL_POINTS[1:4])
def test_a_series_at_the_edge_of_a_level_reads_at_once_as_alone(store: Store, size: int) -> None:
    """At ``buckets`` blocks of a level a read takes that level, a point short the one below (on
    PostgreSQL its statement picks the level): read at once as each is read alone. Steps with
    uneven gaps, so that no level's blocks line up with the buckets and each level reads apart."""
    buckets = 7
    rng = np.random.default_rng(size)
    pairs = []
    for run, points in (("edge", buckets * size), ("short", buckets * size - 1)):
        put(store, run, columns={"train/loss": cols(np.cumsum(rng.integers(1, 9, points)), rng.normal(size=points))})
        pairs.append((run, "train/loss"))
    for asked in (pairs, pairs[:1], pairs[1:]):  # several series streamed, one alone
        for (run, tag, source_tag), data in store.read_many(asked, buckets=buckets).items():
            _same(data, store.read_series(run, tag, source_tag=source_tag, buckets=buckets))


def test_a_read_asking_for_times_it_cannot_name_is_a_usage_error(store: Store) -> None:
    _fill(store)
    with pytest.raises(UsageError, match="times must be True, False or 'epoch'"):
        store.read_many([("a", "train/loss")], buckets=3, times="wall_time")


def test_a_shared_label_brings_every_series_under_it_apart(store: Store) -> None:
    _fill(store)
    many = store.read_many([("b", "train/loss")], buckets=10)
    assert sorted(many) == [("b", "train/loss", "Loss/train"), ("b", "train/loss", "train_loss")]
    assert [data.total_points for data in many.values()] == [100, 100]
    assert many["b", "train/loss", "train_loss"].step[0] == 1


def test_no_pairs_and_unknown_pairs_read_nothing(store: Store) -> None:
    _fill(store)
    assert store.read_many([]) == {}
    assert store.read_many([("nobody", "train/loss"), ("a", "hparam/lr")], buckets=5) == {}


def test_query_read_series_answers_as_before_in_the_order_of_the_tags(store: Store) -> None:
    _fill(store)
    read = query.read_series(store, runs=["c", "b", "a"], tags=["train/loss"], buckets=100)
    infos = [info for info in store.list_tags(["c", "b", "a"]) if info.tag == "train/loss"]
    assert list(read) == [(info.run, info.tag, info.source_tag) for info in infos]
    for info in infos:
        _same(read[info.run, info.tag, info.source_tag], store.read_series(info.run, info.tag, source_tag=info.source_tag, buckets=100))
    timed = query.read_series(store, runs=["a"], tags=["train/loss"], time_range=(0.0, 1.0))
    assert timed["a", "train/loss", "loss"].total_points == 0  # no wall times: the per-series path


@pytest.mark.parametrize(
    ("level", "buckets", "step_range"),
    [(0, None, None), (0, 2_000, (53_300, 120_000))]  # raw, and the chunk at a range's start
    + [(level, BIG // size, None) for level, size in enumerate(LEVEL_POINTS) if level and size <= BIG],
)
def test_a_damaged_row_is_an_error_never_data(store_url: str, level: int, buckets: int | None, step_range) -> None:
    """A flipped bit in a chunk or in the summary row of the level a read takes is an error."""
    store = open_store(store_url)
    try:
        _fill(store)
        table, column, where = ("chunks", "value", "") if level == 0 else ("summaries", "points", f" AND level = {level}")
        [(first, blob)] = sql(store_url, f"SELECT first_step, {column} FROM {table} WHERE first_step >= 50000{where} "
                                         "ORDER BY first_step LIMIT 1")
        damaged = bytes(blob[:-1]) + bytes([blob[-1] ^ 1])
        sql(store_url, f"UPDATE {table} SET {column} = ? WHERE first_step = ?{where}", (damaged, first))
        with pytest.raises(StoreError, match="fails its checksum"):
            store.read_many([("a", "train/loss"), ("c", "train/loss")], step_range=step_range, buckets=buckets)
        # a read stopped by the error leaves the store usable (PostgreSQL: the streamed rows discarded)
        assert [data.total_points for data in store.read_many([("b", "train/loss")], buckets=10).values()] == [100, 100]
    finally:
        store.close()


def test_the_statements_do_not_grow_with_the_series(tmp_path) -> None:
    """Three statements (in one read transaction) for one series or for every series at once:
    the lookup, the extents (the lookup's own for whole series) and the rows."""
    store = open_store(f"sqlite:///{tmp_path / 'index.db'}")
    try:
        _fill(store)
        statements: list[str] = []
        store._db.set_trace_callback(statements.append)  # type: ignore[attr-defined]
        for pairs in ([("a", "val/accuracy")], [(run, tag) for run in "abc" for tag in ("train/loss", "val/accuracy")]):
            for buckets, step_range in itertools.product((None, 3, 2_000), (None, (10, 60_000))):
                statements.clear()
                store.read_many(pairs, buckets=buckets, step_range=step_range)
                extents = ["SELECT"] if step_range else []
                assert [line.split()[0] for line in statements] == ["BEGIN", "SELECT", *extents, "WITH", "COMMIT"]
    finally:
        store.close()
