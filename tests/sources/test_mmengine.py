"""mmengine text logs (OpenMMLab 2.x): corpus files 34-36, mmpretrain, mmpose and mmdet 3.

Expected values are the MANIFEST facts, read from the logs with grep.
"""

from __future__ import annotations

import math

import pytest

from lossboard.model import CHECKPOINT, Point
from lossboard.sources.coverage import run_coverage
from lossboard.sources.formats import mmdet_log, mmengine_log
from lossboard.sources.logdir import load_paths
from tests.sources.helpers import canonical, events, parse_path, parse_text, points, problems, values

LOG = "mmengine-log"
PRETRAIN = "mmengine-log/mmpretrain1x_resnet50_fruit30_20230609_150855.log"
POSE = "mmengine-log/mmpose1x_rtmpose_ear_20230604_165733.log"
DET = "mmengine-log/mmdet3x_rtmdet_ear_20230607_222528.log"


def printed(items: list, source_tag: str) -> list[Point]:
    """The points of the series printed as ``source_tag``."""
    return [p for p in points(items) if p.source_tag == source_tag]


def by_epoch(items: list, source_tag: str) -> dict[float, float]:
    return {p.epoch: p.value for p in printed(items, source_tag)}


@pytest.fixture(scope="module")
def pretrain(corpus) -> list:
    return parse_path(LOG, corpus / PRETRAIN)


@pytest.fixture(scope="module")
def pose(corpus) -> list:
    return parse_path(LOG, corpus / POSE)


@pytest.fixture(scope="module")
def det(corpus) -> list:
    return parse_path(LOG, corpus / DET)


def test_every_train_line_after_the_config_dump_is_read(pretrain):
    loss = points(pretrain, "train/loss")
    assert len(loss) == 2100  # [1][  5/109] ... [100][105/109]
    assert (loss[0].step, loss[0].value) == (5, 3.3544)  # line 729, after 40 KB of config
    assert loss[-1].step == 99 * 109 + 105
    assert math.isclose(loss[0].epoch, 5 / 109)
    assert not problems(pretrain)


def test_validation_summaries_sit_at_the_end_of_their_epoch(pretrain):
    top1 = printed(pretrain, "accuracy/top1")
    assert len(top1) == 100  # the 500 progress lines "Epoch(val)   [1][ 5/28]" give nothing
    assert (top1[0].step, top1[0].epoch, top1[0].value) == (109, 1.0, 54.6171)
    assert by_epoch(pretrain, "accuracy/top5")[1.0] == 82.4324
    assert max(top1, key=lambda p: p.value)[2:5] == (86 * 109, 93.0180, 86.0)
    assert (top1[-1].value, by_epoch(pretrain, "accuracy/top5")[100.0]) == (92.5676, 99.4369)
    # rank-1 and rank-5 accuracy: the classic accuracy figure's labels
    assert {p.tag for p in top1} == {"val/accuracy"}
    assert {p.tag for p in printed(pretrain, "accuracy/top5")} == {"val/top_k_accuracy_5"}
    # validation timings are not train timings
    assert len(printed(pretrain, "time")) == 2100


def test_learning_rate_steps_down_where_the_log_says(pretrain):
    lr = {(p.step, p.value) for p in points(pretrain, "opt/lr")}
    assert (30 * 109 + 5, 1.0e-03) in lr and (29 * 109 + 105, 1.0e-02) in lr  # [31][  5/109], line 1601
    first_at = {}
    for p in points(pretrain, "opt/lr"):
        first_at.setdefault(p.value, math.floor(p.epoch) + 1)
    assert first_at == {1e-02: 1, 1e-03: 31, 1e-04: 61, 1e-05: 91}


