"""Stretches of print lines of known layouts, read in bulk.

A training script prints the same few lines over and over::

    INFO:root:Epoch [1/6], Step [10/161], Loss: 0.5517         (every ten steps)
    INFO:root:Epoch [1/6], Step [20/161], Loss: 0.4012
    2025-05-14 16:02:53,777 - INFO - Epoch [1/6], Training Loss: 0.47, Accuracy: 5.74%
    Train Loss: 0.4712 | Dice: 0.8811                           (once an epoch)
    Checkpoint saved to checkpoint/model_1.pth

Lines that differ only in their ASCII digits (`_layouts.layout`) are read alike by the line
pipeline: its prefixes, its bar test, the choice of grammar, the counters and the names all
read digits as ``\\d`` only, and a value `float` takes in one line it takes in all. So a
`PrintLayout` is learned from the first line of a layout - what kind of line it is, where its
counters and values are, the names of its values - and a stretch of lines whose layouts are
all known is read at once: one template (`_numbers.cut_numbers`) cuts every number of the
stretch, one orjson call converts them, numpy places them, and one `Columns` block per series
leaves, holding the points `LinePipeline.line` gives line by line, in the same order.

Placing needs no state but what the lines of the stretch set, read forward in numpy:

* a line with a step counter places itself: beside an epoch counter with a per-epoch total
  (``Epoch [2/6], Step [10/161]``: step = (epoch - base) * 161 + 10), beside an epoch counter
  (``epoch=1 step=40``), or alone (at the context's epoch);
* a line with an epoch counter only is epoch-level, at the last step a line set;
* a line with no counter takes the last step and epoch, or the epoch as step before any step;
* a blank line gives nothing, a line without digits (and no split header) nothing but its wall
  time, a line with digits that no grammar can read (``model_1.pth``) is listed as unread.

Left to `LinePipeline.line`: headers (they set the epoch and the split), bars, lists of
numbers, ``epoch=1 batch=20`` (a batch counter keeps state), values that are not numbers, and
a stretch where a step goes back (a resume), a date is no date or orjson refuses a number.
"""

from __future__ import annotations

import re
from typing import NamedTuple

import numpy as np

from lossboard import tags
from lossboard.model import Columns, Item
from lossboard.sources.formats import _grammars as grammars
from lossboard.sources.formats._numbers import EXACT_FLOAT, KEEP, cut_numbers, number, number_matrix
from lossboard.sources.formats._prefixes import starts_with_date, strip_prefixes, wall_time
from lossboard.sources.formats.tqdm import match_bar

MIN_VALUE_LINES = 2  # a stretch with fewer lines of values is cheaper read line by line
_MAX_LAYOUTS = 4096  # layouts remembered; a log with more learns them again
_MAX_BYTES = 4096  # longer lines are read one by one: the cache holds their whole layout
_DIGIT = re.compile(r"\d")
# what a line of a layout is (`PrintLayout.kind`)
BLANK, QUIET, UNREAD, VALUES = range(4)
# a line's layout -> how to read it in bulk (None: line by line); shared by every parser and
# kept out of their state, like the bar layouts of `tqdm`
_LAYOUTS: dict[bytes, PrintLayout | None] = {}


class PrintLayout(NamedTuple):
    """A kind of line, and for lines of values where their numbers are, in the order
    `cut_numbers` gives them, and what they are."""

    kind: int  # BLANK, QUIET (no digit), UNREAD (no grammar reads it) or VALUES
    marks: bytes  # the `cut_numbers` template of one line and its "\n"
    epoch: int | None = None  # column of the epoch counter
    step: int | None = None  # column of the step counter
    total: int | None = None  # column of the step counter's per-epoch total
    values: tuple[tuple[int, str], ...] = ()  # (column, printed name) of each value
    width: int = 0  # numbers a line gives
    counts_fit: bool = True  # every counter has at most 15 digits: exact as a float64
    is_timed: bool = False  # the line starts with a date and time: its wall time


class Stretch(NamedTuple):
    """Consecutive runs of lines, each run of one layout: ``runs`` holds (layout, first, end)
    indexes into the lines, ``text`` the lines' UTF-8, each with its ``\\n``."""

    runs: list[tuple[PrintLayout, int, int]]
    text: bytes


def layout_of(mask: bytes, line: str) -> PrintLayout | None:
    """The bulk reading of the lines of layout ``mask``, ``line`` one of them (learned once)."""
    if mask in _LAYOUTS:
        return _LAYOUTS[mask]
    if len(mask) > _MAX_BYTES:
        return None
    if len(_LAYOUTS) >= _MAX_LAYOUTS:
        _LAYOUTS.clear()
    layout = _LAYOUTS[mask] = _learn(line, bytes(len(mask) + 1))
    return layout


