"""Write the example logs: one AlexNet-on-ImageNet-style run, stopped and resumed twice.

The run is simulated (no GPU here), but every line is printed through Python's ``logging``
with the format MXNet 0.11's ``Module.fit`` and ``Speedometer`` use: three metrics per batch,
one per line, then the epoch's ``Train-*``, ``Time cost`` and ``Validation-*`` lines. As in
the classic blog post, training is stopped at epoch 70 and resumed from the epoch-65
checkpoint with a lower learning rate, then stopped at 90 and resumed from epoch 85:

    training_0.log   epochs 0..69   lr 1e-2
    training_65.log  epochs 65..89  lr 1e-3   (later file wins for 65..69)
    training_85.log  epochs 85..99  lr 1e-4   (later file wins for 85..89)

Run ``python examples/make_alexnet_logs.py`` to write them again; the output is the same every
time (a fixed seed and fixed clock).
"""

from __future__ import annotations

import io
import logging
import math
import random
from pathlib import Path

BATCHES_PER_EPOCH = 10_009  # 1,281,167 images / batch size 128
FREQUENT = 1_000
BATCH_SIZE = 128
OUT = Path(__file__).parent / "alexnet-imagenet"


def curves(epoch: float, lr_drops: int) -> tuple[float, float, float]:
    """Plausible rank-1, rank-5 accuracy and cross-entropy after ``epoch`` epochs."""
    base = 0.58 * (1 - math.exp(-epoch / 14)) + 0.06 * lr_drops
    top1 = min(0.95, base)
    top5 = min(0.99, 1 - (1 - top1) ** 1.9)
    loss = -math.log(max(top1 * 0.9 + 0.02, 1e-3)) + 0.4
    return top1, top5, loss


def write_segment(path: Path, first: int, last: int, lr_drops: int, rng: random.Random) -> None:
    stream = io.StringIO()
    logger = logging.getLogger(f"alexnet.{path.stem}")
    logger.propagate = False
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s:root:%(message)s"))
    logger.handlers[:] = [handler]
    logger.setLevel(logging.INFO)
    lr = 1e-2 / 10**lr_drops
    logger.info("Namespace(batch_size=%d, lr=%g, network='alexnet', begin_epoch=%d)", BATCH_SIZE, lr, first)
    logger.info("Start training with [gpu(0), gpu(1), gpu(2)]")
    for epoch in range(first, last + 1):
        for batch in range(FREQUENT, BATCHES_PER_EPOCH, FREQUENT):
            top1, top5, loss = curves(epoch + batch / BATCHES_PER_EPOCH, lr_drops)
            speed = 1650 + rng.uniform(-60, 60)
            noisy = [top1 + rng.gauss(0, 0.01), top5 + rng.gauss(0, 0.006), loss + rng.gauss(0, 0.03)]
            for name, value in zip(("accuracy", "top_k_accuracy_5", "cross-entropy"), noisy):
                logger.info("Epoch[%d] Batch [%d]\tSpeed: %.2f samples/sec\tTrain-%s=%f", epoch, batch, speed, name, value)
        top1, top5, loss = curves(epoch + 1, lr_drops)
        logger.info("Epoch[%d] Train-accuracy=%f", epoch, top1 + rng.gauss(0, 0.004))
        logger.info("Epoch[%d] Train-top_k_accuracy_5=%f", epoch, top5 + rng.gauss(0, 0.003))
        logger.info("Epoch[%d] Train-cross-entropy=%f", epoch, loss + rng.gauss(0, 0.01))
        logger.info("Epoch[%d] Time cost=%.3f", epoch, BATCHES_PER_EPOCH * BATCH_SIZE / 1650 + rng.uniform(-20, 20))
        logger.info('Saved checkpoint to "checkpoints/alexnet-%04d.params"', epoch + 1)
        gap = 0.02 + 0.004 * max(0, epoch - 40) * (0.25 if lr_drops else 1)
        logger.info("Epoch[%d] Validation-accuracy=%f", epoch, top1 - gap + rng.gauss(0, 0.004))
        logger.info("Epoch[%d] Validation-top_k_accuracy_5=%f", epoch, top5 - gap / 2 + rng.gauss(0, 0.003))
        logger.info("Epoch[%d] Validation-cross-entropy=%f", epoch, loss + 3 * gap + rng.gauss(0, 0.01))
    path.write_text(stream.getvalue())


def main() -> None:
    OUT.mkdir(exist_ok=True)
    rng = random.Random(65)
    write_segment(OUT / "training_0.log", 0, 69, 0, rng)
    write_segment(OUT / "training_65.log", 65, 89, 1, rng)
    write_segment(OUT / "training_85.log", 85, 99, 2, rng)


if __name__ == "__main__":
    main()
