"""tqdm progress bars, as a redirected stderr/stdout or a terminal capture keeps them.

tqdm redraws one line with ``\\r``; the states in between carry the postfix metrics::

    Epoch 1: 100%|██████████| 32/32 [00:01<00:00, 25.12it/s, loss=0.512, acc=0.81]
    train:  45%|####5     | 45/100 [00:02<00:03, 18.2it/s, loss=0.4]
    Epoch 0: 100%|██████████| 32/32 [00:00<00:00, 94.12it/s, v_num=0, train_loss=0.693, val_loss=0.690, val_acc=0.52]

(the last is Lightning's ``TQDMProgressBar``). Every redraw is parsed (`redraws`), so a bar
that a live terminal showed for a moment still gives its point.

* Bars are told apart by their description with digits masked (``Epoch 3`` -> ``Epoch #``). A
  bar ends when its description changes or its count goes down; the counts of finished bars
  of the same kind add up, so step = bars before + the count shown (the global iteration).
* A training bar's postfix -> batch-level points at every redraw with a count above 0:
  ``loss`` -> ``train_batch/loss``; ``it/s`` (or ``s/it``) -> ``perf/its_per_sec``. When the
  description holds an epoch (``Epoch 3``, ``epoch 3/10``) the points get the fractional epoch
  ``3 + count / total``, numbered as printed.
* Epoch-level values are read from the final state of a bar only, because the redraws in
  between repeat stale ones: names of the val/test split (``val_loss``) and Lightning's
  ``_epoch`` names (``train_acc_epoch`` -> ``train/accuracy``), at the step where the bar ended
  and the epoch as printed. Lightning's ``_step`` names are batch-level (``train_acc_step`` ->
  ``train_batch/accuracy``); ``v_num`` is the logger version, not a metric.
* A bar described as validation/evaluation/test (``val``, ``Validation DataLoader 0``) gives its
  final postfix as ``val/...`` (``test/...``) at the step of the training bar before it; sanity
  check and predict bars give nothing.
* A terminal narrower than the bar cuts the postfix (no closing ``]``): the cut pair is dropped.
* A postfix value that is not a number -> one `Problem` per name.

Limitation: a ``\\r``-redrawn line is parsed when its ``\\n`` arrives, so a live tail of a bar
that never ends its line (Lightning keeps one line per run in a redirected file) shows nothing
until it does.
"""

from __future__ import annotations

import re

from lossboard import tags
from lossboard.model import Item, Point
from lossboard.sources.formats._lines import LineParser, redraws
from lossboard.sources.formats._numbers import bad_number, number

NAME = "tqdm"

# "desc: pct%|bar| n/total [inner]" or, with no total, "desc: nit [inner]"
_BAR = re.compile(
    r"(?:(?P<desc>.{0,200}?): ?)?(?:"
    r" *(?:\d+%)?\|[^|]*\| *(?P<n>\d+)/(?P<total>\d+|\?)"
    r"|(?P<count>\d+)it)"
    r" \[(?P<inner>[^\]]*)(?P<closed>\])?"
)
_RATE = re.compile(r"([\d.]+)(it/s|s/it)")
_EPOCH = re.compile(r"epoch\D{0,3}?(\d+)", re.I)
_DIGITS = re.compile(r"\d+")
_SNIFF = re.compile(r"(?<!\d)\d+%\|[^|\n\r]*\| *\d+/\d+ \[\d\d:\d\d|(?<!\d)\d+it \[\d\d:\d\d")

# description prefix -> split of an evaluation bar ("": the bar gives no points)
_EVAL_PREFIXES = (
    ("valid", tags.VAL),
    ("val", tags.VAL),
    ("eval", tags.VAL),
    ("test", tags.TEST),
    ("sanity", ""),
    ("predict", ""),
)
# other formats whose logs also hold tqdm bars; they read their own lines better
_OTHER_FORMATS = ("{'loss':", "{'eval_", "{'train_runtime'")
_NOT_METRICS = {"v_num"}


def sniff(head: str, filename: str) -> float:
    if not _SNIFF.search(head):
        return 0.0
    return 0.1 if any(marker in head for marker in _OTHER_FORMATS) else 0.85


def _lightning_base(name: str) -> tuple[str, bool]:
    """A name without Lightning's ``_epoch``/``_step`` suffix, and whether it was ``_epoch``."""
    if name.endswith("_epoch"):
        return name[:-6], True
    return (name[:-5] if name.endswith("_step") else name), False


