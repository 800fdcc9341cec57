"""Speedometer: MXNet's line shape read back by lossboard, window values, no metric reset."""

from __future__ import annotations

import logging
import math
from collections import namedtuple

import pytest

import lossboard
from lossboard.errors import UsageError
from lossboard.log.speedometer import Speedometer
from lossboard.model import Columns, Point
from lossboard.sources.formats import FORMATS
from tests.fakes import Clock, RecordingWriter

# the record MXNet's Module.fit hands every batch_end_callback (mxnet.model.BatchEndParam)
BatchEndParam = namedtuple("BatchEndParam", ["epoch", "nbatch", "eval_metric", "locals"])

BATCH_SIZE = 8
STEP_S = 0.5  # seconds per batch on the fake clock: 8 / 0.5 = 16 samples/sec
LOG = logging.getLogger("tests.log.speedometer")


class SumsMetric:
    """An MXNet <= 1.2 EvalMetric: running sums, ``reset()``, no ``reset_local()``."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.resets = 0
        self.sum_metric = 0.0
        self.num_inst = 0

    def add(self, total: float, count: int) -> None:
        self.sum_metric += total
        self.num_inst += count

    def get_name_value(self) -> list[tuple[str, float]]:
        return [(self.name, self.sum_metric / self.num_inst)]

    def reset(self) -> None:
        self.resets += 1
        self.sum_metric, self.num_inst = 0.0, 0


class LocalMetric(SumsMetric):
    """An MXNet >= 1.3 EvalMetric: global sums that ``reset_local()`` leaves alone."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.local_resets = 0
        self.global_sum_metric = 0.0
        self.global_num_inst = 0

    def add(self, total: float, count: int) -> None:
        super().add(total, count)
        self.global_sum_metric += total
        self.global_num_inst += count

    def reset_local(self) -> None:
        self.local_resets += 1
        self.sum_metric, self.num_inst = 0.0, 0

    def get_global_name_value(self) -> list[tuple[str, float]]:
        return [(self.name, self.global_sum_metric / self.global_num_inst)]


class OpaqueMetric:
    """A metric that shows only its value: its counts are private."""

    def __init__(self) -> None:
        self._hits = self._seen = 0
        self.resets = 0

    def add(self, total: float, count: int) -> None:
        self._hits += total
        self._seen += count

    def get_name_value(self) -> list[tuple[str, float]]:
        return [("acc", self._hits / self._seen)]

    def reset(self) -> None:
        self.resets += 1


class PerplexityMetric(SumsMetric):
    """mx.metric.Perplexity before MXNet 1.3: its value is ``exp`` of the sums' ratio."""

    def get_name_value(self) -> list[tuple[str, float]]:
        return [("perplexity", math.exp(self.sum_metric / self.num_inst))]


class CompositeMetric:
    """MXNet's CompositeEvalMetric: children in ``metrics``, values from ``get()``."""

    def __init__(self, *children: SumsMetric) -> None:
        self.metrics = list(children)

    def get(self) -> tuple[list[str], list[float]]:
        pairs = [pair for child in self.metrics for pair in child.get_name_value()]
        return [name for name, _ in pairs], [value for _, value in pairs]


@pytest.fixture
def clock() -> Clock:
    return Clock(1000.0)


@pytest.fixture(autouse=True)
def _capture_debug(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger=LOG.name)


def logged(caplog: pytest.LogCaptureFixture, level: int = logging.INFO) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno == level]


def drive(speedometer: Speedometer, clock: Clock, metric, correct: list[list[int]], *, reset=True):
    """Module.fit's batch loop: per epoch reset the metric, then per batch add and call back."""
    for epoch, per_batch in enumerate(correct):
        if reset:
            metric.reset()
        for nbatch, hits in enumerate(per_batch):
            clock.now += STEP_S
            metric.add(hits, BATCH_SIZE)
            speedometer(BatchEndParam(epoch, nbatch, metric, {}))


