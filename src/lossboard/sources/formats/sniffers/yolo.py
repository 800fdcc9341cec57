"""YOLO's ``results.csv`` (by its header) and YOLOv5's older ``results.txt`` (by its rows)."""

from __future__ import annotations

import re

from lossboard.sources.formats._table_head import peek

# results.txt column names, as train.py's progress and test headers print them
RESULTS_TXT = (
    "epoch", "gpu_mem", "box", "obj", "cls", "total", "targets", "img_size",
    "P", "R", "mAP@.5", "mAP@.5:.95", "val_box", "val_obj", "val_cls",
)  # fmt: skip
RESULTS_TXT_ROW = re.compile(r"\s*\d+/\d+\s+[\d.]+G\s")


def claims(names: list[str], rows: list[list[str]]) -> bool:
    """A results.csv header: ``epoch`` and YOLO's ``train/``, ``metrics/`` names."""
    return "epoch" in names and any(
        name.startswith(("metrics/mAP", "metrics/accuracy_top", "train/box_loss")) for name in names
    )


def sniff(head: str, filename: str) -> float:
    first = next((line for line in head.lstrip("\ufeff").splitlines() if line.strip()), "")
    if RESULTS_TXT_ROW.match(first) and len(first.split()) == len(RESULTS_TXT):
        return 0.9
    table = peek(head)
    return 0.95 if table is not None and claims(*table) else 0.0
