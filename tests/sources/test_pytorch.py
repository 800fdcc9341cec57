"""The PyTorch ImageNet example's prints: a real 2-epoch run (data/pytorch) and older spellings."""

from __future__ import annotations

import math

import pytest

from lossboard.model import RESUME
from lossboard.sources.formats import pytorch
from tests.sources.helpers import events, parse_path, parse_text, points, problems, values

LOG = "pytorch/imagenet_style.log"

OLD = (
    "Epoch: [0][0/5005]\tTime 8.335 (8.335)\tData 7.001 (7.001)\tLoss 6.9100 (6.9100)\tPrec@1 0.000 (0.000)\tPrec@5 0.391 (0.391)\n"
    "Epoch: [0][10/5005]\tTime 0.335 (0.512)\tData 0.001 (0.160)\tLoss 6.9000 (6.9240)\tPrec@1 0.000 (0.156)\tPrec@5 0.781 (0.625)\n"
    "Test: [0/196]\tTime 3.100 (3.100)\tLoss 6.8 (6.8)\tPrec@1 0.391 (0.391)\tPrec@5 1.953 (1.953)\n"
    " * Prec@1 0.500 Prec@5 2.100\n"
)


@pytest.fixture(scope="module")
def run(data):
    return parse_path("pytorch", data / LOG)


def test_batch_points_carry_current_values_at_global_steps(run) -> None:
    # first line: Epoch: [0][ 1/20] ... Loss 2.3499e+00 (2.3499e+00)  Acc@1   6.25 ...  Acc@5  56.25
    loss = points(run, "train_batch/loss")
    assert (loss[0].step, loss[0].value, loss[0].epoch) == (1, 2.3499, 0.05)
    assert values(run, "train_batch/accuracy")[0] == 6.25
    assert values(run, "train_batch/top_k_accuracy_5")[0] == 56.25
    # Epoch: [1][ 1/20] is global step 21
    assert [p.step for p in loss] == [1, 6, 11, 16, 21, 26, 31, 36]
    assert values(run, "perf/batch_time_s")[0] == 0.005


def test_epoch_level_values(run) -> None:
    # " *   Acc@1 99.375 Acc@5 100.000" after each test block
    accuracy = points(run, "val/accuracy")
    assert [(p.step, p.value, p.epoch) for p in accuracy] == [(20, 99.375, 0.0), (40, 99.375, 1.0)]
    assert values(run, "val/top_k_accuracy_5") == [100.0, 100.0]
    # the running averages of "Epoch: [0][16/20]": Loss (1.0414e+00), Acc@1 ( 67.19)
    train = points(run, "train/loss")
    assert (train[0].step, train[0].value, train[0].epoch) == (20, 1.0414, 0.0)
    assert values(run, "train/accuracy")[0] == 67.19
    assert problems(run) == []


def test_older_prec_spelling_and_zero_based_batches() -> None:
    items = parse_text("pytorch", OLD)
    assert [(p.step, p.value) for p in points(items, "train_batch/loss")] == [(0, 6.91), (10, 6.9)]
    assert values(items, "train/accuracy") == [0.156]
    [val] = points(items, "val/accuracy")
    assert (val.step, val.value, val.epoch) == (5005, 0.5, 0.0)


def test_evaluate_only_summary_sits_at_step_zero() -> None:
    [point] = points(parse_text("pytorch", " * Acc@1 75.000 Acc@5 92.000\n"), "val/accuracy")
    assert (point.step, point.value, point.epoch) == (0, 75.0, None)


def test_nan_and_malformed_meters() -> None:
    text = "Epoch: [2][ 10/100]\tLoss nan (inf)\tAcc@1 oops\n"
    items = parse_text("pytorch", text)
    assert math.isnan(values(items, "train_batch/loss")[0])
    [problem] = problems(items)
    assert problem.line == 1 and "Acc@1 oops" in problem.message


def test_going_back_an_epoch_is_a_resume() -> None:
    text = "Epoch: [3][ 50/100]\tLoss 1.0 (1.0)\nEpoch: [2][ 10/100]\tLoss 1.1 (1.1)\n"
    [resume] = events(parse_text("pytorch", text), RESUME)
    assert resume.step == 210


@pytest.mark.parametrize("chunk", [1, 2, 5, 13, 4096])
def test_chunking_does_not_matter(data, chunk: int) -> None:
    text = (data / LOG).read_text().replace("\n", "\r\n")
    assert parse_text("pytorch", text, chunk=chunk) == parse_text("pytorch", text)


def test_detection(data) -> None:
    assert pytorch.sniff((data / LOG).read_text(), "train.log") >= 0.8
    assert pytorch.sniff(OLD, "train.log") >= 0.8
