"""detectron2's ``log.txt`` (the shape of HaowenGuan/NYU-Semi-Supervise-Object-Detection
``output/log.txt``): a CommonMetricPrinter line every 20 iterations (``eta``, ``iter``, the
losses, timings, ``lr``, ``max_mem: 11811M``), and every 500 iterations an evaluation: inference
progress lines and the three ``copypaste`` lines."""

from __future__ import annotations

import random
import re
from pathlib import Path

FORMAT = "detectron2-log"
GREP = "iter:"
EVAL_PERIOD = 500

_ITER = re.compile(r"\biter: (\d+)\s")
_PAIR = re.compile(r"([A-Za-z_][\w/.\[\]-]*): (\S+)")


def write(path: Path, size: int) -> None:
    rng = random.Random(0)
    with open(path, "w") as out:
        it = 19
        while out.tell() < size:
            stamp = f"[11/{16 + it // 100000:02d} {it // 3600 % 24:02d}:{it // 60 % 60:02d}:{it % 60:02d}]"
            loss = 2.0 / (1 + it / 1000) ** 0.3
            parts = [loss * f * (1 + rng.random() / 10) for f in (0.55, 0.28, 0.11, 0.06)]
            left = max(0, 1_000_000 - it) // 20
            eta = f"{left // 86400} day{'s' if left // 86400 > 1 else ''}, {left // 3600 % 24}:{left // 60 % 60:02d}:{left % 60:02d}" if left >= 86400 else f"{left // 3600}:{left // 60 % 60:02d}:{left % 60:02d}"
            out.write(
                f"{stamp} d2.utils.events INFO:  eta: {eta}  iter: {it}  total_loss: {sum(parts):.4g}  "
                f"loss_cls: {parts[0]:.4g}  loss_box_reg: {parts[1]:.4g}  loss_rpn_cls: {parts[2]:.4g}  "
                f"loss_rpn_loc: {parts[3]:.4g}  time: {0.67 + rng.random() / 100:.4f}  data_time: {0.06 + rng.random() / 100:.4f}  "
                f"lr: {0.004 * min(1.0, it / 3000):.5g}  max_mem: 11811M\n"
            )
            if (it + 1) % EVAL_PERIOD == 0:
                for done in range(11, 3334, 120):
                    out.write(f"{stamp} d2.evaluation.evaluator INFO: Inference done {done}/3334. Dataloading: 0.0015 s/iter. "
                              f"Inference: 0.0394 s/iter. Eval: 0.0002 s/iter. Total: 0.0412 s/iter. ETA=0:01:36\n")
                ap = [min(99.0, 2 * (it / 1000) ** 0.5 * (1 + rng.random() / 20)) for _ in range(6)]
                out.write(f"{stamp} d2.evaluation.testing INFO: copypaste: Task: bbox\n")
                out.write(f"{stamp} d2.evaluation.testing INFO: copypaste: AP,AP50,AP75,APs,APm,APl\n")
                out.write(f"{stamp} d2.evaluation.testing INFO: copypaste: {','.join(f'{v:.4f}' for v in ap)}\n")
            it += 20


def single_pass(path: Path) -> int:
    count = 0
    with open(path, encoding="utf-8") as file:
        for line in file:
            if "iter: " in line:
                match = _ITER.search(line)
                if match:
                    for name, value in _PAIR.findall(line, match.end()):
                        if name != "eta":
                            count += float(value.removesuffix("M")) >= -1e300
            elif "copypaste: " in line:
                cells = line.partition("copypaste: ")[2].split(",")
                if len(cells) > 1 and cells[0][:1].isdigit():
                    count += sum(float(cell) >= -1e300 for cell in cells)
    return count
