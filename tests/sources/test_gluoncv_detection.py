"""GluonCV detection logs (read by the mxnet format): MANIFEST facts of corpus files 49-50 and
the SSD line of issue 8."""

from __future__ import annotations

import pytest

from lossboard.model import CHECKPOINT, LR_CHANGE, RESUME
from lossboard.sources.formats import mxnet
from tests.sources.helpers import events, parse_path, parse_text, points, problems, values

YOLO = "gluoncv/yolo3_darknet53_voc.log"
RCNN = "gluoncv/faster_rcnn_resnet50_v1b_voc_train.log"
VOC_CLASSES = 20


@pytest.fixture(scope="module")
def yolo(corpus):
    return parse_path("mxnet", corpus / YOLO)


@pytest.fixture(scope="module")
def rcnn(corpus):
    return parse_path("mxnet", corpus / RCNN)


def by_epoch(items, tag):
    return {p.epoch: p.value for p in points(items, tag)}


@pytest.mark.parametrize("name", [YOLO, RCNN])
def test_detection_logs_are_recognised(corpus, name):
    head = (corpus / name).read_bytes()[: 64 * 1024].decode()
    assert mxnet.sniff(head, name) >= 0.8


def test_batch_line_with_lr_colon_and_comma_space(yolo):
    # line 3: [Epoch 0][Batch 99], LR: 1.28E-04, Speed: 108.251 samples/sec, ObjLoss=415.712, ...
    obj = points(yolo, "train_batch/ObjLoss")
    assert len(obj) == 400
    assert (obj[0].value, obj[0].step) == (415.712, 99)
    assert values(yolo, "train_batch/ClassLoss")[0] == 30.865
    assert values(yolo, "perf/samples_per_sec")[0] == 108.251
    lr = [p for p in points(yolo, "opt/lr") if p.source_tag == "LR"]
    assert len(lr) == 400 and lr[0].value == 1.28e-04
    lr_by_epoch = {int(p.epoch): p.value for p in lr}
    assert lr_by_epoch[3] == 1e-03 and lr_by_epoch[159] == 1e-03
    assert lr_by_epoch[160] == 1e-04 and lr_by_epoch[179] == 1e-04 and lr_by_epoch[180] == 1e-05
    assert not problems(yolo)


def test_training_cost_line_gives_epoch_values(yolo):
    # [Epoch 0] Training cost: 602.907, ObjLoss=170.200, BoxCenterLoss=6.865, ...
    assert len(points(yolo, "perf/epoch_time_s")) == 200
    assert by_epoch(yolo, "perf/epoch_time_s")[0.0] == 602.907
    assert by_epoch(yolo, "train/ObjLoss")[0.0] == 170.200
    assert by_epoch(yolo, "train/ClassLoss")[1.0] == 12.704


def test_validation_block_takes_its_epoch_from_the_header(yolo):
    mAP = by_epoch(yolo, "val/mAP")
    assert len(mAP) == 200
    assert mAP[0.0] == 0.07634633940659577  # line 27
    assert mAP[199.0] == 0.8131343103888804  # line 5002, the last line
    assert max(mAP.items(), key=lambda kv: kv[1]) == (192.0, 0.8149111169109604)
    # one point per class and epoch: "pottedplant=0.0" (line 21) and a class named "train"
    assert by_epoch(yolo, "val/pottedplant")[0.0] == 0.0
    assert by_epoch(yolo, "val/train")[0.0] == 0.02280328367284889
    classes = {p.source_tag for p in points(yolo) if p.tag.startswith("val/")} - {"mAP"}
    assert len(classes) == VOC_CLASSES
    assert all(len(points(yolo, f"val/{name}")) == 200 for name in classes)


