"""Hugging Face Trainer console output: the logged dicts printed between tqdm bars.

What it looks like (transformers 5.x prints values as strings, older versions as numbers;
the ``\\r``-redrawn bar and the dict share one physical line)::

    \\r 20%|##        | 6/30 [00:00<00:00, 68.11it/s]\\r{'loss': '0.5075', 'grad_norm': '1.138', 'learning_rate': '0.003833', 'epoch': '0.8'}
    {'eval_loss': '0.4276', 'eval_accuracy': '0.9375', 'eval_runtime': '0.0047', 'epoch': '1'}
    {'train_runtime': '0.3163', 'train_samples_per_second': '379.4', 'train_loss': '0.4169', 'epoch': '3'}

Steps: stdout never prints the global step, and ``logging_steps`` is not printed either, so
the step is the *number of the train log entry* (1, 2, 3...), not the optimizer step; an eval
entry sits at the step of the train entry before it (0 before any). The epoch is printed
and kept. When the epoch goes backwards (a resume from a checkpoint printed into the same
file) the count goes back to the first earlier entry at or after that epoch and an
`Event(RESUME)` is emitted there. What each name becomes is in `_hf`; the dicts are read with
a regex (never ``eval``), which also accepts ``nan``, ``inf`` and ``np.float64(0.5)``.
"""

from __future__ import annotations

import re
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
    """Counts train entries to give every entry a step; see the module docstring."""

    raw_lines = True  # the dict is one of the redraw states of a tqdm line

    def __init__(self) -> None:
        super().__init__()
        self._epochs: list[float] = []  # epoch of each train entry so far, index = step - 1

    def parse_lines(self, first: int, lines: list[str]) -> list[Item]:
        items: list[Item] = []
        for number, line in enumerate(lines, first):
            if "{'" not in line:  # cheap test first: most lines are bars or prints
                continue
            for state in redraws(line):
                for match in _DICT.finditer(state):
                    entry = read_dict(match[0])
                    if _is_trainer_log(entry):
                        items.extend(self._entry(number, entry))
        return items

    def _entry(self, number: int, entry: dict[str, str]) -> list[Item]:
        epoch = _hf.epoch_of(entry)
        if "epoch" in entry and epoch is None:
            return [not_a_number(number, "epoch", entry["epoch"])]
        items: list[Item] = []
        if _hf.is_summary(entry) or _is_eval(entry):
            step = len(self._epochs)
        else:
            last = self._epochs[-1] if self._epochs else 0.0
            if epoch is not None and epoch < last:
                del self._epochs[bisect_left(self._epochs, epoch) :]
                items.append(Event(RESUME, len(self._epochs) + 1, epoch))
            self._epochs.append(last if epoch is None else epoch)
            step = len(self._epochs)
        items.extend(_hf.entry_items(entry, step, epoch, number))
        return items
