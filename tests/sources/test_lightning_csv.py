"""Lightning CSVLogger metrics.csv: corpus files 15 to 19 and a Lightning 2.6 run of our own."""

from __future__ import annotations

import csv
import math
from pathlib import Path

from lossboard.model import Meta
from tests.sources.helpers import events, parse_path, parse_text, points, problems, values

CV = "lightning/cv-image-classification_version_0_metrics.csv"
LIT15 = "lightning/pytorchLit15min/lightning_logs/version_{}/metrics.csv"
AIOPS = "lightning/aiops-learning-mnist/lightning_logs/version_{}/metrics.csv"


def test_file15_sparse_rows_merge_by_step(corpus: Path) -> None:
    items = parse_path("lightning-csv", corpus / CV)
    assert not problems(items) and not events(items)
    assert Meta("framework", "lightning") in items
    train = points(items, "train/loss")
    assert len(train) == 171
    assert (train[0].step, train[-1].step) == (49, 8549)
    val = points(items, "val/accuracy")
    assert [p.step for p in val] == [1718, 3437, 5156, 6875, 8594, 8595]
    assert [p.step for p in points(items, "val/loss")] == [1718, 3437, 5156, 6875, 8594, 8595]
    assert (val[-1].epoch, val[-1].value) == (5.0, 0.996399998664856)  # validate after fit
    (test,) = points(items, "test/loss")
    assert (test.step, test.epoch, test.value) == (8595, 5.0, 0.0322248712182045)


def test_files16_17_column_order_differs_but_not_the_result(corpus: Path) -> None:
    old, new = (corpus / LIT15.format(0)), (corpus / LIT15.format(1))
    assert old.read_text().splitlines()[0] == "train_loss,step,epoch"
    assert new.read_text().splitlines()[0] == "step,epoch,train_loss"
    for path, last in ((old, 0.038861844688653946), (new, 0.03766737878322601)):
        loss = points(parse_path("lightning-csv", path), "train/loss")
        assert [(p.step, p.epoch) for p in loss] == [(49, 0.0), (99, 0.0)]
        assert loss[-1].value == last


def test_files18_19_epoch_suffixes_and_two_separate_runs(corpus: Path) -> None:
    first = parse_path("lightning-csv", corpus / AIOPS.format(0))
    second = parse_path("lightning-csv", corpus / AIOPS.format(1))
    acc = points(first, "train/accuracy")
    assert [(p.step, p.epoch) for p in acc] == [(3, 0.0), (7, 1.0), (11, 2.0)]
    assert acc[-1].source_tag == "acc_epoch" and acc[-1].value == 0.53125
    assert points(first, "train/loss")[-1][1:4] == ("train_loss_epoch", 11, 1.4025089740753174)
    # version_1 is a new run: it starts again at step 3, and is no resume inside its file
    assert points(second, "train/accuracy")[0][2:5] == (3, 0.125, 0.0)
    assert values(second, "train/accuracy")[-1] == 0.40625
    assert not events(first) and not events(second)


def test_suffix_mapping() -> None:
    text = (
        "epoch,lr-SGD,step,train_loss_epoch,train_loss_step,val_loss_step,val_acc\n"
        "0,0.1,3,0.5,0.6,0.7,0.8\n"
    )
    assert {p.source_tag: p.tag for p in points(parse_text("lightning-csv", text))} == {
        "lr-SGD": "opt/lr-SGD",
        "train_loss_epoch": "train/loss",
        "train_loss_step": "train_batch/loss",
        "val_loss_step": "val/loss_step",
        "val_acc": "val/accuracy",
    }


def test_a_row_without_epoch_still_counts() -> None:
    (point,) = points(parse_text("lightning-csv", "epoch,lr-Adam,step\n,0.001,4\n"))
    assert point.step == 4
    assert point.epoch is None or math.isnan(point.epoch)  # unknown: None in a Point, NaN in Columns


# the fixture from a real Lightning 2.6 run -------------------------------------------------

_TAGS = {
    "train_loss_step": "train_batch/loss",
    "train_loss_epoch": "train/loss",
    "val_loss": "val/loss",
    "val_acc": "val/accuracy",
}


def test_lightning_run_every_cell_becomes_one_point(data: Path) -> None:
    path = data / "tables" / "lightning_metrics.csv"
    with path.open(newline="") as f:
        rows = list(csv.DictReader(f))
    expected = [
        (_TAGS[name], name, int(row["step"]), float(cell), float(row["epoch"]))
        for row in rows
        for name, cell in row.items()
        if name not in ("step", "epoch") and cell
    ]
    items = parse_path("lightning-csv", path)
    assert not problems(items)
    assert sorted(tuple(p[:5]) for p in points(items)) == sorted(expected)
    # on_step and on_epoch: both granularities, the epoch mean at the epoch's last step
    assert [p.step for p in points(items, "train/loss")] == [11, 23]
    assert len(points(items, "train_batch/loss")) == 6
