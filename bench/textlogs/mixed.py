"""tqdm redraws, logging records and prints in one stream (``prints``), as corpus files 41, 43
and 44 mix them. Per epoch: an ``Epoch [e]`` header, a tqdm bar redrawn 250 times with ``\\r``
on one physical line (postfix ``loss=``), 25 ``INFO:root:Epoch [e/E], Step [s/500], Loss: x``
lines, an ``asctime - name - INFO - Epoch [e/E], Training Loss: …, Validation Loss: …,
Accuracy: …%`` record, ``Train Loss: … | Dice: …`` / ``Val Loss: …`` prints and a checkpoint
line with no value."""

from __future__ import annotations

import re
from pathlib import Path

from textlogs import epochs

FORMAT = "prints"
GREP = "Loss"
BATCHES = 500
EPOCHS_PLANNED = 10_000

_BAR = re.compile(r"\| (\d+)/(\d+) \[[^\]]*?, ([\d.]+)it/s, loss=([-\d.e+naif]+)\]")
_STEP = re.compile(r"Epoch \[(\d+)/\d+\], Step \[(\d+)/\d+\], Loss: ([-\d.e+naif]+)")
_EPOCH = re.compile(r"Epoch \[(\d+)/\d+\], Training Loss: ([\d.]+), Validation Loss: ([\d.]+), Accuracy: ([\d.]+)%")
_PHASE = re.compile(r"^(Train|Val) Loss:\s+([\d.]+) \| Dice: ([\d.]+)")


def write(path: Path, size: int) -> None:
    for out, epoch, rng in epochs(path, size):
        out.write(f"\nEpoch [{epoch}]\n\n")
        loss = 2.0 / epoch ** 0.3
        redraws = []
        for n in range(0, BATCHES + 1, 2):
            pct = n * 100 // BATCHES
            redraws.append(
                f"Epoch {epoch}/{EPOCHS_PLANNED} [Train]: {pct:3d}%|{'#' * (pct // 10):<10}| {n}/{BATCHES} "
                f"[00:{n // 20:02d}<00:10, 19.{n % 10}it/s, loss={loss * (1 + rng.random() / 10):.4f}]"
            )
        out.write("\r" + "\r".join(redraws) + "\n")
        for step in range(20, BATCHES + 1, 20):
            out.write(f"INFO:root:Epoch [{epoch}/{EPOCHS_PLANNED}], Step [{step}/{BATCHES}], Loss: {loss * rng.random():.4f}\n")
        out.write(
            f"2025-05-14 16:02:53,777 - train - INFO - Epoch [{epoch}/{EPOCHS_PLANNED}], Training Loss: {loss:.4f}, "
            f"Validation Loss: {loss * 1.1:.4f}, Accuracy: {100 - 50 * loss:.2f}%\n"
        )
        out.write(f"Train Loss: {loss:.4f} | Dice: {1 - loss / 3:.4f}\nVal Loss:   {loss * 1.1:.4f} | Dice: {1 - loss / 2.5:.4f}\n")
        out.write(f"2025-05-14 16:02:53,778 - train - INFO - Checkpoint saved to checkpoint/model_{epoch}.pth\n")


def single_pass(path: Path) -> int:
    count = 0
    with open(path, encoding="utf-8", newline="") as file:
        for line in file:
            if "\r" in line:
                for state in line.split("\r"):
                    match = _BAR.search(state)
                    if match:
                        count += (float(match[3]) >= 0) + (float(match[4]) >= 0)
                continue
            if "Step [" in line:
                match = _STEP.search(line)
                count += bool(match) and float(match[3]) >= 0
            elif "Training Loss" in line:
                match = _EPOCH.search(line)
                count += 3 * (bool(match) and float(match[2]) >= 0)
            elif " Loss:" in line:
                match = _PHASE.match(line)
                count += 2 * (bool(match) and float(match[2]) >= 0)
    return count
