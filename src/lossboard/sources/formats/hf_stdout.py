"""Hugging Face Trainer console output: the logged dicts printed between tqdm bars.

What it looks like (transformers 5.x prints values as strings, older versions as numbers;
the ``\\r``-redrawn bar and the dict share one physical line; LLaMA-Factory puts a logging
prefix before the dict)::

    \\r 20%|##        | 6/30 [00:00<00:00, 68.11it/s]\\r{'loss': '0.5075', 'grad_norm': '1.138', 'learning_rate': '0.003833', 'epoch': '0.8'}
    {'eval_loss': '0.4276', 'eval_accuracy': '0.9375', 'eval_runtime': '0.0047', 'epoch': '1'}
    [INFO|2024-11-26 22:09:01] logging.py:157 >> {'loss': 2.2818, 'learning_rate': 2.5000e-06, 'epoch': 0.29}
    {'train_runtime': '0.3163', 'train_samples_per_second': '379.4', 'train_loss': '0.4169', 'epoch': '3'}

Steps: stdout never prints the global step, and ``logging_steps`` is not printed either, so
the step is the *number of the Trainer dict* in the file (1, 2, 3...; train, eval and
summary dicts alike), not the optimizer step: every dict gets a step of its own, so two
evaluations between two train logs stay two points. The epoch is printed and kept.

Restarts: when the epoch goes backwards before the Trainer printed its summary (a resume
from a checkpoint printed into the same file), the count goes back to the first dict at or
after that epoch and an `Event(RESUME)` there lets what follows win. A dict that goes back
*after* a summary starts another ``train()`` call (fine-tuning after pre-training, a second
model): its dicts continue the count after the first call's, so both trainings are kept one
after the other, and an `Event(RESUME)` marks where the second one starts without dropping
anything (x = epoch overlays them, x = step shows them in order). An evaluation after the
summary at the same epoch (``trainer.evaluate()``) is just one more dict.

Not Trainer logs: dicts without an epoch or ``eval_`` names (a dataset sample), and dicts
behind ``=`` or ``(`` (``eval_results= {...}``, ``TrainOutput(..., metrics={...})``), which
echo values already printed. What each name becomes is in `_hf`; the dicts are read with a
regex (never ``eval``), which also accepts ``nan``, ``inf`` and ``np.float64(0.5)``.
"""

from __future__ import annotations

import re
from array import array
from bisect import bisect_left

from lossboard.model import RESUME, Event, Item
from lossboard.sources.formats import _hf
from lossboard.sources.formats._jsonlines import not_a_number
from lossboard.sources.formats._lines import LineParser, redraws

NAME = "hf-stdout"

# one flat printed dict whose first key is a quoted name
_DICT = re.compile(r"\{'[A-Za-z_][^'{}]*': [^{}]*\}")
_PAIR = re.compile(r"'([^']*)': (?:'([^']*)'|np\.float\d+\(([^()]*)\)|([^,}]*))")
_SNIFF = re.compile(r"\{'(?:loss|eval_\w+|train_runtime)': .*'epoch': ")
_ECHO = re.compile(r"[=(]\s*$")  # "eval_results= {", "metrics={": a value shown again


def sniff(head: str, filename: str) -> float:
    return 0.9 if _SNIFF.search(head) else 0.0


def read_dict(text: str) -> dict[str, str]:
    """``{'loss': '0.5', 'epoch': 1.0}`` -> ``{"loss": "0.5", "epoch": "1.0"}``, values as text."""
    return {m[1]: m[2] if m[2] is not None else m[3] if m[3] is not None else m[4].strip()
            for m in _PAIR.finditer(text)}


def _is_eval(entry: dict[str, str]) -> bool:
    return any(name.startswith("eval_") for name in entry)


def _is_trainer_log(entry: dict[str, str]) -> bool:
    """Trainer dicts carry an epoch or eval_ names; other dicts a script printed do not."""
    return "epoch" in entry or _is_eval(entry)


class Parser(LineParser):
    """Numbers the Trainer's dicts to give each one a step; see the module docstring."""

    raw_lines = True  # the dict is one of the redraw states of a tqdm line

    def __init__(self) -> None:
        super().__init__()
        self._epochs = array("d")  # epoch of each dict so far, index = step - 1; 8 bytes each
        self._start = 0  # index of the first dict of the current train() call
        self._finished_at: float | None = None  # epoch of the current call's summary

    def parse_lines(self, first: int, lines: list[str]) -> list[Item]:
        items: list[Item] = []
        for number, line in enumerate(lines, first):
            if "{'" not in line:  # cheap test first: most lines are bars or prints
                continue
            for state in redraws(line):
                for match in _DICT.finditer(state):
                    if _ECHO.search(state, 0, match.start()):
                        continue
                    entry = read_dict(match[0])
                    if _is_trainer_log(entry):
                        items.extend(self._entry(number, entry))
        return items

    def _entry(self, number: int, entry: dict[str, str]) -> list[Item]:
        epoch = _hf.epoch_of(entry)
        if "epoch" in entry and epoch is None:
            return [not_a_number(number, "epoch", entry["epoch"])]
        items: list[Item] = []
        last = self._epochs[-1] if len(self._epochs) > self._start else 0.0
        if epoch is not None and epoch < last:
            items.append(self._restart(epoch))
        self._epochs.append(last if epoch is None else epoch)
        step = len(self._epochs)
        if _hf.is_summary(entry):
            self._finished_at = self._epochs[-1]
        items.extend(_hf.entry_items(entry, step, epoch, number))
        return items

    def _restart(self, epoch: float) -> Event:
        """The epoch went back: another train() call, or a resume inside this one."""
        if self._finished_at is not None:
            self._start, self._finished_at = len(self._epochs), None
            return Event(RESUME, len(self._epochs) + 1, None, None, "train() called again")
        del self._epochs[bisect_left(self._epochs, epoch, lo=self._start) :]
        # the epoch decides what a resume drops, unless an earlier train() call's dicts
        # would fall under it too; then the step does
        at_epoch = epoch if self._start == 0 else None
        return Event(RESUME, len(self._epochs) + 1, at_epoch, None, f"epoch back to {epoch:g}")