def _learn(line: str, no_marks: bytes) -> PrintLayout | None:
    """What `LinePipeline.line` does with ``line``, when bulk can do it for its layout."""
    text = line.rstrip()
    if not text:  # blank or white space: `LinePipeline.lines` does not even look at it
        return PrintLayout(BLANK, no_marks)
    stripped = strip_prefixes(text)
    offset = len(text) - len(stripped)
    if match_bar(stripped) is not None or grammars.claims_as_header(stripped):
        return None
    if not _DIGIT.search(stripped):
        return PrintLayout(QUIET, no_marks)
    spans = grammars.pair_spans(stripped) if ":" in stripped or "=" in stripped else ()
    if spans is None:
        return None  # a list of numbers: names are made
    if not spans:
        if grammars.may_read_without_pairs(stripped):
            return None
        return PrintLayout(UNREAD, no_marks)
    counters = grammars.counter_spans(stripped)
    epoch = counters.get("epoch") or counters.get("ep")
    step_name = next((name for name in grammars.STEP_NAMES if name in counters), None)
    fields: dict[str | int, tuple[int, int]] = {}
    if step_name is not None:
        step_span, total_span = counters[step_name]
        counts_in_epoch = not any(name in counters for name in grammars.STEP_NAMES if name != "batch")
        if epoch is not None and total_span is None and counts_in_epoch:
            return None  # "epoch=1 batch=20": `Context.batch_step` keeps state
        fields["step"] = step_span
        if epoch is not None and total_span is not None:
            fields["total"] = total_span
    if epoch is not None:
        fields["epoch"] = epoch[0]
    names = []
    for a, b, _, _, e, f in spans:
        raw = stripped[e:f]
        value = raw.rstrip(")]}").removesuffix("%")
        if number(value) is None:
            return None  # a problem or nothing: line by line
        fields[len(names)] = (e, e + len(value))
        names.append(stripped[a:b])
    if len(set(names)) < len(names):
        return None  # "loss: 1 ... loss: 2": one series whose points bulk would not interleave
    order = sorted(fields, key=lambda field: fields[field][0])
    spans_in_order = [fields[field] for field in order]
    if any(end >= start for (_, end), (start, _) in zip(spans_in_order, spans_in_order[1:])):
        return None  # numbers that touch: no byte between them for the comma
    marks = bytearray(no_marks)
    for start, end in spans_in_order:
        start = len(line[: offset + start].encode("utf-8", "surrogatepass"))
        end = len(line[: offset + end].encode("utf-8", "surrogatepass"))
        marks[start:end] = bytes([KEEP]) * (end - start)
        marks[end] = ord(",")
    column = {field: at for at, field in enumerate(order)}
    return PrintLayout(
        VALUES,
        bytes(marks),
        column.get("epoch"),
        column.get("step"),
        column.get("total"),
        tuple((column[at], name) for at, name in enumerate(names)),
        len(order),
        all(end - start <= 15 for field, (start, end) in fields.items() if type(field) is str),
        offset > 0 and starts_with_date(text),
    )


def value_lines(runs: list[tuple[PrintLayout, int, int]]) -> int:
    return sum(end - first for layout, first, end in runs if layout.kind == VALUES)


def read(stretch: Stretch, lines: list[str], first: int, context: grammars.Context, items: list[Item],
         unread: list[int]) -> bool:
    """The records of the lines of ``stretch`` (``lines[i]`` is line ``first + i``) as
    `LinePipeline.line` gives them one by one, appended to ``items``, with the numbers of the
    unread lines appended to ``unread`` and the context moved on as the lines move it; False,
    with nothing changed, when they must be read line by line."""
    runs = stretch.runs
    marks = b"".join([layout.marks * (end - at) for layout, at, end in runs])
    numbers = number_matrix(cut_numbers(stretch.text, marks), 1)
    if numbers is None or len(numbers) != sum(layout.width * (end - at) for layout, at, end in runs):
        return False
    place = _Place(context)
    blocks: dict[tuple[str, str], list[tuple]] = {}
    offset = 0
    for layout, at, end in runs:
        if layout.kind != VALUES:
            continue
        count = end - at
        rows = numbers[offset : offset + count * layout.width].reshape(count, layout.width)
        offset += count * layout.width
        placed = place.run(layout, rows)
        walls = _walls(layout, lines, at, end)
        if placed is None or walls is False:
            return False
        steps, epochs, split, batch_level = placed
        line_split = None
        for column, name in layout.values:
            tag, named = grammars.tag_of(name, line_split or split, batch_level)
            line_split = named or line_split
            blocks.setdefault((tag, name), []).append((steps, rows[:, column], epochs, walls))
    columns = [_columns(tag, name, parts) for (tag, name), parts in blocks.items()]
    if None in columns:
        return False
    items.extend(columns)
    unread.extend(first + at for layout, begin, end in runs if layout.kind == UNREAD for at in range(begin, end))
    place.move_on(context)
    last_seen = next((end - 1 for layout, _, end in reversed(runs) if layout.kind != BLANK), None)
    if last_seen is not None:
        text = lines[last_seen].rstrip()
        context.wall_time = wall_time(text) if strip_prefixes(text) is not text else None
    return True


