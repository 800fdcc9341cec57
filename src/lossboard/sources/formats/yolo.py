"""YOLOv5 and ultralytics training results, one row per epoch.

Three shapes, told apart by their first line:

* YOLOv5 up to 5.0 ``results.txt``: no header, whitespace-aligned, ``epoch/last`` and GPU
  memory with a unit::

      29/29     1.93G   0.05005   0.08632         0    0.1364        47       416 ...

  The 15 columns are fixed by ``train.py`` (its progress header and test header name them):
  epoch, gpu_mem, box, obj, cls, total, targets, img_size, P, R, mAP@.5, mAP@.5:.95, then
  the three validation losses. ``29/29`` is epoch 29 (0-based) of 0..29. ``targets`` (labels
  in the epoch's last batch) is kept as ``train_batch/targets``; ``img_size`` is dropped.
* YOLOv5 6+ and ultralytics 8.0 ``results.csv``: header and fields padded to width 20 or 23,
  epochs 0-based, ``x/lr0`` or ``lr/pg0``, ``nan`` where a loss diverged.
* ultralytics 8.3+ ``results.csv``: no padding, epochs 1-based, a ``time`` column of seconds
  since training started (cumulative, so ``perf/elapsed_s``, not a wall-clock time), and
  ``(B)``/``(M)``/``(P)`` suffixes for box, mask and pose metrics.

Epochs are kept as printed and step = epoch. Metric names map through `_TAGS`: validation
metrics go under ``val/`` (``metrics/mAP_0.5`` and ``metrics/mAP50(B)`` are both
``val/mAP50``), mask and pose variants get a ``mask_``/``pose_`` prefix
(``metrics/mAP50-95(M)`` is ``val/mask_mAP50-95``), learning rates per parameter group are
``opt/lr_pg0``.. and GPU memory is ``perf/gpu_mem_gb``.
"""

from __future__ import annotations

import re

from lossboard.model import Item, Meta
from lossboard.sources.formats import _table
from lossboard.sources.formats._numbers import number
from lossboard.sources.formats.sniffers.yolo import RESULTS_TXT, RESULTS_TXT_ROW
from lossboard.sources.formats.sniffers.yolo import sniff as sniff
from lossboard.tags import canonical

NAME = "yolo"
CHUNK_BYTES = _table.CHUNK_BYTES  # rows go to pyarrow 4 MB at a time

# printed name (without its (B)/(M)/(P) suffix) -> tag; the metric part gets the prefix
_TAGS = {
    "metrics/precision": "val/precision",
    "metrics/recall": "val/recall",
    "metrics/mAP_0.5": "val/mAP50",
    "metrics/mAP_0.5:0.95": "val/mAP50-95",
    "metrics/mAP50": "val/mAP50",
    "metrics/mAP50-95": "val/mAP50-95",
    "metrics/accuracy_top1": "val/accuracy",
    "metrics/accuracy_top5": "val/top_k_accuracy_5",
    "time": "perf/elapsed_s",
    "gpu_mem": "perf/gpu_mem_gb",
    "box": "train/box_loss",
    "obj": "train/obj_loss",
    "cls": "train/cls_loss",
    "total": "train/loss",
    "targets": "train_batch/targets",  # labels in the epoch's last batch
    "P": "val/precision",
    "R": "val/recall",
    "mAP@.5": "val/mAP50",
    "mAP@.5:.95": "val/mAP50-95",
    "val_box": "val/box_loss",
    "val_obj": "val/obj_loss",
    "val_cls": "val/cls_loss",
}
_TASK = {"(B)": "", "(M)": "mask_", "(P)": "pose_"}
_LR = re.compile(r"(?:x/lr|lr/pg)(\d+)")


def _tag(name: str) -> str:
    lr = _LR.fullmatch(name)
    if lr:
        return f"opt/lr_pg{lr.group(1)}"
    prefix = _TASK.get(name[-3:])
    if prefix is not None:
        tag = _TAGS.get(name[:-3]) or canonical(name[:-3])
        split, _, metric = tag.partition("/")
        return f"{split}/{prefix}{metric}"
    return _TAGS.get(name) or canonical(name)


class Parser(_table.TableParser):
    """results.txt (fixed columns) or results.csv (by header name)."""

    def tag(self, name: str) -> str | None:
        # img_size is the configured input size repeated on every row, not a metric
        return None if name in ("epoch", "img_size") else _tag(name)

    def number(self, cell: str) -> float | None:
        """Also ``1.93G``, results.txt's GPU memory in GB."""
        return number(cell[:-1] if cell.endswith("G") else cell)

    def counter(self, cell: str) -> float | None:
        """Also results.txt's ``29/29``: epoch 29 of 0..29."""
        return number(cell.partition("/")[0])

    def start(self, line_number: int, line: str) -> list[Item]:
        if RESULTS_TXT_ROW.match(line):
            items = self.set_header(list(RESULTS_TXT), None)
            return items + self.row(line_number, line.split())
        return super().start(line_number, line)

    def describe(self, names: list[str]) -> list[Item]:
        if "lr/pg0" in names or any(name.endswith(")") for name in names):
            return [Meta("framework", "ultralytics")]
        return [Meta("framework", "yolov5")]
