"""The line pipeline for one resolved line of mixed output: prefixes, a tqdm bar, or the grammars.

`LinePipeline.line` takes a line whose terminal output is resolved (one ``\\r`` state at most)
and, in order:

1. strips known prefixes (logging, glog, ``INFO:root:``, ``[07:18:39]``, ``file.py[line:175]``;
   `strip_prefixes`), whose date and time become the wall time of the line's values;
2. gives a state that starts with a tqdm bar to `Bars` (the ``tqdm`` format's rules), with the
   epoch of the last header for a bar that names none; text glued after the bar's ``]`` (a
   logging record printed while the bar was drawn, no newline between) is a line of its own;
3. gives every other line to the grammars of `_grammars.GRAMMARS` with the shared `Context`.

The ``prints`` format is this pipeline over every line. A format with a parser of its own
(MXNet, Keras, Caffe, ...) hands it the lines its own rules do not claim, after telling the
context where training is (`Context.see_epoch`, ``context.step``), so a ``print()`` between
two Speedometer lines is read at the epoch those lines are in, not listed as unread.

Nothing is dropped in silence: ``unread`` lists the numbers of the lines that hold a digit
and gave no value, no header and no bar, and ``read`` counts the lines that gave values.

`LinePipeline.lines` is the bulk entry (`LinePipeline.block` the same for lines still in one
UTF-8 text, which then become `str`s only to be read on their own): it takes a block of
consecutive resolved lines and reads each stretch of lines whose layouts it knows
(``INFO:root:Epoch [1/6], Step [10/161], Loss: 0.55`` printed every ten steps, the summary
printed once an epoch, blank lines, a checkpoint line with no value) with `_print_runs`: its
numbers read at once and one `Columns` block per series. Headers, bars and lines bulk does
not read go to `line`; the records are those `line` gives one line at a time. A format with a
parser of its own can hand it the stretches of lines it does not claim.
"""

from __future__ import annotations

import re
from itertools import groupby

from lossboard.model import Item
from lossboard.sources.formats import _print_runs
from lossboard.sources.formats._grammars import GRAMMARS, Context, epoch_header, split_header
from lossboard.sources.formats._layouts import MASK
from lossboard.sources.formats._lines import MAX_LINE_CHARS
from lossboard.sources.formats._prefixes import strip_prefixes, wall_time
from lossboard.sources.formats.tqdm import Bars, match_bar

_DIGIT = re.compile(r"\d")


