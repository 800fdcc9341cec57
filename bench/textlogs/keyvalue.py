"""Generic ``key=value`` prints, as a training script's ``print(f"epoch={e} step={s} ...")`` gives
them: every 10 steps ``epoch=3 step=1200 loss=0.4123 acc=0.8125 lr=1.00e-03`` (the global step),
and per epoch a ``key: value`` summary, ``epoch 3: val_loss: 0.5012, val_acc: 0.7931``."""

from __future__ import annotations

import re
from pathlib import Path

from textlogs import epochs

FORMAT = "prints"
GREP = "loss"
STEPS_PER_EPOCH = 400
EVERY = 10

_STEP = re.compile(r"epoch=(\d+) step=(\d+) loss=(\S+) acc=(\S+) lr=(\S+)")
_EPOCH = re.compile(r"epoch (\d+): val_loss: ([^,]+), val_acc: (\S+)")


def write(path: Path, size: int) -> None:
    step = 0
    for out, epoch, rng in epochs(path, size):
        loss = 2.0 / epoch ** 0.3
        lr = 1e-3 * 0.95 ** epoch
        for _ in range(STEPS_PER_EPOCH // EVERY):
            step += EVERY
            out.write(f"epoch={epoch} step={step} loss={loss * (1 + rng.random() / 5):.4f} "
                      f"acc={1 - loss / 3 + rng.random() / 50:.4f} lr={lr:.2e}\n")
        out.write(f"epoch {epoch}: val_loss: {loss * 1.1:.4f}, val_acc: {1 - loss / 2.5:.4f}\n")


def single_pass(path: Path) -> int:
    count = 0
    with open(path, encoding="utf-8") as file:
        for line in file:
            if line.startswith("epoch="):
                match = _STEP.match(line)
                count += 3 * (bool(match) and float(match[3]) >= 0 and float(match[4]) >= 0 and float(match[5]) >= 0)
            elif line.startswith("epoch "):
                match = _EPOCH.match(line)
                count += 2 * (bool(match) and float(match[2]) >= 0 and float(match[3]) >= 0)
    return count
