"""mmengine's LoggerHook lines as mmdet 3.x prints them (corpus file 36's shape): a logging
prefix, ``Epoch(train) [e][ i/500]`` with two spaces between ``name: value`` pairs (lr, eta,
timings, memory, losses) every 10 iterations, then per epoch validation progress lines and the
``coco/bbox_mAP`` summary with mmdet's ``bbox_mAP_copypaste`` line."""

from __future__ import annotations

import re
from pathlib import Path

from textlogs import epochs

FORMAT = "mmengine-log"
GREP = "Epoch("
ITERS = 500
VAL_ITERS = 100

_HEAD = re.compile(r"Epoch\((train|val)\)\s*\[(\d+)\]\[\s*(\d+)/(\d+)\]")
PAIR = re.compile(r"([A-Za-z_][^\s:,]*(?: [^\s:,]+)*): ([^\s,]+)")


def write(path: Path, size: int) -> None:
    for out, epoch, rng in epochs(path, size):
        loss = 2.0 / epoch ** 0.3
        for it in range(10, ITERS + 1, 10):
            stamp = f"2023/06/07 {10 + epoch // 60 % 12:02d}:{epoch % 60:02d}:{it * 60 // ITERS % 60:02d}"
            hours = max(0, 100_000 - epoch) // 5
            eta = f"{hours // 24} days, {hours % 24}:{it % 60:02d}:{epoch % 60:02d}" if hours >= 24 else f"{hours}:{it % 60:02d}:17"
            cls, box = loss * 0.6 * (1 + rng.random() / 10), loss * 0.4 * (1 + rng.random() / 10)
            out.write(
                f"{stamp} - mmengine - INFO - Epoch(train) [{epoch:>3}][{it:>3}/{ITERS}]  "
                f"lr: {0.004 / (1 + epoch / 100):.10f}  eta: {eta}  time: {0.2 + rng.random() / 20:.4f}  "
                f"data_time: {rng.random() / 100:.4f}  memory: {1500 + epoch % 7}  loss: {cls + box:.4f}  "
                f"loss_cls: {cls:.4f}  loss_bbox: {box:.4f}\n"
            )
        stamp = f"2023/06/07 {10 + epoch // 60 % 12:02d}:{epoch % 60:02d}:59"
        for it in range(10, VAL_ITERS + 1, 10):
            out.write(f"{stamp} - mmengine - INFO - Epoch(val) [{epoch}][{it:>3}/{VAL_ITERS}]    eta: 0:00:0{it % 10}  "
                      f"time: {0.05 + rng.random() / 50:.4f}  data_time: {rng.random() / 100:.4f}  memory: 300  \n")
        ap = [min(0.99, 0.05 * epoch ** 0.5 * (1 + rng.random() / 20)) for _ in range(6)]
        out.write(f"{stamp} - mmengine - INFO - bbox_mAP_copypaste: {' '.join(f'{v:.3f}' for v in ap)}\n")
        out.write(f"{stamp} - mmengine - INFO - Epoch(val) [{epoch}][{VAL_ITERS}/{VAL_ITERS}]    "
                  + "  ".join(f"coco/bbox_{name}: {v:.4f}" for name, v in zip(("mAP", "mAP_50", "mAP_75", "mAP_s", "mAP_m", "mAP_l"), ap))
                  + f"  data_time: {rng.random() / 100:.4f}  time: {0.05 + rng.random() / 50:.4f}\n")


def single_pass(path: Path) -> int:
    return count_pairs(path, "Epoch(", _HEAD)


def count_pairs(path: Path, word: str, head: re.Pattern) -> int:
    """The user's script for OpenMMLab text logs: a head regex, then every ``name: value`` after it."""
    count = 0
    with open(path, encoding="utf-8") as file:
        for line in file:
            if word not in line:
                continue
            found = head.search(line)
            if found:
                for name, value in PAIR.findall(line, found.end()):
                    if name != "eta" and not name.endswith("_copypaste"):
                        count += float(value) >= -1e300
    return count
