"""The mxnet format: MANIFEST facts of corpus files 2-6, 31-33 and 51, step semantics, and the
fast path for long Speedometer runs (which must give exactly what line-by-line parsing gives)."""

from __future__ import annotations

import math
import sys
from datetime import datetime
from pathlib import Path

import pytest

from lossboard.model import CHECKPOINT, LR_CHANGE, RESUME, Point, Problem
from lossboard.sources import load
from lossboard.sources.collect import RunCollector
from lossboard.sources.coverage import run_coverage
from lossboard.sources.formats import FORMATS, mxnet
from tests.sources.helpers import (
    canonical,
    events,
    expand,
    parse_path,
    parse_text,
    points,
    problems,
    values,
)

BENCH = Path(__file__).parents[2] / "bench"

MXNET_FILES = [
    "gluoncv/cifar_resnet20_v1.log",
    "gluoncv/vgg16_ucf101_action_recognition.log",
    "mxnet-module/mxnet-in-action_lenet_train.log",
    "mxnet-custom/large_word_lm_f96a.log",
    "mxnet-custom/nce_lm_228f266-test.log",
    "mxnet-speedometer-old/tornadomeet-resnet_cifar10-resnet164.log",
    "mxnet-speedometer-old/tornadomeet-resnet_imagenet-resnet18_resumed.log",
    "gluoncv/yolo3_darknet53_voc.log",
    "gluoncv/faster_rcnn_resnet50_v1b_voc_train.log",
    "mxnet-speedometer-new/densenet-mxnet_log-densenet-kd-169-train_0307.log",
    "mxnet-speedometer-new/mxnet-cls_train.log",
]
F31 = "mxnet-speedometer-old/tornadomeet-resnet_cifar10-resnet164.log"
F32 = "mxnet-speedometer-new/densenet-mxnet_log-densenet-kd-169-train_0307.log"
F33 = "mxnet-speedometer-new/mxnet-cls_train.log"
F51 = "mxnet-speedometer-old/tornadomeet-resnet_imagenet-resnet18_resumed.log"


def by_epoch(items, tag):
    return {p.epoch: p.value for p in points(items, tag)}


def best(items, tag):
    top = max(points(items, tag), key=lambda p: p.value)
    return top.value, top.epoch


# ---- detection ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", MXNET_FILES)
def test_sniff_recognises_every_mxnet_file(corpus, name):
    head = (corpus / name).read_bytes()[: 64 * 1024].decode("utf-8", "replace")
    assert mxnet.sniff(head, name) >= 0.8


def test_sniff_ignores_other_formats(corpus):
    for path in sorted(p for p in corpus.rglob("*") if p.is_file() and p.name != "MANIFEST.md"):
        relative = path.relative_to(corpus).as_posix()
        if relative in MXNET_FILES:
            continue
        head = path.read_bytes()[: 64 * 1024].decode("utf-8", "replace")
        assert mxnet.sniff(head, path.name) < 0.2, relative


# ---- corpus facts ------------------------------------------------------------------------


def test_file31_old_speedometer(corpus):
    items = parse_path("mxnet", corpus / F31)
    batch = points(items, "train_batch/accuracy")
    assert len(batch) == 2100
    first = batch[0]
    # Batch [50]..[350] every 50: N = 350 + 50
    assert (first.value, first.step, first.epoch, first.source_tag) == (0.198750, 50, 50 / 400, "Train-accuracy")
    assert values(items, "perf/samples_per_sec")[0] == 707.55
    assert sum(v == 1.0 for v in values(items, "train_batch/accuracy")) == 29
    top1 = [p for p in batch if p.value == 1.0][0]
    assert (top1.epoch, top1.step) == (259 + 100 / 400, 259 * 400 + 100)
    val = by_epoch(items, "val/accuracy")
    assert len(val) == 300
    assert val[0.0] == 0.502670 and val[299.0] == 0.952927
    assert (val[218.0], val[219.0]) == (0.909019, 0.938786)
    assert best(items, "val/accuracy") == (0.953224, 281.0)
    assert len(points(items, "perf/epoch_time_s")) == 300
    assert len(events(items, CHECKPOINT)) == 300
    assert not problems(items) and not events(items, RESUME)


