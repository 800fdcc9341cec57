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
from collections.abc import Iterator
from functools import lru_cache
from typing import NamedTuple

import numpy as np

from lossboard import tags
from lossboard.model import Columns, Item
from lossboard.sources.formats import _grammars as grammars
from lossboard.sources.formats._numbers import (
    KEEP,
    Decimal,
    DigitReader,
    cut_numbers,
    decimal_at,
    decimals,
    digit_reader,
    number,
    number_matrix,
)
from lossboard.sources.formats._offsets import rows_at
from lossboard.sources.formats._prefixes import date_length, strip_prefixes, wall_time
from lossboard.sources.formats._print_places import Place, Setters, Sheet
from lossboard.sources.formats.tqdm import match_bar

MIN_VALUE_LINES = 2  # a stretch with fewer lines of values is cheaper read line by line
# a stretch with fewer lines is cheaper converted by one orjson call than a column at a time
MIN_DECIMAL_LINES = 256
_MAX_LAYOUTS = 4096  # layouts remembered; a log with more learns them again
_MAX_BYTES = 4096  # longer lines are read one by one: the cache holds their whole layout
_DIGIT = re.compile(r"\d")
# what a line of a layout is (`PrintLayout.kind`)
BLANK, QUIET, UNREAD, VALUES = range(4)
# a line's layout -> how to read it in bulk (None: line by line); shared by every parser and
# kept out of their state, like the bar layouts of `tqdm`: what is learned of a layout does not
# depend on when (which layouts a stream has seen once does: the caller keeps those)
_LAYOUTS: dict[bytes, PrintLayout | None] = {}
_UNKNOWN = object()  # a layout not learned yet (None: learned to be read line by line)


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
    stamp: int = 0  # bytes of the date and time the line starts with (its wall time), 0: none
    # default split -> (column, tag, printed name) of each value: as `_grammars._emit` names them
    tags: dict[str, tuple[tuple[int, str, str], ...]] | None = None
    decimals: tuple[Decimal, ...] = ()  # where each number is, for `decimals`
    digits: DigitReader | None = None  # reads them all at once, when none has an exponent


class Stretch(NamedTuple):
    """Consecutive runs of lines, each run of one layout: ``runs`` holds (layout, first, end)
    indexes into the lines, ``text`` the lines' UTF-8, each with its ``\\n``, from byte ``start``
    on (a slice would copy a chunk)."""

    runs: list[tuple[PrintLayout, int, int]]
    text: bytes
    start: int = 0

    def placed(self) -> Iterator[tuple[PrintLayout, int, int, int]]:
        """Each run as (layout, first, end, byte): where its lines start in ``text``."""
        byte = self.start
        for layout, first, end in self.runs:
            yield layout, first, end, byte
            byte += len(layout.marks) * (end - first)

    def line(self, at: int) -> str:
        """Line ``at`` (counted as the runs count them)."""
        for layout, first, end, byte in self.placed():
            if at < end:
                size = len(layout.marks)
                return line_at(self.text, byte + size * (at - first), size)
        raise IndexError(at)


def line_at(text: bytes, start: int, size: int) -> str:
    """The line of ``size`` bytes (its ``\n`` included) at ``start`` of ``text``, without its ``\n``."""
    return text[start : start + size - 1].decode("utf-8", "surrogatepass")


def layout_of(mask: bytes, text: bytes, start: int, count: int, seen: set[bytes]) -> PrintLayout | None:
    """The bulk reading of the lines of layout ``mask``, the line at byte ``start`` of ``text``
    (UTF-8) one of ``count`` in a row (learned once, when the layout repeats: a line printed once
    is cheaper read than learned). ``seen``: the layouts the stream has printed once so far (a
    stream's, so that what a parse gives does not depend on what the process parsed before;
    learned ones are shared)."""
    layout = _LAYOUTS.get(mask, _UNKNOWN)
    if layout is not _UNKNOWN:
        return layout
    if len(mask) > _MAX_BYTES:
        return None
    if count == 1 and mask not in seen:
        if len(seen) >= _MAX_LAYOUTS:
            seen.clear()
        seen.add(mask)
        return None
    if len(_LAYOUTS) >= _MAX_LAYOUTS:
        _LAYOUTS.clear()
    line = text[start : start + len(mask)].decode("utf-8", "surrogatepass")
    layout = _LAYOUTS[mask] = _learn(line, bytes(len(mask) + 1))
    return layout


