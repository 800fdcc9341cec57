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
parser of its own can hand it the stretches of lines it does not claim. Given a reader for
drawn lines (``drawn``: the ``prints`` format's bar lines), `block` reads a chunk's print
lines as one stretch around its bar lines and epoch headers (`_print_waits`).
"""

from __future__ import annotations

import re
from itertools import groupby
from typing import Callable

from lossboard.model import Item
from lossboard.sources.formats import _print_runs
from lossboard.sources.formats._grammars import GRAMMARS, Context, epoch_header, header_epoch, split_header
from lossboard.sources.formats._layouts import MASK
from lossboard.sources.formats._lines import MAX_LINE_CHARS
from lossboard.sources.formats._prefixes import strip_prefixes, wall_time
from lossboard.sources.formats._print_waits import Waiting
from lossboard.sources.formats.tqdm import Bars, epoch_of, match_bar

_DIGIT = re.compile(r"\d")
DRAWN = "\r"  # stands in `block`'s text for a line that ``drawn`` reads: no print line is one
_DRAWN_MASK = DRAWN.encode()


class LinePipeline:
    """Prefixes, bars and grammars over a stream's lines; the context lives as long as the stream."""

    def __init__(self) -> None:
        self.context = Context()
        self.progress = Bars()
        self.unread: list[int] = []  # lines with a digit that gave nothing
        self.read = 0  # lines that gave values
        self.headers = 0
        self.bar_states = 0
        self._waiting: Waiting | None = None  # print lines read later, with the setters among them
        # [step, epoch] that the waiting stretch's last setter sets (None: left as it was); when
        # no stretch waits, the list of one already read, which nothing reads again
        self._setting: list[int | None] = [None, None]
        self._seen: set[bytes] = set()  # line layouts printed once, learned when they come again

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

    def block(self, first: int, text: bytes, items: list[Item], start: int = 0,
              drawn: Callable[[int], None] | None = None) -> int:
        """`lines` for the lines of a UTF-8 text from byte ``start`` (a line's start) to its last
        ``\\n``: a line becomes a `str` only when it is read on its own. Returns how many lines
        there were. A line `DRAWN` is given by its number to ``drawn``, which reads it (with
        `state` and `after_bars`) where it stands."""
        masks = text.translate(MASK).split(b"\n")
        masks.pop()  # after the last "\n"
        if start:
            del masks[: text.count(b"\n", 0, start)]
        at = 0
        byte = start  # where the run starts
        for mask, same in groupby(masks):  # runs of lines of one layout
            end = at + len(list(same))
            size = len(mask) + 1
            if drawn is not None and mask == _DRAWN_MASK:
                for line in range(at, end):
                    if self._waiting is not None:
                        self._setting = self._waiting.set(line, size)
                    drawn(first + line)
            else:
                layout = _print_runs.layout_of(mask, text, byte, end - at, self._seen)
                if layout is not None:
                    if self._waiting is None or self._waiting.is_set:
                        self._open_part(first, text, byte, items)
                    self._waiting.runs.append((layout, at, end))
                elif drawn is None or not self._headers(text, byte, size, at, end):
                    self._read_waiting(items)
                    self._one_by_one(first + at, text, byte, size, end - at, items)
            byte += size * (end - at)
            at = end
        self._read_waiting(items)
        return len(masks)

    def state(self, line_no: int, text: str, items: list[Item]) -> None:
        """`line` for one state of a drawn line; a bar alone (no prefix, nothing glued, its
        description naming its epoch) is read without what the waiting print lines set."""
        if self._waiting is not None:
            bar = _lone_bar(text)
            if bar is not None:
                self.bar_states += 1
                self.progress.add(line_no, bar, items)  # no epoch hint: the bar names its own
                self._follow_bars()
                return
            self._read_waiting(items)
        self.line(line_no, text, items)

    def _open_part(self, first: int, text: bytes, byte: int, items: list[Item]) -> None:
        """The print lines from byte ``byte`` on wait, in a part of their own."""
        if self._waiting is None:
            self._waiting = Waiting(first, text, byte, self.context)
        self.progress.seal()  # the bar lines after the part hold their runs after it
        self._waiting.open_part(len(items))

    def _headers(self, text: bytes, byte: int, size: int, at: int, end: int) -> bool:
        """Lines ``at`` to ``end`` as setters, when they are epoch headers that read nothing the
        waiting lines set: no prefix, the first epoch known, no split set (split headers do not
        wait)."""
        waiting, context = self._waiting, self.context
        if waiting is None or context.split is not None or context.epoch_base is None:
            return False
        epochs = []
        for start in range(byte, byte + size * (end - at), size):
            # a line the header's pattern matches whole has no prefix and is no bar
            epoch = header_epoch(_print_runs.line_at(text, start, size).rstrip())
            if epoch is None:
                return False
            epochs.append(epoch)
        for line, epoch in enumerate(epochs, at):
            waiting.set(line, size)[1] = epoch
        self.headers += len(epochs)
        return True

    def _read_waiting(self, items: list[Item]) -> None:
        """The waiting print lines, read now: in bulk as one stretch, else part by part."""
        waiting, self._waiting = self._waiting, None
        if waiting is None:
            return
        if not waiting.setters:
            self._stretch(waiting.first, waiting.stretch(), items)
            return
        self.progress.seal()
        context = self.context
        context.epoch, context.step = waiting.epoch, waiting.step
        stretch = waiting.stretch()
        count = _print_runs.value_lines(stretch.runs)
        setters = waiting.counters() if count >= _print_runs.MIN_VALUE_LINES else None
        found: list[Item] = []
        if (
            setters is not None
            and not waiting.shares_series(items, self.progress.held_names())
            and _print_runs.read(stretch, waiting.first, context, found, self.unread, setters)
        ):
            self.read += count
            items[waiting.parts[0][1] : waiting.parts[0][1]] = found
            return
        self._part_by_part(waiting, items)

    def _part_by_part(self, waiting: Waiting, items: list[Item]) -> None:
        """What reading in order gives: each part's print lines as a stretch of their own, the
        setters after them applied, each part's records put where it stood."""
        context = self.context
        pieces: list[list[Item]] = []
        starts = {run for run, _ in waiting.parts}
        runs: list[tuple] = []  # the print runs of the part being read
        begin = 0
        for index, (layout, at, end, byte) in enumerate(waiting.stretch().placed()):
            if index in starts:
                pieces.append([])
            set_ = waiting.setters.get(at)
            if set_ is None:
                begin = byte if not runs else begin
                runs.append((layout, at, end))
                continue
            if runs:
                self._stretch(waiting.first, _print_runs.Stretch(runs, waiting.text, begin), pieces[-1])
                runs = []
            step, epoch = set_
            context.wall_time = None
            context.step = context.step if step is None else step
            context.epoch = context.epoch if epoch is None else epoch
        if runs:
            self._stretch(waiting.first, _print_runs.Stretch(runs, waiting.text, begin), pieces[-1])
        for (_, place), piece in zip(reversed(waiting.parts), reversed(pieces)):
            items[place:place] = piece

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
        """A training bar's count is the step, and its epoch the context's epoch (kept as what
        the bar line sets, while print lines wait)."""
        progress = self.progress
        if progress.train_step is not None:
            self.context.step = self._setting[0] = progress.train_step
            if progress.train_epoch is not None:
                self.context.epoch = self._setting[1] = int(progress.train_epoch)


def _lone_bar(text: str) -> re.Match | None:
    """The bar of a state that `line` reads as a bar and nothing else, without the context: no
    prefix, nothing glued after it, a description that names its epoch (else a new bar takes
    the header's); else None."""
    if len(text) >= MAX_LINE_CHARS or strip_prefixes(text) is not text:
        return None
    bar = match_bar(text)
    if bar is None or epoch_of(bar["desc"] or "") is None:
        return None
    glued = text[bar.end() :] if bar["closed"] else ""
    return bar if not glued or glued.isspace() else None
