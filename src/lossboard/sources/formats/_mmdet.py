"""What OpenMMLab's names mean and where its values sit, shared by its JSON and text logs.

mmdetection (and every OpenMMLab trainer, mmcv or mmengine) counts ``iter`` inside the epoch
(``Epoch [2][50/7330]``), so one run's steps are global iterations
``(epoch - 1) * iterations_per_epoch + iter``, like an iteration-based run's. The epoch length
is printed in text logs; a 2.x ``*.log.json`` only reveals it in the validation line (its
``iter`` is the length of the train epoch just finished), so until then the largest ``iter``
logged stands in for it: steps stay distinct and in order, and the fractional epoch is given
only once the length is known.

The text logs of both (mmcv's TextLoggerHook, mmengine's LoggerHook) are read by
`_mmdet_text.TextParser`, with the head and pair patterns defined here.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache

from lossboard import tags

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
SPLITS = {None: tags.TRAIN, "train": tags.TRAIN, "val": tags.VAL, "test": tags.TEST}


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
