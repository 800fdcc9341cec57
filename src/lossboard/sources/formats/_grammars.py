"""The line grammars of mixed text output, in one table, and the context they share.

A grammar reads one line whose terminal output is resolved and whose prefixes are stripped.
It either claims the line, appending what it gives, or passes it on. `GRAMMARS` lists them in
the order they are tried; the first to claim a line ends the search:

* `epoch_header` - a line that is only an epoch (``Epoch 3/10``, ``Epoch [4]``, ``Epoch: 106``,
  ``=== Epoch 2 ===``) sets the context's epoch; `split_header` - a line that is only a split
  (``Validation:``, ``Validation DataLoader 0``, ``test phase``) sets the context's split;
* `namespace` - ``Namespace(lr=0.1, batch_size=50)`` gives its arguments as metadata, not points;
* `named_pairs` - ``name: value`` with a name of one to five words (``Training Loss: 4.6271``,
  ``3D loss: 2.486E+00``, ``Learning rate for next epoch: 0.05``) and ``name=value``;
* `spaced_pairs` - ``Epoch 1 loss 2.1214 acc 0.4343 val_loss 1.8972``: a counter and nothing but
  one-word names each followed by a number;
* `stated` - ``learning rate is 0.1``.

Where the values go (step, epoch, split):

* Counters on the line (``epoch``/``ep``, ``step``/``global_step``/``iter``/``iteration``, any
  case, a separator or a space before an integer, brackets and ``/total`` allowed) place it.
  With a step counter the values are batch-level (``train_batch``) at step = the counter; when
  it counts within an epoch (``Epoch [2/6], Step [10/161]``) the global step is
  ``(epoch - base) * 161 + 10``, where base is the first epoch the log printed (0 or 1), and the
  epoch is ``2 + 10/161`` as printed. A ``batch`` counter beside an epoch counter and without a
  total (``epoch=1 batch=20 loss=0.4``) counts within the epoch: an epoch is taken to hold the
  last batch the previous epochs printed plus one printing interval, so every batch keeps a
  step of its own (as MXNet's Speedometer lines are placed). With only an epoch counter they
  are epoch-level at the last step the log reached (a step counter or a progress bar's count),
  else at the epoch.
* A line with no counter takes the context: the epoch of the last header, counter or bar, the
  step as above, the split of the last split header. Before anything set a context, such a
  line is not read (a config dump ``batch_size: 80`` is no metric).
* The split is the one a name holds (``Validation Loss``, ``val_loss``, ``Testing Loss``,
  ``Best val Acc`` -> ``val/Best_Acc``);
  a name that names none takes the split of the name before it on the line (``Val Loss: 0.23 |
  Dice: 0.88``: both validation), else the context's. ``lr``/``learning rate…`` is ``opt/lr``.
* Percentages are kept as printed (``Accuracy: 5.74%`` -> 5.74); a trailing ``(7774/10000)`` is
  ignored; a list of numbers to the end of the line (``Dice per class: 0.94, 0.93, 0.77``) is
  one series per place (``Dice per class[0]`` ...). A value that is not a number after a name
  saying loss, acc or lr is a `Problem`.
* A step lower than the one before -> `Event` RESUME.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Callable, Iterator

from lossboard import tags
from lossboard.model import RESUME, Event, Item, Meta, Point
from lossboard.sources.formats._layouts import SpanCache, Spans
from lossboard.sources.formats._numbers import NUMBER, bad_number, number


@dataclass
class Context:
    """What earlier lines said about where training is; header lines and counters set it."""

    epoch: int | None = None  # the epoch last named by a header, a counter or a bar
    step: int | None = None  # the last global step: a step counter or a bar's count
    split: str | None = None  # named by a split header, until the next epoch header
    epoch_base: int | None = None  # 0 or 1: the first epoch the log printed
    last_step: int | None = None  # the step of the last line that gave values
    wall_time: float | None = None  # of the line being read, from its logging prefix
    # a batch counter that restarts every epoch: its epoch, highest value and printing interval
    # there, and the batches an epoch is taken to hold
    batch_epoch: int | None = None
    batch_max: int = 0
    batch_gap: int = 1
    batches_per_epoch: int | None = None

    def see_epoch(self, epoch: int) -> None:
        if self.epoch_base is None:
            self.epoch_base = 0 if epoch == 0 else 1
        self.epoch = epoch

    def batch_step(self, epoch: int, batch: int) -> int:
        """The global step of batch ``batch`` of ``epoch`` when the log gives no epoch length."""
        if self.batch_epoch is not None and epoch != self.batch_epoch:
            if epoch > self.batch_epoch:
                held = self.batch_max + self.batch_gap
                self.batches_per_epoch = max(self.batches_per_epoch or 0, held)
            self.batch_max = 0
        elif batch > self.batch_max:
            self.batch_gap = batch - self.batch_max if self.batch_max else self.batch_gap
        self.batch_epoch = epoch
        self.batch_max = max(self.batch_max, batch)
        first = self.epoch_base if self.epoch_base is not None else epoch
        return (epoch - first) * (self.batches_per_epoch or 0) + batch


Grammar = Callable[[int, str, Context, "list[Item]"], bool]

# each pattern opens with a lookahead on one character class, which lets the regex engine
# skip the positions where no match can start (twice as fast on long lines)
_COUNTER = re.compile(
    r"(?=[eEsSgGiIbB])(?<![\w./-])(epoch|ep|global_step|step|iteration|iter|batch)"
    r"(?:\s*[=:]\s*|\s+)\[?(\d+)(?:/(\d+))?\]?(?![\w.])",
    re.I,
)
STEP_NAMES = ("global_step", "step", "iteration", "iter", "batch")
_COUNTER_NAMES = frozenset({"epoch", "ep", "global_step", "step", "steps", "iteration", "iter", "batch"})

# a word with a letter ("3D" and "Acc@1" too) that is not itself a number ("nan", "1e-3")
# U+FFFD stands where the log had bytes that are not UTF-8: part of the name, so a damaged
# name keeps its value instead of lending it to the word after the damage
_WORD = rf"(?!{NUMBER}(?![\w@]))(?:[^\W\d_]|\d+[^\W\d_])[\w@./\ufffd-]*"
# the value is looked at, not consumed: in "done: train_loss=1.1" the next name starts after ":"
# several words only before ":" ("Training Loss: 0.4"); "name=resnet epoch=1" has no "resnet epoch"
_NAMED = re.compile(
    rf"(?=[^\W_])(?<![\w@./\ufffd-])(?:({_WORD}(?: {_WORD}){{0,4}})\s*(:)|({_WORD})\s*(=))\s*(?=([^\s,;|]+))"
)
_LIST_GOES_ON = re.compile(rf"\s*,\s*{NUMBER}(?![\w.])")
# the rest of a list of numbers, up to the end of the line or a "|"
_LIST_REST = re.compile(rf"((?:\s*,\s*{NUMBER})+)\s*(?:\||$)")
_SINGLE = r"[^\W\d_][\w@./\ufffd-]*"
_SPACED = re.compile(rf"(?:[\s,;|:]*{_SINGLE}\s+{NUMBER}%?(?![\w.]))+[\s,;|]*")
_SPACED_PAIR = re.compile(rf"({_SINGLE})\s+({NUMBER})%?(?![\w.])")
_STATED = re.compile(rf"({_WORD}(?: {_WORD}){{0,4}}) is ({NUMBER})%?\.?\s*")
_EPOCH_HEADER = re.compile(
    r"[\s=*#>-]*(?:epoch|ep)\s*[:=]?\s*\[?\s*(\d+)\s*(?:/\s*\d+)?\s*\]?\s*:?[\s=*#<-]*", re.I
)
_SPLIT_HEADER = re.compile(
    r"[\s=*#>-]*(train(?:ing)?|valid(?:ation|ating)?|val|eval(?:uation|uating)?|test(?:ing)?)"
    r"(?:\s+(?:dataloader|phase|set|results?))?(?:\s+\d+)?\s*:?[\s=*#<-]*",
    re.I,
)
_HEADER_CHARS = 80  # a header is short; longer lines skip the header grammars
_NAMESPACE = re.compile(r"Namespace\((.*)\)")
_ARGUMENT = re.compile(r"(\w+)=('[^']*'|\"[^\"]*\"|\[[^\]]*\]|[^,]*)")
_MUST_BE_NUMBER = re.compile(r"loss|acc|^lr$", re.I)

_SPLIT_WORDS = {
    "train": tags.TRAIN,
    "training": tags.TRAIN,
    "val": tags.VAL,
    "valid": tags.VAL,
    "validation": tags.VAL,
    "eval": tags.VAL,
    "evaluation": tags.VAL,
    "test": tags.TEST,
    "testing": tags.TEST,
}


def epoch_header(line_no: int, line: str, context: Context, items: list[Item]) -> bool:
    epoch = header_epoch(line)
    if epoch is None:
        return False
    context.see_epoch(epoch)
    context.split = None
    return True


def header_epoch(line: str) -> int | None:
    """The epoch of a line that is only an epoch (`epoch_header`), else None."""
    spans = _EPOCH_SPANS(line)
    if not spans:
        return None
    (start, end), = spans
    return int(line[start:end])


def split_header(line_no: int, line: str, context: Context, items: list[Item]) -> bool:
    match = _SPLIT_HEADER.fullmatch(line) if len(line) <= _HEADER_CHARS else None
    if match is None:
        return False
    word = match[1].lower()
    context.split = tags.VAL if word.startswith(("val", "eval")) else tags.TEST if word.startswith("test") else tags.TRAIN
    return True


def namespace(line_no: int, line: str, context: Context, items: list[Item]) -> bool:
    match = _NAMESPACE.search(line) if "Namespace(" in line else None
    if match is None:
        return False
    for key, raw in _ARGUMENT.findall(match[1]):
        items.append(Meta(f"args.{key}", raw.strip().strip("'\"")))
    return True


def named_pairs(line_no: int, line: str, context: Context, items: list[Item]) -> bool:
    if ":" not in line and "=" not in line:
        return False
    spans = _PAIR_SPANS(line)
    if spans is None:
        found = _found_pairs(line)
    else:
        found = [(line[a:b], line[c:d], line[e:f]) for a, b, c, d, e, f in spans]
    return bool(found) and _emit(line_no, line, found, context, items)


def _values(line: str) -> Iterator[tuple[re.Match, re.Match | None, bool]]:
    """Each ``name: value`` / ``name=value`` match that is a value, with whether a list of
    numbers follows it (``Dice per class: 0.94, 0.93``) and that list's rest."""
    for match in _NAMED.finditer(line):
        name, raw = match[1] or match[3], match[5]
        if name.rpartition(" ")[2].lower() in _COUNTER_NAMES and _is_count(raw):
            continue  # "Train Epoch: 3" is a counter; "lr for next epoch: 0.05" is not
        listed = _LIST_GOES_ON.match(line, match.end() + len(raw)) is not None
        yield match, _LIST_REST.match(line, match.end() + len(raw)) if listed else None, listed