def test_file31_lr_changes_inside_epochs(corpus):
    items = parse_path("mxnet", corpus / F31)
    changes = events(items, LR_CHANGE)
    assert [c.text.split(":")[0] for c in changes] == ["Update[85801]", "Update[101401]", "Update[109201]"]
    # the first is the initial rate of "Namespace(... lr=0.1 ...)", at the start of epoch 0
    initial, *updates = points(items, "opt/lr")
    assert (initial.value, initial.step, initial.epoch) == (0.1, 0, 0.0)
    assert [p.value for p in updates] == [1e-2, 1e-3, 1e-4]
    windows = [(219, 250, 300), (259, 200, 250), (279, 200, 250)]
    for change, (epoch, after, before) in zip(changes, windows):
        assert epoch + after / 400 <= change.epoch < epoch + before / 400
        assert epoch * 400 + after <= change.step < epoch * 400 + before
    assert [p.step for p in updates] == [c.step for c in changes]


def test_file32_asctime_and_three_starts(corpus):
    items = parse_path("mxnet", corpus / F32)
    batch = points(items, "train_batch/accuracy")
    assert len(batch) == 200
    assert batch[0].value == 0.222031
    assert batch[0].wall_time == datetime(2018, 3, 7, 10, 32, 37, 184000).timestamp()
    val = by_epoch(items, "val/accuracy")
    assert len(val) == 50 and val[0.0] == 0.197351 and val[49.0] == 0.521399
    assert best(items, "val/accuracy") == (0.540421, 20.0)
    saves = events(items, CHECKPOINT)
    assert len(saves) == 10
    assert saves[0].text.endswith("densenet-kd-169-0-0005.params")
    # the checkpoint every 5 epochs is printed after epoch 4 ends: epoch 5.0, not its file name
    assert [s.epoch for s in saves] == [5.0 * k for k in range(1, 11)]
    assert not problems(items) and not events(items, RESUME)


def test_file33_epoch_train_accuracy_kept_apart(corpus):
    items = parse_path("mxnet", corpus / F33)
    batch = points(items, "train_batch/accuracy")
    assert len(batch) == 310
    epoch0 = [p for p in batch if p.epoch < 1]
    assert epoch0[-1].value == 0.740625
    train = by_epoch(items, "train/accuracy")
    assert len(train) == 10 and train[0.0] == 0.671875
    val = by_epoch(items, "val/accuracy")
    assert val[0.0] == 0.710788 and val[9.0] == 0.948918
    assert best(items, "val/accuracy") == (0.948918, 9.0)
    assert by_epoch(items, "perf/epoch_time_s")[8.0] == 67.414
    changes = events(items, LR_CHANGE)
    assert [c.text.split(":")[0] for c in changes] == ["Update[3751]", "Update[5001]"]
    assert [c.epoch for c in changes] == [6.0, 8.0]  # printed after epochs 5 and 7 ended
    assert values(items, "opt/lr") == [1e-2, 1e-3, 1e-4]  # Namespace(... lr=0.01 ...) first
    speed = [p for p in points(items, "perf/samples_per_sec") if 8 <= p.epoch < 9]
    assert speed[0].value < 150 and speed[-1].value > 500


def collected(items) -> dict:
    """The series a run gets from ``items`` (later values win), by canonical tag."""
    collector = RunCollector("log")
    collector.add(items)
    return {s.tag: s for s in collector.series().values()}