def test_metrics_beyond_the_first_64_kb_and_a_multi_day_eta(pose):
    loss = printed(pose, "loss")
    assert len(loss) == 1800  # 300 epochs of 6 iterations, every one logged
    # line 1282, byte 69,503: "eta: 2 days, 2:47:25" does not hide the values after it
    assert (loss[0].step, loss[0].value) == (1, 0.421713)
    assert printed(pose, "acc_pose")[0].value == 0.010417
    assert not printed(pose, "eta") and not printed(pose, "days")
    assert not problems(pose)


def test_names_with_spaces_and_parentheses_and_minus_one_kept(pose):
    epoch_10 = {p.source_tag: p.value for p in points(pose) if p.epoch == 10.0 and p.step == 60}
    # line 1363
    assert epoch_10["coco/AP .5"] == 0.0 and epoch_10["coco/AP (M)"] == -1.0
    assert epoch_10["PCK"] == 0.230159 and epoch_10["AUC"] == 0.007993
    assert len(printed(pose, "coco/AP")) == 30  # validation every 10 epochs
    last = {p.source_tag: p.value for p in points(pose) if p.epoch == 300.0 and p.tag.startswith("val")}
    assert (last["coco/AP"], last["PCK"], last["NME"]) == (0.732748, 0.973923, 0.042401)  # line 3771
    pck = printed(pose, "PCK")
    assert next(p.epoch for p in pck if p.value == 0.973923) == 280.0  # line 3605


def test_wall_time_from_the_logging_prefix(pose):
    first, second = printed(pose, "loss")[:2]
    assert second.wall_time - first.wall_time == 3.0  # 16:59:34 -> 16:59:37, lines 1282-1283


def test_mmdet3_validation_schedule_and_copypaste_is_not_a_series(det):
    assert len(points(det, "train/loss")) == 4200
    mAP = printed(det, "coco/bbox_mAP")
    expected = [*range(5, 176, 5), 179, *range(180, 201)]
    assert [p.epoch for p in mAP] == [float(e) for e in expected]  # 57 summaries
    assert [p.step for p in mAP][:2] == [5 * 21, 10 * 21]
    assert max(mAP, key=lambda p: p.value)[3:5] == (0.8240, 170.0)  # line 5639
    assert mAP[-1].value == 0.8140  # line 6628
    assert printed(det, "coco/bbox_mAP_s")[0].value == -1.0
    assert not [p for p in points(det) if "copypaste" in p.source_tag]
    assert not problems(det)


def test_checkpoints_are_events_at_the_end_of_their_epoch(pretrain):
    saved = events(pretrain, CHECKPOINT)
    assert len(saved) == 20  # "Saving checkpoint at 5 epochs" (line 868) ... 100
    assert (saved[0].step, saved[0].epoch, saved[0].text) == (5 * 109, 5.0, "Saving checkpoint at 5 epochs")


@pytest.mark.parametrize("relative", [PRETRAIN, POSE, DET])
def test_after_the_config_dump_only_validation_progress_lines_are_unread(corpus, tmp_path, relative):
    """The environment and config dump holds numbers, not metrics; after it, every line with a
    number is read except the validation progress lines (an ETA and the loop's timings)."""
    lines = (corpus / relative).read_bytes().split(b"\n")
    first = next(i for i, line in enumerate(lines) if b"Epoch(train)" in line)
    path = tmp_path / "20230607_222528.log"
    path.write_bytes(b"\n".join(lines[first:]))
    (run,) = load_paths([path]).runs
    (found,) = run_coverage(run)
    assert found.numbered > 2000
    for shape in found.shapes.values():
        assert "Epoch(val)" in shape.example and "eta: " in shape.example, shape.example
        assert "time: " in shape.example and "loss" not in shape.example


@pytest.mark.parametrize("chunk", [1000, 65536])
def test_chunking_does_not_matter(corpus, chunk):
    text = (corpus / DET).read_bytes()[:200_000].decode()
    assert canonical(parse_text(LOG, text, chunk=chunk)) == canonical(parse_text(LOG, text))


