"""A script's own output between mmengine, mmcv and detectron2 lines is read where those lines
are (issue 8). None of these trainers runs here: real mmengine lines from the corpus (row 34)
and detectron2 lines as a real ``log.txt`` prints them (HaowenGuan/NYU-Semi-Supervise-Object-
Detection ``output/log.txt``, the corpus has no detectron2 text log), with prints inserted.
Expected values are the printed ones."""

from __future__ import annotations

from pathlib import Path

import numpy as np

import lossboard
from tests.sources.helpers import parse_text, points, with_lines_after

MMPRETRAIN = "mmengine-log/mmpretrain1x_resnet50_fruit30_20230609_150855.log"


def _by_source(run, source_tag: str) -> tuple[str, list[int], list[float], list[float]]:
    [series] = [s for s in run.series.values() if s.source_tag == source_tag]
    return series.tag, series.step.tolist(), series.value.tolist(), series.epoch.tolist()


def test_mmengine_prints_after_a_validation_summary_sit_at_the_end_of_its_epoch(corpus: Path, tmp_path: Path) -> None:
    path = with_lines_after(corpus / MMPRETRAIN, tmp_path / "train.log", {
        "Epoch(val) [1][28/28]": ["val_loss: 0.8123"],
        "Epoch(train)   [1][ 10/109]": ["2023-06-09 15:09:09,500 - train - INFO - grad_norm: 1.25"],
    })
    [run] = lossboard.load(path)
    # 109 iterations an epoch: epoch 1 ends at step 109, [1][ 10/109] is step 10
    assert _by_source(run, "val_loss") == ("val/loss", [109], [0.8123], [1.0])
    assert _by_source(run, "grad_norm")[1:3] == ([10], [1.25])


def test_mmengine_values_are_unchanged_and_the_config_dump_stays_unread(corpus: Path, tmp_path: Path) -> None:
    path = with_lines_after(corpus / MMPRETRAIN, tmp_path / "train.log", {
        "Epoch(train)   [2][ 50/109]": ["loss_aux: 0.5", "grad_norm: 1.25"],
        "Epoch(val) [3][28/28]": ["val_loss: 0.7"],
    })
    [plain], [mixed] = lossboard.load(corpus / MMPRETRAIN), lossboard.load(path)
    for key, series in plain.series.items():
        np.testing.assert_array_equal(mixed.series[key].step, series.step)
        np.testing.assert_array_equal(mixed.series[key].value, series.value)
    # the config dump before training (`lr=0.01`, `max_epochs=100`) gives nothing
    assert {s.source_tag for s in mixed.series.values()} - {s.source_tag for s in plain.series.values()} == {
        "loss_aux", "grad_norm", "val_loss"}


MMCV = (
    "2021-03-04 12:00:00,123 - mmdet - INFO - Epoch [1][50/100]\tlr: 1.978e-03, eta: 1 day, 2:03:04, time: 0.550, loss: 1.7000\n"
    "grad_norm: 3.5\n"
    "2021-03-04 12:10:00,123 - mmdet - INFO - Epoch(val) [1][100]\tbbox_mAP: 0.3600, bbox_mAP_copypaste: 0.360 0.580 0.390 0.210 0.400 0.470\n"
    " Average Precision  (AP) @[ IoU=0.50:0.95 | area=   all | maxDets=100 ] = 0.360\n"
    "val_loss: 0.91\n"
)


def test_mmcv_prints_are_read_and_the_coco_summary_gives_nothing() -> None:
    items = parse_text("mmdet-log", MMCV)
    assert [(p.step, p.value) for p in points(items, "opt/grad_norm")] == [(50, 3.5)]
    assert [(p.tag, p.step, p.value, p.epoch) for p in points(items) if p.source_tag == "val_loss"] == [
        ("val/loss", 100, 0.91, 1.0)]
    assert not [p for p in points(items) if p.source_tag in ("maxDets", "bbox_mAP_copypaste")]


# lines of a real detectron2 log.txt, with a script's prints inserted (no prefix, or the
# "detectron2" logger that train_net.py uses)
DETECTRON2 = """\
[11/16 02:58:06] detectron2 INFO: Command line arguments: Namespace(config_file='faster_rcnn_R_50_FPN_3x.yaml', resume=True, num_gpus=6)
[11/16 02:58:08] d2.engine.defaults INFO: Model:
    (fpn_lateral2): Conv2d(256, 256, kernel_size=(1, 1), stride=(1, 1))
[11/16 03:15:08] d2.utils.events INFO:  eta: 3:15:20  iter: 979  total_loss: 0.4148  loss_cls: 0.2281  time: 0.6721  data_time: 0.0652  lr: 0.0013054  max_mem: 11811M
grad_norm: 2.5
[11/16 03:15:10] d2.data.dataset_mapper INFO: [DatasetMapper] Augmentations used in inference: [ResizeShortestEdge(short_edge_length=(800, 800), max_size=1333, sample_style='choice')]
[11/16 03:15:11] d2.evaluation.evaluator INFO: Inference done 11/3334. Dataloading: 0.0010 s/iter. Inference: 0.0407 s/iter. Eval: 0.0002 s/iter. Total: 0.0419 s/iter. ETA=0:02:19
 Average Precision  (AP) @[ IoU=0.50:0.95 | area=   all | maxDets=100 ] = 0.000
[11/16 03:15:21] d2.evaluation.testing INFO: copypaste: Task: bbox
[11/16 03:15:21] d2.evaluation.testing INFO: copypaste: AP,AP50,AP75,APs,APm,APl
[11/16 03:15:21] d2.evaluation.testing INFO: copypaste: 0.0159,0.0712,0.0012,0.0000,0.0096,0.0164
[11/16 03:15:21] detectron2 INFO: val_loss: 0.7311
[11/16 03:15:21] d2.utils.events INFO:  eta: 3:15:04  iter: 999  total_loss: 0.4067  loss_cls: 0.2229  time: 0.6721  data_time: 0.0641  lr: 0.001332  max_mem: 11811M
"""


def test_detectron2_prints_are_read_at_the_last_iteration_and_its_own_noise_gives_nothing() -> None:
    items = parse_text("detectron2-log", DETECTRON2)
    assert [(p.step, p.value) for p in points(items, "opt/grad_norm")] == [(979, 2.5)]
    assert [(p.tag, p.step, p.value) for p in points(items) if p.source_tag == "val_loss"] == [("val/loss", 979, 0.7311)]
    made = {p.source_tag for p in points(items)}
    assert not made & {"max_size", "maxDets", "Dataloading", "Inference", "kernel_size", "num_gpus"}
    assert [p.value for p in points(items, "train/total_loss")] == [0.4148, 0.4067]
    assert [p.value for p in points(items, "val/bbox/AP50")] == [0.0712]