def _found_pairs(line: str) -> list[tuple[str, str, str]]:
    """(name, separator, raw value) of every value on the line."""
    found = []
    for match, rest, listed in _values(line):
        name, separator, raw = match[1] or match[3], match[2] or match[4], match[5]
        if not listed:
            found.append((name, separator, raw))
        elif rest is not None:  # "Dice per class: 0.94, 0.93, 0.77": one series per place
            values = [raw, *(value.strip() for value in rest[1].split(",")[1:])]
            found.extend((f"{name}[{i}]", separator, value) for i, value in enumerate(values))
    return found


def _scan_pairs(line: str) -> Spans | None:
    """Where `_found_pairs` cuts the line; None for a line with a list (its names are made)."""
    spans = []
    for match, _, listed in _values(line):
        if listed:
            return None
        name, separator = (1, 2) if match[1] else (3, 4)
        spans.append((*match.span(name), *match.span(separator), *match.span(5)))
    return tuple(spans)


def _scan_epoch_header(line: str) -> Spans:
    match = _EPOCH_HEADER.fullmatch(line) if len(line) <= _HEADER_CHARS else None
    return () if match is None else (match.span(1),)


def _scan_counters(line: str) -> Spans:
    return tuple((*m.span(1), *m.span(2), *m.span(3)) for m in _COUNTER.finditer(line))