# written from mmengine's LogProcessor format (values made up)
MMENGINE_LOG = """\
2023/03/01 12:00:00 - mmengine - INFO - Epoch(train)  [1][  50/7330]  base_lr: 2.0000e-02 lr: 2.0000e-02  eta: 1 day, 2:03:04  time: 0.5500  data_time: 0.0500  memory: 3000  grad_norm: 12.5  loss: 1.7000  loss_cls: 1.1000
2023/03/01 12:00:30 - mmengine - INFO - Epoch(train)  [1][ 100/7330]  base_lr: 2.0000e-02 lr: 2.0000e-02  eta: 1 day, 2:02:04  time: 0.5400  data_time: 0.0400  memory: 3000  grad_norm: inf  loss: 1.5000  loss_cls: 0.9000
2023/03/01 13:10:00 - mmengine - INFO - Epoch(val)  [1][ 50/625]    eta: 0:00:30  time: 0.0500  data_time: 0.0100  memory: 400
2023/03/01 13:10:30 - mmengine - INFO - Epoch(val) [1][625/625]    coco/bbox_mAP: 0.3600  coco/bbox_mAP_50: 0.5800  data_time: 0.0100  time: 0.0500
2023/03/01 13:11:00 - mmengine - INFO - Epoch(train)  [2][  50/7330]  base_lr: 2.0000e-02 lr: 2.0000e-02  eta: 1 day, 0:03:04  time: 0.5500  data_time: 0.0500  memory: 3000  grad_norm: 10.0  loss: 1.2000  loss_cls: 0.8000
"""




def test_learning_rates_one_space_apart_and_grad_norm():
    """mmengine joins the learning rates with one space and everything else with two."""
    items = parse_text(LOG, MMENGINE_LOG)
    assert [p.step for p in points(items, "train/loss")] == [50, 100, 7380]
    assert values(items, "train/loss") == [1.7, 1.5, 1.2]
    assert points(items, "train/loss")[2].epoch == 1 + 50 / 7330
    assert values(items, "opt/grad_norm") == [12.5, math.inf, 10.0]
    assert values(items, "opt/base_lr") == [0.02, 0.02, 0.02]
    assert [(p.step, p.value, p.epoch) for p in points(items, "val/coco/bbox_mAP")] == [(7330, 0.36, 1.0)]
    # the validation progress line gives nothing; its timings are not train timings
    assert [p.step for p in points(items, "perf/time_s")] == [50, 100, 7380]
    assert not problems(items)


def test_iteration_based_lines_and_a_resume():
    text = (
        "Iter(train) [  100/90000]  base_lr: 2.0000e-02 lr: 2.0000e-02  eta: 8:59:00  time: 0.3000  loss: 1.4000\n"
        "Iter(val) [625/625]    coco/bbox_mAP: 0.1000\n"
        "Iter(train) [   60/90000]  lr: 2.0000e-02  eta: 8:59:30  time: 0.3000  loss: nan  grad_norm: n/a\n"
    )
    items = parse_text(LOG, text)
    assert [(p.step, p.source_tag) for p in points(items, "opt/base_lr")] == [(100, "base_lr")]
    assert [(p.step, p.value) for p in points(items, "val/coco/bbox_mAP")] == [(100, 0.1)]
    assert math.isnan(values(items, "train/loss")[1])
    (problem,) = problems(items)
    assert problem.line == 3 and '"grad_norm: "' in problem.message


def test_sniff_tells_mmengine_from_mmcv(corpus):
    head = (corpus / PRETRAIN).read_text()[:65536]
    assert mmengine_log.sniff(head, "20230609_150855.log") >= 0.8
    assert mmdet_log.sniff(head, "20230609_150855.log") < 0.2
    mmcv = "2021-03-04 12:00:00,123 - mmdet - INFO - Epoch [1][50/7330]\tlr: 1.978e-03, loss: 1.7\n"
    assert mmengine_log.sniff(mmcv * 2, "x.log") < 0.2
    assert mmdet_log.sniff(mmcv * 2, "x.log") >= 0.8