@lru_cache(maxsize=256)
def quiet(size: int) -> PrintLayout:
    """The layout of a line of ``size`` bytes (its ``\\n`` included) that gives nothing in bulk:
    one for all lines of a size, as a chunk's bar lines and headers are read apart by the
    thousand."""
    return PrintLayout(QUIET, bytes(size))


def _learn(line: str, no_marks: bytes) -> PrintLayout | None:
    """What `LinePipeline.line` does with ``line``, when bulk can do it for its layout."""
    text = line.rstrip()
    if not text:  # blank or white space: `LinePipeline.lines` does not even look at it
        return PrintLayout(BLANK, no_marks)
    stripped = strip_prefixes(text)
    offset = len(text) - len(stripped)
    if match_bar(stripped) is not None or grammars.claims_as_header(stripped):
        return None
    stamp = len(text[: date_length(text)].encode("utf-8", "surrogatepass")) if offset else 0
    if not _DIGIT.search(stripped):
        return PrintLayout(QUIET, no_marks, stamp=stamp)
    spans = grammars.pair_spans(stripped) if ":" in stripped or "=" in stripped else ()
    if spans is None:
        return None  # a list of numbers: names are made
    if not spans:
        if grammars.may_read_without_pairs(stripped):
            return None
        return PrintLayout(UNREAD, no_marks, stamp=stamp)
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
    encoded = line.encode("utf-8", "surrogatepass")
    found_decimals: list = []  # a `Decimal` each, None for a number it cannot read
    for start, end in spans_in_order:
        start = len(line[: offset + start].encode("utf-8", "surrogatepass"))
        end = len(line[: offset + end].encode("utf-8", "surrogatepass"))
        marks[start:end] = bytes([KEEP]) * (end - start)
        marks[end] = ord(",")
        found_decimals.append(decimal_at(encoded[start:end], start))
    if None in found_decimals:
        return None  # nan, inf, more digits than a float64 holds: line by line
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
        stamp,
        {},
        tuple(found_decimals),
        digit_reader(encoded, [decimal.span for decimal in found_decimals]),
    )


def value_lines(runs: list[tuple[PrintLayout, int, int]]) -> int:
    return sum(end - first for layout, first, end in runs if layout.kind == VALUES)


def read(stretch: Stretch, first: int, context: grammars.Context, items: list[Item],
         unread: list[int], setters: Setters | None = None) -> bool:
    """The records of the lines of ``stretch`` (its run from ``i`` holds line ``first + i``) as
    `LinePipeline.line` gives them one by one, appended to ``items``, with the numbers of the
    unread lines appended to ``unread`` and the context moved on as the lines move it; False,
    with nothing changed, when they must be read line by line. ``setters``: lines among them
    read apart (quiet runs here) that set the step or epoch."""
    runs = stretch.runs
    found = _lines_by_layout(runs, stretch.start)
    lines = sum(end - at for _, at, end in runs)
    readers = (_by_digits, _by_orjson) if lines >= MIN_DECIMAL_LINES else (_by_orjson, _by_digits)
    sheets = readers[0](found, stretch) or readers[1](found, stretch)
    if sheets is None:
        return False
    place = Place(context, sheets, lines, setters)
    if not place.ok:
        return False
    blocks: dict[tuple[str, str], list[tuple]] = {}
    text = np.frombuffer(stretch.text, np.uint8)
    for sheet, layout_lines in zip(sheets, found):
        steps, epochs = place.of(sheet)
        walls = _walls(sheet.layout, text, layout_lines.starts) if steps is not None else False
        if walls is False:
            return False
        for column, tag, name in _tags(sheet.layout, place.split):
            part = (sheet, steps, sheet.matrix[:, column], epochs, walls)  # the collector copies a view
            blocks.setdefault((tag, name), []).append(part)
    if not place.goes_forward():
        return False  # a resume: its event goes between two lines
    columns = [_columns(tag, name, parts) for (tag, name), parts in blocks.items()]
    if None in columns:
        return False
    items.extend(columns)
    for layout, begin, end in runs:
        if layout.kind == UNREAD:
            unread.extend(range(first + begin, first + end))
    place.move_on(context)
    last_seen = next(((layout, end - 1) for layout, _, end in reversed(runs) if layout.kind != BLANK), None)
    if last_seen is not None:
        context.wall_time = wall_time(stretch.line(last_seen[1])) if last_seen[0].stamp else None
    return True


