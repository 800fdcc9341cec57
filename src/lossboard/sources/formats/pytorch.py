"""The prints of the PyTorch ImageNet example (pytorch/examples imagenet/main.py) and its many
descendants: AverageMeter/ProgressMeter lines, tab-separated, each meter ``Name value (average)``::

    Epoch: [0][  10/5005]\tTime  0.335 ( 0.512)\tData  0.001 ( 0.160)\tLoss 6.9100e+00 (6.9240e+00)\tAcc@1   0.00 (  0.16)\tAcc@5   0.78 (  0.62)
    Test: [ 10/196]\tTime  0.120 ( 0.250)\tLoss 1.2e+00 (1.1e+00)\tAcc@1  70.31 ( 72.00)\tAcc@5  90.62 ( 91.00)
     * Acc@1 75.000 Acc@5 92.000
    current lr 1.00000e-01

(older versions print ``Epoch: [0][10/5005]\tTime 0.335 (0.512)\tLoss 6.9 (6.9)\tPrec@1 0.000 (0.156)``
and `` * Prec@1 .. Prec@5 ..``; akamaster's CIFAR fork prints ``current lr`` before each epoch).

* A training line -> batch-level points under ``train_batch/`` (Acc@1 and Prec@1 are
  ``accuracy``, Acc@5 ``top_k_accuracy_5``) and ``perf/batch_time_s``, ``perf/data_time_s``:
  the current value printed as the meter's name (``Loss``), the running average as
  ``Loss (avg)``, two series under one label. Step = epoch * batches + batch as printed,
  epoch = epoch + batch / batches (fractional, 0-based as printed).
* A ``Test: [i/M]`` line -> the same under ``val_batch/`` (its timings under
  ``perf/val_batch_time_s``), at step epoch * M + i and epoch epoch + i / M, epoch being the
  one just trained (step i and no epoch when evaluating only).
* When an epoch's training ends (its last batch, its ``Test:`` block, another epoch), the
  running averages of its last printed line -> epoch-level ``train/loss``, ``train/accuracy``,
  ... (the average over the batches up to that line). Likewise, when its validation ends, the
  running averages of the last ``Test:`` line -> ``val/loss`` and every other metric the `` * ``
  summary does not give; the summary itself -> ``val/accuracy`` and ``val/top_k_accuracy_5``
  (over the whole validation set). Epoch-level values sit where their epoch ends: step
  (epoch + 1) * batches, epoch = the epoch as printed. Accuracies stay in percent, as printed.
* ``current lr X`` -> ``opt/lr`` at the start of the epoch that follows (step epoch * batches),
  and an ``lr_change`` event where the value differs from the one before.
* A training line at an earlier epoch or batch than the previous one -> `Event` RESUME.
* Any other line after the first training line (before it: downloads, config and model
  dumps, nothing in training yet) - a script's ``print``, a ``logging`` record, a tqdm bar -
  goes to the line pipeline of mixed output (`_pipeline.LinePipeline`), told where the example's lines are:
  their epoch, the step of the last training line, and, from a ``Test:`` line to the next
  training line, the validation split at the step where the epoch ends (where the example's
  own validation values sit). So ``val_loss: 0.31`` printed after `` * Acc@1`` is a
  ``val/loss`` point beside ``val/accuracy``.
"""

from __future__ import annotations

import re
from functools import lru_cache

import numpy as np

from lossboard import tags
from lossboard.model import LR_CHANGE, RESUME, Event, Item, Point, Problem
from lossboard.sources.formats import _pair_runs
from lossboard.sources.formats._numbers import NUMBER, bad_number
from lossboard.sources.formats._numbers import number as parse_number
from lossboard.sources.formats._pipeline import LinePipeline
from lossboard.sources.formats.sniffers.pytorch import sniff as sniff

NAME = "pytorch"

_TRAIN = re.compile(r"Epoch: \[(\d+)\]\[ *(\d+)/(\d+)\]")
_TEST = re.compile(r"Test: \[ *(\d+)/(\d+)\]")
_METER = re.compile(
    rf" *([A-Za-z][\w@.-]*(?: [A-Za-z][\w@.-]*)?) +({NUMBER}) +\( *({NUMBER}) *\) *"
)
_SUMMARY = re.compile(rf" *([A-Za-z][\w@.-]*) +({NUMBER})")
_CURRENT_LR = re.compile(r"current lr (\S+)")