def window(per_batch: list[int], first: int, last: int) -> float:
    """Accuracy over batches ``first..last`` inclusive, from the hits of each batch."""
    return sum(per_batch[first : last + 1]) / ((last + 1 - first) * BATCH_SIZE)


HITS = [[1, 2, 3, 4, 5, 6, 7, 8, 8, 7, 6, 5], [8, 8, 7, 7, 6, 6, 5, 5, 4, 4, 3, 3]]  # 12 batches


def test_a_line_has_the_shape_mxnet_prints(clock, caplog) -> None:
    speedometer = Speedometer(BATCH_SIZE, 2, logger=LOG, clock=clock)
    for nbatch, loss in enumerate([0.9, 0.5, 0.25]):
        speedometer.update(0, nbatch, {"loss": loss})
        clock.now += STEP_S
    assert logged(caplog) == ["Epoch[0] Batch [0-2]\tSpeed: 16.00 samples/sec\tloss=0.250000"]


def test_without_a_metric_the_line_has_the_speed_only(clock, caplog) -> None:
    speedometer = Speedometer(BATCH_SIZE, 2, logger=LOG, clock=clock)
    for nbatch in range(5):
        clock.now += STEP_S
        speedometer(BatchEndParam(3, nbatch, None, {}))
    assert logged(caplog) == [
        "Epoch[3] Batch [0-2]\tSpeed: 16.00 samples/sec",
        "Epoch[3] Batch [2-4]\tSpeed: 16.00 samples/sec",
    ]


def test_a_clock_that_did_not_move_gives_infinite_speed(clock, caplog) -> None:
    speedometer = Speedometer(BATCH_SIZE, 1, logger=LOG, clock=clock)
    speedometer.update(0, 0)
    speedometer.update(0, 1)
    assert logged(caplog) == ["Epoch[0] Batch [0-1]\tSpeed: inf samples/sec"]


@pytest.mark.parametrize("batch_size, frequent", [(0, 50), (32, 0)])
def test_misuse_fails_at_construction(batch_size, frequent) -> None:
    with pytest.raises(UsageError, match="positive"):
        Speedometer(batch_size, frequent)


def expected_batch_points() -> list[tuple[int, float]]:
    """(global step, window accuracy) for HITS with frequent=4: lines at batches 4 and 8."""
    return [
        (epoch * 12 + last, window(per_batch, first, last))
        for epoch, per_batch in enumerate(HITS)
        for first, last in ((0, 4), (5, 8))
    ]


def test_lines_read_back_through_the_mxnet_parser(clock, caplog) -> None:
    drive(Speedometer(BATCH_SIZE, 4, logger=LOG, clock=clock), clock, SumsMetric("accuracy"), HITS)
    parser = FORMATS["mxnet"].Parser()
    items = parser.feed("".join(line + "\n" for line in logged(caplog))) + parser.close()
    points = [p for item in items for p in (item.points() if type(item) is Columns else [item])]
    assert all(type(p) is Point for p in points)
    accuracy = [(p.step, p.value) for p in points if p.tag == "train_batch/accuracy"]
    assert [step for step, _ in accuracy] == [step for step, _ in expected_batch_points()]
    assert [value for _, value in accuracy] == pytest.approx(
        [v for _, v in expected_batch_points()], abs=1e-6
    )
    assert {p.value for p in points if p.tag == "perf/samples_per_sec"} == {16.0}
    assert {p.source_tag for p in points if p.tag == "train_batch/accuracy"} == {"accuracy"}