class LinePipeline:
    """Prefixes, bars and grammars over a stream's lines; the context lives as long as the stream."""

    def __init__(self) -> None:
        self.context = Context()
        self.progress = Bars()
        self.unread: list[int] = []  # lines with a digit that gave nothing
        self.read = 0  # lines that gave values
        self.headers = 0
        self.bar_states = 0

    def line(self, line_no: int, text: str, items: list[Item]) -> None:
        """Read one resolved line, appending what it gives to ``items``.

        A line cut at `MAX_LINE_CHARS` (reported by the splitter) is not read: its end is
        lost, and the number at the cut with it (``x=999…`` would read as inf)."""
        if len(text) >= MAX_LINE_CHARS:
            return
        stripped = strip_prefixes(text)
        context = self.context
        context.wall_time = wall_time(text) if stripped is not text else None
        bar = match_bar(stripped)
        if bar is not None:
            self.bar_states += 1
            self.progress.add(line_no, bar, items, context.epoch, context.wall_time)
            self._follow_bars()
            glued = stripped[bar.end() :] if bar["closed"] else ""
            if not glued or glued.isspace():
                return
            stripped = strip_prefixes(glued)
            context.wall_time = wall_time(glued) if stripped is not glued else None
        if not _DIGIT.search(stripped):  # a split header ("Validation:") at most
            split_header(line_no, stripped, context, items)
            return
        start = len(items)
        for grammar in GRAMMARS:
            if grammar(line_no, stripped, context, items):
                if grammar is epoch_header:
                    self.headers += 1
                elif len(items) > start:
                    self.read += 1
                return
        if not self.unread or self.unread[-1] != line_no:
            self.unread.append(line_no)

    def lines(self, first: int, lines: list[str], items: list[Item]) -> None:
        """Read lines ``first``, ``first + 1``, ... (resolved: no ``\\r``, ``\\b`` or ANSI left)
        as `line` reads them one by one; blank lines give nothing."""
        self.block(first, "\n".join(lines).encode("utf-8", "surrogatepass") + b"\n", items)

    def block(self, first: int, text: bytes, items: list[Item], start: int = 0) -> int:
        """`lines` for the lines of a UTF-8 text from byte ``start`` (a line's start) to its last
        ``\\n``: a line becomes a `str` only when it is read on its own. Returns how many lines
        there were."""
        masks = text.translate(MASK).split(b"\n")
        masks.pop()  # after the last "\n"
        if start:
            del masks[: text.count(b"\n", 0, start)]
        stretch: list[tuple[_print_runs.PrintLayout, int, int]] = []
        at = 0
        byte = begin = start  # the byte where the run starts, and where the stretch does
        for mask, same in groupby(masks):  # runs of lines of one layout
            end = at + len(list(same))
            layout = _print_runs.layout_of(mask, text[byte : byte + len(mask)], end - at)
            if layout is not None:
                if not stretch:
                    begin = byte
                stretch.append((layout, at, end))
            else:
                if stretch:
                    self._stretch(first, _print_runs.Stretch(stretch, text, begin), items)
                    stretch = []
                self._one_by_one(first + at, text, byte, len(mask) + 1, end - at, items)
            byte += (len(mask) + 1) * (end - at)
            at = end
        if stretch:
            self._stretch(first, _print_runs.Stretch(stretch, text, begin), items)
        return len(masks)

    def _stretch(self, first: int, stretch: _print_runs.Stretch, items: list[Item]) -> None:
        """A stretch of lines of known layouts: in bulk, else one by one."""
        count = _print_runs.value_lines(stretch.runs)
        context, unread = self.context, self.unread
        if count >= _print_runs.MIN_VALUE_LINES and _print_runs.read(stretch, first, context, items, unread):
            self.read += count
            return
        for layout, at, end, byte in stretch.placed():
            self._one_by_one(first + at, stretch.text, byte, len(layout.marks), end - at, items)

    def _one_by_one(self, first: int, text: bytes, byte: int, size: int, count: int,
                    items: list[Item]) -> None:
        """Lines ``first`` to ``first + count``, each ``size`` bytes with its ``\\n``, from
        ``byte`` of ``text`` on."""
        for line_no, start in enumerate(range(byte, byte + size * count, size), first):
            line = _print_runs.line_at(text, start, size)
            if line and not line.isspace():
                self.line(line_no, line.rstrip(), items)

    def after_bars(self, count: int) -> None:
        """What `line` does to the context after ``count`` bar states read in bulk, none with a
        prefix (`Bars.redrawn`)."""
        self.bar_states += count
        self.context.wall_time = None
        self._follow_bars()

    def place(self, step: int, epoch: int | None, split: str | None) -> None:
        """Where a format's own lines say training is: the lines it hands over are read at this
        step, epoch and split, and a script's bar with no step of its own (a validation bar)
        at this step, as if the format's lines were the training bar."""
        context = self.context
        if epoch is not None and epoch != context.epoch:
            context.see_epoch(epoch)
        context.step, context.split = step, split
        self.progress.train_step = step
        self.progress.train_epoch = None if epoch is None else float(epoch)

    def finish(self, items: list[Item]) -> None:
        self.progress.finish(items)

    def _follow_bars(self) -> None:
        """A training bar's count is the step, and its epoch the context's epoch."""
        progress = self.progress
        if progress.train_step is not None:
            self.context.step = progress.train_step
            if progress.train_epoch is not None:
                self.context.epoch = int(progress.train_epoch)
