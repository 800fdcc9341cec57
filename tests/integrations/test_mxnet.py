"""MXNet callbacks, driven exactly as Module.fit drives them, on a tiny numpy model.

MXNet is retired and cannot be installed here, so `fit` below follows Module.fit of MXNet
1.x (mxnet/module/base_module.py) step by step: reset the training metric each epoch; after
each batch update it and call every batch_end_callback with a BatchEndParam; log
``Train-*`` and ``Time cost``; call epoch_end_callback; score the validation data (its
batch_end_callback after each batch, eval_end_callback at the end); log ``Validation-*``.
"""

from __future__ import annotations

import logging
from collections import namedtuple

import numpy as np
import pytest

import lossboard
from lossboard.integrations.mxnet import LossboardCallback
from lossboard.log.speedometer import Speedometer
from tests.fakes import Clock, RecordingWriter

BatchEndParam = namedtuple("BatchEndParam", ["epoch", "nbatch", "eval_metric", "locals"])

BATCH_SIZE = 8
TRAIN_BATCHES = 12
FREQUENT = 4  # Speedometer lines at batches 4 and 8 of each epoch
EPOCHS = 3
STEP_S = 0.5  # fake seconds per training batch: 8 / 0.5 = 16 samples/sec


class LegacyAccuracy:
    """mx.metric.Accuracy before MXNet 1.3: running sums and ``reset()`` only."""

    def __init__(self) -> None:
        self.reset()

    def update(self, labels: np.ndarray, probabilities: np.ndarray) -> None:
        hits = int(((probabilities > 0.5) == labels).sum())
        self.sum_metric += hits
        self.num_inst += len(labels)

    def reset(self) -> None:
        self.sum_metric, self.num_inst = 0.0, 0

    def get_name_value(self) -> list[tuple[str, float]]:
        return [("accuracy", self.sum_metric / self.num_inst if self.num_inst else float("nan"))]


class Accuracy(LegacyAccuracy):
    """mx.metric.Accuracy since MXNet 1.3: global sums that ``reset_local()`` keeps."""

    def update(self, labels: np.ndarray, probabilities: np.ndarray) -> None:
        before = self.sum_metric, self.num_inst
        super().update(labels, probabilities)
        self.global_sum_metric += self.sum_metric - before[0]
        self.global_num_inst += self.num_inst - before[1]

    def reset(self) -> None:
        super().reset()
        self.global_sum_metric, self.global_num_inst = 0.0, 0

    def reset_local(self) -> None:
        super().reset()

    def get_global_name_value(self) -> list[tuple[str, float]]:
        return [("accuracy", self.global_sum_metric / self.global_num_inst)]


class Logistic:
    """Logistic regression trained by SGD: the tiny real model."""

    def __init__(self) -> None:
        self.w, self.b = np.array([-1.0, 1.0]), 0.0  # wrong way round: it has to learn

    def predict(self, x: np.ndarray) -> np.ndarray:
        return 1 / (1 + np.exp(-(x @ self.w + self.b)))

    def step(self, x: np.ndarray, y: np.ndarray, lr: float = 0.05) -> None:
        error = self.predict(x) - y
        self.w -= lr * x.T @ error / len(y)
        self.b -= lr * float(error.mean())