def test_file51_two_lines_per_batch_count_one_speed(corpus):
    items = parse_path("mxnet", corpus / F51)
    # lines 7-8: Epoch[0] Batch [100], Speed: 652.68, Train-accuracy / Train-top_k_accuracy_5
    first = points(items, "train_batch/accuracy")[0]
    assert (first.value, first.step, first.source_tag) == (0.002617, 100, "Train-accuracy")
    assert points(items, "train_batch/top_k_accuracy_5")[0].value == 0.011484
    # 12,100 batch lines, two per batch
    assert len(points(items, "train_batch/accuracy")) == len(points(items, "train_batch/top_k_accuracy_5")) == 6050
    speed = collected(items)["perf/samples_per_sec"]
    assert speed.step[:2].tolist() == [100, 200] and speed.value[:2].tolist() == [652.68, 628.10]
    assert not problems(items)  # lines 4 and 10407 carry ESC colour codes


def test_file51_update_lines_inside_epochs_and_the_initial_lr(corpus):
    items = parse_path("mxnet", corpus / F51)
    changes = events(items, LR_CHANGE)
    assert [c.text.split(":")[0] for c in changes] == ["Update[150121]", "Update[300241]", "Update[450361]"]
    # Batch [..] every 100 up to [5000]: N = 5100; each change between Batch [4900] and [5000]
    for change, epoch in zip(changes, (29, 59, 89)):
        assert epoch + 4900 / 5100 <= change.epoch < epoch + 5000 / 5100
    lr = collected(items)["opt/lr"]
    # line 1: Namespace(... lr=0.1 ...); line 10404, the restart: Namespace(... lr=0.001 ...)
    assert lr.value.tolist() == [0.1, 1e-2, 1e-3, 1e-4, 0.001]
    assert (lr.epoch[0], lr.epoch[-1]) == (0.0, 98.0)


def test_file51_restart_inside_the_file_reruns_epoch_98_and_the_later_value_wins(corpus):
    items = parse_path("mxnet", corpus / F51)
    [resume] = events(items, RESUME)
    assert resume.epoch == 98.0
    assert [v for e, v in ((p.epoch, p.value) for p in points(items, "val/accuracy")) if e == 98.0] == [0.676100, 0.690310]
    series = collected(items)
    val = dict(zip(series["val/accuracy"].epoch.tolist(), series["val/accuracy"].value.tolist()))
    assert len(val) == 120 and val[98.0] == 0.690310  # 121 lines, epoch 98 twice
    assert max(val.items(), key=lambda kv: kv[1]) == (101.0, 0.695173)
    top5 = series["val/top_k_accuracy_5"]
    assert len(top5) == 120 and top5.value[-1] == 0.890665 and top5.epoch[-1] == 119.0
    # the restart's batch lines replace the first attempt's in epoch 98
    batch = series["train_batch/accuracy"]
    in_98 = batch.value[(batch.epoch >= 98) & (batch.epoch < 99)]
    assert len(in_98) == 50 and in_98[0] == 0.731055  # line 10410, the restart's Batch [100]


def test_update_that_reaches_the_final_rate_is_an_lr_change():
    # mxnet.lr_scheduler.FactorScheduler's message when it reaches stop_factor_lr
    text = (
        "INFO:root:Epoch[3] Batch [50]\tSpeed: 700.00 samples/sec\taccuracy=0.5\n"
        "INFO:root:Update[1201]: now learning rate arrived at 1.00000e-05, will not change in the future\n"
        "INFO:root:Epoch[3] Batch [100]\tSpeed: 700.00 samples/sec\taccuracy=0.6\n"
    )
    items = parse_text("mxnet", text)
    assert values(items, "opt/lr") == [1e-05]
    [change] = events(items, LR_CHANGE)
    # Batch [50], [100]: N = 150; the change came between them
    assert change.text == "Update[1201]: learning rate 1.00000e-05" and 3 + 50 / 150 <= change.epoch < 3 + 100 / 150


