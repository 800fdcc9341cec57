"""A script's own prints between MXNet's lines are read, at the epoch MXNet is in (issue 8):
the MXNet lines of a real ``fit`` log (corpus row 33) with ``print`` and ``logging`` lines a
training script adds, as users' scripts do."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import lossboard
from tests.sources.helpers import with_lines_after

REAL = "mxnet-speedometer-new/mxnet-cls_train.log"


def _with_prints(corpus: Path, tmp_path: Path, added: dict[str, list[str]]) -> Path:
    return with_lines_after(corpus / REAL, tmp_path / "train.log", added)


def test_a_print_after_an_epochs_validation_line_is_read_at_that_epoch(corpus: Path, tmp_path: Path) -> None:
    path = _with_prints(corpus, tmp_path, {
        "Epoch[2] Validation-accuracy": ["val_loss: 0.8123", "Learning rate for next epoch: 0.05"],
        "Epoch[5] Validation-accuracy": ["2018-05-01 10:00:00,000 - train - INFO - Validation Loss: 0.6021"],
    })
    [run] = lossboard.load(path)
    val_loss = {s.source_tag: (list(s.step), list(s.value)) for s in run.series.values() if s.tag == "val/loss"}
    assert val_loss == {"val_loss": ([2], [0.8123]), "Validation Loss": ([5], [0.6021])}
    lr = [s for s in run.series.values() if s.source_tag == "Learning rate for next epoch"]
    assert [(list(s.step), list(s.value)) for s in lr] == [([2], [0.05])]


def test_the_mxnet_values_are_unchanged_by_prints_between_them(corpus: Path, tmp_path: Path) -> None:
    [plain] = lossboard.load(corpus / REAL)
    [mixed] = lossboard.load(_with_prints(corpus, tmp_path, {
        "Epoch[2] Batch [100]": ["step 100: grad norm 1.25"],
        "Epoch[2] Validation-accuracy": ["val_loss: 0.8123"],
    }))
    for key, series in plain.series.items():
        other = mixed.series[key]
        np.testing.assert_array_equal(other.step, series.step)
        np.testing.assert_array_equal(other.value, series.value)


def test_lines_before_the_first_mxnet_line_set_nothing(corpus: Path, tmp_path: Path) -> None:
    """A config dump printed before training (``batch_size: 128``) is not a metric: no epoch
    is known yet, so such lines are left unread rather than placed at a made-up step."""
    path = tmp_path / "train.log"
    path.write_text("batch_size: 128\nnum_epochs: 10\n" + (corpus / REAL).read_text())
    [run] = lossboard.load(path)
    assert not [s for s in run.series.values() if s.source_tag in ("batch_size", "num_epochs")]


@pytest.mark.parametrize("fast", [True, False])
def test_prints_inside_a_run_of_batch_lines_are_read_on_both_paths(corpus: Path, tmp_path: Path, fast: bool) -> None:
    """The fast path reads runs of Speedometer lines in bulk; a print inside such a run is still
    read, and read the same as line by line."""
    from lossboard.sources.formats import FORMATS

    path = _with_prints(corpus, tmp_path, {"Epoch[3] Batch [100]": ["Epoch 3 grad_norm 1.25"]})
    parser = FORMATS["mxnet"].Parser(fast=fast)
    items = parser.feed(path.read_text()) + parser.close()
    grad = [item for item in items if getattr(item, "source_tag", None) == "grad_norm"]
    assert [(item.value, item.epoch) for item in grad] == [(1.25, 3.0)]