# meters that are timings, not metrics of a split; a Test line's are apart from training's
_PERF = {"Time": "perf/batch_time_s", "Data": "perf/data_time_s"}
_VAL_PERF = {"Time": "perf/val_batch_time_s", "Data": "perf/val_data_time_s"}
_LR_NAME = "current lr"
_EXACT = 2**53  # steps above this do not survive a float64
_VAL_BATCH = "val_batch"


class Parser(_pair_runs.RunParser):
    """Remembers the epoch being trained and the averages not yet given as epoch values.

    Long runs of training lines and of ``Test:`` lines go through `_pair_runs` (all their
    numbers read at once, `Columns` out); ``fast=False`` reads every line on its own.
    """

    def __init__(self, *, fast: bool = True) -> None:
        super().__init__(fast=fast)
        self._epoch: int | None = None
        self._batches = 0
        self._last_step = -1
        self._train_averages: dict[str, float] = {}  # of the last training line, until its epoch ends
        self._test_averages: dict[str, float] = {}  # of the last Test line, until validation ends
        self._next_lr: tuple[float, str] | None = None  # "current lr": value, text; for the next epoch
        self._lr: float | None = None
        self._others = LinePipeline()  # the lines the example did not print

    def _one_by_one(self, first: int, lines: list[str], items: list[Item]) -> None:
        for number, line in enumerate(lines, first):
            if not self._own_line(number, line, items) and self._others.context.step is not None:
                self._others.line(number, line, items)

    def _own_line(self, number: int, line: str, items: list[Item]) -> bool:
        """Read a line the example prints; False for any other line."""
        if "Epoch: [" in line:
            match = _TRAIN.search(line)
            if match:
                self._train_line(number, line, match, items)
            return match is not None
        if "Test: [" in line:
            match = _TEST.search(line)
            if match:
                self._test_line(number, line, match, items)
            return match is not None
        if line.startswith(" * ") and _SUMMARY.match(line, 3):
            self._summary(line, items)
            return True
        if line.startswith("current lr"):
            match = _CURRENT_LR.match(line)
            if match:
                self._lr_line(number, match, items)
            return match is not None
        return False

    def finish(self) -> list[Item]:
        items: list[Item] = []
        self._end_of_validation(items)
        if self._next_lr is not None and self._epoch is not None:  # printed for an epoch never run
            self._place_lr(self._epoch + 1, items)
        self._others.finish(items)
        return items

    def _train_line(self, line_no: int, line: str, match: re.Match, items: list[Item]) -> None:
        epoch, batch, batches = int(match[1]), int(match[2]), int(match[3])
        step, fraction = self._enter_batch(epoch, batch, batches, items)
        fields = line[match.end() :]
        averages = _meter_points(line_no, fields, step, fraction, tags.BATCH, _PERF, items)
        self._train_averages.update(averages)
        if batch == batches:  # the epoch's last batch: nothing more of it will be printed
            self._end_of_training(items)

    def _enter_batch(self, epoch: int, batch: int, batches: int, items: list[Item]) -> tuple[int, float]:
        """What a training line changes before its values are read (an epoch that ends, a
        resume, an lr to place); its step and fractional epoch."""
        if epoch != self._epoch:
            self._end_of_training(items)
            self._end_of_validation(items)
        step = epoch * batches + batch
        if step < self._last_step:
            items.append(Event(RESUME, step, epoch + batch / batches if batches else None))
        self._epoch, self._batches, self._last_step = epoch, batches, step
        if self._next_lr is not None:
            self._place_lr(epoch, items)
        self._others.place(step, epoch, None)
        return step, epoch + batch / batches if batches else float(epoch)

    def _test_line(self, line_no: int, line: str, match: re.Match, items: list[Item]) -> None:
        step, fraction = self._enter_test(int(match[1]), int(match[2]), items)
        fields = line[match.end() :]
        averages = _meter_points(line_no, fields, step, fraction, _VAL_BATCH, _VAL_PERF, items)
        self._test_averages.update(averages)

    def _enter_test(self, batch: int, batches: int, items: list[Item]) -> tuple[int, float | None]:
        """What a ``Test:`` line changes before its values are read; its step and epoch."""
        self._end_of_training(items)
        epoch = self._epoch
        if epoch is None:  # an evaluation-only run: no epoch to place it in
            return batch, None
        self._others.place(self._epoch_end()[0], epoch, tags.VAL)
        return epoch * batches + batch, epoch + batch / batches if batches else float(epoch)

    # ---- fast path ---------------------------------------------------------------------------

    def _layout_of(self, line: str) -> tuple[_pair_runs.Layout, str] | None:
        """A training or ``Test:`` line's layout: its counters, then each meter's value and
        average; the text that tells the two kinds apart."""
        if "Epoch: [" in line:
            match, marker = _TRAIN.search(line), "Epoch: ["
        elif "Test: [" in line:
            match, marker = _TEST.search(line), "Test: ["
        else:
            return None
        if match is None:
            return None
        spans, names = [match.span(group) for group in range(1, match.re.groups + 1)], []
        at = match.end()
        for field in line[at:].split("\t"):
            meter = _METER.fullmatch(field) if field.strip() else None
            if meter is None and field.strip():
                return None
            if meter is not None:
                spans += [(at + meter.start(2), at + meter.end(2)), (at + meter.start(3), at + meter.end(3))]
                names += [meter[1], f"{meter[1]} (avg)"]
            at += len(field) + 1
        layout = _pair_runs.Layout.learn(line, spans, names)
        return None if layout is None else (layout, marker)

    def _run(self, layout: _pair_runs.Layout, prepared: np.ndarray, start: int, stop: int, items: list[Item]) -> bool:
        """Lines of one kind read at once, as `_train_line` or `_test_line` reads them."""
        if layout.counters == 3:
            return self._train_run(layout, prepared, start, stop, items)
        return self._test_run(layout, prepared, start, stop, items)

    def _train_run(self, layout: _pair_runs.Layout, kind: np.ndarray, start: int, stop: int, items: list[Item]) -> bool:
        """Training lines: the first changes what `_enter_batch` says, then all are blocks;
        False when the rest would do more than give values (another epoch, a resume, an
        epoch's last batch before the end)."""
        matrix = kind[start:stop]
        epochs, batches, totals = matrix[:, 0], matrix[:, 1], matrix[:, 2]
        steps = epochs * totals + batches
        if (
            (epochs != epochs[0]).any()
            or (totals != totals[0]).any()
            or totals[0] == 0
            or (np.diff(steps) < 0).any()
            or (batches[:-1] == totals[0]).any()
            or steps[-1] >= _EXACT
        ):
            return False
        epoch = int(epochs[0])
        self._enter_batch(epoch, int(batches[0]), int(totals[0]), items)
        block = steps.astype(np.int64)
        items.append(_pair_runs.Rows(kind, start, stop, _meter_columns(layout, tags.BATCH), block, epochs + batches / totals))
        last = matrix[-1].tolist()
        self._train_averages.update(
            (name, value) for name, value in zip(layout.names[::2], last[4::2]) if name not in _PERF
        )
        self._last_step = int(block[-1])
        self._others.place(self._last_step, epoch, None)
        if batches[-1] == totals[0]:  # the epoch's last batch
            self._end_of_training(items)
        return True

    def _test_run(self, layout: _pair_runs.Layout, kind: np.ndarray, start: int, stop: int, items: list[Item]) -> bool:
        """``Test:`` lines: each sets what the first sets, so that one says it for all."""
        matrix = kind[start:stop]
        batches, totals = matrix[:, 0], matrix[:, 1]
        if (totals == 0).any() or (batches.max() + (self._epoch or 0) * totals.max()) >= _EXACT:
            return False
        self._enter_test(int(batches[0]), int(totals[0]), items)
        if self._epoch is None:
            steps, fractions = batches, None
        else:
            steps, fractions = self._epoch * totals + batches, self._epoch + batches / totals
        items.append(_pair_runs.Rows(kind, start, stop, _meter_columns(layout, _VAL_BATCH), steps.astype(np.int64), fractions))
        last = matrix[-1].tolist()
        self._test_averages.update(
            (name, value) for name, value in zip(layout.names[::2], last[3::2]) if name not in _VAL_PERF
        )
        return True

    def _epoch_end(self) -> tuple[int, float | None]:
        """Step and epoch of the values that close the current epoch."""
        if self._epoch is None:  # an evaluation-only run (--evaluate)
            return 0, None
        return (self._epoch + 1) * self._batches, float(self._epoch)

    def _end_of_training(self, items: list[Item]) -> None:
        """The running averages of the last printed batch become the epoch's training values."""
        if not self._train_averages or self._epoch is None:
            return
        step, epoch = self._epoch_end()
        for name, value in self._train_averages.items():
            items.append(Point(tags.canonical(name, tags.TRAIN), name, step, value, epoch))
        self._train_averages = {}

    def _end_of_validation(self, items: list[Item], *, given: frozenset[str] = frozenset()) -> None:
        """The running averages of the last Test line become the epoch's validation values,
        except those the summary gave over the whole validation set."""
        if not self._test_averages:
            return
        step, epoch = self._epoch_end()
        for name, value in self._test_averages.items():
            if name not in given:
                items.append(Point(tags.canonical(name, tags.VAL), name, step, value, epoch))
        self._test_averages = {}

    def _summary(self, line: str, items: list[Item]) -> None:
        self._end_of_training(items)
        step, epoch = self._epoch_end()
        found = _SUMMARY.findall(line[3:])
        for name, value in found:
            items.append(Point(tags.canonical(name, tags.VAL), name, step, float(value), epoch))
        self._end_of_validation(items, given=frozenset(name for name, _ in found))

    def _lr_line(self, line_no: int, match: re.Match, items: list[Item]) -> None:
        value = parse_number(match[1])
        if value is None:
            items.append(bad_number(line_no, _LR_NAME, match[1]))
        else:
            self._next_lr = (value, match[1])

    def _place_lr(self, epoch: int, items: list[Item]) -> None:
        """The lr printed before ``epoch``, at its start; a change is also an event."""
        value, text = self._next_lr
        self._next_lr = None
        step = epoch * self._batches
        items.append(Point("opt/lr", _LR_NAME, step, value, float(epoch)))
        if self._lr is not None and value != self._lr:
            items.append(Event(LR_CHANGE, step, float(epoch), None, f"{_LR_NAME} {text}"))
        self._lr = value


