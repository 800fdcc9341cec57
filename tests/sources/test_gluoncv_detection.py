"""GluonCV detection logs (read by the mxnet format): MANIFEST facts of corpus files 49-50 and
the SSD line of issue 8."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lossboard.model import CHECKPOINT, LR_CHANGE, RESUME
from lossboard.sources import load
from lossboard.sources.coverage import run_coverage
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
    lr = points(yolo, "opt/lr")
    # LR warms up from 1.28E-04 (line 3); the lr=0.001 of line 1's Namespace is its target
    assert len(lr) == 400 and lr[0].value == 1.28e-04 and {p.source_tag for p in lr} == {"LR"}
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
    assert {p.source_tag for p in points(items) if p.tag.startswith("val/")} == {"aeroplane", "mAP", "cat"}
    # past the block they are a script's own prints, read at the block's epoch for what they say
    after = {(p.tag, p.step, p.value) for p in points(items) if p.source_tag in ("batch_size", "lr")}
    assert after == {("train/batch_size", 0, 4.0), ("opt/lr", 0, 0.3)}


@pytest.mark.parametrize("name", [YOLO, RCNN])
def test_chunking_does_not_matter(corpus, name):
    text = (corpus / name).read_text()
    assert parse_text("mxnet", text, chunk=997) == parse_text("mxnet", text)


@pytest.mark.parametrize("name", [YOLO, RCNN])
def test_only_headers_give_no_value(corpus, name):
    [run] = load(corpus / name)
    [coverage] = run_coverage(run)
    # the block header only says which epoch the class lines belong to; the start line too
    assert set(coverage.shapes) <= {"[Epoch #] Validation:", "Start training from [Epoch #]"}
    assert coverage.share_read > 0.97


def test_the_arguments_lr_is_superseded_after_a_pickle_too(corpus):
    # the indexer may store the parser between the Namespace line and the first batch line
    import pickle

    text = (corpus / YOLO).read_text()
    cut = text.index("[Epoch 0][Batch 99]")
    parser = mxnet.Parser()
    first = parser.feed(text[:cut])
    resumed = pickle.loads(pickle.dumps(parser))
    items = first + resumed.feed(text[cut:]) + resumed.close()
    assert {p.source_tag for p in points(items, "opt/lr")} == {"LR"}


@given(st.lists(st.integers(0, 2000), max_size=6))
@settings(max_examples=60, deadline=None)
def test_any_chunk_split_gives_the_same_records(cuts):
    # the head of corpus file 50, through its first validation block and checkpoint lines
    text = SAMPLE
    parser = mxnet.Parser()
    items, start = [], 0
    for cut in sorted(c % len(text) for c in cuts):
        items += parser.feed(text[start:cut])
        start = cut
    items += parser.feed(text[start:]) + parser.close()
    assert items == parse_text("mxnet", text)
    assert values(items, "val/mAP") == [0.40289767311634483] and len(events(items, LR_CHANGE)) == 1


SAMPLE = (
    "Namespace(batch_size=4, dataset='voc', epochs=20, lr=0.001, lr_decay=0.1, lr_warmup=-1)\n"
    "Start training from [Epoch 0]\n"
    "[Epoch 0][Batch 99], Speed: 11.735 samples/sec, RPN_Conf=0.655,RPN_SmoothL1=0.050,RCNNAcc=0.845\n"
    "[Epoch 0][Batch 199], Speed: 12.458 samples/sec, RPN_Conf=0.503,RPN_SmoothL1=0.051,RCNNAcc=0.851\r\n"
    "[Epoch 0] Training cost: 1312.133, RPN_Conf=0.139,RPN_SmoothL1=0.047\n"
    "[Epoch 0] Validation: \n"
    "aeroplane=0.3749334870563221\n"
    "pottedplant=0.16538852902489265\n"
    "mAP=0.40289767311634483\n"
    "[Epoch 0] mAP 0.40289767311634483 higher than current best [0] saving to faster_rcnn_best.params\n"
    "[Epoch 0] Saving parameters to faster_rcnn_resnet50_v1b_voc_0000_0.4029.params\n"
    "[Epoch 1] Set learning rate to 0.0001\n"
    "[Epoch 1][Batch 99], Speed: 11.896 samples/sec, RPN_Conf=0.095,RPN_SmoothL1=0.039,RCNNAcc=0.893\n"
)


def test_bad_values_are_problems_with_their_line_and_the_rest_is_kept():
    text = (
        "[Epoch 0][Batch 99], LR: n/a, Speed: 10.5 samples/sec, ObjLoss=oops, ClassLoss=30.865\n"
        "[Epoch 0] Validation: \n"
        "aeroplane=--\n"
        "bicycle=0.25\n"
        "mAP=0.25\n"
    )
    items = parse_text("mxnet", text)
    assert [(p.line, p.message) for p in problems(items)] == [
        (1, 'expected a number after "LR:", found "n/a"; skipped'),
        (1, 'expected a number after "ObjLoss=", found "oops"; skipped'),
        (3, 'expected a number after "aeroplane=", found "--"; skipped'),
    ]
    assert values(items, "train_batch/ClassLoss") == [30.865] and values(items, "perf/samples_per_sec") == [10.5]
    assert values(items, "val/bicycle") == [0.25] and values(items, "val/mAP") == [0.25]


def test_a_metric_named_like_lr_is_not_the_lr():
    items = parse_text("mxnet", "[Epoch 0][Batch 99], Speed: 10.5 samples/sec, minLR: 3, ObjLoss=1.5\n")
    assert not points(items, "opt/lr") and values(items, "train_batch/ObjLoss") == [1.5]