# Lines of corpus file 51 (tornadomeet ResNet): a file resumed with --model-load-epoch=4
# begins with the scheduler catching up (issue 8, "Why" 3)
CATCH_UP = (
    "INFO:root:Namespace(batch_size=256, frequent=100, lr=0.1, model_load_epoch=4, retrain=True)\n"
    + "".join(f"INFO:root:Update[2001]: Change learning rate to {lr}\n" for lr in ("8.00000e-02", "6.40000e-02", "5.12000e-02", "4.09600e-02", "4.00000e-02"))
    + "".join(
        f"INFO:root:Epoch[{e}] Batch [{b}]\tSpeed: 652.68 samples/sec\tTrain-accuracy=0.{e}{b}\n"
        f"INFO:root:Epoch[{e}] Batch [{b}]\tSpeed: 652.68 samples/sec\tTrain-top_k_accuracy_5=0.{e}{b}\n"
        for e in (4, 5) for b in (100, 200, 300)
    )
    + "INFO:root:Epoch[5] Validation-accuracy=0.676100\n"
)


def test_lr_catch_up_before_the_first_epoch_line_sits_at_that_epoch():
    items = parse_text("mxnet", CATCH_UP)
    lr = points(items, "opt/lr")
    # Batch [100]..[300] every 100: N = 400; everything before Epoch[4]'s first line is at its start
    assert [(p.step, p.epoch) for p in lr] == [(4 * 400, 4.0)] * 6
    assert [p.value for p in lr] == [0.1, 0.08, 0.064, 0.0512, 0.04096, 0.04]
    assert [e.epoch for e in events(items, LR_CHANGE)] == [4.0] * 5
    assert min(p.epoch for p in points(items)) == 4.0


def test_batch_lines_that_print_the_lr_supersede_the_arguments():
    def epochs(numbers, lr):
        return "".join(
            f"INFO:root:Epoch[{e}] Batch [{b}]\tSpeed: 206.05 samples/sec\taccuracy=0.5\tlr={lr}\n"
            for e in numbers for b in range(10, 210, 10)
        )
    # corpus file 3 style (GluonCV prints lr= on batch lines), restarted from epoch 1
    text = "INFO:root:Namespace(lr=0.1)\n" + epochs(range(3), 0.01) + "INFO:root:Namespace(lr=0.5)\n" + epochs(range(1, 3), 0.001)
    for items in (_parse(text), _parse(text, chunk=2039), _parse(text, fast=False)):
        assert {p.value for p in points(items, "opt/lr")} == {0.01, 0.001}
        assert {p.source_tag for p in points(items, "opt/lr")} == {"lr"}
        assert len(events(items, RESUME)) == 1
    assert canonical(_parse(text, chunk=2039)) == canonical(_parse(text, fast=False))


def test_starts_that_print_no_metric_line_leave_nothing():
    # corpus file 32: three starts, batch size halved twice, only the last one trains
    starts = "".join(f"INFO:root:Namespace(batch_size={b}, lr={lr})\nINFO:root:Start training with [gpu(0)]\n" for b, lr in ((512, 0.4), (256, 0.2), (128, 0.1)))
    assert parse_text("mxnet", starts) == []
    items = parse_text("mxnet", starts + "INFO:root:Epoch[0] Validation-accuracy=0.5\n")
    assert [(p.value, p.step) for p in points(items, "opt/lr")] == [(0.1, 0)]


def test_file2_gluoncv_epoch_lines(corpus):
    items = parse_path("mxnet", corpus / "gluoncv/cifar_resnet20_v1.log")
    for tag in ("train/accuracy", "val/accuracy", "train/loss", "perf/epoch_time_s"):
        assert len(points(items, tag)) == 200
    assert by_epoch(items, "train/accuracy")[0.0] == 0.467608
    assert by_epoch(items, "val/accuracy")[0.0] == 0.558900
    assert by_epoch(items, "train/loss")[0.0] == 1.452417
    assert by_epoch(items, "val/accuracy")[199.0] == 0.920000
    assert by_epoch(items, "train/loss")[199.0] == 0.014310
    assert best(items, "val/accuracy") == (0.921400, 184.0)
    train = by_epoch(items, "train/accuracy")
    assert (train[99.0], train[100.0]) == (0.927644, 0.956150)
    assert not problems(items)


