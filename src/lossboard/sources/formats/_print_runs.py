"""Runs of print lines of one layout, read in bulk.

A training script prints the same line every few steps::

    INFO:root:Epoch [1/6], Step [10/161], Loss: 0.5517
    INFO:root:Epoch [1/6], Step [20/161], Loss: 0.4012
    epoch=1 step=40 loss=0.512 acc=0.81

Lines that differ only in their ASCII digits (`_layouts.layout`) are read alike by the line
pipeline: its prefixes, its bar test, the choice of grammar, the counters and the names all
read digits as ``\\d`` only, and a value `float` takes in one line it takes in all. So a
`PrintLayout` is learned from the first line of a layout - where its counters and values are,
the tags of its values, how its counters place them - and a run of such lines is cut by one
template (`_numbers.cut_numbers`), converted by one orjson call and leaves as one `Columns`
block per value, the points `LinePipeline.line` gives line by line.

Bulk covers the placements that need no state but the context's epoch: a step counter with a
per-epoch total beside an epoch counter (``Epoch [2/6], Step [10/161]``: step = (epoch - base)
* 161 + 10), a step counter beside an epoch counter (``epoch=1 step=40``) and a step counter
alone. Other lines (a header, no counter, an epoch alone, a batch counter without a total, a
value that is not a number), and a run where a step goes back (a resume), a date that is no
date or a number orjson refuses, are read line by line.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from lossboard import tags
from lossboard.model import Columns, Item
from lossboard.sources.formats import _grammars as grammars
from lossboard.sources.formats._lines import MAX_LINE_CHARS
from lossboard.sources.formats._numbers import EXACT_FLOAT, KEEP, cut_numbers, number, number_matrix
from lossboard.sources.formats._prefixes import strip_prefixes, wall_time
from lossboard.sources.formats.tqdm import match_bar

MIN_RUN = 3  # fewer lines are cheaper read one by one
_MAX_LAYOUTS = 4096  # layouts remembered; a log with more learns them again
_MAX_BYTES = 4096  # longer lines are read one by one: the cache holds their whole layout
# a line's layout -> how to read it in bulk (None: line by line); shared by every parser and
# kept out of their state, like the bar layouts of `tqdm`
_LAYOUTS: dict[bytes, PrintLayout | None] = {}


class PrintLayout(NamedTuple):
    """Where a layout's numbers are, in the order `cut_numbers` gives them, and what they are."""

    marks: bytes  # the `cut_numbers` template of one line and its "\n"
    epoch: int | None  # column of the epoch counter
    step: int  # column of the step counter
    total: int | None  # column of the step counter's per-epoch total
    values: tuple[tuple[int, str, str], ...]  # (column, tag, printed name) of each value
    width: int  # numbers a line gives
    counts_fit: bool  # every counter has at most 15 digits: exact as a float64
    is_timed: bool  # the line starts with a date and time: its wall time


def layout_of(mask: bytes, line: str) -> PrintLayout | None:
    """The bulk reading of the lines of layout ``mask``, ``line`` one of them (learned once)."""
    if mask in _LAYOUTS:
        return _LAYOUTS[mask]
    if len(mask) > _MAX_BYTES:
        return None
    if len(_LAYOUTS) >= _MAX_LAYOUTS:
        _LAYOUTS.clear()
    layout = _LAYOUTS[mask] = _learn(line)
    return layout


