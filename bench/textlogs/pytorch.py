"""The PyTorch ImageNet example's prints (corpus file 47's shape): per epoch, an ``Epoch: [e][
i/5005]`` AverageMeter line every 10 batches (Time, Data, Loss in E-notation, Acc@1, Acc@5, each
with its running average), ``Test: [ i/196]`` lines every 10 batches and the `` * Acc@1 ..
Acc@5 ..`` summary."""

from __future__ import annotations

import re
from pathlib import Path

from textlogs import epochs

FORMAT = "pytorch"
GREP = "Loss"
BATCHES = 5005
VAL_BATCHES = 196

_TRAIN = re.compile(
    r"Epoch: \[(\d+)\]\[ *(\d+)/(\d+)\]\tTime +(\S+) \( *(\S+)\)\tData +(\S+) \( *(\S+)\)"
    r"\tLoss (\S+) \((\S+)\)\tAcc@1 +(\S+) \( *(\S+)\)\tAcc@5 +(\S+) \( *(\S+)\)"
)
_TEST = re.compile(
    r"Test: \[ *(\d+)/(\d+)\]\tTime +(\S+) \( *(\S+)\)\tLoss (\S+) \((\S+)\)\tAcc@1 +(\S+) \( *(\S+)\)\tAcc@5 +(\S+) \( *(\S+)\)"
)
_SUMMARY = re.compile(r" \* Acc@1 (\S+) Acc@5 (\S+)")


def _meter(name: str, value: float, average: float, fmt: str) -> str:
    return f"{name} {value:{fmt}} ({average:{fmt}})"


def write(path: Path, size: int) -> None:
    width = len(str(BATCHES))
    for out, epoch, rng in epochs(path, size, first=0):
        loss = 7.0 / (epoch + 1) ** 0.4
        for batch in range(0, BATCHES, 10):
            value = loss * (1 + rng.random() / 5)
            top1 = min(100.0, 100 - 15 * loss * rng.random())
            out.write("\t".join([
                f"Epoch: [{epoch}][{batch:{width}d}/{BATCHES}]",
                _meter("Time", 0.3 + rng.random() / 10, 0.35, "6.3f"),
                _meter("Data", rng.random() / 100, 0.004, "6.3f"),
                _meter("Loss", value, loss, ".4e"),
                _meter("Acc@1", top1, top1 - 1, "6.2f"),
                _meter("Acc@5", min(100.0, top1 + 15), min(100.0, top1 + 14), "6.2f"),
            ]) + "\n")
        for batch in range(0, VAL_BATCHES, 10):
            out.write("\t".join([
                f"Test: [{batch:3d}/{VAL_BATCHES}]",
                _meter("Time", 0.1 + rng.random() / 10, 0.15, "6.3f"),
                _meter("Loss", loss * 0.9, loss * 0.9, ".4e"),
                _meter("Acc@1", 60 + rng.random() * 10, 65.0, "6.2f"),
                _meter("Acc@5", 85 + rng.random() * 10, 90.0, "6.2f"),
            ]) + "\n")
        out.write(f" * Acc@1 {60 + epoch / 10:.3f} Acc@5 {85 + epoch / 20:.3f}\n")


def single_pass(path: Path) -> int:
    count = 0
    with open(path, encoding="utf-8") as file:
        for line in file:
            if line.startswith("Epoch: ["):
                match = _TRAIN.match(line)
                if match:
                    count += sum(float(match[i]) >= -1e300 for i in range(4, 14))
            elif line.startswith("Test: ["):
                match = _TEST.match(line)
                if match:
                    count += sum(float(match[i]) >= -1e300 for i in range(3, 11))
            elif line.startswith(" * "):
                match = _SUMMARY.match(line)
                if match:
                    count += (float(match[1]) >= 0) + (float(match[2]) >= 0)
    return count
