"""YOLO results: YOLOv5 results.txt and results.csv, ultralytics 8.0 and 8.3 (corpus 24-28)."""

from __future__ import annotations

import math
from pathlib import Path

from lossboard.model import Meta, Problem
from tests.sources.helpers import events, parse_path, parse_text, points, problems, values

OLD = "yolo/yolov5-old_mushrooms_results.txt"
OLD2 = "yolo/yolov5-old_mushrooms_exp2_results.txt"
V5 = "yolo/yolov5_helmet_results.csv"
V8_NAN = "yolo/yolov8_ball_detector_train2_nan_results.csv"
V11_SEG = "yolo/yolo11-seg_gallstone_results.csv"


def test_file24_results_txt(corpus: Path) -> None:
    items = parse_path("yolo", corpus / OLD)
    assert not problems(items) and not events(items)
    assert Meta("framework", "yolov5") in items
    map50 = points(items, "val/mAP50")
    assert [(p.step, p.epoch) for p in map50] == [(e, float(e)) for e in range(30)]  # 0/29..29/29
    assert map50[-1].value == 0.5145 and map50[-1].source_tag == "mAP@.5"
    assert values(items, "val/mAP50-95")[-1] == 0.2736
    assert set(values(items, "perf/gpu_mem_gb")) == {1.86, 1.93}  # written 1.86G, 1.93G
    assert values(items, "perf/gpu_mem_gb")[0] == 1.86


def test_file25_best_and_last(corpus: Path) -> None:
    items = parse_path("yolo", corpus / OLD2)
    strict = points(items, "val/mAP50-95")
    assert len(strict) == 100
    best = max(strict, key=lambda p: p.value)
    assert (best.step, best.value) == (92, 0.4266)
    assert values(items, "val/mAP50")[-1] == 0.5582


def test_file26_padded_results_csv(corpus: Path) -> None:
    path = corpus / V5
    assert all(len(name) == 20 for name in path.read_text().splitlines()[0].split(","))
    items = parse_path("yolo", path)
    assert not problems(items)
    assert points(items, "val/mAP50")[-1][1:4] == ("metrics/mAP_0.5", 2, 0.74324)
    assert points(items, "val/mAP50-95")[-1][1:4] == ("metrics/mAP_0.5:0.95", 2, 0.4888)
    lr = points(items, "opt/lr_pg0")
    assert lr[0].source_tag == "x/lr0"
    assert [p.value for p in lr] == [0.0937, 0.086005, 0.077782]
    assert [p.step for p in lr] == [0, 1, 2]


def test_file27_nan_losses_are_values(corpus: Path) -> None:
    items = parse_path("yolo", corpus / V8_NAN)
    assert not problems(items)
    nans = [p for p in points(items) if math.isnan(p.value)]
    assert len(nans) == 6
    losses = {f"{s}/{k}_loss" for s in ("train", "val") for k in ("box", "cls", "dfl")}
    assert {p.tag for p in nans} == losses
    metrics = ("precision", "recall", "mAP50", "mAP50-95")
    assert [values(items, f"val/{metric}") for metric in metrics] == [[0.0]] * 4
    assert points(items, "opt/lr_pg0")[0][1:4] == ("lr/pg0", 0, 0.0811)
    assert Meta("framework", "ultralytics") in items


def test_file28_segment_run_keeps_box_and_mask_apart(corpus: Path) -> None:
    items = parse_path("yolo", corpus / V11_SEG)
    assert not problems(items)
    box = points(items, "val/mAP50-95")
    assert [p.step for p in box] == list(range(1, 11))  # 1-based
    assert box[-1][1:4] == ("metrics/mAP50-95(B)", 10, 0.703)
    assert points(items, "val/mask_mAP50")[-1][1:4] == ("metrics/mAP50(M)", 10, 0.94634)
    assert points(items, "val/cls_loss")[0][2:4] == (1, 3.58494)
    elapsed = values(items, "perf/elapsed_s")
    assert (elapsed[0], elapsed[-1]) == (597.18, 6229.92)
    assert elapsed == sorted(elapsed)


def test_a_short_results_txt_row_is_a_problem() -> None:
    row = "      0/29     1.86G   0.09854   0.09318         0    0.1917        24       416"
    full = row + "         0         0  0.004895 0.0009547   0.09176   0.05526         0\n"
    items = parse_text("yolo", full + "      1/29     1.93G   0.09\n")
    assert problems(items) == [Problem(2, "expected 15 fields, found 3; row skipped")]
    assert values(items, "train/box_loss") == [0.09854]


def test_classify_names() -> None:
    names = "epoch,train/loss,metrics/accuracy_top1,metrics/accuracy_top5,val/loss"
    text = names + "\n1,2.3,0.4,0.9,2.1"
    assert {p.source_tag: p.tag for p in points(parse_text("yolo", text))} == {
        "train/loss": "train/loss",
        "metrics/accuracy_top1": "val/accuracy",
        "metrics/accuracy_top5": "val/top_k_accuracy_5",
        "val/loss": "val/loss",
    }
