"""Shared by the migration tests of both backends: a series whose downsampled read must come
out the same after an index of an older schema version is migrated forward."""

from __future__ import annotations

import numpy as np

from lossboard.store.base import Batch, Columns, SeriesData, SourceState, Store

SPIKE, DIVERGED = 7, 30_001


def put_wavy_series(store: Store) -> SeriesData:
    """50,000 points (13 chunks) with a spike and a NaN; its M4 read into 100 buckets."""
    step = np.arange(50_000)
    value = np.sin(step / 300.0)
    value[[SPIKE, DIVERGED]] = [50.0, np.nan]
    columns = Columns("loss", step, np.full(len(step), np.nan), step * 0.5, value)
    store.apply(Batch(SourceState("a.csv", "a", "csv", 0, 1, 1, 1, 1), columns={"train/loss": columns}))
    return store.read_series("a", "train/loss", buckets=100)


def assert_same_read(store: Store, before: SeriesData) -> None:
    after = store.read_series("a", "train/loss", buckets=100)
    assert after.total_points == before.total_points == 50_000
    for name in ("step", "epoch", "wall_time", "value"):
        np.testing.assert_array_equal(getattr(after, name), getattr(before, name))
    assert {SPIKE, DIVERGED} <= set(after.step.tolist())
