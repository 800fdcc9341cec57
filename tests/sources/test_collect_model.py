"""The collector against a model of it written the slow, obvious way: a list of points per series.

The collector copies short `Columns` blocks into growing columns (those of one `add` together,
at its end or when a point of the same series comes), holds long ones as they came
(the block length is varied here so both ways run), joins a column several series share once,
and writes an epoch or wall-time column only once a value knows it. Whatever the record stream
(points and blocks mixed, blocks sharing one chunk's arrays, narrower dtypes, columns known for
some blocks and not others, NaN and infinity, repeated steps, resumes), it must give what the
model gives. The corpus files feed both the records their real parsers emit."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lossboard.model import LR_CHANGE, RESUME, Columns, Event, Item, Point, Problem
from lossboard.sources import collect
from lossboard.sources.collect import RunCollector
from lossboard.sources.formats import FORMATS
from tests.sources.test_corpus import EXPECTED

Row = tuple[int, float, float, float]  # step, value, epoch, wall time (NaN: unknown)


def model(items: list[Item]) -> dict[tuple[str, str], list[Row]]:
    """Each series' points, later wins per step, sorted; a resume first drops what it undoes."""
    series: dict[tuple[str, str], list[Row]] = {}
    for item in items:
        points = item.points() if type(item) is Columns else [item] if type(item) is Point else []
        for point in points:
            series.setdefault((point.tag, point.source_tag), []).append((
                point.step, point.value,
                math.nan if point.epoch is None else point.epoch,
                math.nan if point.wall_time is None else point.wall_time,
            ))
        if type(item) is Event and item.kind == RESUME:
            for rows in series.values():
                rows[:] = _before(_last_per_step(rows), item)
    return {key: _last_per_step(rows) for key, rows in series.items() if rows}


def _last_per_step(rows: list[Row]) -> list[Row]:
    return sorted({row[0]: row for row in rows}.values())


def _before(rows: list[Row], resume: Event) -> list[Row]:
    if resume.epoch is not None and any(not math.isnan(row[2]) for row in rows):
        return [row for row in rows if not row[2] >= resume.epoch]
    return [row for row in rows if row[0] < resume.step]


def assert_like_model(collector: RunCollector, items: list[Item]) -> None:
    expected = model(items)
    got = collector.series()
    assert sorted(got) == sorted(expected)
    for key, rows in expected.items():
        series = got[key]
        assert series.step.dtype == np.int64 and series.value.dtype == np.float64
        assert series.epoch.dtype == np.float64 and series.wall_time.dtype == np.float64
        columns = [np.array(column, dtype=dtype) for column, dtype in
                   zip(zip(*rows), (np.int64, np.float64, np.float64, np.float64))]
        for name, column in zip(("step", "value", "epoch", "wall_time"), columns):
            np.testing.assert_array_equal(getattr(series, name), column, err_msg=f"{key} {name}")


# -- generated record streams ------------------------------------------------------------------
TAGS = [("train/loss", "loss"), ("train/accuracy", "acc"), ("val/loss", "val_loss")]
steps = st.one_of(st.integers(0, 40), st.sampled_from([-(2**63), 2**63 - 1]))
values = st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.sampled_from([math.nan, -0.0]))
maybe = st.one_of(st.none(), st.floats(0, 50, allow_nan=False))


@st.composite
def chunk(draw: st.DrawFn) -> list[Item]:
    """A fast path's chunk: one steps array (and epochs, walls) shared by a block per metric."""
    size = draw(st.integers(0, 6))
    step = np.array(draw(st.lists(steps, min_size=size, max_size=size)), dtype=np.int64)
    if draw(st.booleans()) and (np.abs(step) < 2**31).all():
        step = step.astype(np.int32)  # a block may come narrower than int64
    epoch, wall_time = (
        None if draw(st.booleans()) else np.array(draw(st.lists(maybe.map(lambda v: math.nan if v is None else v),
                                                                min_size=size, max_size=size)))
        for _ in range(2)
    )
    tags = draw(st.lists(st.sampled_from(TAGS), min_size=1, max_size=3, unique=True))
    return [
        Columns(tag, source_tag, step, np.array(draw(st.lists(values, min_size=size, max_size=size))), epoch, wall_time)
        for tag, source_tag in tags
    ]