# the scans above read digits only as \d: one scan per layout of line (see `_layouts`)
_PAIR_SPANS = SpanCache(_scan_pairs)
_COUNTER_SPANS = SpanCache(_scan_counters)
_EPOCH_SPANS = SpanCache(_scan_epoch_header)


def spaced_pairs(line_no: int, line: str, context: Context, items: list[Item]) -> bool:
    if not _may_count(line):
        return False
    rest = _COUNTER.sub(" ", line)
    if rest == line or _SPACED.fullmatch(rest) is None:
        return False
    found = [(name, " ", raw) for name, raw in _SPACED_PAIR.findall(rest) if name.lower() not in _COUNTER_NAMES]
    return bool(found) and _emit(line_no, line, found, context, items)


def stated(line_no: int, line: str, context: Context, items: list[Item]) -> bool:
    match = _STATED.fullmatch(line)
    return match is not None and _emit(line_no, line, [(match[1], " is ", match[2])], context, items)


GRAMMARS: tuple[Grammar, ...] = (epoch_header, split_header, namespace, named_pairs, spaced_pairs, stated)


def _emit(line_no: int, line: str, found: list[tuple[str, str, str]], context: Context, items: list[Item]) -> bool:
    """Points for the (name, separator, raw value) of one line, placed by its counters or the
    context; False when nothing was read."""
    counters = _counters(line)
    place = _place(counters, context)
    if place is None:
        return False
    step, epoch, default_split = place
    start = len(items)
    line_split: str | None = None
    for name, separator, raw in found:
        value = number(raw.rstrip(")]}").removesuffix("%"))
        if value is None:
            if _MUST_BE_NUMBER.search(name):
                items.append(bad_number(line_no, f"{name}{separator}", raw))
            continue
        tag, named_split = tag_of(name, line_split or default_split, default_split == tags.BATCH)
        line_split = named_split or line_split
        items.append(Point(tag, name, step, value, epoch, context.wall_time))
    if len(items) == start:
        return False
    if context.last_step is not None and step < context.last_step:
        text = f"step {step} after {context.last_step}"
        items.insert(start, Event(RESUME, step, epoch, context.wall_time, text))
    context.last_step = step
    epoch_counter = counters.get("epoch") or counters.get("ep")
    if epoch_counter is not None:
        context.epoch = epoch_counter[0]
    if any(name in counters for name in STEP_NAMES):
        context.step = step
    return True


