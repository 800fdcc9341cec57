"""Corpus files 41-46 (MANIFEST.md: "tqdm mixed with prints or logging", "Epoch given only on a
header line", "Resumed runs"), read by the ``prints`` line pipeline.

Every expected value was read off the log with grep; the line numbers are the MANIFEST's.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import lossboard
from lossboard.model import Point
from lossboard.sources.detect import HEAD_BYTES, detect
from lossboard.sources.formats import FORMATS
from tests.sources.helpers import events, parse_path, problems

TOUHOU = "mixed-tqdm-print/touhou_resnet152_logging_tqdm_train_head.out"  # 41
THUMAN = "mixed-tqdm-print/thuman_debug_tqdm_glued_logging_train.log"  # 42
LIDC = "header-epoch/transattunet_lidc_epoch_header_tqdm_train_head.log"  # 43
DRIVER = "header-epoch/driver_distraction_epoch_step_training.log"  # 44
SALIENT_1 = "header-epoch/salientnet_resnet101_cifar100_run1.log"  # 45
SALIENT_2 = "header-epoch/salientnet_resnet101_cifar100_run2_resume.log"  # 46


def series(items: list, tag: str, source_tag: str) -> list[tuple[int, float, float | None]]:
    """(step, value, epoch) of one printed name under one label, in order."""
    return [(p.step, p.value, p.epoch) for p in items if type(p) is Point and (p.tag, p.source_tag) == (tag, source_tag)]


def unread(corpus: Path, relative: str) -> list[int]:
    parser = FORMATS["prints"].Parser()
    parser.feed((corpus / relative).read_bytes().decode("utf-8", errors="replace"))
    parser.close()
    return parser.unread


@pytest.mark.parametrize("relative", [TOUHOU, THUMAN, LIDC, DRIVER, SALIENT_1, SALIENT_2])
def test_mixed_and_header_epoch_logs_are_detected_as_prints(corpus: Path, relative: str) -> None:
    path = corpus / relative
    assert detect(path.read_bytes()[:HEAD_BYTES], path) == "prints"


def test_logging_lines_between_redrawn_bars_give_the_epoch_values(corpus: Path) -> None:
    items = parse_path("prints", corpus / TOUHOU)
    # "Epoch [1/25], Training Loss: 4.6271, Validation Loss: 4.4707, Accuracy: 5.74%" (line 15) ... (line 35)
    train = series(items, "train/loss", "Training Loss")
    assert [value for _, value, _ in train] == [4.6271, 3.9148, 3.2903, 2.8072, 2.4489]
    assert [epoch for _, _, epoch in train] == [1.0, 2.0, 3.0, 4.0, 5.0]
    assert [step for step, _, _ in train] == [1113, 2226, 3339, 4452, 5565]  # 1113 batches a [Train] bar
    assert [v for _, v, _ in series(items, "val/loss", "Validation Loss")] == [4.4707, 3.7095, 3.1504, 2.8022, 3.2245]
    # "Accuracy" follows "Validation Loss" on the line, so it is the validation accuracy
    assert [v for _, v, _ in series(items, "val/accuracy", "Accuracy")] == [5.74, 16.48, 27.54, 34.75, 40.03]


def test_the_bar_redraws_are_data_and_end_where_the_logging_line_says(corpus: Path) -> None:
    items = parse_path("prints", corpus / TOUHOU)
    # the slow start shows "23.28s/it" (line 12), later "3.42it/s": one rate series, per second
    rate = series(items, "perf/its_per_sec", "it/s")
    assert rate[0][0] == 1 and not series(items, "perf/its_per_sec", "s/it")
    batch = series(items, "train_batch/loss", "loss")
    # the last redraw of line 12 ends "1113/1113 [...] loss=4.6271, last_nan_iter=None]"
    assert max((step, value) for step, value, _ in batch if step <= 1113) == (1113, 4.6271)
    # the [Val] bar is validation: its final "val_loss=4.4707" at the training step it followed
    assert series(items, "val/loss", "val_loss")[0][:2] == (1113, 4.4707)
    assert problems(items) == []  # "last_nan_iter=None" is no value, not a mistake


def test_learning_rate_for_the_next_epoch_follows_each_epoch(corpus: Path) -> None:
    items = parse_path("prints", corpus / TOUHOU)
    lr = series(items, "opt/lr", "Learning rate for next epoch")
    # lines 16, 21, 26, 31 say 0.050000, line 36 says 0.012500; line 11 comes before any epoch
    assert [(step, value) for step, value, _ in lr] == [
        (1113, 0.05), (2226, 0.05), (3339, 0.05), (4452, 0.05), (5565, 0.0125)
    ]


def test_what_the_mixed_logging_log_leaves_unread_is_only_setup_and_checkpoints(corpus: Path) -> None:
    # config dump (3), dataset (5-7), model (8), the lr before training (11), checkpoints (14, 19, ...)
    assert unread(corpus, TOUHOU) == [3, 5, 6, 7, 8, 11, 14, 19, 24, 29, 34]


def test_logging_records_glued_onto_a_bar_are_read_with_their_own_epoch(corpus: Path) -> None:
    items = parse_path("prints", corpus / THUMAN)
    loss = series(items, "train_batch/3D_loss", "3D loss")
    assert [step for step, _, _ in loss] == [0, 50, 100, 150, 200, 250, 300, 350]
    # "Train: STEP 50 - EPOCH 1/1000 | 3D loss: 2.486E+00" glued to "Epoch 2/1000:: 22%|..." (line 19):
    # the record's own epoch, not the bar's
    assert loss[1] == (50, 2.486, 1.0)
    assert loss[-1] == (350, 7.961e-02, 8.0)  # line 32
    assert series(items, "opt/lr", "lr")[-1] == (350, 7.020e-05, 8.0)
    assert [v for _, v, _ in series(items, "train_batch/reco_loss", "reco loss")][:2] == [1.897e-01, 8.363e-02]


def test_a_bar_with_its_own_unit_gives_its_rate(corpus: Path) -> None:
    items = parse_path("prints", corpus / THUMAN)
    rate = series(items, "perf/its_per_sec", "batch/s")
    assert len(rate) == 378  # 378 "s/batch" redraws (the "?batch/s" of a bar at 0 gives none)
    assert rate[0][:2] == (1, 1 / 30.46)  # line 17: "1/41 [00:30<20:18, 30.46s/batch]"
    assert rate[-1][0] == 9 * 41  # nine whole epochs of 41 batches


def test_a_log_that_ends_inside_a_bar_loses_nothing_before_it(corpus: Path) -> None:
    text = (corpus / THUMAN).read_bytes().decode("utf-8", errors="replace")
    assert not text.endswith("\n")  # "Epoch 10/1000::   0%|          | 0/41 [00:00<?, ?batch/s]"
    items = parse_path("prints", corpus / THUMAN)
    assert len(series(items, "train_batch/nrm_loss", "nrm loss")) == 8
    # warp's banner, the config dict, the checkpoint line: no values, listed
    assert unread(corpus, THUMAN) == [1, 2, 4, 5, 6, 7, 11, 13, 18]


def test_header_epoch_gives_the_epoch_to_lines_that_have_none(corpus: Path) -> None:
    items = parse_path("prints", corpus / LIDC)
    train = series(items, "train/loss", "Train Loss")
    assert len(train) == 13  # "Epoch [1]" ... "Epoch [13]"
    assert train[0][1:] == (0.7225, 1.0)  # line 816
    assert train[-1][1:] == (0.2405, 13.0)  # line 10569
    assert series(items, "val/loss", "Val Loss")[0][1:] == (0.2343, 1.0)  # "Val Loss:   0.2343", line 817
    # "Val Loss: ... | Dice: 0.8861": this Dice is validation's, the one after "Train Loss" training's
    assert series(items, "val/Dice", "Dice")[0][1:] == (0.8861, 1.0)
    assert series(items, "train/Dice", "Dice")[0][1:] == (0.6443, 1.0)
    assert max(v for _, v, _ in series(items, "val/Dice", "Dice")) == 0.9160  # epoch 12, line 9763
    assert series(items, "val/Dice", "Dice")[11][2] == 12.0


def test_a_bar_written_one_update_per_line_is_batch_level_not_epochs(corpus: Path) -> None:
    items = parse_path("prints", corpus / LIDC)
    batch = series(items, "train_batch/loss", "loss")
    # line 778, the last "Training:" line of epoch 1: "572/572 [...] loss=0.7225, dice=0.6443"
    last_of_first = max(p for p in batch if p[0] <= 572)
    # the bar names no epoch: the header's "Epoch [1]", plus the bar's fraction (572/572)
    assert last_of_first == (572, 0.7225, 2.0)
    assert all(1.0 < epoch <= 2.0 for step, _, epoch in batch if step <= 572)
    assert all(13.0 < epoch <= 14.0 for step, _, epoch in batch if step > 12 * 572)
    # the epoch line sits at the step its bar ended
    assert series(items, "train/loss", "Train Loss")[0][0] == 572


def test_per_class_lists_are_a_series_per_class(corpus: Path) -> None:
    items = parse_path("prints", corpus / LIDC)
    # "Val Dice per class: 0.9486, 0.9315, 0.7781" (line 818), epoch 1
    first = [series(items, f"val/Dice_per_class[{i}]", f"Val Dice per class[{i}]")[0][1:] for i in range(3)]
    assert first == [(0.9486, 1.0), (0.9315, 1.0), (0.7781, 1.0)]
    # "[DEBUG] Dice per class: 0.9926, 0.9938, 0.7503" (line 815): the debug print, training's
    assert series(items, "train/Dice_per_class[2]", "Dice per class[2]")[0][1] == 0.7503


def test_patience_and_dataset_lines_are_what_the_header_log_leaves_unread(corpus: Path) -> None:
    lines = (corpus / LIDC).read_bytes().decode("utf-8", errors="replace").split("\n")
    shapes = {lines[n - 1].split(":")[0] for n in unread(corpus, LIDC)}
    # "No improvement for 1/20 epochs" (4 times) and "2/20" (twice), the dataset sizes
    assert shapes == {"No improvement for 1/20 epochs", "No improvement for 2/20 epochs",
                      "Đã load tập 'train'", "Đã load tập 'val'"}
    assert len(unread(corpus, LIDC)) == 8


def test_step_lines_count_on_across_epochs_and_epoch_lines_sit_at_the_last_step(corpus: Path) -> None:
    items = parse_path("prints", corpus / DRIVER)
    steps = series(items, "train_batch/loss", "Loss")
    assert len(steps) == 102
    # "Epoch [1/6], Step [10/161], Loss: 0.5517" (line 1): global step (1 - 1) * 161 + 10
    assert steps[0] == (10, 0.5517, pytest.approx(1 + 10 / 161))
    assert steps[16][:2] == (161, 0.1455)  # "Step [161/161]", line 17
    assert steps[17][0] == 161 + 10  # epoch 2 counts on
    assert steps[-1][:2] == (6 * 161, 0.1210)
    # "Epoch [1] Training Loss: 0.2801" (line 18), "Epoch [6] Validation Loss: 0.0770" (line 119)
    assert series(items, "train/loss", "Training Loss")[0] == (161, 0.2801, 1.0)
    assert series(items, "val/loss", "Validation Loss")[-1] == (6 * 161, 0.0770, 6.0)
    assert events(items) == []
    # "Saved best model at epoch 1 with val loss 0.1977": a sentence, not pairs; listed
    assert len(unread(corpus, DRIVER)) == 6


def test_kuangliu_style_epoch_header_then_train_test_lines(corpus: Path) -> None:
    items = parse_path("prints", corpus / SALIENT_1)
    test_acc = series(items, "test/accuracy", "Acc")
    assert len(test_acc) == 112  # epochs 0-111; "Epoch: 112" has no metrics
    assert test_acc[0] == (0, 8.240, 0.0)  # "Testing Loss: 3.917 | Acc: 8.240% (824/10000)", line 12
    assert test_acc[106][1:] == (77.730, 106.0)  # line 566
    assert test_acc[-1] == (111, 77.500, 111.0)  # line 592
    assert series(items, "train/accuracy", "Acc")[0][1] == 4.360
    assert series(items, "test/loss", "Testing Loss")[0][1] == 3.917
    lr = {epoch: value for _, value, epoch in series(items, "opt/lr", "learning rate")}
    assert (lr[0.0], lr[49.0], lr[50.0], lr[100.0]) == (0.1, 0.1, 0.010000000000000002, 0.0010000000000000002)
    assert lr[112.0] == 0.0010000000000000002  # line 595, the header with no metrics after it
    assert unread(corpus, SALIENT_1) == [3]  # "preparing dataset: cifar100"


def test_the_namespace_line_is_metadata(corpus: Path) -> None:
    [run] = lossboard.load(corpus / SALIENT_2)
    # line 1: "Namespace(..., lr=0.1, pretrain_model='ckpt', resume=False)"
    assert (run.meta["args.lr"], run.meta["args.pretrain_model"], run.meta["args.resume"]) == ("0.1", "ckpt", "False")


def test_a_resumed_run_in_two_files_is_one_run_and_the_later_file_wins(corpus: Path) -> None:
    # the names differ by more than a number ("_resume"), so the stitch is asked for
    [run] = lossboard.load(corpus / SALIENT_1, corpus / SALIENT_2, stitch=True)
    acc = run.series["test/accuracy"]
    epochs = acc.epoch.tolist()
    assert epochs == [float(e) for e in range(250)]  # 0-111 from file 45, 106-249 from file 46
    value = dict(zip(epochs, acc.value.tolist()))
    assert value[105.0] == 77.590  # file 45 only, line 560
    assert value[106.0] == 77.740  # file 46, line 13 (file 45 said 77.730)
    assert value[212.0] == 78.400 and value[249.0] == 78.310  # lines 556, 742
    lr = run.series["opt/lr"]
    # file 45's lonely "Epoch: 112" lr is replaced by file 46's epoch 112
    assert lr.epoch.tolist() == [float(e) for e in range(250)]
    assert dict(zip(lr.epoch.tolist(), lr.value.tolist()))[200.0] == 1.0000000000000003e-05  # line 493
    [resume] = [e for e in run.events if e.kind == "resume"]
    assert resume.epoch == 106.0
