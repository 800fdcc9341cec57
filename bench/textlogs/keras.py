"""Keras 3 ``model.fit(verbose=1)`` output redirected to a file, as tests/sources/data/keras
captures it: per epoch an ``Epoch k/N`` header and one physical line of progress-bar redraws
(ANSI bold and colour, the bar in ``━``, a run of ``\\b`` before each ``\\r``; a redraw every
8 of 1,563 steps, as Keras redraws at most every 0.05 s), ending, on the same line as in
tests/sources/data/keras/long_bar_pipe.log, with the state that adds ``val_accuracy``,
``val_loss`` and ``learning_rate``."""

from __future__ import annotations

import re
from pathlib import Path

from textlogs import epochs

FORMAT = "keras-stdout"
GREP = "Epoch"
STEPS = 1563
EVERY = 8
EPOCHS_PLANNED = 1000

_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_STATE = re.compile(r"^ *(\d+)/(\d+) .* - accuracy: (\S+) - loss: (\S+?)(?: - val_accuracy: (\S+) - val_loss: (\S+) - learning_rate: (\S+))?$")


def _state(step: int, accuracy: float, loss: float, tail: str = "") -> tuple[str, int]:
    """One redraw as Keras 3 writes it, and its width on screen."""
    done = step * 20 // STEPS
    counter = f"{step:>{len(str(STEPS))}}/{STEPS}"
    # as Keras 3 draws it: no green part before the first twentieth, an empty grey one at the end
    bar = (f"\x1b[32m{'━' * done}\x1b[0m" if done else "") + f"\x1b[37m{'━' * (20 - done)}\x1b[0m"
    seconds = step * 5 // 1000
    text = f"\x1b[1m{counter}\x1b[0m {bar} \x1b[1m{seconds}s\x1b[0m 5ms/step - accuracy: {accuracy:.4f} - loss: {loss:.4f}{tail}"
    return text, len(_ANSI.sub("", text))


def write(path: Path, size: int) -> None:
    for out, epoch, rng in epochs(path, size, newline=""):
        out.write(f"Epoch {epoch}/{EPOCHS_PLANNED}\n")
        base = 2.0 / (epoch + 1) ** 0.3
        width = 0
        parts = []
        for step in [1, *range(EVERY, STEPS, EVERY), STEPS]:
            text, shown = _state(step, 1 - base / 3 + rng.random() / 50, base * (1 + rng.random() / 10))
            parts.append("\b" * width + "\r" + text)
            width = shown
        tail = f" - val_accuracy: {1 - base / 2.8:.4f} - val_loss: {base * 1.1:.4f} - learning_rate: 0.0010"
        text, _ = _state(STEPS, 1 - base / 3, base, tail)
        out.write("".join(parts) + "\b" * width + "\r" + text + "\n")


def single_pass(path: Path) -> int:
    count = 0
    with open(path, encoding="utf-8", newline="") as file:
        for line in file:
            for state in _ANSI.sub("", line).split("\r"):
                match = _STATE.match(state.rstrip("\b\n"))
                if match:
                    count += sum(float(value) >= 0 for value in match.groups()[2:] if value is not None)
    return count
