"""Collecting records into columns: later wins per step, a resume cuts what came after it."""

from __future__ import annotations

import math

import numpy as np

from lossboard.model import LR_CHANGE, RESUME, Event, Meta, Point, Problem
from lossboard.sources.collect import RunCollector


def collect(*items: object) -> RunCollector:
    collector = RunCollector("train.log")
    collector.add(list(items))  # type: ignore[arg-type]
    return collector


def test_points_become_sorted_columns_with_unknowns_as_nan() -> None:
    series = collect(
        Point("val/loss", "val_loss", 2, 0.5, epoch=2.0),
        Point("val/loss", "val_loss", 1, 0.7),
    ).series()["val/loss"]
    assert series.step.tolist() == [1, 2]
    assert series.value.tolist() == [0.7, 0.5]
    assert math.isnan(series.epoch[0]) and series.epoch[1] == 2.0
    assert series.source_tag == "val_loss"


def test_a_repeated_step_keeps_the_later_value() -> None:
    series = collect(
        Point("train/loss", "loss", 10, 1.0),
        Point("train/loss", "loss", 20, 0.9),
        Point("train/loss", "loss", 10, 0.8),
    ).series()["train/loss"]
    assert series.step.tolist() == [10, 20]
    assert series.value.tolist() == [0.8, 0.9]


def test_the_extreme_int64_steps_are_sorted_too() -> None:
    low, high = -(2**63), 2**63 - 1  # low - high wraps round to 1: order must not be judged by np.diff
    series = collect(
        Point("train/loss", "loss", high, 2.0),
        Point("train/loss", "loss", low, 1.0),
    ).series()["train/loss"]
    assert series.step.tolist() == [low, high]
    assert series.value.tolist() == [1.0, 2.0]


def test_nan_and_infinity_are_values() -> None:
    series = collect(
        Point("train/loss", "loss", 0, math.nan),
        Point("train/loss", "loss", 1, math.inf),
        Point("train/loss", "loss", 2, -math.inf),
    ).series()["train/loss"]
    assert np.isnan(series.value[0]) and series.value[1] == math.inf and series.value[2] == -math.inf


def test_resume_drops_what_came_after_the_resumed_epoch() -> None:
    collector = collect(
        *(Point("val/accuracy", "Validation-accuracy", e, e / 10, epoch=float(e)) for e in range(6)),
        Event(RESUME, 3, 3.0),
        Point("val/accuracy", "Validation-accuracy", 3, 0.99, epoch=3.0),
    )
    series = collector.series()["val/accuracy"]
    assert series.step.tolist() == [0, 1, 2, 3]
    assert series.value.tolist() == [0.0, 0.1, 0.2, 0.99]
    assert [e.kind for e in collector.events] == [RESUME]


def test_problems_carry_the_file_and_meta_is_kept() -> None:
    collector = collect(Problem(12, 'expected a number after "acc=", found "x"; skipped'),
                        Meta("framework", "mxnet"), Event(LR_CHANGE, 5, text="lr 0.1"))
    assert str(collector.problems[0]) == 'train.log:12: expected a number after "acc=", found "x"; skipped'
    assert collector.meta == {"framework": "mxnet"}
    assert collector.series() == {}


def test_columns_add_the_same_series_as_points() -> None:
    from lossboard.model import Columns

    block = Columns("train_batch/accuracy", "accuracy", np.array([5, 10]), np.array([0.5, math.nan]),
                    np.array([0.25, 0.5]), None)
    by_columns = collect(block).series()["train_batch/accuracy"]
    by_points = collect(*block.points()).series()["train_batch/accuracy"]
    for name in ("step", "value", "epoch", "wall_time"):
        np.testing.assert_array_equal(getattr(by_columns, name), getattr(by_points, name))
    assert by_columns.step.tolist() == [5, 10] and np.isnan(by_columns.wall_time).all()


def test_points_and_long_blocks_in_any_order_give_what_points_alone_give() -> None:
    """A series read line by line for its first epoch, then in long blocks (a fast path's), with
    points and short blocks between, in several `add` calls: its values go to one store, in
    order, and read back as points alone would."""
    from lossboard.model import Columns
    from lossboard.sources.collect import _HOLD

    def block(start: int, count: int) -> Columns:
        steps = np.arange(start, start + count)
        return Columns("train_batch/loss", "loss", steps, steps * 0.5, steps / 100.0, None)

    calls = [
        [*block(0, 10).points()],
        [block(10, _HOLD), Point("train_batch/loss", "loss", 5, -1.0, 0.05, None), block(_HOLD + 10, 3)],
        [block(_HOLD + 13, _HOLD + 1), *block(2 * _HOLD + 14, 4).points()],
    ]
    mixed = RunCollector("train.log")
    for items in calls:
        mixed.add(items)
    alone = collect(*(p for items in calls for item in items
                      for p in (item.points() if type(item) is Columns else [item])))
    by_blocks, by_points = mixed.series()["train_batch/loss"], alone.series()["train_batch/loss"]
    for name in ("step", "value", "epoch"):
        np.testing.assert_array_equal(getattr(by_blocks, name), getattr(by_points, name))
    assert by_blocks.value[5] == -1.0 and len(by_blocks) == 2 * _HOLD + 18  # the later point won


def test_series_that_share_a_chunks_columns_share_them_joined() -> None:
    """Two metrics of one bar, read line by line for their first epoch (each series copies its
    own steps), then in long blocks that share a chunk's steps and epochs, then a short one:
    their joined steps and epochs are one array, and the same as points alone give."""
    from lossboard.model import Columns
    from lossboard.sources.collect import _HOLD

    def chunk(start: int, count: int) -> list[Columns]:
        steps = np.arange(start, start + count)
        epochs = steps / 1000.0
        return [Columns("train_batch/loss", "loss", steps, steps * 0.5, epochs),
                Columns("perf/its_per_sec", "it/s", steps, steps * 2.0, epochs)]

    calls = [[point for block in chunk(0, 5) for point in block.points()], chunk(5, _HOLD), chunk(_HOLD + 5, 3)]
    blocks, points = RunCollector("train.log"), RunCollector("train.log")
    for items in calls:
        blocks.add(items)
        points.add([point for item in items for point in (item.points() if type(item) is Columns else [item])])
    loss, rate = blocks.series()["loss"], blocks.series()["it/s"]
    assert np.shares_memory(loss.step, rate.step) and np.shares_memory(loss.epoch, rate.epoch)
    for key, by_points in points.series().items():
        for name in ("step", "value", "epoch", "wall_time"):
            np.testing.assert_array_equal(getattr(blocks.series()[key], name), getattr(by_points, name))