@pytest.mark.parametrize("fast", [True, False])
def test_long_runs_of_lines_read_back_on_both_parser_paths(clock, caplog, fast) -> None:
    speedometer = Speedometer(BATCH_SIZE, 2, logger=LOG, clock=clock)
    expected = []
    for epoch in range(3):
        for nbatch in range(40):
            clock.now += STEP_S
            loss = 1 / (epoch * 40 + nbatch + 1)
            speedometer.update(epoch, nbatch, {"cross-entropy": loss, "lr": 0.1 / (epoch + 1)})
            if nbatch and nbatch % 2 == 0:
                expected.append((epoch * 40 + nbatch, loss))
    parser = FORMATS["mxnet"].Parser(fast=fast)
    text = "".join(f"INFO:root:{line}\n" for line in logged(caplog))
    # the fast path starts once the batches per epoch are known: from the third chunk on
    cuts = [0, text.index("Epoch[1]"), text.index("Epoch[2]"), len(text)]
    items = [item for a, b in zip(cuts, cuts[1:]) for item in parser.feed(text[a:b])] + parser.close()
    assert any(type(item) is Columns for item in items) == fast
    points = [p for item in items for p in (item.points() if type(item) is Columns else [item])]
    loss = [(p.step, p.value) for p in points if p.tag == "train_batch/cross-entropy"]
    assert [step for step, _ in loss] == [step for step, _ in expected]
    assert [value for _, value in loss] == pytest.approx([v for _, v in expected], abs=1e-6)
    assert sorted({p.value for p in points if p.tag == "opt/lr"}) == pytest.approx(
        [0.1 / 3, 0.05, 0.1], abs=1e-6
    )


def test_a_file_handler_log_loads_back(clock, tmp_path) -> None:
    path = tmp_path / "train.log"
    handler = logging.FileHandler(path)
    handler.setFormatter(logging.Formatter("%(asctime)s - %(message)s"))
    logger = logging.getLogger("tests.log.speedometer.file")
    logger.propagate, logger.level = False, logging.INFO
    logger.addHandler(handler)
    try:
        drive(Speedometer(BATCH_SIZE, 4, logger=logger, clock=clock), clock, SumsMetric("accuracy"), HITS)
    finally:
        logger.removeHandler(handler)
        handler.close()
    (run,) = lossboard.load(path)
    assert run.formats == ["mxnet"]
    accuracy = run.series["train_batch/accuracy"]
    assert accuracy.step.tolist() == [step for step, _ in expected_batch_points()]
    assert accuracy.value.tolist() == pytest.approx([v for _, v in expected_batch_points()], abs=1e-6)
    assert run.series["perf/samples_per_sec"].value.tolist() == [16.0] * 4


def test_a_metric_with_reset_local_is_reset_locally_only(clock, caplog) -> None:
    metric = LocalMetric("accuracy")
    drive(Speedometer(BATCH_SIZE, 4, logger=LOG, clock=clock), clock, metric, HITS[:1], reset=False)
    assert (metric.resets, metric.local_resets) == (0, 2)
    assert logged(caplog) == [
        f"Epoch[0] Batch [0-4]\tSpeed: 16.00 samples/sec\taccuracy={window(HITS[0], 0, 4):f}",
        f"Epoch[0] Batch [4-8]\tSpeed: 16.00 samples/sec\taccuracy={window(HITS[0], 5, 8):f}",
    ]
    # the value over the whole epoch, what Module.fit and score() report, is intact
    assert metric.get_global_name_value() == [("accuracy", window(HITS[0], 0, 11))]


def test_a_metric_with_sums_gets_window_values_and_keeps_its_own(clock) -> None:
    metric = SumsMetric("accuracy")
    writer = RecordingWriter()
    drive(Speedometer(BATCH_SIZE, 4, writer=writer, logger=LOG, clock=clock), clock, metric, HITS)
    assert metric.resets == len(HITS)  # the loop's own resets at each epoch start, no more
    assert metric.get_name_value() == [("accuracy", window(HITS[-1], 0, 11))]
    assert [(step, value) for tag, value, step in writer.scalars if tag == "train_batch/accuracy"] == (
        expected_batch_points()
    )


