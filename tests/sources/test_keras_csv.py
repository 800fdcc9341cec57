"""Keras CSVLogger files: corpus files 8, 9, 10 and a Keras 3 run of our own.

CSVLogger writes epochs from 0; lossboard reads them one higher, as stdout prints them
(``Epoch 1/N``) and the Keras callback records them, so every expected epoch and step below
is the written one plus one."""

from __future__ import annotations

import json
from pathlib import Path

from lossboard.model import Meta
from lossboard.tags import canonical
from tests.sources.helpers import events, parse_path, parse_text, points, problems, values

RESNET18 = "keras-csvlogger/keras-dl-benchmark_resnet18_cifar10.csv"
VOICE = "keras-csvlogger/voice-identification_training.log"
IRFANET = "keras-csvlogger/irfanet-10_training.log"


def test_file8_two_epochs_sorted_columns_and_lr(corpus: Path) -> None:
    items = parse_path("keras-csv", corpus / RESNET18)
    first_row = [p.source_tag for p in points(items) if p.step == 1]  # the row "0,..."
    assert first_row == ["acc", "loss", "lr", "val_acc", "val_loss"]
    val = points(items, "val/accuracy")
    assert [(p.step, p.epoch) for p in val] == [(1, 1.0), (2, 2.0)]
    assert val[1].value == float("0.54120000000000001")
    assert values(items, "opt/lr") == [0.001, 0.001]
    assert Meta("framework", "keras") in items
    assert not problems(items) and not events(items)


def test_file9_accuracy_reaches_one(corpus: Path) -> None:
    items = parse_path("keras-csv", corpus / VOICE)
    acc = values(items, "train/accuracy")
    val_acc = values(items, "val/accuracy")
    assert len(acc) == 10
    assert [i for i, v in enumerate(acc) if v == 1.0] == list(range(3, 10))
    assert [i for i, v in enumerate(val_acc) if v == 1.0] == list(range(6, 10))
    assert points(items, "val/loss")[-1][2:4] == (10, 0.12048257887363434)  # written "9,"


def test_file10_python2_reprs(corpus: Path) -> None:
    items = parse_path("keras-csv", corpus / IRFANET)
    assert points(items, "val/accuracy")[-1][2:4] == (3, 0.876201363309)  # written "2,"
    assert points(items, "val/loss")[-1][2:4] == (3, 0.34472502487)


def test_na_means_no_value_in_that_epoch() -> None:
    items = parse_text("keras-csv", "epoch,loss,val_loss\n0,0.5,NA\n1,0.4,0.45\n")
    assert [p.step for p in points(items, "val/loss")] == [2]  # the row "1,"
    assert not problems(items)


def test_append_after_restart_is_a_resume() -> None:
    text = "epoch,loss\n0,0.9\n1,0.8\n2,0.7\n3,0.6\n1,0.82\n2,0.71\n"
    (resume,) = events(parse_text("keras-csv", text))
    assert (resume.step, resume.epoch) == (2, 2.0)  # back to the row "1,"


def test_keras3_run_matches_the_history_keras_returned(data: Path) -> None:
    truth = json.loads((data / "tables" / "keras_history.json").read_text())
    items = parse_path("keras-csv", data / "tables" / "keras_training.log")
    assert not problems(items)
    got = {(p.source_tag, p.step): (p.tag, p.value, p.epoch) for p in points(items)}
    expected = {  # History.epoch is 0-based like the file
        (name, epoch + 1): (canonical(name), value, float(epoch + 1))
        for name, series in truth["history"].items()
        for epoch, value in zip(truth["epoch"], series)
    }
    assert got == expected
    assert {tag for tag, _, _ in got.values()} == {
        "train/accuracy", "train/loss", "val/accuracy", "val/loss", "opt/lr",
    }  # fmt: skip