def test_file3_gluoncv_speedometer_and_validation(corpus):
    items = parse_path("mxnet", corpus / "gluoncv/vgg16_ucf101_action_recognition.log")
    assert len(points(items, "train_batch/accuracy")) == 320
    assert values(items, "train_batch/accuracy")[0] == 1.15  # percent, as printed
    assert values(items, "perf/samples_per_sec")[0] == 206.053349
    top1 = by_epoch(items, "val/accuracy")
    assert len(top1) == 80
    assert top1[79.0] == 75.099128 and by_epoch(items, "val/top_k_accuracy_5")[79.0] == 93.470790
    assert max(top1.values()) == 75.416336
    assert [e for e, v in top1.items() if v == 75.416336] == [66.0, 70.0]
    lr = {math.floor(p.epoch): p.value for p in points(items, "opt/lr")}
    assert (lr[29], lr[30], lr[59], lr[60]) == (0.001, 0.0001, 0.0001, 0.00001)
    assert by_epoch(items, "train/accuracy")[0.0] == 7.832652
    assert by_epoch(items, "perf/epoch_time_s")[0.0] == 30.907833
    assert not problems(items)


def test_file4_module_epoch_lines(corpus):
    items = parse_path("mxnet", corpus / "mxnet-module/mxnet-in-action_lenet_train.log")
    assert by_epoch(items, "train/accuracy")[0.0] == 0.932030
    val = by_epoch(items, "val/accuracy")
    assert len(val) == 10 and val[0.0] == 0.979467 and val[9.0] == 0.988682
    assert best(items, "val/accuracy") == (0.988882, 7.0)
    assert [p.step for p in points(items, "val/accuracy")] == list(range(10))
    assert [e.epoch for e in events(items, CHECKPOINT)] == [float(k) for k in range(1, 11)]


def test_file5_language_model(corpus):
    items = parse_path("mxnet", corpus / "mxnet-custom/large_word_lm_f96a.log")
    assert len(points(items, "perf/samples_per_sec")) == 35
    assert values(items, "train_batch/loss")[0] == 6.0081581
    assert values(items, "train_batch/ppl")[0] == 406.7334777
    assert by_epoch(items, "val/loss") == {0.0: 3.8857258, 1.0: 3.7903876, 2.0: 3.7583023, 3.0: 3.7503980, 4.0: 3.7368618}
    assert by_epoch(items, "val/ppl")[0.0] == 48.7022774 and by_epoch(items, "val/ppl")[4.0] == 41.9660858
    assert len(points(items, "val_batch/loss")) == 15
    assert len(events(items, CHECKPOINT)) == 5
    assert not problems(items)


def test_file6_nce_test_run(corpus):
    items = parse_path("mxnet", corpus / "mxnet-custom/nce_lm_228f266-test.log")
    assert values(items, "perf/samples_per_sec") == [91658.37, 144809.06]
    assert values(items, "train_batch/loss")[0] == 22.7666992
    assert values(items, "train_batch/ppl")[0] == 7717059377.3585472
    evals = points(items, "val_batch/loss")
    assert len(evals) == 25 and evals[0].value == 8.6551577  # "eval batch 9 : 8.6551577"
    assert len({p.step for p in evals}) == 25
    assert values(items, "val/loss") == [8.3646355] and values(items, "val/ppl") == [4292.5470012]


@pytest.mark.parametrize("name", MXNET_FILES)
def test_corpus_chunking_and_fast_path_do_not_matter(corpus, name):
    text = (corpus / name).read_text(encoding="utf-8", errors="replace")
    whole = canonical(parse_text("mxnet", text))
    assert canonical(parse_text("mxnet", text, chunk=997)) == whole
    assert canonical(_parse(text, fast=False)) == whole


# ---- line forms and step semantics ----------------------------------------------------------