def test_rpn_metrics_separated_by_commas_without_spaces(rcnn):
    # line 3: ..., Speed: 11.735 samples/sec, RPN_Conf=0.655,RPN_SmoothL1=0.050,RCNN_CrossEntropy=0.773,...
    batch_tags = {p.tag for p in points(rcnn) if p.tag.startswith("train_batch/")}
    assert len(batch_tags) == 8
    conf = points(rcnn, "train_batch/RPN_Conf")
    assert len(conf) == 820 and conf[0].value == 0.655
    assert values(rcnn, "train_batch/RPN_SmoothL1")[0] == 0.050
    assert values(rcnn, "train_batch/RCNNL1Loss")[0] == 2.392
    # 41 batch lines per epoch, [Batch 99] .. [Batch 4099]: N = 4099 + 100
    assert [p.epoch for p in conf[41:43]] == [1 + 99 / 4199, 1 + 199 / 4199]
    assert not problems(rcnn)


def test_best_map_and_checkpoint_names_are_not_points(rcnn):
    mAP = by_epoch(rcnn, "val/mAP")
    assert len(mAP) == 20
    assert mAP[0.0] == 0.40289767311634483 and mAP[19.0] == 0.7765967923775811
    assert max(mAP.items(), key=lambda kv: kv[1]) == (16.0, 0.7830827040656632)
    # "[Epoch 16] mAP 0.78.. higher than current best [0.78..] saving to ..._best.params" and
    # "[Epoch 19] Saving parameters to faster_rcnn_resnet50_v1b_voc_0019_0.7766.params"
    assert not [p for p in points(rcnn) if p.value == 0.7766 or p.epoch > 20]
    saves = [e.text for e in events(rcnn, CHECKPOINT)]
    assert saves[-1] == "saved faster_rcnn_resnet50_v1b_voc_0019_0.7766.params"
    assert len([s for s in saves if s.endswith("_best.params")]) + 20 == len(saves)
    assert not events(rcnn, RESUME)


def test_set_learning_rate_line_is_an_lr_change_at_its_epoch(rcnn):
    # line 925: "[Epoch 14] Set learning rate to 0.0001", before the epoch's first batch
    [change] = events(rcnn, LR_CHANGE)
    assert change.epoch == 14.0 and change.step == 14 * 4199
    assert [p.value for p in points(rcnn, "opt/lr")] == [0.001, 0.0001]  # Namespace lr=0.001 first


def test_ssd_style_batch_line_from_issue_8():
    text = (
        "INFO:root:[Epoch 3][Batch 50], Speed: 80 samples/sec, CrossEntropy=1.83e+00, SmoothL1=4.21e-01\n"
        "INFO:root:[Epoch 3][Batch 100], Speed: 81 samples/sec, CrossEntropy=1.80e+00, SmoothL1=4.00e-01\n"
        "INFO:root:[Epoch 3] Training cost: 300.5, CrossEntropy=1.79, SmoothL1=0.39\n"
        "INFO:root:[Epoch 3] Validation: \n"
        "aeroplane=0.5\n"
        "traffic light=0.25\n"
        "mAP=0.375\n"
        "INFO:root:[Epoch 4][Batch 50], Speed: 79 samples/sec, CrossEntropy=1.70e+00, SmoothL1=3.90e-01\n"
    )
    items = parse_text("mxnet", text)
    assert values(items, "train_batch/CrossEntropy") == [1.83, 1.80, 1.70]
    assert values(items, "train_batch/SmoothL1") == [0.421, 0.400, 0.390]
    assert values(items, "perf/samples_per_sec") == [80.0, 81.0, 79.0]
    assert by_epoch(items, "val/mAP") == {3.0: 0.375}
    assert by_epoch(items, "val/traffic_light") == {3.0: 0.25}
    assert by_epoch(items, "train/CrossEntropy") == {3.0: 1.79}
    assert not problems(items) and not events(items, RESUME)


def test_a_line_after_the_block_is_not_a_class():
    text = "[Epoch 0] Validation: \naeroplane=0.5\nmAP=0.5\nbatch_size=4\n[Epoch 0] Validation: \ncat=0.1\nnot a value\nlr=0.3\n"
    items = parse_text("mxnet", text)
    assert {p.source_tag for p in points(items)} == {"aeroplane", "mAP", "cat"}


@pytest.mark.parametrize("name", [YOLO, RCNN])
def test_chunking_does_not_matter(corpus, name):
    text = (corpus / name).read_text()
    assert parse_text("mxnet", text, chunk=997) == parse_text("mxnet", text)