class _Bar:
    """One bar's progress: where its count started and what its latest redraw showed."""

    __slots__ = ("desc", "base", "n", "epoch", "split", "final")

    def __init__(self, desc: str, base: int) -> None:
        self.desc, self.base, self.n = desc, base, 0
        epoch = _EPOCH.search(desc)
        self.epoch = int(epoch[1]) if epoch else None
        lowered = desc.lower()
        splits = (split for prefix, split in _EVAL_PREFIXES if lowered.startswith(prefix))
        self.split = next(splits, tags.TRAIN)
        # the latest redraw: (line, step, epoch, postfix pairs)
        self.final: tuple[int, int, float | None, list[tuple[str, str]]] | None = None


class Parser(LineParser):
    """Follows every bar through its redraws; each kind of bar keeps its own running count."""

    raw_lines = True

    def __init__(self) -> None:
        super().__init__()
        self._bars: dict[str, _Bar] = {}
        self._done: dict[str, int] = {}  # family -> iterations of its finished bars
        self._train_step = 0
        self._train_epoch: float | None = None
        self._reported: set[str] = set()
        self._names: dict[str, tuple[str, bool] | None] = {}

    def parse_lines(self, first: int, lines: list[str]) -> list[Item]:
        items: list[Item] = []
        for line_no, line in enumerate(lines, first):
            if " [" not in line:
                continue
            for state in redraws(line):
                if " [" in state:
                    match = _BAR.match(state)
                    if match:
                        self._state(line_no, match, items)
        return items

    def finish(self) -> list[Item]:
        items: list[Item] = []
        for bar in self._bars.values():
            self._end(bar, items)
        self._bars = {}
        return items

    def _state(self, line_no: int, match: re.Match, items: list[Item]) -> None:
        desc = match["desc"] or ""
        n = int(match["n"] or match["count"])
        total = match["total"]
        family = _DIGITS.sub("#", desc)
        bar = self._bars.get(family)
        if bar is not None and (bar.desc != desc or n < bar.n):
            self._end(bar, items)
            self._done[family] = bar.base + bar.n
            bar = None
        if bar is None:
            bar = self._bars[family] = _Bar(desc, self._done.get(family, 0))
        bar.n = n
        inner = match["inner"].split(", ")
        if match["closed"] is None:
            inner.pop()  # cut by the terminal's width
        pairs = [tuple(field.split("=", 1)) for field in inner[2:] if "=" in field]
        if bar.split != tags.TRAIN:
            bar.final = (line_no, self._train_step, self._train_epoch, pairs)
            return
        step = bar.base + n
        epoch = bar.epoch
        if epoch is not None and total not in (None, "?") and int(total):
            fraction: float | None = epoch + n / int(total)
        else:
            fraction = None if epoch is None else float(epoch)
        bar.final = (line_no, step, None if epoch is None else float(epoch), pairs)
        if n == 0:  # nothing done yet: the postfix is left over from before
            return
        self._train_step, self._train_epoch = step, bar.final[2]
        for name, raw in pairs:
            kind = self._kind(name)
            if kind is None or kind[1]:
                continue
            value = self._value(line_no, name, raw, items)
            if value is not None:
                items.append(Point(kind[0], name, step, value, fraction))
        rate = _RATE.fullmatch(inner[1].strip()) if len(inner) > 1 else None
        if rate and number(rate[1]):
            value = float(rate[1]) if rate[2] == "it/s" else 1 / float(rate[1])
            items.append(Point("perf/its_per_sec", rate[2], step, value, fraction))

    def _end(self, bar: _Bar, items: list[Item]) -> None:
        """The final redraw of a bar: its epoch-level values."""
        if bar.final is None or bar.n == 0 or not bar.split:
            return
        line_no, step, epoch, pairs = bar.final
        for name, raw in pairs:
            kind = self._kind(name)
            if kind is None:
                continue
            tag, epoch_level = kind
            if bar.split != tags.TRAIN:
                tag = tags.canonical(_lightning_base(name)[0], bar.split)
            elif not epoch_level:
                continue
            value = self._value(line_no, name, raw, items)
            if value is not None:
                items.append(Point(tag, name, step, value, epoch))

    def _kind(self, name: str) -> tuple[str, bool] | None:
        """(tag, is epoch-level) of a postfix name in a training bar; None if not a metric."""
        if name in self._names:
            return self._names[name]
        kind: tuple[str, bool] | None = None
        if name not in _NOT_METRICS:
            base, per_epoch = _lightning_base(name)
            if per_epoch:
                kind = (tags.canonical(base, tags.TRAIN), True)
            else:
                tag = tags.canonical(base, tags.BATCH)
                kind = (tag, tags.split_of(tag) in (tags.VAL, tags.TEST))
        self._names[name] = kind
        return kind

    def _value(self, line_no: int, name: str, raw: str, items: list[Item]) -> float | None:
        value = number(raw)
        if value is None and name not in self._reported:
            self._reported.add(name)
            items.append(bad_number(line_no, f"{name}=", raw))
        return value
