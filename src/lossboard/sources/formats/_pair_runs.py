"""Runs of logged lines of one layout read at once: the fast path of the PyTorch example's and
the detection trainers' text logs (mmcv, mmengine, detectron2).

Their metric lines differ only in their numbers::

    2023/06/09 15:09:09 - mmengine - INFO - Epoch(train)   [1][  5/109]  lr: 1.0000e-02  eta: 3:37:18  time: 1.1968  loss: 3.3544
    2023/06/09 15:09:09 - mmengine - INFO - Epoch(train)   [1][ 10/109]  lr: 1.0000e-02  eta: 1:55:49  time: 0.6381  loss: 3.3328

A `Layout` is such a line with its numbers cut out, learned once from a line the format's general
path reads (it says where the numbers are). A run of consecutive lines is joined and read with
C-level string operations only: the date and time each line starts with sliced off, the
stretches that vary in shape (an ETA) deleted by one regex, spaces dropped (padding such as
``[  5/109]`` then needs no pattern), the literal text between the numbers - names included -
replaced by commas, and one orjson call converts every number of the run. The run fits when
orjson accepts the result and it holds exactly as many numbers as that many lines do: a line
with another name keeps text orjson refuses, one with fewer or more fields changes the count.
(A line printing the same fields in another order would pass; no trainer does that within a
run.) Otherwise `Layout.read` gives None and the format reads the run line by line, so the
records never depend on the path taken, only the time does.

A layout is plain data (strings, its cut as a pattern's text compiled through ``re``'s own
cache), so a parser holding one can be saved between passes.
"""

from __future__ import annotations

import re
from typing import NamedTuple

import numpy as np
import orjson

from lossboard.model import Item
from lossboard.sources.formats._lines import LineParser

# an ETA as the trainers print it: "3:37:18", "1 day, 2:03:04", "2 days, 2:47:25"
ETA = r"(?:\d+ days?, )?\d+:\d\d:\d\d"
MIN_LINES = 8  # shorter runs are not worth it
_MARK = "\x00"  # where a number was, while a sample becomes its layout
_NUMBER_CHARS = frozenset("0123456789.eE+-")


class Layout(NamedTuple):
    """One kind of line: ``skip`` characters of date and time first (0: none), stretches that
    ``cut`` deletes, then ``pieces`` of literal text (spaces dropped) around its numbers: the
    format's ``counters`` first, then the values of ``names``."""

    skip: int
    cut: str
    pieces: tuple[str, ...]
    counters: int
    names: tuple[str, ...]

    @classmethod
    def learn(
        cls, sample: str, spans: list[tuple[int, int]], names: list[str], *, skip: int = 0, cut: str = ""
    ) -> Layout | None:
        """The layout of ``sample`` whose numbers are at ``spans`` (in order, the counters then
        the values of ``names``); None when two numbers would touch or a piece could be part of
        a number."""
        texts, at = [], skip
        for start, end in spans:
            texts.append(sample[at:start])
            at = end
        texts.append(sample[at:])
        marked = _MARK.join(texts)
        if cut:
            marked = re.sub(cut, "", marked)
        pieces = tuple(marked.replace(" ", "").split(_MARK))  # as `read` drops them
        if len(pieces) != len(spans) + 1 or any(not p or set(p) <= _NUMBER_CHARS for p in pieces[1:-1]):
            return None
        return cls(skip, cut, pieces, len(spans) - len(names), tuple(names))

    @property
    def width(self) -> int:
        return len(self.pieces) - 1

    def read(self, lines: list[str]) -> tuple[list[str] | None, np.ndarray] | None:
        """(the date and time each line starts with, or None; a (lines, numbers) float matrix)
        when every line fits, else None."""
        skip = self.skip
        if skip:
            stamps = [line[:skip] for line in lines]
            text = "\n".join([line[skip:] for line in lines])
        else:
            stamps, text = None, "\n".join(lines)
        if self.cut:
            text = re.sub(self.cut, "", text)
        # bytes: dropping the spaces is one table pass, and a replace copies less
        data = text.encode("utf-8", "surrogatepass").translate(None, b" ")
        head, *middle, tail = (piece.encode("utf-8", "surrogatepass") for piece in self.pieces)
        if not data.startswith(head) or not data.endswith(tail):
            return None
        body = data[len(head) : len(data) - len(tail)]
        for piece in sorted({*middle, tail + b"\n" + head}, key=len, reverse=True):
            body = body.replace(piece, b",")
        if body.startswith(b"-0,") or b",-0," in body or body.endswith(b",-0"):
            return None  # JSON's -0 is the integer 0; float("-0") is -0.0
        try:
            flat = orjson.loads(b"[" + body + b"]")
        except orjson.JSONDecodeError:  # a line of another layout, nan, "1.", "+1", "01"
            return None
        if len(flat) != len(lines) * self.width:
            return None
        return stamps, np.array(flat, dtype=np.float64).reshape(len(lines), self.width)


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
    """A line parser whose lines of one layout are read a chunk at a time.

    A subclass reads one line at a time in `_one_by_one` (the general path, and
    ``fast=False``) and tells in `_layout_of` the layout of a line of the kind it reads in bulk
    (with the text every such line holds, a cheap test). All such lines of a chunk are read by
    one `Layout.read`; `_prepare` turns what it read into what `_run` needs (None: read the
    chunk line by line), and `_run` takes each stretch of consecutive such lines in turn, with
    the lines between them read one by one, giving what `_one_by_one` would give or False,
    having changed nothing (then that stretch is read line by line). When the chunk does not
    fit, its last such line teaches the layout again.
    """

    def __init__(self, *, fast: bool = True) -> None:
        super().__init__()
        self._fast = fast
        self._layout: Layout | None = None
        self._marker = ""  # text every line of the layout holds

    def parse_lines(self, first: int, lines: list[str]) -> list[Item]:
        items: list[Item] = []
        read = self._read_chunk(lines) if self._fast and len(lines) >= MIN_LINES else None
        if read is None:
            self._one_by_one(first, lines, items)
            return items
        rows, prepared = read
        done = taken = 0
        for start, stop in runs(rows):
            self._one_by_one(first + done, lines[done:start], items)
            if not self._run(first + start, lines[start:stop], prepared, taken, taken + stop - start, items):
                self._one_by_one(first + start, lines[start:stop], items)
            taken += stop - start
            done = stop
        self._one_by_one(first + done, lines[done:], items)
        return items

    def _read_chunk(self, lines: list[str]) -> tuple[list[int], object] | None:
        """The rows of the layout's lines in ``lines`` and what `_prepare` made of them."""
        if self._layout is None:
            self._learn(lines)
        marker = self._marker
        rows = [index for index, line in enumerate(lines) if marker in line] if marker else []
        if len(rows) < MIN_LINES:
            return None
        read = self._layout.read([lines[index] for index in rows])
        if read is None:
            self._learn([lines[rows[-1]]])  # the latest layout, if that line has one
            return None
        prepared = self._prepare(*read)
        return None if prepared is None else (rows, prepared)

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

    def _prepare(self, stamps: list[str] | None, matrix: np.ndarray) -> object | None:
        return matrix

    def _run(self, first: int, lines: list[str], prepared: object, start: int, stop: int, items: list[Item]) -> bool:
        raise NotImplementedError
