"""What mmdetection's names mean and where its values sit, shared by its JSON and text logs.

mmdetection counts ``iter`` inside the epoch (``Epoch [2][50/7330]``), so one run's steps
are global iterations ``(epoch - 1) * iterations_per_epoch + iter``, like an iteration-based
run's. The epoch length is printed in text logs; a 2.x ``*.log.json`` only reveals it in
the validation line (its ``iter`` is the length of the train epoch just finished), so until
then the largest ``iter`` logged stands in for it: steps stay distinct and in order, and
the fractional epoch is given only once the length is known.
"""

from __future__ import annotations

from lossboard import tags

# position keys: where a value is, not a value
POSITION = frozenset(("mode", "epoch", "iter", "step"))
_PERF = {"time": "perf/time_s", "data_time": "perf/data_time_s", "memory": "perf/memory_mb"}


def tag_of(name: str, split: str) -> str | None:
    """``loss_cls`` -> ``train/loss_cls``, ``coco/bbox_mAP`` -> ``val/coco/bbox_mAP``.

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
    return tags.canonical(name, split)


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