def _parse(text: str, *, fast: bool = True, chunk: int = 1 << 20) -> list:
    parser = mxnet.Parser(fast=fast)
    items = []
    for start in range(0, len(text), chunk):
        items.extend(parser.feed(text[start : start + chunk]))
    return expand(items + parser.close())


def _epochs(first: int, count: int, batches=(50, 100, 150)) -> str:
    lines = []
    for epoch in range(first, first + count):
        for b in batches:
            lines.append(f"INFO:root:Epoch[{epoch}] Batch [{b}]\tSpeed: 700.00 samples/sec\taccuracy=0.{b}\n")
        lines.append(f"INFO:root:Epoch[{epoch}] Time cost=70.000\n")
        lines.append(f"INFO:root:Epoch[{epoch}] Validation-accuracy=0.{epoch}\n")
    return "".join(lines)


def test_batch_steps_use_the_estimated_epoch_length():
    items = parse_text("mxnet", _epochs(0, 2))
    batch = points(items, "train_batch/accuracy")
    # Batch [50]..[150] every 50: N = 150 + 50 = 200
    assert [(p.step, p.epoch) for p in batch] == [(50, 0.25), (100, 0.5), (150, 0.75), (250, 1.25), (300, 1.5), (350, 1.75)]
    val = points(items, "val/accuracy")
    assert [(p.step, p.epoch) for p in val] == [(0, 0.0), (1, 1.0)]


def test_resumed_file_continues_the_same_steps():
    started = points(parse_text("mxnet", _epochs(0, 68)), "train_batch/accuracy")
    resumed = points(parse_text("mxnet", _epochs(65, 3)), "train_batch/accuracy")
    assert resumed[0].epoch == 65.25
    assert resumed == [p for p in started if p.epoch >= 65]


def test_restart_inside_one_file_gives_a_resume_event():
    items = parse_text("mxnet", _epochs(0, 3) + _epochs(1, 2))
    resume = events(items, RESUME)
    assert len(resume) == 1 and resume[0].epoch == 1.0 and resume[0].step == 200
    # the resume comes after everything of the first attempt and before the second
    at = items.index(resume[0])
    assert all(p.epoch < 3 for p in points(items[:at]))
    assert points(items[at:], "train_batch/accuracy")[0].epoch == 1.25


def test_same_epoch_restart_after_its_end_is_a_resume():
    text = _epochs(0, 2) + "INFO:root:Epoch[1] Batch [50]\tSpeed: 1.0 samples/sec\taccuracy=0.5\n"
    assert [e.epoch for e in events(parse_text("mxnet", text), RESUME)] == [1.0]


def test_old_style_one_metric_per_line():
    lines = [
        f"Epoch[73] Batch [500]\tSpeed: 1694.57 samples/sec\tTrain-{name}={value}\n"
        for name, value in (("accuracy", "0.584035"), ("top_k_accuracy_5", "0.8"), ("cross-entropy", "1.5"))
    ]
    items = parse_text("mxnet", "".join(lines))
    assert values(items, "train_batch/accuracy") == [0.584035]
    assert values(items, "train_batch/top_k_accuracy_5") == [0.8]
    assert values(items, "train_batch/cross-entropy") == [1.5]
    assert set(values(items, "perf/samples_per_sec")) == {1694.57}
    assert len({p.step for p in points(items)}) == 1


def test_line_variants():
    text = (
        "Epoch[3] Batch [100-200]\tSpeed: 1997.40 samples/sec\taccuracy=0.013391\ttop_k_accuracy_5=0.048828\n"
        "Epoch[3] Batch [200-300]\tSpeed: 1997.40 samples/sec\taccuracy=0.02\ttop_k_accuracy_5=0.05\n"
        "Iter[4] Batch [50] \tSpeed 206.05\taccuracy=0.5\n"
    )
    items = parse_text("mxnet", text)
    acc = points(items, "train_batch/accuracy")
    assert [p.value for p in acc] == [0.013391, 0.02, 0.5]
    # Batch [100-200] counts 200 batches done; N = 300 + (300 - 200)
    assert [p.step for p in acc] == [3 * 400 + 200, 3 * 400 + 300, 4 * 400 + 50]
    assert values(items, "train_batch/top_k_accuracy_5") == [0.048828, 0.05]
    assert values(items, "perf/samples_per_sec")[-1] == 206.05


