"""One tqdm bar per epoch redrawn 250 times with ``\\r`` (postfix ``loss=``, ``acc=``), as
``tqdm`` writes to a file."""

from __future__ import annotations

import re
from pathlib import Path

from textlogs import epochs

FORMAT = "tqdm"
GREP = "it/s"
BATCHES = 500

_STATE = re.compile(r"\| (\d+)/(\d+) \[[^\]]*?, ([\d.]+)it/s, loss=([-\d.e+naif]+), acc=([-\d.e+naif]+)\]")


def write(path: Path, size: int) -> None:
    for out, epoch, rng in epochs(path, size, first=0, newline=""):
        loss = 2.0 / (epoch + 1) ** 0.3
        redraws = []
        for n in range(0, BATCHES + 1, 2):
            pct = n * 100 // BATCHES
            redraws.append(
                f"Epoch {epoch}: {pct:3d}%|{'#' * (pct // 10):<10}| {n}/{BATCHES} [00:{n // 20:02d}<00:10, "
                f"{19 + rng.random():5.2f}it/s, loss={loss * (1 + rng.random() / 10):.4f}, acc={1 - loss / 3:.3f}]"
            )
        out.write("\r".join(redraws) + "\n")


def single_pass(path: Path) -> int:
    count = 0
    with open(path, encoding="utf-8", newline="") as file:
        for line in file:
            for state in line.split("\r"):
                match = _STATE.search(state)
                if match:
                    count += (float(match[3]) >= 0) + (float(match[4]) >= 0) + (float(match[5]) >= 0)
    return count
