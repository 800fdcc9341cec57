"""The fallback: generic ``key=value`` / ``key: value`` prints with a counter on the same line.

    epoch=3 step=1200 loss=0.412 lr=1e-3
    Epoch 3 | step 1200 | loss: 0.412 | acc: 0.9
    Epoch [1/10], Step [100/600], Loss: 0.2153

The rules, kept few so the result is predictable:

* A line counts only if it has a counter: ``epoch``/``ep`` or ``step``/``global_step``/``iter``/
  ``iteration`` (any case) followed by ``=``, ``:`` or a space and an integer, optionally in
  brackets and with a ``/total``. ``Epoch[3]`` (no separator) is MXNet's, not ours. A counter on
  an earlier line is not carried over, and ``batch N`` is not a counter.
* A metric is ``name=value`` or ``name: value`` with a number (``nan``/``inf`` included, a
  trailing ``%`` dropped); the name may be one word or a split word and one word
  (``Train Loss: 0.4`` -> ``train/loss``); a closing bracket after the value is dropped too.
  Values that are not numbers are skipped, except for
  names that say loss, acc or lr, which give a `Problem`. ``iter 100: loss 0.25`` (no separator
  after ``loss``) gives nothing.
* With a step counter the metrics are per step: batch-level (``train_batch/loss``; ``val_loss``
  stays ``val/loss``), step = the counter; ``Step [100/600]`` next to ``Epoch [1/10]`` counts
  within the epoch, so step = epoch * 600 + 100 and epoch = epoch + 100/600, both as printed.
* With only an epoch counter the metrics are epoch-level (``train/loss``), at step = the last
  step counter seen in the file, or the epoch when there was none.
* A step lower than the previous one -> `Event` RESUME.

Detection is modest on purpose (at most 0.5, and 0 when another format's signature is in the
head) so that every specific format wins over this one.
"""

from __future__ import annotations

import re

from lossboard import tags
from lossboard.model import RESUME, Event, Item, Point
from lossboard.sources.formats._lines import LineParser
from lossboard.sources.formats._numbers import bad_number, number

NAME = "keyvalue"

_COUNTER = re.compile(
    r"(?<![\w./-])(epoch|ep|global_step|step|iteration|iter)"
    r"(?:\s*[=:]\s*|\s+)\[?(\d+)(?:/(\d+))?\]?(?![\w.])",
    re.I,
)
_PAIR = re.compile(
    r"(?<![\w./@-])((?:(?:train|training|val|valid|validation|test|eval)\s+)?[A-Za-z_][\w./@-]*)"
    r"\s*([=:])\s*([^\s,;|]+)",
    re.I,
)
_COUNTER_NAMES = {"epoch", "ep", "global_step", "step", "iteration", "iter", "steps", "batch"}
_STEP_NAMES = {"global_step", "step", "iteration", "iter"}
_MUST_BE_NUMBER = re.compile(r"loss|acc|^lr$", re.I)
# signatures of the specific formats, any of which makes this fallback step aside
_OTHER_FORMATS = re.compile(
    r"^[IWEF]\d{4} \d\d:\d\d:\d\d\.\d+ |Epoch\[\d+\]|Iter\[\d+\]|Batch \[\d+|\[Epoch \d+\]"
    r"|Epoch: \[\d+\]\[|Epoch \[\d+\]\[\d+/\d+\]|Epoch\(\w+\)|Iter \[\d+/\d+\]|d2\.utils\.events"
    r"|\d%\||^\{['\"]",
    re.M,
)


def _value(raw: str) -> float | None:
    """The number of a printed value, a closing bracket and a percent sign dropped."""
    return number(raw.rstrip(")]}").removesuffix("%"))


def _metrics(line: str) -> list[tuple[str, str, str]]:
    """(name, separator, raw value) of every pair on the line that is not a counter."""
    return [pair for pair in _PAIR.findall(line) if pair[0].lower() not in _COUNTER_NAMES]


def sniff(head: str, filename: str) -> float:
    """0.5 when at least three lines have a counter and a numeric metric, 0.3 for two."""
    if _OTHER_FORMATS.search(head):
        return 0.0
    hits = 0
    for line in head.splitlines()[:200]:
        if ("=" in line or ":" in line) and _COUNTER.search(line):
            hits += any(_value(raw) is not None for _, _, raw in _metrics(line))
    return 0.5 if hits >= 3 else 0.3 if hits == 2 else 0.0


class Parser(LineParser):
    """Remembers the last step counter (for epoch-only lines) and the last step (for restarts)."""

    def __init__(self) -> None:
        super().__init__()
        self._counted_step: int | None = None  # the last value of a step counter
        self._last_step: int | None = None  # the step of the last line with metrics

    def parse_lines(self, first: int, lines: list[str]) -> list[Item]:
        items: list[Item] = []
        for line_no, line in enumerate(lines, first):
            if "=" not in line and ":" not in line:
                continue
            counters = {m[1].lower(): (int(m[2]), m[3]) for m in _COUNTER.finditer(line)}
            if counters:
                self._line(line_no, line, counters, items)
        return items

    def _line(self, line_no: int, line: str, counters: dict, items: list[Item]) -> None:
        epoch_counter = counters.get("epoch") or counters.get("ep")
        epoch = float(epoch_counter[0]) if epoch_counter else None
        step_counter = next((counters[name] for name in _STEP_NAMES if name in counters), None)
        if step_counter is not None:
            step, per_epoch = step_counter[0], step_counter[1]
            if per_epoch and int(per_epoch) and epoch is not None:
                step, epoch = int(epoch) * int(per_epoch) + step, epoch + step / int(per_epoch)
            split = tags.BATCH
        elif epoch is not None:
            step = self._counted_step if self._counted_step is not None else int(epoch)
            split = tags.TRAIN
        else:
            return
        found = False
        for name, separator, raw in _metrics(line):
            value = _value(raw)
            if value is None:
                if _MUST_BE_NUMBER.search(name):
                    items.append(bad_number(line_no, f"{name}{separator}", raw))
                continue
            if not found:
                found = True
                if self._last_step is not None and step < self._last_step:
                    text = f"step {step} after {self._last_step}"
                    items.append(Event(RESUME, step, epoch, None, text))
                self._last_step = step
                if split == tags.BATCH:
                    self._counted_step = step
            tag = tags.canonical("_".join(name.split()), split)
            items.append(Point(tag, name, step, value, epoch))
