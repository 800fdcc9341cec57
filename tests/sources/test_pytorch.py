"""The PyTorch ImageNet example's prints: a real 2-epoch run (data/pytorch), corpus files 47-48
(MANIFEST facts) and older spellings."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lossboard.model import LR_CHANGE, RESUME
from lossboard.sources import load
from lossboard.sources.coverage import run_coverage
from lossboard.sources.formats import pytorch
from tests.sources.helpers import canonical, events, parse_path, parse_text, points, problems, values

LOG = "pytorch/imagenet_style.log"
F47 = "pytorch-imagenet/salientnet_ssanet50_imagenet.log"
F48 = "pytorch-imagenet/akamaster-style_resnet20_cifar10_log_resnet20.log"

OLD = (
    "Epoch: [0][0/5005]\tTime 8.335 (8.335)\tData 7.001 (7.001)\tLoss 6.9100 (6.9100)\tPrec@1 0.000 (0.000)\tPrec@5 0.391 (0.391)\n"
    "Epoch: [0][10/5005]\tTime 0.335 (0.512)\tData 0.001 (0.160)\tLoss 6.9000 (6.9240)\tPrec@1 0.000 (0.156)\tPrec@5 0.781 (0.625)\n"
    "Test: [0/196]\tTime 3.100 (3.100)\tLoss 6.8 (6.8)\tPrec@1 0.391 (0.391)\tPrec@5 1.953 (1.953)\n"
    " * Prec@1 0.500 Prec@5 2.100\n"
)


@pytest.fixture(scope="module")
def run(data):
    return parse_path("pytorch", data / LOG)


@pytest.fixture(scope="module")
def f47(corpus):
    return parse_path("pytorch", corpus / F47)


@pytest.fixture(scope="module")
def f48(corpus):
    return parse_path("pytorch", corpus / F48)


def printed(items, tag: str, source_tag: str) -> list:
    """The points of one series: its label and the name it was printed as."""
    return [p for p in points(items, tag) if p.source_tag == source_tag]


def by_epoch(items, tag: str, source_tag: str) -> dict:
    return {p.epoch: p.value for p in printed(items, tag, source_tag)}


def test_batch_points_carry_current_values_at_global_steps(run) -> None:
    # first line: Epoch: [0][ 1/20] ... Loss 2.3499e+00 (2.3499e+00)  Acc@1   6.25 ...  Acc@5  56.25
    loss = printed(run, "train_batch/loss", "Loss")
    assert (loss[0].step, loss[0].value, loss[0].epoch) == (1, 2.3499, 0.05)
    assert printed(run, "train_batch/accuracy", "Acc@1")[0].value == 6.25
    assert printed(run, "train_batch/top_k_accuracy_5", "Acc@5")[0].value == 56.25
    # Epoch: [1][ 1/20] is global step 21
    assert [p.step for p in loss] == [1, 6, 11, 16, 21, 26, 31, 36]
    assert printed(run, "perf/batch_time_s", "Time")[0].value == 0.005


def test_running_averages_are_their_own_series(run) -> None:
    # Epoch: [0][ 6/20] ... Loss 1.4531e+00 (1.9733e+00)  Acc@1  43.75 ( 33.33)
    average = printed(run, "train_batch/loss", "Loss (avg)")
    assert [p.step for p in average] == [1, 6, 11, 16, 21, 26, 31, 36]
    assert [p.value for p in average[:2]] == [2.3499, 1.9733]
    assert printed(run, "train_batch/loss", "Loss")[1].value == 1.4531
    assert printed(run, "train_batch/accuracy", "Acc@1 (avg)")[1].value == 33.33
    assert printed(run, "perf/data_time_s", "Data (avg)")[0].value == 0.002


def test_epoch_level_values(run) -> None:
    # " *   Acc@1 99.375 Acc@5 100.000" after each test block
    accuracy = points(run, "val/accuracy")
    assert [(p.step, p.value, p.epoch) for p in accuracy] == [(20, 99.375, 0.0), (40, 99.375, 1.0)]
    assert values(run, "val/top_k_accuracy_5") == [100.0, 100.0]
    # no summary of the loss: the running average of the last Test line, "Test: [ 6/10] ... (3.8249e-02)"
    val_loss = points(run, "val/loss")
    assert [(p.step, p.value, p.epoch) for p in val_loss] == [(20, 0.038249, 0.0), (40, 0.0013996, 1.0)]
    # the running averages of "Epoch: [0][16/20]": Loss (1.0414e+00), Acc@1 ( 67.19)
    train = points(run, "train/loss")
    assert (train[0].step, train[0].value, train[0].epoch) == (20, 1.0414, 0.0)
    assert values(run, "train/accuracy")[0] == 67.19
    assert problems(run) == []


def test_older_prec_spelling_and_zero_based_batches() -> None:
    items = parse_text("pytorch", OLD)
    assert [(p.step, p.value) for p in printed(items, "train_batch/loss", "Loss")] == [(0, 6.91), (10, 6.9)]
    assert values(items, "train/accuracy") == [0.156]
    [val] = points(items, "val/accuracy")
    assert (val.step, val.value, val.epoch) == (5005, 0.5, 0.0)


def test_evaluate_only_summary_sits_at_step_zero() -> None:
    [point] = points(parse_text("pytorch", " * Acc@1 75.000 Acc@5 92.000\n"), "val/accuracy")
    assert (point.step, point.value, point.epoch) == (0, 75.0, None)


def test_nan_and_malformed_meters() -> None:
    text = "Epoch: [2][ 10/100]\tLoss nan (inf)\tAcc@1 oops\n"
    items = parse_text("pytorch", text)
    assert math.isnan(printed(items, "train_batch/loss", "Loss")[0].value)
    assert printed(items, "train_batch/loss", "Loss (avg)")[0].value == math.inf
    [problem] = problems(items)
    assert problem.line == 1 and "Acc@1 oops" in problem.message


def test_going_back_an_epoch_is_a_resume() -> None:
    text = "Epoch: [3][ 50/100]\tLoss 1.0 (1.0)\nEpoch: [2][ 10/100]\tLoss 1.1 (1.1)\n"
    [resume] = events(parse_text("pytorch", text), RESUME)
    assert resume.step == 210


@pytest.mark.parametrize("chunk", [1, 2, 5, 13, 4096])
def test_chunking_does_not_matter(data, chunk: int) -> None:
    text = (data / LOG).read_text().replace("\n", "\r\n")
    assert canonical(parse_text("pytorch", text, chunk=chunk)) == canonical(parse_text("pytorch", text))


def test_detection(data) -> None:
    assert pytorch.sniff((data / LOG).read_text(), "train.log") >= 0.8
    assert pytorch.sniff(OLD, "train.log") >= 0.8


def test_test_lines_are_batch_level_validation(run) -> None:
    # "Test: [ 1/10] ... Loss 3.4003e-03 (3.4003e-03)" after epoch 0, "Test: [ 6/10]" after epoch 1
    loss = printed(run, "val_batch/loss", "Loss")
    assert [(p.step, p.epoch) for p in loss] == [(1, 0.1), (6, 0.6), (11, 1.1), (16, 1.6)]
    assert [p.value for p in loss] == [0.0034003, 0.061493, 0.00045238, 0.0014477]
    assert printed(run, "val_batch/loss", "Loss (avg)")[1].value == 0.038249
    assert printed(run, "val_batch/accuracy", "Acc@1")[0].value == 100.0
    # a Test line's Time is not a training batch's
    assert len(points(run, "perf/batch_time_s")) == 2 * 8
    assert len(points(run, "perf/val_batch_time_s")) == 2 * 4


# ---- corpus file 47: SalientNet ImageNet, E-notation, 10,010 iterations an epoch ------------


def test_file47_every_printed_line_is_read(f47) -> None:
    assert len(printed(f47, "train_batch/loss", "Loss")) == 5100  # 5,100 "Epoch: [" lines
    assert len(printed(f47, "train_batch/loss", "Loss (avg)")) == 5100
    assert len(printed(f47, "val_batch/loss", "Loss")) == 200  # 200 "Test: [" lines
    assert len(points(f47, "val/accuracy")) == len(points(f47, "val/loss")) == 100
    # two-line PIL "Corrupt EXIF data" warnings inside epochs are noise
    assert problems(f47) == []


def test_file47_values(f47) -> None:
    # line 6: Epoch: [0][    0/10010] ... Loss 7.1996e+00 (7.1996e+00)
    first = printed(f47, "train_batch/loss", "Loss")[0]
    assert (first.step, first.value, first.epoch) == (0, 7.1996, 0.0)
    last = printed(f47, "train_batch/loss", "Loss")[-1]
    assert (last.step, last.epoch) == (99 * 10010 + 10000, 99 + 10000 / 10010)
    top1 = by_epoch(f47, "val/accuracy", "Acc@1")
    assert top1[0.0] == 17.856 and by_epoch(f47, "val/top_k_accuracy_5", "Acc@5")[0.0] == 39.120  # line 61
    assert (top1[29.0], top1[30.0]) == (47.896, 65.710)  # lines 1685, 1741
    assert max(top1.items(), key=lambda kv: kv[1]) == (98.0, 76.608)  # line 5549
    assert by_epoch(f47, "val/top_k_accuracy_5", "Acc@5")[98.0] == 93.286
    assert top1[99.0] == 76.466 and by_epoch(f47, "val/top_k_accuracy_5", "Acc@5")[99.0] == 93.234
    # line 60: Test: [200/391] ... Loss 5.2925e+00 (4.4011e+00)
    assert by_epoch(f47, "val/loss", "Loss")[0.0] == 4.4011
    [test200] = [p for p in printed(f47, "val_batch/loss", "Loss") if p.step == 200]
    assert (test200.value, test200.epoch) == (5.2925, 200 / 391)


# ---- corpus file 48: akamaster-style ResNet-20 on CIFAR-10, Prec@1, current lr --------------


def test_file48_download_bar_is_noise(f48) -> None:
    # line 3 is one physical line with 764 "\r" redraws of the CIFAR-10 download bar
    assert problems(f48) == []
    assert len(printed(f48, "train_batch/accuracy", "Prec@1")) == 1600
    assert len(printed(f48, "val_batch/accuracy", "Prec@1")) == 400
    assert {p.tag for p in points(f48)} >= {"train/loss", "val/loss", "val/accuracy", "opt/lr"}


def test_file48_summaries(f48) -> None:
    top1 = by_epoch(f48, "val/accuracy", "Prec@1")
    assert len(top1) == 200 and not points(f48, "val/top_k_accuracy_5")
    assert top1[0.0] == 47.920 and top1[99.0] == 84.910 and top1[100.0] == 90.960
    assert max(top1.items(), key=lambda kv: kv[1]) == (174.0, 92.090)
    assert top1[199.0] == 92.000
    # "Test: [50/79] ... Loss 1.4830 (1.4693)" before epoch 0's summary
    assert by_epoch(f48, "val/loss", "Loss")[0.0] == 1.4693


def test_file48_current_lr_before_each_epoch(f48) -> None:
    lr = printed(f48, "opt/lr", "current lr")
    assert len(lr) == 200
    assert (lr[0].step, lr[0].epoch, lr[0].value) == (0, 0.0, 0.1)
    by_epoch_lr = {p.epoch: p.value for p in lr}
    # line 1205: current lr 1.00000e-02 after epoch 99; line 1805: 1.00000e-03 (epoch 150)
    assert (by_epoch_lr[99.0], by_epoch_lr[100.0]) == (0.1, 0.01)
    assert (by_epoch_lr[149.0], by_epoch_lr[150.0], by_epoch_lr[199.0]) == (0.01, 0.001, 0.001)
    changes = events(f48, LR_CHANGE)
    assert [(c.epoch, c.step) for c in changes] == [(100.0, 100 * 391), (150.0, 150 * 391)]


@pytest.mark.parametrize("name", [F47, F48])
def test_corpus_chunking_does_not_matter(corpus, name) -> None:
    text = (corpus / name).read_bytes().decode()
    assert canonical(parse_text("pytorch", text, chunk=4093)) == canonical(parse_text("pytorch", text))


@pytest.mark.parametrize("name", [F47, F48])
def test_corpus_every_number_bearing_line_is_read(corpus, name) -> None:
    [run] = load(corpus / name)
    [coverage] = run_coverage(run)
    assert coverage.numbered > 2400 and coverage.unread == 0, list(coverage.shapes)


# corpus file 48's first epoch, shortened: download bar, current lr, batches, Test lines, summary
CIFAR = (
    "Downloading https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz to ./data/cifar-10-python.tar.gz\n"
    "  0%|          | 0/170498071 [00:00<?, ?it/s]\r100%|██████████| 170498071/170498071 [02:10<00:00, 1306574.80it/s]\n"
    "current lr 1.00000e-01\n"
    "Epoch: [0][0/391]\tTime 5.708 (5.708)\tData 0.148 (0.148)\tLoss 3.6401 (3.6401)\tPrec@1 13.281 (13.281)\n"
    "Epoch: [0][350/391]\tTime 0.010 (0.026)\tData 0.000 (0.001)\tLoss 1.2600 (1.6693)\tPrec@1 53.906 (38.962)\r\n"
    "Test: [0/79]\tTime 0.110 (0.110)\tLoss 1.4285 (1.4285)\tPrec@1 46.094 (46.094)\n"
    "Test: [50/79]\tTime 0.003 (0.006)\tLoss 1.4830 (1.4693)\tPrec@1 44.531 (47.947)\n"
    " * Prec@1 47.920\n"
    "current lr 1.00000e-02\n"
    "Epoch: [1][0/391]\tTime 0.143 (0.143)\tData 0.129 (0.129)\tLoss 1.3233 (1.3233)\tPrec@1 52.344 (52.344)\n"
)


@given(st.lists(st.integers(0, 2000), max_size=6))
@settings(max_examples=60, deadline=None)
def test_any_chunk_split_gives_the_same_records(cuts) -> None:
    parser = pytorch.Parser()
    items, start = [], 0
    for cut in sorted(c % len(CIFAR) for c in cuts):
        items += parser.feed(CIFAR[start:cut])
        start = cut
    items += parser.feed(CIFAR[start:]) + parser.close()
    assert items == parse_text("pytorch", CIFAR)
    assert values(items, "val/loss") == [1.4693] and [e.step for e in events(items, LR_CHANGE)] == [391]


def test_a_bad_current_lr_is_a_problem_with_its_line() -> None:
    text = "current lr 1.0e-01\nEpoch: [0][0/10]\tLoss 2.0 (2.0)\ncurrent lr n/a\nEpoch: [1][0/10]\tLoss 1.0 (1.0)\n"
    items = parse_text("pytorch", text)
    [problem] = problems(items)
    assert (problem.line, problem.message) == (3, 'expected a number after "current lr", found "n/a"; skipped')
    assert [(p.step, p.value) for p in points(items, "opt/lr")] == [(0, 0.1)]
    assert [p.value for p in printed(items, "train_batch/loss", "Loss")] == [2.0, 1.0]
