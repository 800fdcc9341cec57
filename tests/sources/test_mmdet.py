"""mmdetection: 2.x ``*.log.json``, mmengine ``vis_data/scalars.json`` and mmcv text logs.

The corpus has none of these (its mmengine text logs are in test_mmengine.py), so the samples are written from the formats mmcv's
TextLoggerHook and mmengine's LogProcessor print (the values are made up, the shapes are not).
"""

from __future__ import annotations

import math

import pytest

from lossboard.model import RESUME, Meta
from lossboard.sources.formats import mmdet_json, mmdet_log
from tests.sources.helpers import events, parse_text, points, problems, values


def at(items: list, tag: str) -> list[tuple]:
    """(step, value, epoch) of every point of ``tag``."""
    return [(p.step, p.value, p.epoch) for p in points(items, tag)]

JSON = "mmdet-json"
LOG = "mmdet-log"

LOG_JSON_2X = """\
{"env_info": "sys.platform: linux\\nPython: 3.7.10\\nMMDetection: 2.25.0", "config": "model = dict(type='FasterRCNN')", "seed": 42, "exp_name": "faster_rcnn_r50_fpn_1x_coco.py", "hook_msgs": {}}
{"mode": "train", "epoch": 1, "iter": 50, "lr": 0.0002, "memory": 3000, "data_time": 0.1, "loss_rpn_cls": 0.5, "loss_cls": 1.1, "acc": 90.1, "loss": 1.7, "time": 0.5}
{"mode": "train", "epoch": 1, "iter": 100, "lr": 0.0004, "memory": 3000, "data_time": 0.1, "loss_rpn_cls": 0.4, "loss_cls": NaN, "acc": 91.0, "loss": 1.5, "time": 0.5}
{"mode": "val", "epoch": 1, "iter": 120, "lr": 0.0004, "bbox_mAP": 0.36, "bbox_mAP_50": 0.58, "bbox_mAP_copypaste": "0.360 0.580 0.390 0.210 0.400 0.470"}
{"mode": "train", "epoch": 2, "iter": 50, "lr": 0.0002, "memory": 3000, "data_time": 0.1, "loss_rpn_cls": 0.3, "loss_cls": 0.9, "acc": 92.0, "loss": "bad", "time": 0.5}
"""


def test_2x_log_json_global_steps_and_val():
    items = parse_text(JSON, LOG_JSON_2X)
    loss = points(items, "train/loss")
    # epoch 1: iter is the step; epoch 2 starts after the 120 iterations the val line revealed
    assert [(p.step, p.value) for p in loss] == [(50, 1.7), (100, 1.5)]
    assert [p.step for p in points(items, "train/loss_cls")] == [50, 100, 170]
    assert math.isnan(values(items, "train/loss_cls")[1])
    assert points(items, "train/loss_cls")[2].epoch == 1 + 50 / 120
    assert points(items, "train/loss_cls")[0].epoch is None  # length not known yet
    assert at(items, "val/bbox_mAP") == [(120, 0.36, 1.0)]
    assert not points(items, "val/bbox_mAP_copypaste")
    assert values(items, "perf/memory_mb")[0] == 3000.0
    assert values(items, "train/accuracy") == [90.1, 91.0, 92.0]
    assert {i.key: i.value for i in items if type(i) is Meta} == {
        "framework": "mmdetection", "seed": "42", "exp_name": "faster_rcnn_r50_fpn_1x_coco.py"}
    (problem,) = problems(items)
    assert problem.line == 5 and '"loss"' in problem.message


def test_2x_log_json_without_val_guesses_the_length_from_the_last_iter():
    text = "\n".join(LOG_JSON_2X.splitlines()[i] for i in (1, 2, 4)) + "\n"
    assert [p.step for p in points(parse_text(JSON, text), "train/loss_cls")] == [50, 100, 150]


SCALARS = """\
{"lr": 0.02, "data_time": 0.01, "loss": 1.5, "loss_cls": 0.9, "time": 0.4, "epoch": 1, "iter": 50, "memory": 3000, "step": 50}
{"base_lr": 0.02, "lr": 0.02, "data_time": 0.01, "loss": 1.2, "loss_cls": 0.7, "time": 0.4, "epoch": 1, "iter": 100, "memory": 3000, "step": 100}
{"coco/bbox_mAP": 0.36, "coco/bbox_mAP_50": 0.58, "data_time": 0.01, "time": 0.05, "step": 1}
{"lr": 0.02, "data_time": 0.01, "loss": Infinity, "loss_cls": 0.6, "time": 0.4, "epoch": 2, "iter": 150, "memory": 3000, "step": 150}
"""


def test_mmengine_scalars_json():
    items = parse_text(JSON, SCALARS)
    assert at(items, "train/loss") == [(50, 1.5, None), (100, 1.2, None), (150, math.inf, None)]
    assert values(items, "opt/base_lr") == [0.02]
    # validation's "step" is the epoch: placed at the last train step, epoch kept
    assert at(items, "val/coco/bbox_mAP") == [(100, 0.36, 1.0)]
    assert len(values(items, "perf/time_s")) == 3  # validation timings are not train timings
    assert not problems(items)


