"""Keras 3 ``model.fit(verbose=2)`` output redirected to a file, as tests/sources/data/keras
captures it (``keras3_verbose2.log``): per epoch an ``Epoch k/N`` header and one metrics line
(``450/450 - 3s - 6ms/step - accuracy: 0.5311 - loss: 0.6864 - val_accuracy: 0.5700 -
val_loss: 0.6683``). A log that size is a sweep: a ``fit()`` of 100 epochs after another."""

from __future__ import annotations

import re
from pathlib import Path

from textlogs import epochs

FORMAT = "keras-stdout"
GREP = "Epoch"
STEPS = 450
EPOCHS_PLANNED = 100

_LINE = re.compile(
    r"^(\d+)/(\d+) - (\d+)s - (\d+)ms/step - accuracy: (\S+) - loss: (\S+) - val_accuracy: (\S+) - val_loss: (\S+)$"
)


def write(path: Path, size: int) -> None:
    for out, epoch, rng in epochs(path, size):
        k = (epoch - 1) % EPOCHS_PLANNED + 1
        base = 2.0 / (k + 1) ** 0.3
        accuracy, loss = 1 - base / 3 + rng.random() / 50, base * (1 + rng.random() / 10)
        out.write(
            f"Epoch {k}/{EPOCHS_PLANNED}\n{STEPS}/{STEPS} - {2 + (rng.random() > 0.5):d}s - {5 + k % 3}ms/step"
            f" - accuracy: {accuracy:.4f} - loss: {loss:.4f} - val_accuracy: {1 - base / 2.8:.4f}"
            f" - val_loss: {base * 1.1:.4f}\n"
        )


def single_pass(path: Path) -> int:
    count = 0
    with open(path, encoding="utf-8") as file:
        for line in file:
            match = _LINE.match(line)
            if match:
                count += sum(float(value) >= 0 for value in match.groups()[2:])
    return count
