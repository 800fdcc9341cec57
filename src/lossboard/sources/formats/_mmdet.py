"""What OpenMMLab's names mean and where its values sit, shared by its JSON and text logs.

mmdetection (and every OpenMMLab trainer, mmcv or mmengine) counts ``iter`` inside the epoch
(``Epoch [2][50/7330]``), so one run's steps are global iterations
``(epoch - 1) * iterations_per_epoch + iter``, like an iteration-based run's. The epoch length
is printed in text logs; a 2.x ``*.log.json`` only reveals it in the validation line (its
``iter`` is the length of the train epoch just finished), so until then the largest ``iter``
logged stands in for it: steps stay distinct and in order, and the fractional epoch is given
only once the length is known.

`TextParser` reads both text logs, mmcv's TextLoggerHook lines (``name: value`` after a tab,
``, ``-separated) and mmengine's LoggerHook lines (two spaces between pairs, one between the
learning rates, names with spaces such as ``coco/AP (M)``); the two format modules differ only
in what they sniff.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from functools import lru_cache

from lossboard import tags
from lossboard.model import CHECKPOINT, RESUME, Event, Item, Point
from lossboard.sources.formats import _coco
from lossboard.sources.formats._lines import LineParser
from lossboard.sources.formats._numbers import bad_number
from lossboard.sources.formats._pipeline import LinePipeline

# position keys: where a value is, not a value
POSITION = frozenset(("mode", "epoch", "iter", "step"))
_PERF = {"time": "perf/time_s", "data_time": "perf/data_time_s", "memory": "perf/memory_mb"}

# kind, mode, epoch, iter, total: "Epoch [1][50/7330]", "Epoch(val) [1][7330]",
# "Epoch(train)  [1][  50/7330]", "Iter [50/90000]", "Iter(val) [625/625]"
HEAD = re.compile(
    r"\b(Epoch|Iter)(?:\((train|val|test)\))?\s*(?:\[\s*(\d+)\])?\s*\[\s*(\d+)(?:/(\d+))?\]\s"
)
# a name starts with a letter and may hold single spaces ("coco/AP .5", "coco/AP (M)"); a value
# ends at a space or a comma, so eta's "1 day, 2:03:04" gives "eta: 1" and nothing else
PAIR = re.compile(r"([A-Za-z_][^\s:,]*(?: [^\s:,]+)*): ([^\s,]+)")
# the logging prefix: "2023/03/01 12:00:00 - mmengine - INFO - ", "2021-03-04 12:00:00,123 - mmdet"
_STAMP = re.compile(r"(\d{4})[-/](\d\d)[-/](\d\d) (\d\d):(\d\d):(\d\d)")
_SPLITS = {None: tags.TRAIN, "train": tags.TRAIN, "val": tags.VAL, "test": tags.TEST}
_COPYPASTE = "_copypaste: "  # mmdet's line of the numbers the summary gives
# CheckpointHook: "Saving checkpoint at 5 epochs", "Saving checkpoint at 5000 iterations"
_CHECKPOINT = re.compile(r"Saving checkpoint at (\d+) (epochs|iterations)")


@lru_cache(maxsize=4096)  # called for every pair of every line, with a few dozen names
def tag_of(name: str, split: str) -> str | None:
    """``loss_cls`` -> ``train/loss_cls``, ``coco/bbox_mAP`` -> ``val/coco/bbox_mAP``,
    ``accuracy/top5`` -> ``val/top_k_accuracy_5``.

    None for what is not a training value: ``eta``, the ``bbox_mAP_copypaste`` string, and
    the timings of the validation loop.
    """
    if name == "eta" or name.endswith("_copypaste"):
        return None
    perf = _PERF.get(name)
    if perf is not None:
        return perf if split == tags.TRAIN else None
    if name.endswith("lr"):  # lr, base_lr, and per-group rates such as backbone.lr
        return "opt/lr" if name == "lr" else f"opt/{name}"
    if name.startswith("accuracy/"):  # mmpretrain's accuracy/top1, accuracy/top5: rank-1, rank-5
        return tags.canonical(name.removeprefix("accuracy/"), split)
    return tags.canonical(name, split)


def sniff_heads(head: str, is_ours: Callable[[re.Match], bool]) -> float:
    """Confidence from the heads ``is_ours`` accepts that are followed by a ``name: value``."""
    if "Epoch" not in head and "Iter" not in head:  # cheap test before the regex
        return 0.0
    hits = sum(
        1
        for match in HEAD.finditer(head)
        if is_ours(match) and ": " in head[match.end() : match.end() + 80]
    )
    return 0.0 if not hits else 0.9 if hits > 1 else 0.8


def find_head(line: str) -> re.Match | None:
    """The ``Epoch(...) [e][i/N]`` head of a logged line, if it has one.

    A mode in parentheses or an ``iter/total`` is required: MXNet's ``Epoch[0] Batch [50]``
    has neither.
    """
    match = HEAD.search(line)
    return match if match and (match[2] is not None or match[5] is not None) else None


class Clock:
    """Turns (epoch, iter within it) into a global step; see the module docstring."""

    def __init__(self) -> None:
        self.length = 0  # train iterations per epoch, 0 while unknown
        self.exact = False  # length was printed, not guessed from the iters seen
        self.last = 0  # the last train step given

    def learn(self, length: int) -> None:
        """A printed epoch length (a text log's ``/7330``, a 2.x validation ``iter``)."""
        self.length, self.exact = max(self.length, length), True

    def train(self, epoch: int | None, it: int) -> tuple[int, float | None, bool]:
        """Step, fractional epoch and whether training went back (a resume) for a train line."""
        if epoch is None:
            step, fraction = it, None
        else:
            self.length = max(self.length, it)
            step = (epoch - 1) * self.length + it
            fraction = epoch - 1 + it / self.length if self.exact else None
        resumed = step < self.last
        self.last = step
        return step, fraction, resumed

    def after_epoch(self, epoch: int) -> int:
        """Where validation after ``epoch`` sits: the end of that epoch."""
        return epoch * self.length if self.length else self.last


class TextParser(LineParser):
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

    def __init__(self) -> None:
        super().__init__()
        self._clock = Clock()
        self._stamp = ("", None)  # the last prefix time read and its wall time
        self._others = LinePipeline()  # the lines OpenMMLab's logger did not print

    def parse_lines(self, first: int, lines: list[str]) -> list[Item]:
        items: list[Item] = []
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
        return items

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
        split = _SPLITS[mode]
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
