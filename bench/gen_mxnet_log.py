"""Write a synthetic MXNet `Module.fit` log of a given size, in the <= 0.11 or >= 0.12 style.

The lines copy the corpus files 31 (old: one metric per line, three lines per batch) and 33
(new: all metrics on one line, epoch-end ``Train-`` lines), with the ``INFO:root:`` prefix,
a learning-rate change every 30 epochs and a checkpoint per epoch. Values are random but
seeded, so a size and style always give the same bytes.

    python bench/gen_mxnet_log.py new 100MB bench/data/mxnet-new-100MB.log
"""

from __future__ import annotations

import argparse
import random
from pathlib import Path

METRICS = ("accuracy", "top_k_accuracy_5", "cross-entropy")


def parse_size(text: str) -> int:
    units = {"KB": 10**3, "MB": 10**6, "GB": 10**9}
    for unit, factor in units.items():
        if text.upper().endswith(unit):
            return int(float(text[: -len(unit)]) * factor)
    return int(text)


def epoch_lines(style: str, epoch: int, rng: random.Random, *, batches: int, frequent: int) -> list[str]:
    """All lines of one epoch: Speedometer lines, then the epoch-end lines."""
    out: list[str] = []
    acc = min(0.99, 0.1 + epoch * 0.01)
    for batch in range(frequent, batches, frequent):
        speed = f"{rng.uniform(600.0, 2000.0):.2f}"
        values = (acc + rng.uniform(-0.05, 0.05), acc + 0.2 * rng.random(), 6.9 * (1 - acc) * rng.random())
        if style == "old":
            for name, value in zip(METRICS, values):
                out.append(f"INFO:root:Epoch[{epoch}] Batch [{batch}]\tSpeed: {speed} samples/sec\tTrain-{name}={value:f}\n")
        else:
            pairs = "".join(f"\t{name}={value:f}" for name, value in zip(METRICS, values))
            out.append(f"INFO:root:Epoch[{epoch}] Batch [{batch}]\tSpeed: {speed} samples/sec{pairs}\n")
        if epoch % 30 == 29 and batch == 5 * frequent:
            out.append(f"INFO:root:Update[{epoch * batches + batch + 1}]: Change learning rate to {0.1 * 0.5 ** (epoch // 30):.5e}\n")
    if style == "new":
        out.extend(f"INFO:root:Epoch[{epoch}] Train-{name}={rng.random():f}\n" for name in METRICS)
    else:
        out.append(f"INFO:root:Epoch[{epoch}] Resetting Data Iterator\n")
    out.append(f"INFO:root:Epoch[{epoch}] Time cost={rng.uniform(60, 80):.3f}\n")
    out.append(f'INFO:root:Saved checkpoint to "model/resnet-{epoch + 1:04d}.params"\n')
    out.extend(f"INFO:root:Epoch[{epoch}] Validation-{name}={rng.random():f}\n" for name in METRICS)
    return out


def write_log(path: Path, style: str, size: int, *, batches: int = 2000, frequent: int = 20, seed: int = 0) -> int:
    """Write whole epochs until ``size`` bytes are reached; returns the number of epochs."""
    rng = random.Random(seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    written = 0
    epoch = 0
    with open(path, "w", encoding="utf-8") as file:
        file.write("INFO:root:Namespace(batch_size=128, lr=0.1, frequent=%d)\n" % frequent)
        file.write("INFO:root:Start training with [gpu(0), gpu(1)]\n")
        while written < size:
            text = "".join(epoch_lines(style, epoch, rng, batches=batches, frequent=frequent))
            file.write(text)
            written += len(text)
            epoch += 1
    return epoch


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("style", choices=["old", "new"])
    parser.add_argument("size", help="e.g. 10MB, 1GB")
    parser.add_argument("path", type=Path)
    parser.add_argument("--batches", type=int, default=2000, help="batches per epoch")
    parser.add_argument("--frequent", type=int, default=20, help="Speedometer display interval")
    args = parser.parse_args()
    epochs = write_log(args.path, args.style, parse_size(args.size), batches=args.batches, frequent=args.frequent)
    print(f"{args.path}: {epochs} epochs")


if __name__ == "__main__":
    main()