def _tags(layout: PrintLayout, split: str) -> tuple[tuple[int, str, str], ...]:
    """(column, tag, printed name) of the values of ``layout`` on a line whose default split is
    ``split`` (a line with a step counter: batch-level); learned once per layout and split."""
    known = layout.tags.get(split)
    if known is None:
        is_batch = layout.step is not None
        default = tags.BATCH if is_batch else split
        line_split = None
        found = []
        for column, name in layout.values:
            tag, named = grammars.tag_of(name, line_split or default, is_batch)
            line_split = named or line_split
            found.append((column, tag, name))
        known = layout.tags[split] = tuple(found)
    return known


class _Lines(NamedTuple):
    """The lines of one layout of values in a stretch."""

    layout: PrintLayout
    where: np.ndarray  # the lines, counted from the stretch's first
    starts: np.ndarray  # where each starts in the stretch's text
    numbers: np.ndarray  # where its numbers start among the stretch's numbers


def _lines_by_layout(runs: list, start: int) -> list[_Lines]:
    """The lines of each layout of values of ``runs`` (the first at byte ``start``), in the
    order the layouts first appear: a table of the runs, spread to their lines in numpy."""
    places: dict[int, int] = {}  # id of a layout of values -> its place in ``layouts``
    layouts: list[PrintLayout] = []
    table: list[int] = []  # place of the layout (-1: no values), lines, bytes and numbers a line
    for layout, at, end in runs:
        place = -1
        if layout.kind == VALUES:
            place = places.setdefault(id(layout), len(layouts))
            if place == len(layouts):
                layouts.append(layout)
        table += (place, end - at, len(layout.marks), layout.width)
    place, count, size, width = np.array(table).reshape(-1, 4).T
    line_places, sizes, widths = np.repeat(place, count), np.repeat(size, count), np.repeat(width, count)
    starts, numbers = np.cumsum(sizes) - sizes + start, np.cumsum(widths) - widths
    found = []
    for at, layout in enumerate(layouts):
        where = np.flatnonzero(line_places == at)
        found.append(_Lines(layout, where, starts[where], numbers[where]))
    return found


def _sheet(lines: _Lines, matrix: np.ndarray) -> Sheet:
    """The `Sheet` of ``lines`` and their numbers: a run of consecutive lines is one range."""
    where = lines.where
    return Sheet(lines.layout, int(where[0]), None if where[-1] - where[0] == len(where) - 1 else where, matrix)