def _learn(line: str) -> PrintLayout | None:
    """What `LinePipeline.line` does with ``line``, when bulk can do it for its layout."""
    text = line.rstrip()
    if len(text) >= MAX_LINE_CHARS:
        return None  # cut at the cap: `LinePipeline.line` does not read it
    stripped = strip_prefixes(text)
    offset = len(text) - len(stripped)
    if not text or match_bar(stripped) is not None or grammars.claims_as_header(stripped):
        return None
    spans = grammars.pair_spans(stripped)
    if not spans:
        return None  # no pair (another grammar's line), or a list of numbers
    counters = grammars.counter_spans(stripped)
    epoch = counters.get("epoch") or counters.get("ep")
    step_name = next((name for name in grammars.STEP_NAMES if name in counters), None)
    if step_name is None:
        return None
    step_span, total_span = counters[step_name]
    counts_in_epoch = not any(name in counters for name in grammars.STEP_NAMES if name != "batch")
    if epoch is not None and total_span is None and counts_in_epoch:
        return None  # "epoch=1 batch=20": `Context.batch_step` keeps state
    fields = {"step": step_span}
    if epoch is not None:
        fields["epoch"] = epoch[0]
    if epoch is not None and total_span is not None:
        fields["total"] = total_span
    found = []
    line_split = None
    for a, b, _, _, e, f in spans:
        name, raw = stripped[a:b], stripped[e:f]
        value = raw.rstrip(")]}").removesuffix("%")
        if number(value) is None:
            return None  # a problem or nothing: line by line
        tag, named = grammars.tag_of(name, line_split or tags.BATCH, True)
        line_split = named or line_split
        fields[len(found)] = (e, e + len(value))
        found.append((tag, name))
    order = sorted(fields, key=lambda field: fields[field][0])
    spans_in_order = [fields[field] for field in order]
    if any(end >= start for (_, end), (start, _) in zip(spans_in_order, spans_in_order[1:])):
        return None  # numbers that touch: no byte between them for the comma
    marks = bytearray(len(line.encode("utf-8", "surrogatepass")) + 1)
    for start, end in spans_in_order:
        start = len(line[: offset + start].encode("utf-8", "surrogatepass"))
        end = len(line[: offset + end].encode("utf-8", "surrogatepass"))
        marks[start:end] = bytes([KEEP]) * (end - start)
        marks[end] = ord(",")
    column = {field: at for at, field in enumerate(order)}
    counts_fit = all(end - start <= 15 for field, (start, end) in fields.items() if type(field) is str)
    return PrintLayout(
        bytes(marks),
        column.get("epoch"),
        column["step"],
        column.get("total"),
        tuple((column[at], tag, name) for at, (tag, name) in enumerate(found)),
        len(order),
        counts_fit,
        offset > 0 and wall_time(text) is not None,
    )


def read(layout: PrintLayout, lines: list[str], context: grammars.Context, items: list[Item]) -> bool:
    """The points of ``lines`` (all of ``layout``) as `LinePipeline.line` gives them, appended
    to ``items``, and the context moved on as it moves it; False, with nothing changed, when
    they must be read line by line."""
    text = "\n".join(lines).encode("utf-8", "surrogatepass") + b"\n"
    matrix = number_matrix(cut_numbers(text, layout.marks * len(lines)), layout.width)
    if matrix is None or len(matrix) != len(lines):
        return False
    if not layout.counts_fit:
        counters = [column for column in (layout.epoch, layout.step, layout.total) if column is not None]
        if matrix[:, counters].max() >= EXACT_FLOAT:
            return False
    step = matrix[:, layout.step].astype(np.int64)
    epoch_base = context.epoch_base
    if layout.epoch is None:
        epochs = None if context.epoch is None else np.full(len(lines), float(context.epoch))
        steps = step
    else:
        epoch = matrix[:, layout.epoch].astype(np.int64)
        if epoch_base is None:
            epoch_base = 0 if epoch[0] == 0 else 1
        if layout.total is None:
            steps, epochs = step, epoch.astype(np.float64)
        else:
            total = matrix[:, layout.total].astype(np.int64)
            if not total.all():
                return False
            steps = (epoch - (epoch_base or 0)) * total + step
            epochs = epoch + step / total
    last = context.last_step
    if (last is not None and steps[0] < last) or (steps[1:] < steps[:-1]).any():
        return False  # a resume: its event goes between two lines
    walls = None
    if layout.is_timed:
        times = [wall_time(line) for line in lines]
        if None in times:
            return False
        walls = np.array(times, dtype=np.float64)
    for column, tag, name in layout.values:
        items.append(Columns(tag, name, steps, matrix[:, column], epochs, walls))
    context.epoch_base = epoch_base
    if layout.epoch is not None:
        context.epoch = int(epoch[-1])
    context.step = context.last_step = int(steps[-1])
    context.wall_time = None if walls is None else float(walls[-1])
    return True
