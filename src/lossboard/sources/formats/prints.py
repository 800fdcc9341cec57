"""Mixed output: tqdm bars, ``print`` lines and ``logging`` records in one stream.

    2025-05-14 15:56:57,316 - ResNet_train - INFO - Learning rate for next epoch: 0.050000
    Epoch 1/25 [Train]: 100%|██████████| 1113/1113 [05:43<00:00,  3.24it/s, loss=4.6271]
    2025-05-14 16:02:53,777 - ResNet_train - INFO - Epoch [1/25], Training Loss: 4.6271, Accuracy: 5.74%
    Epoch: 106
    Training Loss: 0.057 | Acc: 98.874% (49437/50000)
    Epoch 1 loss 2.1214 acc 0.4343 val_loss 1.8972 val_acc 0.7557

The line pipeline, in order:

1. Lines are split as everywhere (`LineParser`); a line redrawn with ``\\r`` gives each of
   its states (`redraws`), since a bar's redraws are data.
2. Each state goes to `_pipeline.LinePipeline`: known prefixes (logging, glog, ``INFO:root:``,
   ``[07:18:39]``, ``file.py[line:175]``) are stripped and give the wall time, a tqdm bar goes
   to `Bars`, every other line to the grammars of `_grammars.GRAMMARS` with a shared `Context`.
   Formats with parsers of their own hand the same pipeline the lines they do not claim.

Speed without a second set of rules: a redrawn line's runs of one bar are read in bulk by
`Bars.redrawn`, stretches of print lines of known layouts by `LinePipeline.lines` (``fast=False``
reads each redraw and each line on its own, for the tests to compare), and the grammars'
scans are learned once per line layout (`_layouts`). In a chunk with bar lines, the print
lines around the bar lines and epoch headers are one stretch (`_print_waits`).

Nothing is dropped in silence: ``Parser.unread`` lists the numbers of the lines that hold a
digit and gave no value, no header and no bar (``Checkpoint saved to model_1.pth``,
``No improvement for 1/20 epochs``), and ``Parser.read`` counts the lines that gave values.
"""

from __future__ import annotations

from lossboard.model import Item
from lossboard.sources.formats._lines import needs_render, redraws
from lossboard.sources.formats._pipeline import DRAWN, LinePipeline
from lossboard.sources.formats.sniffers.prints import sniff as sniff
from lossboard.sources.formats.tqdm import DrawnBytesFeed, LineBytes

NAME = "prints"


class Parser(DrawnBytesFeed):
    """The line pipeline over every line of one stream."""

    raw_lines = True
    live_redraws = True  # a bar that never ends its line is read as it is drawn

    def __init__(self, *, fast: bool = True) -> None:
        """``fast=False`` reads every bar redraw and every line on its own (tests compare both
        paths)."""
        super().__init__()
        self._fast = fast
        self._pipeline = LinePipeline()

    @property
    def unread(self) -> list[int]:
        """Numbers of the lines with a digit that gave nothing."""
        return self._pipeline.unread

    @property
    def read(self) -> int:
        """How many lines gave values."""
        return self._pipeline.read

    @property
    def headers(self) -> int:
        return self._pipeline.headers

    @property
    def bars(self) -> int:
        """Bar redraws seen."""
        return self._pipeline.bar_states

    def feed(self, text: str) -> list[Item]:
        """A chunk with nothing to draw is read as one text: its lines become `str`s only when
        read on their own, and none is split out for the splitter (it counts them)."""
        if not self._fast or needs_render(text):
            return super().feed(text)
        splitter = self._splitter
        items: list[Item] = []
        begins = 0  # where the lines read as one text begin
        if not splitter.is_at_line_start:  # first the end of the line the last chunk left open
            begins = text.find("\n") + 1
            if not begins:
                return super().feed(text)
            items = super().feed(text[:begins])
        end = text.rfind("\n") + 1
        # a line of a text no longer than the cap cannot be cut
        if splitter.is_at_line_start and begins < end <= splitter.max_line_chars:
            data = text.encode("utf-8", "surrogatepass")
            start = data.find(b"\n") + 1 if begins else 0
            first = splitter.next_line
            splitter.skip(self._pipeline.block(first, data, items, start))
            begins = end
        items.extend(super().feed(text[begins:]))  # the line left open waits
        return items

    def parse_lines(self, first: int, lines: list[str], data: LineBytes | None = None) -> list[Item]:
        """``data``: the lines' bytes, when `feed_bytes` has them."""
        items: list[Item] = []
        pipeline = self._pipeline
        if not self._fast:
            self._line_by_line(first, lines, items)
            return items
        # the drawn lines are read where they stand (`_drawn`), the print lines around them as
        # one text in which a stand-in keeps each drawn line's place (`needs_render` inline: a
        # call a line cost more than its three scans); in a chunk with no backspace and no ESC
        # (`LineBytes.undrawn`), a "\r" is all that draws, and a bar line is not scanned whole
        undrawn = data is not None and data.undrawn
        if undrawn:
            marked = [DRAWN if "\r" in line else line for line in lines]
        else:
            marked = [DRAWN if "\r" in line or "\b" in line or "\x1b" in line else line for line in lines]
        if DRAWN not in marked:
            pipeline.lines(first, lines, items)
            return items
        ahead = pipeline.progress.read_ahead(first, lines, data)
        text = "\n".join(marked).encode("utf-8", "surrogatepass") + b"\n"
        pipeline.block(
            first, text, items,
            drawn=lambda line_no: self._drawn(line_no, lines[line_no - first], ahead, items, undrawn),
        )
        pipeline.progress.flush()
        return items

    def _drawn(self, line_no: int, line: str, ahead: dict, items: list[Item], undrawn: bool) -> None:
        """A line with ``\\r``, ``\\b`` or ANSI: its runs of one bar in bulk (`Bars.redrawn`), each
        other state on its own. ``undrawn``: no line of the chunk has a backspace or ESC."""
        pipeline = self._pipeline
        if undrawn or ("\r" in line and "\x08" not in line and "\x1b" not in line):
            for state in pipeline.progress.redrawn(line_no, line, items, ahead.get(line_no)):
                if type(state) is int:
                    pipeline.after_bars(state)
                else:
                    pipeline.state(line_no, state, items)
        else:
            for state in redraws(line):
                pipeline.state(line_no, state, items)

    def _line_by_line(self, first: int, lines: list[str], items: list[Item]) -> None:
        """Every redraw and every line on its own (``fast=False``): what the bulk paths give."""
        for line_no, line in enumerate(lines, first):
            if needs_render(line):
                for state in redraws(line):
                    self._pipeline.line(line_no, state, items)
            elif line and not line.isspace():
                self._pipeline.line(line_no, line.rstrip(), items)

    def finish(self) -> list[Item]:
        items: list[Item] = []
        self._pipeline.finish(items)
        return items