def _by_orjson(found: list[_Lines], stretch: Stretch) -> list[Sheet] | None:
    """A `Sheet` per layout of values, in the order they first appear, the numbers of the
    whole stretch cut out by one template and read by one orjson call; None when orjson
    refuses one (``05``, ``+3``)."""
    marks = b"".join([layout.marks * (end - at) for layout, at, end in stretch.runs])
    text = stretch.text[stretch.start : stretch.start + len(marks)]
    numbers = number_matrix(cut_numbers(text, marks), 1)
    expected = sum(lines.layout.width * len(lines.where) for lines in found)
    if numbers is None or len(numbers) != expected:
        return None
    numbers = numbers.ravel()
    return [_sheet(lines, numbers[lines.numbers[:, None] + np.arange(lines.layout.width)]) for lines in found]


def _by_digits(found: list[_Lines], stretch: Stretch) -> list[Sheet] | None:
    """`_by_orjson` with the numbers read from the digits of each layout's lines: all at once
    by its `DigitReader`, else (an exponent) a column at a time by `decimals`; None when orjson
    refuses a number `decimals` leaves to it."""
    text = np.frombuffer(stretch.text, np.uint8)
    sheets = []
    for lines in found:
        layout, starts = lines.layout, lines.starts
        if layout.digits is not None:
            matrix = layout.digits.read(text, starts)
        else:
            matrix = np.empty((len(starts), layout.width))
            rows = _rows(stretch.text, lines)
            for column, decimal in enumerate(layout.decimals):
                values = decimals(rows, decimal)
                if values is None:
                    return None
                matrix[:, column] = values
        sheets.append(_sheet(lines, matrix))
    return sheets


def _rows(text: bytes, lines: _Lines) -> np.ndarray:
    """The bytes of ``lines`` of ``text``, a line a row: a view for lines in one range, else
    their runs' bytes joined (one copy: a take of every byte costs ten times as much)."""
    size = len(lines.layout.marks)
    heads = np.flatnonzero(np.diff(lines.where, prepend=-2) != 1)  # the first line of each run
    if len(heads) == 1:
        return np.frombuffer(text, np.uint8, len(lines.where) * size, int(lines.starts[0])).reshape(-1, size)
    view = memoryview(text)
    ends = [*heads[1:].tolist(), len(lines.where)]
    runs = zip(lines.starts[heads].tolist(), heads.tolist(), ends)
    joined = b"".join([view[start : start + (end - head) * size] for start, head, end in runs])
    return np.frombuffer(joined, np.uint8).reshape(-1, size)


def _walls(layout: PrintLayout, text: np.ndarray, starts: np.ndarray) -> np.ndarray | None | bool:
    """The wall times of the lines of ``layout`` that start at ``starts`` of ``text``: None when
    none has one, False when some have one and some not. Each date and time is read once: a
    log's records share seconds, and often milliseconds."""
    if not layout.stamp:
        return None
    stamps = rows_at(text, starts, layout.stamp).view(f"S{layout.stamp}").ravel()
    known, where = np.unique(stamps, return_inverse=True)
    times = [wall_time(stamp.decode("utf-8", "surrogatepass")) for stamp in known.tolist()]
    if None not in times:
        return np.array(times, np.float64)[where.ravel()]
    return None if times.count(None) == len(times) else False


def _columns(tag: str, name: str, parts: list[tuple]) -> Columns | None:
    """One block of the points of one series, in line order, from the (sheet, steps, values,
    epochs, walls) of each layout that gives it; None when some of its points have an epoch or
    a wall time and some not."""
    if len(parts) == 1:
        return Columns(tag, name, *parts[0][1:])
    sheets, steps, values, epochs, walls = zip(*parts)
    if len({e is None for e in epochs}) > 1 or len({w is None for w in walls}) > 1:
        return None
    columns = [np.concatenate(steps), np.concatenate(values)]
    columns += [None if found[0] is None else np.concatenate(found) for found in (epochs, walls)]
    if any(sheet.where is not None for sheet in sheets):  # else one run each, in line order
        order = np.argsort(np.concatenate([sheet.lines() for sheet in sheets]), kind="stable")
        columns = [None if column is None else column[order] for column in columns]
    return Columns(tag, name, *columns)