def test_noise_is_ignored_without_problems():
    text = (
        "[05:23:16] src/operator/tensor/./../../common/utils.h:416: _SparseEmbedding_backward\n"
        "train.py:71: UserWarning: Optimizer created manually\n"
        "  module.init_optimizer(optimizer=optimizer, kvstore=kvstore)\n"
        "  (0): Conv2D(3 -> 64, kernel_size=(3, 3), stride=(1, 1))\n"
        "wrote 2 events to disk\n"
        "INFO:root:Epoch[0] Resetting Data Iterator\n"
    )
    assert parse_text("mxnet", text) == []


def test_bad_values_give_problems_and_the_rest_is_kept():
    text = (
        "Epoch[0] Batch [50]\tSpeed: 700.0 samples/sec\taccuracy=n/a\tcross-entropy=2.5\n"
        "Epoch[0] Validation-accuracy=oops\n"
        "Epoch[0] Time cost=70.0\n"
    )
    items = parse_text("mxnet", text)
    assert [p.line for p in problems(items)] == [1, 2]
    assert problems(items)[0].message == 'expected a number after "accuracy=", found "n/a"; skipped'
    assert values(items, "train_batch/cross-entropy") == [2.5]
    assert values(items, "perf/epoch_time_s") == [70.0]


def test_nan_and_inf_are_values():
    text = "Epoch[0] Batch [50]\tSpeed: inf samples/sec\taccuracy=nan\tcross-entropy=-inf\nEpoch[0] Validation-accuracy=nan\n"
    items = parse_text("mxnet", text)
    assert math.isnan(values(items, "train_batch/accuracy")[0])
    assert values(items, "train_batch/cross-entropy") == [-math.inf]
    assert values(items, "perf/samples_per_sec") == [math.inf]
    assert math.isnan(values(items, "val/accuracy")[0])
    assert not problems(items)


def test_first_epoch_waits_for_its_length_until_close():
    parser = mxnet.Parser()
    assert parser.feed("Epoch[0] Batch [20]\tSpeed: 1.0 samples/sec\taccuracy=0.5\n") == []
    assert parser.feed("Epoch[0] Batch [40]\tSpeed: 1.0 samples/sec\taccuracy=0.6\n") == []
    held = parser.close()
    assert [(p.step, p.epoch) for p in held if type(p) is Point and p.tag == "train_batch/accuracy"] == [(20, 1 / 3), (40, 2 / 3)]


@pytest.mark.parametrize("cut", ["\r\n", "0.150"])
def test_chunk_split_inside_crlf_and_inside_a_number(cut):
    text = _epochs(0, 3).replace("\n", "\r\n")
    whole = parse_text("mxnet", text)
    at = text.index(cut, 300) + 1
    parser = FORMATS["mxnet"].Parser()
    items = parser.feed(text[:at]) + parser.feed(text[at:]) + parser.close()
    assert items == whole and len(points(whole)) == 9 * 2 + 3 * 2


# ---- the fast path -------------------------------------------------------------------------


def _generated(style: str, tmp_path: Path) -> str:
    sys.path.insert(0, str(BENCH))
    try:
        from gen_mxnet_log import write_log
    finally:
        sys.path.remove(str(BENCH))
    path = tmp_path / f"{style}.log"
    write_log(path, style, 400_000, batches=400, frequent=10)
    return path.read_text()


