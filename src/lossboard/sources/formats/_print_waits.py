"""Print lines that wait to be read as one stretch while the bar lines and epoch headers among
them are read where they stand.

A mixed log prints, per epoch, a header, a bar redrawn on one line and a few dozen print lines
(corpus files 41, 43, 44). Read in order, each header and bar line ends the stretch of print
lines before it, and the stretch's setup (`_print_runs.read`) is paid once an epoch. But a bar
redraw read in bulk, or alone with no prefix, nothing glued and a description that names its
epoch, reads nothing of what the print lines before it set; nor does an epoch header without a
prefix, once the first epoch is known and while no split is set. Both only set the step and
the epoch that the lines after them read. So `LinePipeline` reads such a line at once, keeps
what it sets here (a setter), and reads the print lines of a whole chunk as one stretch with
the setters among them (`_print_places.Setters`).

The records of the print lines take the place in ``items`` that the first of them had. That
is what reading in order gives unless a series of the print lines after a setter also has
points from the bars between (checked: `shares_series`); then, or when the stretch cannot be
read in bulk, each part (the print lines up to the next setter) is read on its own, in order,
and its records are put where it stood (`parts`).
"""

from __future__ import annotations

import numpy as np

from lossboard.model import Columns, Item, Point
from lossboard.sources.formats._grammars import Context
from lossboard.sources.formats._print_places import Setters
from lossboard.sources.formats._print_runs import VALUES, PrintLayout, Stretch, quiet

_INT64_END = 2**63


class Waiting:
    """A stretch of print lines not read yet, from byte ``begin`` of ``text`` (line ``i`` of the
    text is line ``first + i`` of the log), and the setters among them."""

    def __init__(self, first: int, text: bytes, begin: int, context: Context) -> None:
        self.first, self.text, self.begin = first, text, begin
        self.runs: list[tuple[PrintLayout, int, int]] = []  # (layout, first, end) into the text's lines
        self.epoch, self.step = context.epoch, context.step  # what its first line reads
        self.setters: dict[int, list[int | None]] = {}  # a setter line -> [step, epoch] it sets
        self.parts: list[tuple[int, int]] = []  # (run, place in items) of each part's first run
        self.is_set = True  # print lines added now start a part: the first, or the first after a setter

    def open_part(self, place: int) -> None:
        """The print lines added next start a part, whose records go to ``place`` in items."""
        self.parts.append((len(self.runs), place))
        self.is_set = False

    def set(self, at: int, size: int) -> list[int | None]:
        """Line ``at`` (``size`` bytes with its ``\\n``) is a setter: its [step, epoch], for the
        caller to fill in (None: left as it was), quiet to the stretch (no value, no time)."""
        self.runs.append((quiet(size), at, at + 1))
        self.is_set = True
        found = self.setters[at] = [None, None]
        return found

    def stretch(self) -> Stretch:
        return Stretch(self.runs, self.text, self.begin)

    def counters(self) -> Setters | None:
        """The setters for `_print_places.Place`; None when a value does not fit in int64."""
        base = self.runs[0][1]
        found = []
        for column in (0, 1):
            lines = [(at - base, set_[column]) for at, set_ in self.setters.items() if set_[column] is not None]
            if any(abs(value) >= _INT64_END for _, value in lines):
                return None
            pairs = np.array(lines, np.int64).reshape(-1, 2)
            found.append((pairs[:, 0], pairs[:, 1]))
        return Setters(*found)

    def shares_series(self, items: list[Item], held: set[str]) -> bool:
        """Whether a name the print lines may give also names points in ``items`` between the
        first part and the last (what the bars gave there), or runs of bars still ``held``
        (`tqdm.Bars.held_names`: their places in ``items`` are not blocks yet)."""
        if len(self.parts) < 2:
            return False
        names = {name for layout, _, _ in self.runs if layout.kind == VALUES for _, name in layout.values}
        if not names.isdisjoint(held):
            return True
        between = items[self.parts[0][1] : self.parts[-1][1]]
        return any(type(item) in (Point, Columns) and item.source_tag in names for item in between)