class _Place:
    """Where runs of lines of values go, run after run: the context's epoch, step and last
    step as the lines move them, kept apart from the context until the whole stretch is read."""

    def __init__(self, context: grammars.Context) -> None:
        self.epoch, self.step, self.last_step = context.epoch, context.step, context.last_step
        self.epoch_base = context.epoch_base
        self.split = context.split or tags.TRAIN  # no header in a stretch: no split changes

    def run(self, layout: PrintLayout, rows: np.ndarray) -> tuple | None:
        """(steps, epochs or None, default split, batch level) of a run's lines, as
        `_grammars._place` places each; None for what bulk does not do."""
        count = len(rows)
        if not layout.counts_fit:
            counters = [column for column in (layout.epoch, layout.step, layout.total) if column is not None]
            if rows[:, counters].max() >= EXACT_FLOAT:
                return None
        epoch = None if layout.epoch is None else rows[:, layout.epoch].astype(np.int64)
        if epoch is not None and self.epoch_base is None:
            self.epoch_base = 0 if epoch[0] == 0 else 1
        if layout.step is not None:
            step = rows[:, layout.step].astype(np.int64)
            if layout.total is not None:
                total = rows[:, layout.total].astype(np.int64)
                if not total.all():
                    return None
                steps, epochs = (epoch - self.epoch_base) * total + step, epoch + step / total
            elif epoch is not None:
                steps, epochs = step, epoch.astype(np.float64)
            else:
                steps, epochs = step, self._epochs(count)
            self.step = int(steps[-1])
            split, batch_level = tags.BATCH, True
        elif epoch is not None:
            steps = epoch if self.step is None else np.full(count, self.step)
            epochs = epoch.astype(np.float64)
            split, batch_level = self.split, False
        else:
            at = self.step if self.step is not None else self.epoch
            if at is None:
                return None  # before anything set a context: not read
            steps, epochs = np.full(count, at), self._epochs(count)
            split, batch_level = self.split, False
        if (self.last_step is not None and steps[0] < self.last_step) or (count > 1 and (steps[1:] < steps[:-1]).any()):
            return None  # a resume: its event goes between two lines
        self.last_step = int(steps[-1])
        if epoch is not None:
            self.epoch = int(epoch[-1])
        return steps, epochs, split, batch_level

    def _epochs(self, count: int) -> np.ndarray | None:
        return None if self.epoch is None else np.full(count, float(self.epoch))

    def move_on(self, context: grammars.Context) -> None:
        context.epoch, context.step, context.last_step = self.epoch, self.step, self.last_step
        context.epoch_base = self.epoch_base


def _walls(layout: PrintLayout, lines: list[str], at: int, end: int) -> np.ndarray | None | bool:
    """The wall times of ``lines[at:end]`` (of ``layout``): None when none has one, False
    when some have one and some not."""
    if not layout.is_timed:
        return None
    times = [wall_time(line) for line in lines[at:end]]
    if None not in times:
        return np.array(times, np.float64)
    return None if times.count(None) == len(times) else False


def _columns(tag: str, name: str, parts: list[tuple]) -> Columns | None:
    """One block of the points of one series, in line order; None when some of its points
    have an epoch or a wall time and some not (a `Point` says None where a block says NaN)."""
    if len(parts) == 1:
        return Columns(tag, name, *parts[0])
    steps, values, epochs, walls = zip(*parts)
    if len({e is None for e in epochs}) > 1 or len({w is None for w in walls}) > 1:
        return None
    return Columns(
        tag,
        name,
        np.concatenate(steps),
        np.concatenate(values),
        None if epochs[0] is None else np.concatenate(epochs),
        None if walls[0] is None else np.concatenate(walls),
    )