def test_the_writer_gets_speed_and_batch_tags_at_global_steps(clock) -> None:
    writer = RecordingWriter()
    speedometer = Speedometer(BATCH_SIZE, 6, writer=writer, logger=LOG, clock=clock)
    for epoch in range(2):
        for nbatch in range(12):
            clock.now += STEP_S
            speedometer.update(epoch, nbatch, {"loss": 0.5, "lr": 0.1})
    assert writer.scalars == [
        (tag, value, step)
        for step in (6, 18)
        for tag, value in (("perf/samples_per_sec", 16.0), ("train_batch/loss", 0.5), ("opt/lr", 0.1))
    ]


def test_a_metric_without_sums_reports_its_running_value_untouched(clock, caplog) -> None:
    metric = OpaqueMetric()
    drive(Speedometer(BATCH_SIZE, 2, logger=LOG, clock=clock), clock, metric, [[8, 0, 8, 0, 8]], reset=False)
    assert metric.resets == 0
    assert logged(caplog) == [
        "Epoch[0] Batch [0-2]\tSpeed: 16.00 samples/sec\tacc=0.666667",  # 16 of 24
        "Epoch[0] Batch [0-4]\tSpeed: 16.00 samples/sec\tacc=0.600000",  # 24 of 40
    ]
    debug = logged(caplog, logging.DEBUG)
    assert len(debug) == 1 and "OpaqueMetric" in debug[0] and "running value" in debug[0]


def test_a_metric_whose_value_is_not_its_sums_ratio_reports_its_running_value(clock, caplog) -> None:
    metric = PerplexityMetric("perplexity")
    drive(Speedometer(BATCH_SIZE, 2, logger=LOG, clock=clock), clock, metric, [[8, 0, 8, 0, 8]], reset=False)
    assert metric.resets == 0
    assert logged(caplog) == [
        f"Epoch[0] Batch [0-2]\tSpeed: 16.00 samples/sec\tperplexity={math.exp(16 / 24):f}",
        f"Epoch[0] Batch [0-4]\tSpeed: 16.00 samples/sec\tperplexity={math.exp(24 / 40):f}",
    ]
    assert len(logged(caplog, logging.DEBUG)) == 1


def test_auto_reset_off_reports_running_values_and_touches_nothing(clock, caplog) -> None:
    metric = LocalMetric("accuracy")
    speedometer = Speedometer(BATCH_SIZE, 4, auto_reset=False, logger=LOG, clock=clock)
    drive(speedometer, clock, metric, HITS[:1], reset=False)
    assert (metric.resets, metric.local_resets) == (0, 0)
    assert logged(caplog) == [
        f"Epoch[0] Batch [0-4]\tSpeed: 16.00 samples/sec\taccuracy={window(HITS[0], 0, 4):f}",
        f"Epoch[0] Batch [0-8]\tSpeed: 16.00 samples/sec\taccuracy={window(HITS[0], 0, 8):f}",
    ]


def test_a_composite_metric_read_through_get_gets_window_values(clock, caplog) -> None:
    accuracy, loss = SumsMetric("accuracy"), SumsMetric("cross-entropy")
    metric = CompositeMetric(accuracy, loss)
    speedometer = Speedometer(BATCH_SIZE, 2, logger=LOG, clock=clock)
    for nbatch, (hits, total_loss) in enumerate([(8, 4.0), (4, 8.0), (2, 16.0), (0, 0.0), (6, 8.0)]):
        clock.now += STEP_S
        accuracy.add(hits, BATCH_SIZE)
        loss.add(total_loss, BATCH_SIZE)
        speedometer(BatchEndParam(0, nbatch, metric, {}))
    assert logged(caplog) == [
        "Epoch[0] Batch [0-2]\tSpeed: 16.00 samples/sec\taccuracy=0.583333\tcross-entropy=1.166667",
        "Epoch[0] Batch [2-4]\tSpeed: 16.00 samples/sec\taccuracy=0.375000\tcross-entropy=0.500000",
    ]