def blobs(count: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    y = rng.integers(0, 2, count).astype(float)
    return rng.normal(0, 1.5, (count, 2)) + np.outer(2 * y - 1, [0.8, 0.4]), y


def overall(metric) -> list[tuple[str, float]]:
    # Module.fit of MXNet >= 1.3 reports the global values, older ones the only ones
    return getattr(metric, "get_global_name_value", metric.get_name_value)()


def fit(model, train, val, *, eval_metric, validation_metric, logger, clock, record, **callbacks):
    """Module.fit's loop; ``record`` gets the hits of each batch, training and validation."""
    for epoch in range(EPOCHS):
        tic = clock()
        eval_metric.reset()
        record["hits"].append([])
        record["val_hits"].append([])
        for nbatch in range(TRAIN_BATCHES):
            x, y = (a[nbatch * BATCH_SIZE : (nbatch + 1) * BATCH_SIZE] for a in train)
            model.step(x, y)
            clock.now += STEP_S
            outputs = model.predict(x)
            record["hits"][-1].append(int(((outputs > 0.5) == y).sum()))
            eval_metric.update(y, outputs)
            param = BatchEndParam(epoch=epoch, nbatch=nbatch, eval_metric=eval_metric, locals=locals())
            for callback in callbacks["batch_end_callback"]:
                callback(param)
        for name, value in overall(eval_metric):
            logger.info("Epoch[%d] Train-%s=%f", epoch, name, value)
        logger.info("Epoch[%d] Time cost=%.3f", epoch, clock() - tic)
        callbacks["epoch_end_callback"](epoch, None, {"w": model.w}, {})
        # Module.score
        validation_metric.reset()
        batches = len(val[1]) // BATCH_SIZE
        for nbatch in range(batches):
            x, y = (a[nbatch * BATCH_SIZE : (nbatch + 1) * BATCH_SIZE] for a in val)
            outputs = model.predict(x)
            record["val_hits"][-1].append(int(((outputs > 0.5) == y).sum()))
            validation_metric.update(y, outputs)
            param = BatchEndParam(epoch=epoch, nbatch=nbatch, eval_metric=validation_metric, locals=locals())
            for callback in callbacks["eval_batch_end_callback"]:
                callback(param)
        callbacks["eval_end_callback"](BatchEndParam(epoch, batches, validation_metric, locals()))
        for name, value in overall(validation_metric):
            logger.info("Epoch[%d] Validation-%s=%f", epoch, name, value)


def assert_points(
    actual: list[tuple[int, float]], expected: list[tuple[int, float]], tag: str, **tolerance
) -> None:
    assert [step for step, _ in actual] == [step for step, _ in expected], tag
    assert [value for _, value in actual] == pytest.approx([value for _, value in expected], **tolerance), tag


def window(per_batch: list[int], first: int, last: int) -> float:
    return sum(per_batch[first : last + 1]) / ((last + 1 - first) * BATCH_SIZE)


def test_a_fit_loop_reads_back_from_its_log_and_its_writer(tmp_path) -> None:
    rng = np.random.default_rng(7)
    train, val = blobs(TRAIN_BATCHES * BATCH_SIZE, rng), blobs(5 * BATCH_SIZE, rng)
    path = tmp_path / "train.log"
    handler = logging.FileHandler(path)
    handler.setFormatter(logging.Formatter("%(levelname)s:%(name)s:%(message)s"))
    logger = logging.getLogger("tests.integrations.mxnet.fit")
    logger.propagate, logger.level = False, logging.INFO
    logger.addHandler(handler)
    clock, writer = Clock(), RecordingWriter()
    callback = LossboardCallback(writer, BATCH_SIZE, frequent=FREQUENT, logger=logger, clock=clock)
    # the pitfall: a Speedometer on the validation batches (MXNet's with auto_reset would
    # reset this pre-1.3 metric, and Validation-accuracy would cover the last 2 batches)
    eval_speedometer = Speedometer(BATCH_SIZE, 2, logger=logging.getLogger("tests.eval"), clock=clock)
    record: dict[str, list[list[int]]] = {"hits": [], "val_hits": []}
    try:
        fit(
            Logistic(), train, val,
            eval_metric=Accuracy(), validation_metric=LegacyAccuracy(),
            logger=logger, clock=clock, record=record,
            batch_end_callback=[callback.batch_end],
            epoch_end_callback=callback.epoch_end,
            eval_batch_end_callback=[eval_speedometer],
            eval_end_callback=callback.eval_end,
        )  # fmt: skip
    finally:
        logger.removeHandler(handler)
        handler.close()

    windows = [
        (epoch * TRAIN_BATCHES + last, window(per_batch, first, last))
        for epoch, per_batch in enumerate(record["hits"])
        for first, last in ((0, 4), (5, 8))
    ]
    epochs = [
        (epoch, window(per_batch, 0, TRAIN_BATCHES - 1)) for epoch, per_batch in enumerate(record["hits"])
    ]
    validation = [(epoch, window(per_batch, 0, 4)) for epoch, per_batch in enumerate(record["val_hits"])]
    assert len({value for _, value in validation}) == EPOCHS  # the model learns: epochs differ

    (run,) = lossboard.load(path)
    logged = {s.tag: list(zip(s.step.tolist(), s.value.tolist())) for s in run.series.values()}
    for tag, expected in [
        ("train_batch/accuracy", windows),
        ("train/accuracy", epochs),
        ("val/accuracy", validation),
        ("perf/samples_per_sec", [(step, 16.0) for step, _ in windows]),
        ("perf/epoch_time_s", [(epoch, TRAIN_BATCHES * STEP_S) for epoch in range(EPOCHS)]),
    ]:
        assert_points(logged[tag], expected, tag, abs=1e-6)  # the log prints 6 decimals
        if tag != "perf/epoch_time_s":  # Module.fit's own line, not the callback's
            assert_points(writer.of(tag), expected, tag)


def test_log_validation_writes_what_score_returns() -> None:
    writer = RecordingWriter()
    LossboardCallback(writer).log_validation(2, [("accuracy", 0.9), ("cross-entropy", 0.3)])
    assert writer.scalars == [("val/accuracy", 0.9, 2), ("val/cross-entropy", 0.3, 2)]


def test_without_a_batch_size_the_batch_callback_only_follows_the_metric() -> None:
    writer, metric = RecordingWriter(), Accuracy()
    callback = LossboardCallback(writer)
    metric.update(np.array([1.0, 0.0, 1.0, 1.0]), np.array([0.9, 0.2, 0.1, 0.8]))
    callback.batch_end(BatchEndParam(0, 0, metric, {}))
    callback.epoch_end(0)
    assert writer.scalars == [("train/accuracy", 0.75, 0)]
