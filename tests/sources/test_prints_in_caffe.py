"""A script's own prints between Caffe's glog lines are read, at the iteration Caffe is at
(issue 8). Caffe cannot run here: these are the glog lines of a real ``caffe train`` log
(corpus row 1) with the lines a Python layer or a wrapping script prints put between them,
as they land in a log captured with ``caffe train ... 2>&1 | tee``."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import lossboard
from tests.sources.helpers import with_lines_after

LENET = "caffe/mnist_lenet_train.log"
CAFFE_TAGS = {"train/loss", "train_batch/loss", "opt/lr", "val/accuracy", "val/loss"}


def _with_prints(corpus: Path, tmp_path: Path, added: dict[str, list[str]]) -> Path:
    return with_lines_after(corpus / LENET, tmp_path / "train.log", added)


def _series(path: Path) -> dict[str, tuple[list[int], list[float]]]:
    [run] = lossboard.load(path)
    return {s.source_tag: (s.step.tolist(), s.value.tolist()) for s in run.series.values()}


def test_a_print_while_the_test_net_runs_is_a_test_value_of_that_iteration(corpus: Path, tmp_path: Path) -> None:
    path = _with_prints(corpus, tmp_path, {
        "Iteration 500, Testing net (#0)": ["val_f1: 0.9312"],
        "Iteration 1000, Testing net (#0)": ["val_f1: 0.9587"],
    })
    [run] = lossboard.load(path)
    [f1] = [s for s in run.series.values() if s.source_tag == "val_f1"]
    assert f1.tag == "val/f1"
    assert (f1.step.tolist(), f1.value.tolist()) == ([500, 1000], [0.9312, 0.9587])


def test_a_print_after_a_training_iteration_is_read_at_that_iteration(corpus: Path, tmp_path: Path) -> None:
    path = _with_prints(corpus, tmp_path, {
        "Iteration 1000, lr = ": ["grad_norm: 1.25", "2016-07-11 14:22:41,000 - train - INFO - data_time: 0.031"],
        # glog-style logging from the script itself (absl, glog's Python bindings)
        "Iteration 1100, lr = ": ["I0711 14:22:42.000000  1274 train.py:42] grad_norm: 1.5"],
    })
    found = _series(path)
    assert found["grad_norm"] == ([1000, 1100], [1.25, 1.5])
    assert found["data_time"] == ([1000], [0.031])


def test_a_scripts_validation_bar_is_read_at_the_iteration_tested(corpus: Path, tmp_path: Path) -> None:
    """A tqdm bar the wrapping script draws over its own evaluation, redrawn with ``\\r``."""
    bar = "\rval: 50%|#####     | 5/10 [00:01<00:01, 9.5it/s, iou=0.58]\rval: 100%|##########| 10/10 [00:01<00:00, 9.5it/s, iou=0.61]"
    found = _series(_with_prints(corpus, tmp_path, {"Iteration 500, Testing net (#0)": [bar]}))
    assert found["iou"] == ([500], [0.61])


def test_the_caffe_values_are_unchanged_by_prints_between_them(corpus: Path, tmp_path: Path) -> None:
    [plain] = lossboard.load(corpus / LENET)
    [mixed] = lossboard.load(_with_prints(corpus, tmp_path, {
        "Iteration 400, loss": ["grad_norm: 9.99"],  # between a loss line and its net output
        "Iteration 500, Testing net (#0)": ["val_f1: 0.5"],  # between a test and its outputs
        "Iteration 600, lr": ["data_time: 0.5"],
    }))
    for key, series in plain.series.items():
        other = mixed.series[key]
        np.testing.assert_array_equal(other.step, series.step)
        np.testing.assert_array_equal(other.value, series.value)


def test_caffe_setup_lines_and_the_net_dump_give_no_values(corpus: Path, tmp_path: Path) -> None:
    """``Memory required for data: 5169920`` (net.cpp), ``batch_size: 64`` of the prototxt dump
    and a script's config printed before training are not metrics."""
    path = tmp_path / "train.log"
    path.write_text("base_lr: 0.01\nbatch_size: 64\n" + (corpus / LENET).read_text())
    [run] = lossboard.load(path)
    assert {s.tag for s in run.series.values()} == CAFFE_TAGS


@pytest.mark.parametrize("fast", [True, False])
def test_prints_inside_a_run_of_iteration_lines_are_read_on_both_paths(
    corpus: Path, tmp_path: Path, fast: bool
) -> None:
    from lossboard.sources.formats import FORMATS

    path = _with_prints(corpus, tmp_path, {"Iteration 2300, lr": ["grad_norm: 2.5"]})
    parser = FORMATS["caffe"].Parser(fast=fast)
    items = parser.feed(path.read_text()) + parser.close()
    grad = [item for item in items if getattr(item, "source_tag", None) == "grad_norm"]
    assert [(item.step, item.value) for item in grad] == [(2300, 2.5)]
