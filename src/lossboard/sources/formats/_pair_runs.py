"""Runs of logged lines of one layout read at once: the fast path of the PyTorch example's and
the detection trainers' text logs (mmcv, mmengine, detectron2).

Their metric lines differ only in their numbers::

    2023/06/09 15:09:09 - mmengine - INFO - Epoch(train)   [1][  5/109]  lr: 1.0000e-02  eta: 3:37:18  time: 1.1968  loss: 3.3544
    2023/06/09 15:09:09 - mmengine - INFO - Epoch(train)   [1][ 10/109]  lr: 1.0000e-02  eta: 1:55:49  time: 0.6381  loss: 3.3328

A `Layout` is such a line with its counters and values cut out, written as one regex for a whole
line: a format learns it once from a line its general path reads (the names and the text
between them stay literal), and `Layout.read` takes a run of consecutive lines in one
``findall`` over their joined text and one orjson call over all their numbers. The run is
read only when every line fits and every number is one JSON reads as ``float()`` does;
otherwise `read` gives None and the format reads the run line by line, so the records never
depend on the path taken, only the time does.

A layout is plain data (its regex as text, compiled through ``re``'s own cache), so a parser
holding one can be saved between passes.
"""

from __future__ import annotations

import re
from itertools import chain
from typing import NamedTuple

import numpy as np
import orjson

from lossboard.model import Item
from lossboard.sources.formats._lines import LineParser

# an ETA as the trainers print it: "3:37:18", "1 day, 2:03:04", "2 days, 2:47:25"
ETA = r"(?:\d+ days?, )?\d+:\d\d:\d\d"
STAMP = r"(\d{4}[-/]\d\d[-/]\d\d \d\d:\d\d:\d\d)"
_LOOSE = re.compile(rf"{ETA}|\d+")
MIN_LINES = 8  # shorter runs are not worth a findall


def loose(text: str) -> str:
    """``text`` as a regex in which an ETA or a run of digits may be any other (the text before
    a line's head: a logging prefix's time, detectron2's ``eta:``)."""
    pieces = []
    end = 0
    for match in _LOOSE.finditer(text):
        pieces.append(re.escape(text[end : match.start()]))
        pieces.append(ETA if ":" in match[0] else r"\d+")
        end = match.end()
    pieces.append(re.escape(text[end:]))
    return "".join(pieces)


class Layout(NamedTuple):
    """One kind of line as a regex over whole lines (``re.M``): its groups are the prefix's date
    and time when ``stamped``, then ``counters`` counters, then the values of ``names``."""

    pattern: str
    stamped: bool
    counters: int
    names: tuple[str, ...]

    def read(self, lines: list[str]) -> tuple[list[str] | None, np.ndarray] | None:
        """(the date and time of each line or None, a (lines, counters + values) float matrix)
        when every line fits, else None."""
        found = re.compile(self.pattern, re.M).findall("\n".join(lines))
        if len(found) != len(lines):
            return None
        stamps = [row[0] for row in found] if self.stamped else None
        numbers = ",".join(chain.from_iterable(row[1:] for row in found) if self.stamped else chain.from_iterable(found))
        if numbers.startswith("-0,") or ",-0," in numbers or numbers.endswith(",-0"):
            return None  # JSON's -0 is the integer 0; float("-0") is -0.0
        try:
            flat = orjson.loads("[" + numbers + "]")
        except orjson.JSONDecodeError:  # nan, inf, "1.", "+1", "01": float() reads them, JSON not
            return None
        width = self.counters + len(self.names)
        if len(flat) != len(lines) * width:
            return None
        return stamps, np.array(flat, dtype=np.float64).reshape(len(lines), width)


def runs(rows: list[int]) -> list[tuple[int, int]]:
    """(start, stop) of each stretch of consecutive numbers in the sorted ``rows``."""
    if not rows:
        return []
    at = np.asarray(rows)
    cuts = (np.flatnonzero(np.diff(at) != 1) + 1).tolist()
    starts = [0, *cuts]
    stops = [*cuts, len(rows)]
    return [(rows[a], rows[b - 1] + 1) for a, b in zip(starts, stops)]


class RunParser(LineParser):
    """A line parser whose runs of consecutive lines of one layout are read at once.

    A subclass reads one line at a time in `_one_by_one` (the general path, and
    ``fast=False``), tells in `_layout_of` the layout of a line its runs are made of (and the
    text every such line holds, a cheap test), and reads a run in `_run`, giving what
    `_one_by_one` would give or False, having changed nothing. A run that does not fit is read
    line by line, and the layout learned again from its last line.
    """

    def __init__(self, *, fast: bool = True) -> None:
        super().__init__()
        self._fast = fast
        self._layout: Layout | None = None
        self._marker = ""  # text every line of the layout holds

    def parse_lines(self, first: int, lines: list[str]) -> list[Item]:
        items: list[Item] = []
        if not self._fast or len(lines) < MIN_LINES:
            self._one_by_one(first, lines, items)
            return items
        if self._layout is None:
            self._learn(lines)
        marker = self._marker
        rows = [index for index, line in enumerate(lines) if marker in line] if marker else []
        done = 0
        for start, stop in runs(rows):
            if stop - start < MIN_LINES:
                continue
            self._one_by_one(first + done, lines[done:start], items)
            if not self._run(first + start, lines[start:stop], items):
                self._one_by_one(first + start, lines[start:stop], items)
                self._learn(lines[stop - 1 : start - 1 if start else None : -1])  # the latest layout
            done = stop
        self._one_by_one(first + done, lines[done:], items)
        return items

    def _learn(self, lines: list[str]) -> None:
        """The layout of the first line of ``lines`` that has one."""
        for line in lines:
            learned = self._layout_of(line)
            if learned is not None:
                self._layout, self._marker = learned
                return

    def _one_by_one(self, first: int, lines: list[str], items: list[Item]) -> None:
        raise NotImplementedError

    def _layout_of(self, line: str) -> tuple[Layout, str] | None:
        raise NotImplementedError

    def _run(self, first: int, lines: list[str], items: list[Item]) -> bool:
        raise NotImplementedError
