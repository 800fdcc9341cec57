"""Canonical tags: the DESIGN.md table, read as facts about what frameworks print."""

from __future__ import annotations

import pytest

from lossboard.tags import BATCH, canonical, metric_of, split_of


@pytest.mark.parametrize(
    ("printed", "split", "tag"),
    [
        ("Train-accuracy", None, "train/accuracy"),
        ("acc", None, "train/accuracy"),
        ("train_acc", None, "train/accuracy"),
        ("Acc@1", None, "train/accuracy"),
        ("Validation-accuracy", None, "val/accuracy"),
        ("val_accuracy", None, "val/accuracy"),
        ("val_acc", None, "val/accuracy"),
        ("eval_accuracy", None, "val/accuracy"),
        ("Train-top_k_accuracy_5", None, "train/top_k_accuracy_5"),
        ("Acc@5", None, "train/top_k_accuracy_5"),
        ("top5", None, "train/top_k_accuracy_5"),
        ("Train-cross-entropy", None, "train/cross-entropy"),
        ("loss", None, "train/loss"),
        ("train_loss", None, "train/loss"),
        ("val_loss", None, "val/loss"),
        ("eval_loss", None, "val/loss"),
        ("Validation-cross-entropy", None, "val/cross-entropy"),
        ("Speed", None, "perf/samples_per_sec"),
        ("lr", None, "opt/lr"),
        ("learning_rate", None, "opt/lr"),
        ("test_loss", None, "test/loss"),
    ],
)
def test_design_table(printed: str, split: str | None, tag: str) -> None:
    assert canonical(printed, split) == tag


def test_batch_level_values_stay_apart_from_epoch_level_ones() -> None:
    assert canonical("accuracy", BATCH) == "train_batch/accuracy"
    assert canonical("Train-accuracy", BATCH) == "train_batch/accuracy"
    # a split printed in the name wins over the context, but batch-level stays batch-level
    assert canonical("val_loss", BATCH) == "val/loss"


def test_unknown_names_keep_their_spelling_under_the_split() -> None:
    assert canonical("my metric", "val") == "val/my_metric"
    assert split_of("val/my_metric") == "val" and metric_of("val/my_metric") == "my_metric"


@pytest.mark.parametrize("tag", ["train_batch/accuracy", "perf/samples_per_sec", "opt/lr", "val/accuracy",
                                 "train/loss", "val_batch/loss", "test/loss"])
def test_canonical_tags_are_left_as_they_are(tag: str) -> None:
    assert canonical(tag) == tag