@pytest.mark.parametrize("style", ["old", "new"])
@pytest.mark.parametrize(
    "variant", ["plain", "asctime", "range", "restart", "nan", "odd-line", "bad-epoch-value", "epoch-back"]
)
def test_fast_path_equals_line_by_line(tmp_path, style, variant):
    text = _generated(style, tmp_path)
    if variant == "asctime":
        text = text.replace("INFO:root:", "2018-03-07 10:32:37,184 - ")
    elif variant == "range":
        text = text.replace("Batch [", "Batch [0-")
    elif variant == "restart":
        cut = text.index("INFO:root:Epoch[5] Batch [10]")
        text = text[:cut] + text[text.index("INFO:root:Epoch[3] Batch [10]") :]
    elif variant == "nan":
        text = text.replace("Batch [200]\tSpeed: ", "Batch [200]\tSpeed: nan")
    elif variant == "odd-line":
        at = text.index("INFO:root:Epoch[4] Batch [100]")
        text = text[:at] + "INFO:root:Epoch[4] Batch [95]\tSpeed: 1.0 samples/sec\tother=1\n" + text[at:]
    elif variant == "bad-epoch-value":  # a problem with its line number, the rest read
        text = text.replace("Epoch[6] Validation-accuracy=", "Epoch[6] Validation-accuracy=x", 1)
    elif variant == "epoch-back":  # an earlier epoch's end inside a run of epoch-end lines: a resume
        end = text.index("\n", text.index("INFO:root:Epoch[6] Validation-accuracy=")) + 1
        text = text[:end] + "INFO:root:Epoch[2] Validation-accuracy=0.5\n" + text[end:]
    fast = _parse(text)
    assert len(points(fast, "train_batch/accuracy")) > 1000
    assert canonical(fast) == canonical(_parse(text, fast=False))
    assert canonical(fast) == canonical(_parse(text, chunk=4099))
    if variant in ("restart", "epoch-back"):
        assert len(events(fast, RESUME)) == 1
    if variant == "bad-epoch-value":
        [problem] = [item for item in fast if isinstance(item, Problem)]
        assert "Epoch[6] Validation-accuracy=x" in text.splitlines()[problem.line - 1]
        assert '"Validation-accuracy="' in problem.message


def test_a_parser_holding_back_its_first_epoch_can_be_pickled_and_continued():
    # the indexer stores parser state between passes; the first epoch waits for its length
    import pickle

    text = _epochs(0, 3)
    cut = text.index("Epoch[0] Batch [150]")
    parser = mxnet.Parser()
    first = parser.feed(text[:cut])
    resumed = pickle.loads(pickle.dumps(parser))
    rest = resumed.feed(text[cut:]) + resumed.close()
    assert canonical(expand(first + rest)) == canonical(_parse(text))


def test_file51_unread_lines_are_noise_or_replaced_by_the_restart(corpus):
    [run] = load(corpus / F51)
    [coverage] = run_coverage(run)
    shapes = list(coverage.shapes.values())
    # "Epoch[0] Resetting Data Iterator" names an epoch of the parse: a header, read
    noise = [shape for shape in shapes if "Start training with [gpu(" in shape.shape]
    glog = [shape for shape in shapes if "ImageRecordIOParser" in shape.shape]
    # the first attempt's epoch 98 (lines 10302-10403) was run again after line 10404
    replaced = [shape for shape in shapes if shape not in noise and shape not in glog]
    assert len(noise) == 1 and noise[0].count == 2 and sum(shape.count for shape in glog) == 4
    assert replaced and all(10300 < line < 10404 for shape in replaced for line in shape.lines)


@pytest.mark.parametrize("cut_before", ["INFO:root:Update[2001]", "INFO:root:Epoch[4] Batch [100]", "INFO:root:Epoch[5]"])
def test_a_parser_holding_a_starts_records_can_be_pickled_and_continued(cut_before):
    # the indexer may store the parser between a start's lr lines and its first metric line
    import pickle

    cut = CATCH_UP.index(cut_before)
    parser = mxnet.Parser()
    first = parser.feed(CATCH_UP[:cut])
    resumed = pickle.loads(pickle.dumps(parser))
    rest = resumed.feed(CATCH_UP[cut:]) + resumed.close()
    assert canonical(expand(first + rest)) == canonical(_parse(CATCH_UP))