def _counters(line: str) -> dict[str, tuple[int, str | None]]:
    """Counter name (lower case) -> (value, per-epoch total or None) of every counter on the line."""
    return {
        name: (int(line[a:b]), None if total is None else line[total[0] : total[1]])
        for name, ((a, b), total) in counter_spans(line).items()
    }


def counter_spans(line: str) -> dict[str, tuple[tuple[int, int], tuple[int, int] | None]]:
    """Counter name (lower case) -> (span of its value, span of its total or None); the last
    counter of a name wins."""
    if not _may_count(line):
        return {}
    return {line[a:b].lower(): ((c, d), (e, f) if e >= 0 else None) for a, b, c, d, e, f in _COUNTER_SPANS(line)}


def pair_spans(line: str) -> Spans | None:
    """Where `named_pairs` cuts ``line``: (name, separator, value) spans of each pair; None for
    a line with a list of numbers, whose names are made."""
    return _PAIR_SPANS(line)


def claims_as_header(line: str) -> bool:
    """Whether a grammar before `named_pairs` may claim ``line`` (an epoch or split header, a
    ``Namespace(...)``)."""
    return bool(_EPOCH_SPANS(line)) or "Namespace(" in line or (
        len(line) <= _HEADER_CHARS and _SPLIT_HEADER.fullmatch(line) is not None
    )