def _meter_columns(layout: _pair_runs.Layout, split: str) -> tuple[tuple[int, str, str], ...]:
    """(column, tag, name) of each value and average of a layout's lines, as `_meter_points`
    tags them (a ``Test:`` line's timings apart)."""
    return _meter_tags(layout.names, layout.counters, split)


@lru_cache(maxsize=64)
def _meter_tags(names: tuple[str, ...], counters: int, split: str) -> tuple[tuple[int, str, str], ...]:
    perf = _VAL_PERF if split == _VAL_BATCH else _PERF
    return tuple(
        (column, perf.get(meter) or tags.canonical(meter, split), name)
        for column, name in enumerate(names, counters)
        for meter in [name.removesuffix(" (avg)")]
    )


def _meter_points(
    line_no: int, fields: str, step: int, epoch: float | None, split: str, perf: dict, items: list[Item]
) -> dict[str, float]:
    """Two points per ``Name value (average)`` field of a line, the value as ``Name`` and the
    average as ``Name (avg)``, timings under their ``perf`` tag; returns the metrics' averages."""
    averages = {}
    for field in fields.split("\t"):
        if not field.strip():
            continue
        meter = _METER.fullmatch(field)
        if meter is None:
            message = f'expected "Name value (average)", found "{field[:40]}"; skipped'
            items.append(Problem(line_no, message))
            continue
        name, average = meter[1], float(meter[3])
        tag = perf.get(name) or tags.canonical(name, split)
        items.append(Point(tag, name, step, float(meter[2]), epoch))
        items.append(Point(tag, f"{name} (avg)", step, average, epoch))
        if name not in perf:
            averages[name] = average
    return averages
