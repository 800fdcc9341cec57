"""mmdetection text logs: mmcv (mmdet 2.x) and mmengine (mmdet 3.x) LoggerHook lines.

What they look like::

    2021-03-04 12:00:00,123 - mmdet - INFO - Epoch [1][50/7330]\tlr: 1.978e-03, eta: 1 day, 2:03:04, time: 0.550, data_time: 0.050, memory: 3000, loss_cls: 1.1000, loss: 1.7000
    2021-03-04 13:10:00,456 - mmdet - INFO - Epoch(val) [1][7330]\tbbox_mAP: 0.3600, bbox_mAP_50: 0.5800, bbox_mAP_copypaste: 0.360 0.580 0.390 0.210 0.400 0.470
    2023/03/01 12:00:00 - mmengine - INFO - Epoch(train)  [1][  50/7330]  base_lr: 2.0000e-02 lr: 2.0000e-02  eta: 1 day, 2:03:04  time: 0.5500  data_time: 0.0500  memory: 3000  loss: 1.7000  loss_cls: 1.1000
    2023/03/01 13:10:00 - mmengine - INFO - Epoch(val) [1][625/625]    coco/bbox_mAP: 0.3600  coco/bbox_mAP_50: 0.5800  data_time: 0.0100  time: 0.0500

Iteration-based runs print ``Iter [50/90000]`` (2.x) or ``Iter(train) [  50/90000]``. A train
line's step is the global iteration ``(epoch - 1) * 7330 + 50`` with the fractional epoch
``(epoch - 1) + 50 / 7330``; a validation line sits at the end of its epoch with the epoch
number (see `_mmdet`). Validation progress lines (``Epoch(val) [1][ 50/625]`` with only
timings) give nothing. The same names become the same tags as in the JSON logs.
"""

from __future__ import annotations

import re

from lossboard import tags
from lossboard.model import RESUME, Event, Item, Point
from lossboard.sources.formats import _mmdet
from lossboard.sources.formats._lines import LineParser
from lossboard.sources.formats._numbers import bad_number

NAME = "mmdet-log"

# kind, mode, epoch, iter, total: "Epoch [1][50/7330]", "Epoch(val) [1][7330]",
# "Epoch(train)  [1][  50/7330]", "Iter [50/90000]", "Iter(val) [625/625]"
_HEAD = re.compile(
    r"\b(Epoch|Iter)(?:\((train|val|test)\))?\s*(?:\[\s*(\d+)\])?\s*\[\s*(\d+)(?:/(\d+))?\]\s"
)
_PAIR = re.compile(r"([A-Za-z_][\w/.@-]*): ([^\s,]+)")
_SPLITS = {None: tags.TRAIN, "train": tags.TRAIN, "val": tags.VAL, "test": tags.TEST}


def _is_head(match: re.Match) -> bool:
    """A mode in parentheses or an ``iter/total``: MXNet's ``Epoch[0] Batch [50]`` has neither."""
    return match[2] is not None or match[5] is not None


def sniff(head: str, filename: str) -> float:
    hits = sum(
        1
        for match in _HEAD.finditer(head)
        if _is_head(match) and ": " in head[match.end() : match.end() + 80]
    )
    return 0.0 if not hits else 0.9 if hits > 1 else 0.8


class Parser(LineParser):
    def __init__(self) -> None:
        super().__init__()
        self._clock = _mmdet.Clock()

    def parse_lines(self, first: int, lines: list[str]) -> list[Item]:
        items: list[Item] = []
        for number, line in enumerate(lines, first):
            if "Epoch" not in line and "Iter" not in line:  # cheap test before the regex
                continue
            match = _HEAD.search(line)
            if match and _is_head(match):
                items.extend(self._line(number, match, line[match.end() :]))
        return items

    def _line(self, number: int, head: re.Match, rest: str) -> list[Item]:
        kind, mode, epoch_text, it_text, total_text = head.groups()
        split = _SPLITS[mode]
        epoch = int(epoch_text) if epoch_text else None
        it = int(it_text)
        items: list[Item] = []
        if split == tags.TRAIN:
            if total_text and epoch is not None:
                self._clock.learn(int(total_text))
            step, fraction, resumed = self._clock.train(epoch, it)
            if resumed:
                items.append(Event(RESUME, step, fraction))
        elif epoch is not None:  # validation after an epoch
            if total_text is None:  # 2.x prints the train epoch's length here
                self._clock.learn(it)
            step, fraction = self._clock.after_epoch(epoch), float(epoch)
        else:  # iteration-based validation, or a test run
            step = it if kind == "Iter" and total_text is None else self._clock.last
            fraction = None
        for name, text in _PAIR.findall(rest):
            tag = _mmdet.tag_of(name, split)
            if tag is None:
                continue
            try:
                items.append(Point(tag, name, step, float(text), fraction))
            except ValueError:
                items.append(bad_number(number, f"{name}: ", text))
        return items