MMCV_LOG = """\
2021-03-04 11:59:00,001 - mmdet - INFO - workflow: [('train', 1)], max: 12 epochs
2021-03-04 12:00:00,123 - mmdet - INFO - Epoch [1][50/7330]\tlr: 1.978e-03, eta: 1 day, 2:03:04, time: 0.550, data_time: 0.050, memory: 3000, loss_rpn_cls: 0.5000, loss_cls: 1.1000, acc: 90.1000, loss: 1.7000
2021-03-04 12:00:30,123 - mmdet - INFO - Epoch [1][100/7330]\tlr: 3.976e-03, eta: 1 day, 2:02:04, time: 0.540, data_time: 0.040, memory: 3001, loss_rpn_cls: 0.4000, loss_cls: nan, acc: 91.0000, loss: 1.5000
2021-03-04 13:10:00,456 - mmdet - INFO - Epoch(val) [1][7330]\tbbox_mAP: 0.3600, bbox_mAP_50: 0.5800, bbox_mAP_copypaste: 0.360 0.580 0.390 0.210 0.400 0.470
2021-03-04 13:11:00,123 - mmdet - INFO - Epoch [2][50/7330]\tlr: 2.000e-02, eta: 1 day, 0:03:04, time: 0.550, data_time: 0.050, memory: 3001, loss_rpn_cls: 0.3000, loss_cls: 0.9000, acc: 92.0000, loss: n/a
"""

def test_mmcv_text_log():
    items = parse_text(LOG, MMCV_LOG)
    assert at(items, "train/loss") == [(50, 1.7, 50 / 7330), (100, 1.5, 100 / 7330)]
    assert [p.step for p in points(items, "train/loss_cls")] == [50, 100, 7330 + 50]
    assert math.isnan(values(items, "train/loss_cls")[1])
    assert values(items, "opt/lr") == [1.978e-03, 3.976e-03, 2.000e-02]
    assert at(items, "val/bbox_mAP") == [(7330, 0.36, 1.0)]
    assert not points(items, "val/bbox_mAP_copypaste") and not points(items, "train/eta")
    (problem,) = problems(items)
    assert problem.line == 5 and problem.message == 'expected a number after "loss: ", found "n/a"; skipped'


def test_iteration_based_and_resume():
    text = (
        "Iter [50/90000]\tlr: 2.000e-02, eta: 9:00:00, time: 0.3, data_time: 0.01, loss: 1.5\n"
        "Iter(train) [  100/90000]  lr: 2.0000e-02  eta: 8:59:00  time: 0.3000  loss: 1.4000\n"
        "Iter(val) [625/625]    coco/bbox_mAP: 0.1000\n"
        "Iter(train) [   60/90000]  lr: 2.0000e-02  eta: 8:59:30  time: 0.3000  loss: 1.4500\n"
    )
    items = parse_text(LOG, text)
    assert at(items, "train/loss") == [(50, 1.5, None), (100, 1.4, None), (60, 1.45, None)]
    assert [(p.step, p.value) for p in points(items, "val/coco/bbox_mAP")] == [(100, 0.1)]
    assert [e.step for e in events(items, RESUME)] == [60]


def test_mxnet_and_pytorch_lines_are_not_mmdet():
    text = (
        "Epoch[0] Batch [50]\tSpeed: 707.55 samples/sec\tTrain-accuracy=0.198750\n"
        "Epoch: [0][ 10/5005]\tTime  0.5 ( 0.6)\tLoss 6.9 (6.9)\n"
        "Iter[0] Batch [100]\tSpeed: 12.0 samples/sec\n"
    )
    assert parse_text(LOG, text) == []
    assert mmdet_log.sniff(text, "train.log") < 0.2


@pytest.mark.parametrize("chunk", [1, 5, 64])
def test_text_chunking_and_crlf(chunk):
    sample = MMCV_LOG
    whole = str(parse_text(LOG, sample))
    assert str(parse_text(LOG, sample, chunk=chunk)) == whole
    assert str(parse_text(LOG, sample.replace("\n", "\r\n"), chunk=chunk)) == whole


@pytest.mark.parametrize("sample", [LOG_JSON_2X, SCALARS])
def test_json_split_inside_a_number_and_a_crlf(sample):
    whole = str(parse_text(JSON, sample))
    crlf = sample.replace("\n", "\r\n")
    for cut in (sample.index("0.5") + 2, crlf.index("\r\n") + 1):
        text = crlf if cut == crlf.index("\r\n") + 1 else sample
        parser = mmdet_json.Parser()
        items = parser.feed(text[:cut]) + parser.feed(text[cut:]) + parser.close()
        assert str(items) == whole


def test_sniff():
    assert mmdet_json.sniff(LOG_JSON_2X, "20210304_120000.log.json") == 1.0
    assert mmdet_json.sniff(SCALARS, "scalars.json") == 1.0
    assert mmdet_json.sniff(SCALARS, "x.json") >= 0.8
    assert mmdet_log.sniff(MMCV_LOG, "20210304_120000.log") >= 0.8
    assert mmdet_log.sniff(LOG_JSON_2X, "x.log.json") < 0.2
    assert mmdet_json.sniff(MMCV_LOG, "x.log") < 0.2
    assert mmdet_json.sniff('{"iteration": 19, "total_loss": 2.0, "lr": 0.1}', "metrics.json") < 0.2


def test_a_validation_line_on_a_training_lines_step_keeps_the_training_lr():
    """Issue 8: the validation entry falls on the iteration of the epoch's last training
    entry; its echo of the rate must not replace (or merge with) the training line's."""
    text = (
        '{"mode": "train", "epoch": 1, "iter": 100, "lr": 0.02, "loss": 1.7}\n'
        '{"mode": "train", "epoch": 1, "iter": 200, "lr": 0.0175, "loss": 1.2}\n'
        '{"mode": "val", "epoch": 1, "iter": 200, "lr": 0.015, "bbox_mAP": 0.36}\n'
    )
    items = parse_text(JSON, text)
    assert [(p.step, p.value) for p in points(items, "opt/lr")] == [(100, 0.02), (200, 0.0175)]
    assert [(p.step, p.value) for p in points(items, "val/bbox_mAP")] == [(200, 0.36)]