def may_read_without_pairs(line: str) -> bool:
    """Whether `spaced_pairs` or `stated` could read ``line``: their patterns match (whether
    they then give values depends on the context). Like the scans, this reads digits only as
    ``\\d``, so it holds for every line of ``line``'s layout."""
    if _may_count(line):
        rest = _COUNTER.sub(" ", line)
        if rest != line and _SPACED.fullmatch(rest) is not None:
            return True
    return _STATED.fullmatch(line) is not None


def _is_count(raw: str) -> bool:
    """Whether a printed value is a counter's: ``3``, ``[3/10]``, ``3/10``."""
    return raw.strip("[],").partition("/")[0].isdigit()


def _may_count(line: str) -> bool:
    lowered = line.lower()
    return "ep" in lowered or "iter" in lowered  # "ep" is in "epoch" and "step" too


def _place(counters: dict, context: Context) -> tuple[int, float | None, str] | None:
    """(step, epoch, default split) for the values of a line with these counters."""
    epoch_counter = counters.get("epoch") or counters.get("ep")
    step_counter = next((counters[name] for name in STEP_NAMES if name in counters), None)
    if epoch_counter is not None:
        context.see_epoch(epoch_counter[0])
    if step_counter is not None:
        step, per_epoch = step_counter[0], step_counter[1]
        if epoch_counter is not None and per_epoch and int(per_epoch):
            printed = epoch_counter[0]
            base = context.epoch_base or 0
            return (printed - base) * int(per_epoch) + step, printed + step / int(per_epoch), tags.BATCH
        counts_within_epoch = not any(name in counters for name in STEP_NAMES if name != "batch")
        if epoch_counter is not None and counts_within_epoch:  # "epoch=1 batch=20": no total
            return context.batch_step(epoch_counter[0], step), float(epoch_counter[0]), tags.BATCH
        epoch = epoch_counter[0] if epoch_counter is not None else context.epoch
        return step, None if epoch is None else float(epoch), tags.BATCH
    split = context.split or tags.TRAIN
    if epoch_counter is not None:
        printed = epoch_counter[0]
        return (printed if context.step is None else context.step), float(printed), split
    if context.step is not None:
        return context.step, None if context.epoch is None else float(context.epoch), split
    if context.epoch is not None:
        return context.epoch, float(context.epoch), split
    return None


@lru_cache(maxsize=4096)
def tag_of(name: str, split: str, batch_level: bool) -> tuple[str, str | None]:
    """(canonical tag, split the name itself names) of a printed name on a line of ``split``."""
    words = name.split()
    # a split word before the last word: "Validation Loss", "Best val Acc"
    at = next((i for i, word in enumerate(words[:-1]) if word.lower() in _SPLIT_WORDS), None)
    named = None if at is None else _SPLIT_WORDS[words[at].lower()]
    metric = words if at is None else words[:at] + words[at + 1 :]
    lowered = " ".join(metric).lower()
    if lowered == "lr" or lowered.startswith("learning rate") or lowered.startswith("learning_rate"):
        result: tuple[str, str | None] = (tags.canonical("lr"), named)
    else:
        chosen = named or split
        if batch_level and chosen in (tags.TRAIN, tags.BATCH):
            chosen = tags.BATCH
        result = (tags.canonical("_".join(metric), chosen), named)
    return result

