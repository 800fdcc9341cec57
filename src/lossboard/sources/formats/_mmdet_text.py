"""mmcv and mmengine text logs: one head and its ``name: value`` pairs per logged line.

The two formats (``mmdet-log``: mmcv's TextLoggerHook, ``name: value`` after a tab,
``, ``-separated; ``mmengine-log``: mmengine's LoggerHook, two spaces between pairs, one
between the learning rates, names with spaces such as ``coco/AP (M)``) differ only in what they
sniff; `TextParser` reads both. Names, heads and steps are `_mmdet`'s.

Long runs of training lines go through `_pair_runs` (a layout learned from one line, all the
numbers of a run read at once, `Columns` out); ``TextParser(fast=False)`` reads every line on
its own, and any run that does not fit exactly is read that way too.
"""

from __future__ import annotations

import re
import time

import numpy as np

from lossboard import tags
from lossboard.model import CHECKPOINT, RESUME, Columns, Event, Item, Point
from lossboard.sources.formats import _coco, _pair_runs
from lossboard.sources.formats._mmdet import PAIR, SPLITS, Clock, find_head, tag_of
from lossboard.sources.formats._numbers import bad_number
from lossboard.sources.formats._pipeline import LinePipeline

# the logging prefix: "2023/03/01 12:00:00 - mmengine - INFO - ", "2021-03-04 12:00:00,123 - mmdet"
_STAMP = re.compile(r"(\d{4})[-/](\d\d)[-/](\d\d) (\d\d):(\d\d):(\d\d)")
_ETA = re.compile(_pair_runs.ETA)
_COPYPASTE = "_copypaste: "  # mmdet's line of the numbers the summary gives
# CheckpointHook: "Saving checkpoint at 5 epochs", "Saving checkpoint at 5000 iterations"
_CHECKPOINT = re.compile(r"Saving checkpoint at (\d+) (epochs|iterations)")
_EXACT = 2**53  # counters above this do not survive a float64