point = st.builds(lambda key, step, value, epoch, wall: [Point(*key, step, value, epoch, wall)],
                  st.sampled_from(TAGS), steps, values, maybe, maybe)
event = st.builds(lambda kind, step, epoch: [Event(kind, step, epoch)],
                  st.sampled_from([RESUME, RESUME, LR_CHANGE]), st.integers(0, 40), maybe)
problem = st.builds(lambda line: [Problem(line, "skipped")], st.integers(1, 99))
streams = st.lists(st.one_of(point, point, chunk(), event, problem), max_size=25).map(
    lambda groups: [item for group in groups for item in group])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(streams, st.sampled_from([1, 2, 4, 25]), st.sampled_from([1, 3, collect._HOLD]))
def test_any_record_stream_collects_as_the_model(items: list[Item], batches: int, hold: int) -> None:
    default, collect._HOLD = collect._HOLD, hold  # blocks this long are held, not copied
    try:
        collector = RunCollector("train.log")
        for start in range(0, len(items), batches):  # fed in several lists, as a parser's chunks
            collector.add(items[start : start + batches])
    finally:
        collect._HOLD = default
    assert_like_model(collector, items)
    assert_like_model(collector, items)  # asking twice gives the same
    assert collector.events == [item for item in items if type(item) is Event]
    assert [p.line for p in collector.problems] == [item.line for item in items if type(item) is Problem]
    assert collector.is_empty == (not model(items))


def test_a_column_unknown_throughout_is_nan_and_read_only() -> None:
    step = np.arange(3)
    collector = RunCollector("train.log")
    collector.add([Columns("train/loss", "loss", step, np.ones(3)), Columns("train/loss", "loss", step + 3, np.ones(3)),
                   Columns("val/loss", "val_loss", step, np.ones(3))])
    for series in collector.series().values():
        assert np.isnan(series.epoch).all() and np.isnan(series.wall_time).all()
        with pytest.raises(ValueError):
            series.epoch[0] = 1.0  # shared by several series: writing would change them all


def test_a_step_outside_int64_is_a_problem_and_the_rest_is_kept() -> None:
    collector = RunCollector("train.log")
    collector.add([Point("train/loss", "loss", 2**63, 1.0), Point("train/loss", "loss", 1, 0.5)])
    assert collector.series()["train/loss"].step.tolist() == [1]
    assert str(collector.problems[0]) == "train.log: loss: step 9223372036854775808 is outside 64-bit integers; value skipped"


# -- the corpus ---------------------------------------------------------------------------------
def records(path: Path, format: str) -> list[Item]:
    """What the file's parser emits, fed in 64 KB chunks (smaller than a load's: more blocks)."""
    module = FORMATS[format]
    parser = module.Parser()
    data = path.read_bytes()
    binary = getattr(module, "BINARY", False)
    items: list[Item] = []
    for start in range(0, len(data), 1 << 16):
        piece = data[start : start + (1 << 16)]
        items += parser.feed(piece if binary else piece.decode("utf-8", "replace"))
    return items + parser.close()


@pytest.mark.parametrize("relative", sorted(EXPECTED))
def test_every_corpus_file_collects_as_the_model(corpus: Path, relative: str) -> None:
    items = records(corpus / relative, EXPECTED[relative])
    collector = RunCollector(relative)
    collector.add(items)
    assert_like_model(collector, items)


def test_short_segments_are_one_only_within_a_column() -> None:
    """Steps and epochs of the same bytes (0 and 0.0; 4097 and the float whose bits it is) are
    no copies of each other: each column keeps its own values and type."""
    long = collect._HOLD
    items: list[Item] = [
        Point("train/loss", "loss", 0, 1.0, 0.0),
        Columns("train/loss", "loss", np.arange(1, long + 1), np.ones(long), np.arange(1.0, long + 1)),
        Point("train/loss", "loss", long + 1, 1.0, float(np.array([long + 1]).view(np.float64)[0])),
    ]
    collector = RunCollector("train.log")
    collector.add(items)
    assert_like_model(collector, items)
