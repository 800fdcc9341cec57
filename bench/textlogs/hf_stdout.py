"""A Hugging Face Trainer's console (transformers 5, stdout and stderr to one file): tqdm's
training bar redrawn with ``\\r``, a dict every 10 steps printed by ``tqdm.write`` (the bar
cleared, the dict, the bar redrawn), an evaluation bar and its dict at each epoch's end; the
shape of tests/sources/data/hf/two_trains_pipe.log, with values as strings of 4 digits."""

from __future__ import annotations

import re
from pathlib import Path

from textlogs import epochs

FORMAT = "hf-stdout"
GREP = "'epoch'"
STEPS_PER_EPOCH, LOGGING_STEPS, EVAL_BATCHES = 1000, 10, 20
WIDTH = 120

# the user's script: the dicts, then every name: 'value' pair in them
_DICT = re.compile(r"\{'(?:loss|eval_loss|train_runtime)'[^{}]*\}")
_PAIR = re.compile(r"'([^']+)': '([^']*)'")


def _bar(n: int, total: int, rate: float) -> str:
    pct = n * 100 // total
    filled = "█" * (pct * 60 // 100)
    return f"{pct:3d}%|{filled:<60}| {n}/{total} [00:{n // 60 % 60:02d}<01:23, {rate:5.2f}it/s]"


def write(path: Path, size: int) -> None:
    clear = "\r" + " " * WIDTH + "\r"
    total = STEPS_PER_EPOCH * 10_000  # never reached: the file ends at ``size``
    step, loss = 0, 2.5
    for out, _, rng in epochs(path, size, newline=""):
        for _ in range(STEPS_PER_EPOCH // LOGGING_STEPS):
            states = []
            for _ in range(LOGGING_STEPS // 4):  # a redraw every 4 steps (tqdm's mininterval)
                step += 4
                states.append(_bar(step, total, 20 + rng.random()))
            step += LOGGING_STEPS % 4
            loss *= 0.999
            epoch = step / STEPS_PER_EPOCH
            entry = (f"{{'loss': '{loss * (1 + rng.random() / 20):.4g}', 'grad_norm': '{rng.random() * 3:.4g}', "
                     f"'learning_rate': '{5e-5 * (1 - epoch / 10):.4g}', 'epoch': '{epoch:.4g}'}}")
            out.write("\r" + "\r".join(states) + clear + entry + "\n")
        evals = "\r".join(_bar(n, EVAL_BATCHES, 80 + rng.random()) for n in range(0, EVAL_BATCHES + 1, 5))
        out.write("\r" + _bar(step, total, 20.0) + "\n\r" + evals + "\x1b[A" + clear + "\x1b[A"
                  f"{{'eval_loss': '{loss * 1.1:.4g}', 'eval_accuracy': '{1 - loss / 4:.4g}', "
                  f"'eval_runtime': '{rng.random() * 9:.4g}', 'eval_samples_per_second': '{rng.random() * 400:.4g}', "
                  f"'eval_steps_per_second': '{rng.random() * 50:.4g}', 'epoch': '{epoch:.4g}'}}\n")


def single_pass(path: Path) -> int:
    count = 0
    with open(path, encoding="utf-8", newline="") as file:
        for line in file:
            if "{'" not in line:
                continue
            for entry in _DICT.findall(line):
                for name, value in _PAIR.findall(entry):
                    if name != "epoch":
                        count += float(value) >= 0 or True
    return count