class TextParser(_pair_runs.RunParser):
    """mmcv and mmengine text logs: one head and its ``name: value`` pairs per line.

    Validation progress lines (``Epoch(val) [1][ 5/28]`` with only timings) give nothing,
    and neither does mmdet's ``bbox_mAP_copypaste`` line, which has no head (nor the COCO
    summary pycocotools prints: the same numbers). A value of -1 (COCO's "not applicable")
    is kept as the value it is. ``Saving checkpoint at 5 epochs`` is a checkpoint event at
    the end of that epoch.

    Every other line after the first logged one (before it: the environment and config dump)
    - a script's ``print``, a ``logging`` record, a tqdm bar - goes to the line pipeline of
    mixed output, told the epoch, step and split of the last logged line: a
    ``print`` after a validation summary is read at the end of that epoch, as the summary is.
    """

    def __init__(self, *, fast: bool = True) -> None:
        super().__init__(fast=fast)
        self._clock = Clock()
        self._stamp = ("", None)  # the last prefix time read and its wall time
        self._others = LinePipeline()  # the lines OpenMMLab's logger did not print

    def _one_by_one(self, first: int, lines: list[str], items: list[Item]) -> None:
        for number, line in enumerate(lines, first):
            if "Epoch" in line or "Iter" in line:  # cheap test before the regex
                head = find_head(line)
                if head is not None:
                    items.extend(self._line(number, head, line))
                    continue
            elif "Saving checkpoint" in line:
                items.extend(self._checkpoint(line))
                continue
            if self._others.context.step is None:  # the environment and config dump
                continue
            if _COPYPASTE not in line and _coco.SUMMARY.match(line) is None:
                self._others.line(number, line, items)

    # ---- fast path ---------------------------------------------------------------------------

    def _layout_of(self, line: str) -> tuple[_pair_runs.Layout, str] | None:
        if "Epoch" not in line and "Iter" not in line:
            return None
        head = find_head(line)
        return None if head is None else _learn_layout(line, head)

    def _run(self, first: int, lines: list[str], items: list[Item]) -> bool:
        """Read consecutive training lines at once, as `_line` reads them one by one; False
        (and nothing changed) when they do not all fit the layout or training went back."""
        layout = self._layout
        read = layout.read(lines)
        if read is None:
            return False
        stamps, matrix = read
        counters = matrix[:, : layout.counters]
        if counters.max() >= _EXACT:
            return False
        clock = self._clock
        if layout.counters == 3:  # Epoch [e][i/N]: learn(N), then the step in the epoch
            epochs, its, totals = counters.T
            lengths = np.maximum.accumulate(np.maximum(np.maximum(totals, its), clock.length))
            steps = (epochs - 1) * lengths + its
            fractions: np.ndarray | None = epochs - 1 + its / lengths
        else:  # Iter [i/N]: the step is i
            epochs, its = None, counters[:, 0]
            steps, fractions = its, None
        if steps[0] < clock.last or (np.diff(steps) < 0).any():
            return False  # a resume: its event goes between the lines
        walls = None
        if stamps is not None:
            table = {stamp: self._wall_time(stamp) for stamp in dict.fromkeys(stamps)}
            if None in table.values():
                return False
            walls = np.array([table[stamp] for stamp in stamps], dtype=np.float64)
        if epochs is not None:
            clock.length, clock.exact = int(lengths[-1]), True
        clock.last = int(steps[-1])
        steps = steps.astype(np.int64)
        for column, name in enumerate(layout.names, layout.counters):
            tag = tag_of(name, tags.TRAIN)
            if tag is not None:
                items.append(Columns(tag, name, steps, matrix[:, column], fractions, walls))
        if epochs is not None:
            self._tell_others(int(epochs[0]), int(steps[0]), None)  # the first epoch sets the base
        self._tell_others(None if epochs is None else int(epochs[-1]), int(steps[-1]), None)
        return True

    def finish(self) -> list[Item]:
        items: list[Item] = []
        self._others.finish(items)
        return items

    def _checkpoint(self, line: str) -> list[Item]:
        match = _CHECKPOINT.search(line)
        if match is None:
            return []
        count = int(match[1])
        if match[2] == "epochs":
            step, epoch = self._clock.after_epoch(count), float(count)
        else:
            step, epoch = count, None
        return [Event(CHECKPOINT, step, epoch, self._wall_time(line[: match.start()]), match[0])]

    def _line(self, number: int, head: re.Match, line: str) -> list[Item]:
        kind, mode, epoch_text, it_text, total_text = head.groups()
        split = SPLITS[mode]
        epoch = int(epoch_text) if epoch_text else None
        it = int(it_text)
        wall = self._wall_time(line[: head.start()])
        items: list[Item] = []
        if split == tags.TRAIN:
            if total_text and epoch is not None:
                self._clock.learn(int(total_text))
            step, fraction, resumed = self._clock.train(epoch, it)
            if resumed:
                items.append(Event(RESUME, step, fraction, wall))
        elif epoch is not None:  # validation after an epoch
            if total_text is None:  # 2.x prints the train epoch's length here
                self._clock.learn(it)
            step, fraction = self._clock.after_epoch(epoch), float(epoch)
        else:  # iteration-based validation, or a test run
            step = it if kind == "Iter" and total_text is None else self._clock.last
            fraction = None
        self._tell_others(epoch, step, None if split == tags.TRAIN else split)
        for name, text in PAIR.findall(line, head.end()):
            tag = tag_of(name, split)
            if tag is None:
                continue
            try:
                items.append(Point(tag, name, step, float(text), fraction, wall))
            except ValueError:
                items.append(bad_number(number, f"{name}: ", text))
        return items

    def _tell_others(self, epoch: int | None, step: int, split: str | None) -> None:
        """Where the logged lines are, for the lines the logger did not print."""
        others = self._others
        context = others.context
        if epoch is not None and epoch != context.epoch:
            context.see_epoch(epoch)
        context.step, context.split = step, split
        others.progress.train_step = step
        others.progress.train_epoch = None if epoch is None else float(epoch)

    def _wall_time(self, prefix: str) -> float | None:
        """The logging prefix's time as seconds since the epoch, read as local time."""
        match = _STAMP.search(prefix)
        if match is None:
            return None
        if match[0] != self._stamp[0]:  # a log prints many lines per second
            fields = tuple(int(part) for part in match.groups())
            try:
                self._stamp = (match[0], time.mktime(fields + (0, 0, -1)))
            except (OverflowError, ValueError):  # a date no clock can hold
                self._stamp = (match[0], None)
        return self._stamp[1]


def _learn_layout(line: str, head: re.Match) -> tuple[_pair_runs.Layout, str] | None:
    """The layout of a training line and the text of its head (``Epoch(train)``), or None for
    a line of another split, without a printed length, or with an ETA of another shape."""
    kind, mode, epoch, _, total = head.groups()
    if mode not in (None, "train") or total is None:
        return None
    prefix = line[: head.start()]
    stamp = _STAMP.search(prefix)
    if stamp is None:
        pattern = _pair_runs.loose(prefix)
    else:
        before, after = prefix[: stamp.start()], prefix[stamp.end() :]
        pattern = _pair_runs.loose(before) + _pair_runs.STAMP + _pair_runs.loose(after)
    marker = kind + (f"({mode})" if mode else "")
    pattern += re.escape(marker) + (r"\s*\[\s*(\d+)\]" if epoch else "") + r"\s*\[\s*(\d+)/(\d+)\]"
    at = line.index("]", head.start(5)) + 1
    names = []
    for pair in PAIR.finditer(line, head.end()):
        pattern += re.escape(line[at : pair.start(2)])
        if pair[1] == "eta":
            eta = _ETA.match(line, pair.start(2))
            if eta is None:
                return None
            pattern += _pair_runs.ETA
            at = eta.end()
        else:
            pattern += r"([^\s,]+)"
            names.append(pair[1])
            at = pair.end()
    pattern += re.escape(line[at:].rstrip()) + r"[ \t]*$"
    counters = 3 if epoch else 2
    return _pair_runs.Layout("^" + pattern, stamp is not None, counters, tuple(names)), marker
