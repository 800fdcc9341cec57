"""mmcv's TextLoggerHook lines as mmdetection 2.x prints them: an asctime prefix,
``Epoch [e][i/7330]`` and ``, ``-separated ``name: value`` pairs after a tab (the ETA holding
a comma, ``1 day, 2:03:04``) every 50 iterations, and the ``Epoch(val)`` summary per epoch."""

from __future__ import annotations

import re
from pathlib import Path

from textlogs import epochs
from textlogs.mmengine import count_pairs

FORMAT = "mmdet-log"
GREP = "Epoch"
ITERS = 7330

_HEAD = re.compile(r"Epoch(?:\((val)\))? \[(\d+)\]\[(\d+)(?:/(\d+))?\]\t")


def write(path: Path, size: int) -> None:
    for out, epoch, rng in epochs(path, size):
        loss = 2.0 / epoch ** 0.3
        for it in range(50, ITERS + 1, 50):
            stamp = f"2021-03-04 {epoch % 24:02d}:{it * 60 // ITERS:02d}:{it % 60:02d},{it % 1000:03d}"
            hours = max(0, 10**9 - epoch * ITERS - it) // 3000
            eta = f"{hours // 24} day{'s' if hours // 24 > 1 else ''}, {hours % 24}:{it % 60:02d}:04" if hours >= 24 else f"{hours}:{it % 60:02d}:04"
            parts = [loss * f * (1 + rng.random() / 10) for f in (0.1, 0.05, 0.5, 0.35)]
            out.write(
                f"{stamp} - mmdet - INFO - Epoch [{epoch}][{it}/{ITERS}]\tlr: {0.02 / (1 + epoch / 10):.3e}, "
                f"eta: {eta}, time: {0.5 + rng.random() / 10:.3f}, data_time: {rng.random() / 20:.3f}, memory: 3000, "
                f"loss_rpn_cls: {parts[0]:.4f}, loss_rpn_bbox: {parts[1]:.4f}, loss_cls: {parts[2]:.4f}, "
                f"acc: {90 + rng.random() * 5:.4f}, loss_bbox: {parts[3]:.4f}, loss: {sum(parts):.4f}\n"
            )
        ap = [min(0.99, 0.1 * epoch ** 0.5 * (1 + rng.random() / 20)) for _ in range(6)]
        out.write(f"2021-03-04 {epoch % 24:02d}:59:59,000 - mmdet - INFO - Epoch(val) [{epoch}][{ITERS}]\t"
                  + ", ".join(f"bbox_{name}: {v:.4f}" for name, v in zip(("mAP", "mAP_50", "mAP_75", "mAP_s", "mAP_m", "mAP_l"), ap))
                  + f", bbox_mAP_copypaste: {' '.join(f'{v:.3f}' for v in ap)}\n")


def single_pass(path: Path) -> int:
    return count_pairs(path, "Epoch", _HEAD)
