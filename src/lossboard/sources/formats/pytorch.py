"""The prints of the PyTorch ImageNet example (pytorch/examples imagenet/main.py) and its many
descendants: AverageMeter/ProgressMeter lines, tab-separated, each meter ``Name value (average)``::

    Epoch: [0][  10/5005]\tTime  0.335 ( 0.512)\tData  0.001 ( 0.160)\tLoss 6.9100e+00 (6.9240e+00)\tAcc@1   0.00 (  0.16)\tAcc@5   0.78 (  0.62)
    Test: [ 10/196]\tTime  0.120 ( 0.250)\tLoss 1.2e+00 (1.1e+00)\tAcc@1  70.31 ( 72.00)\tAcc@5  90.62 ( 91.00)
     * Acc@1 75.000 Acc@5 92.000

(older versions print ``Epoch: [0][10/5005]\tTime 0.335 (0.512)\tLoss 6.9 (6.9)\tPrec@1 0.000 (0.156)``
and `` * Prec@1 .. Prec@5 ..``).

* A training line -> batch-level points of the current values: ``train_batch/loss``,
  ``train_batch/accuracy`` (Acc@1, Prec@1), ``train_batch/top_k_accuracy_5``, plus
  ``perf/batch_time_s`` and ``perf/data_time_s``; step = epoch * batches + batch as printed,
  epoch = epoch + batch / batches (fractional, 0-based as printed).
* When an epoch's training ends (its last batch, its ``Test:`` block, or another epoch), the running
  averages of its last printed line -> epoch-level ``train/loss``, ``train/accuracy``, ... (the
  average over the batches up to that line; the example prints every ``print_freq`` batches).
* The `` * `` summary -> ``val/accuracy`` and ``val/top_k_accuracy_5``. Epoch-level values sit
  where their epoch ends: step (epoch + 1) * batches, epoch = the epoch as printed.
* ``Test: [..]`` lines only mark the end of training; their values are running averages over a
  part of the validation set, so they give no points. Accuracies stay in percent, as printed.
* A training line at an earlier epoch or batch than the previous one -> `Event` RESUME.
"""

from __future__ import annotations

import re

from lossboard import tags
from lossboard.model import RESUME, Event, Item, Point, Problem
from lossboard.sources.formats._lines import LineParser
from lossboard.sources.formats._numbers import NUMBER

NAME = "pytorch"

_TRAIN = re.compile(r"Epoch: \[(\d+)\]\[ *(\d+)/(\d+)\]")
_TEST = re.compile(r"Test: \[ *\d+/\d+\]")
_METER = re.compile(
    rf" *([A-Za-z][\w@.-]*(?: [A-Za-z][\w@.-]*)?) +({NUMBER}) +\( *({NUMBER}) *\) *"
)
_SUMMARY = re.compile(rf"([A-Za-z][\w@.-]*) +({NUMBER})")
_SNIFF = re.compile(
    r"Epoch: \[\d+\]\[ *\d+/\d+\]\t|Test: \[ *\d+/\d+\]\t|^ \* +(?:Acc|Prec)@1 ", re.M
)

# meters that are timings, not metrics of a split
_PERF = {"Time": "perf/batch_time_s", "Data": "perf/data_time_s"}


def sniff(head: str, filename: str) -> float:
    return 0.9 if _SNIFF.search(head) else 0.0


class Parser(LineParser):
    """Remembers the epoch being trained, so the summary after its test block can be placed."""

    def __init__(self) -> None:
        super().__init__()
        self._epoch: int | None = None
        self._batches = 0
        self._last_step = -1
        self._averages: dict[str, float] = {}  # running averages of the last training line

    def parse_lines(self, first: int, lines: list[str]) -> list[Item]:
        items: list[Item] = []
        for number_, line in enumerate(lines, first):
            if "Epoch: [" in line:
                match = _TRAIN.search(line)
                if match:
                    self._train_line(number_, line, match, items)
            elif "Test: [" in line:
                if _TEST.search(line):
                    self._end_of_training(items)
            elif line.startswith(" * "):
                self._summary(line, items)
        return items

    def _train_line(self, line_no: int, line: str, match: re.Match, items: list[Item]) -> None:
        epoch, batch, batches = int(match[1]), int(match[2]), int(match[3])
        if epoch != self._epoch:
            self._end_of_training(items)
        step = epoch * batches + batch
        if step < self._last_step:
            items.append(Event(RESUME, step, epoch + batch / batches if batches else None))
        self._epoch, self._batches, self._last_step = epoch, batches, step
        fraction = epoch + batch / batches if batches else float(epoch)
        for field in line[match.end() :].split("\t"):
            if not field.strip():
                continue
            meter = _METER.fullmatch(field)
            if meter is None:
                message = f'expected "Name value (average)", found "{field[:40]}"; skipped'
                items.append(Problem(line_no, message))
                continue
            name = meter[1]
            tag = _PERF.get(name) or tags.canonical(name, tags.BATCH)
            items.append(Point(tag, name, step, float(meter[2]), fraction))
            if name not in _PERF:
                self._averages[name] = float(meter[3])
        if batch == batches:  # the epoch's last batch: nothing more of it will be printed
            self._end_of_training(items)

    def _end_of_training(self, items: list[Item]) -> None:
        """The running averages of the last printed batch become the epoch's training values."""
        if not self._averages or self._epoch is None:
            return
        step = (self._epoch + 1) * self._batches
        epoch = float(self._epoch)
        for name, value in self._averages.items():
            items.append(Point(tags.canonical(name, tags.TRAIN), name, step, value, epoch))
        self._averages = {}

    def _summary(self, line: str, items: list[Item]) -> None:
        self._end_of_training(items)
        if self._epoch is None:  # an evaluation-only run (--evaluate)
            step, epoch = 0, None
        else:
            step, epoch = (self._epoch + 1) * self._batches, float(self._epoch)
        for name, value in _SUMMARY.findall(line[3:]):
            items.append(Point(tags.canonical(name, tags.VAL), name, step, float(value), epoch))
