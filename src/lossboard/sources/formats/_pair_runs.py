"""Runs of logged lines of one layout read at once: the fast path of the PyTorch example's and
the detection trainers' text logs (mmcv, mmengine, detectron2).

Their metric lines differ only in their numbers::

    2023/06/09 15:09:09 - mmengine - INFO - Epoch(train)   [1][  5/109]  lr: 1.0000e-02  eta: 3:37:18  time: 1.1968  loss: 3.3544
    2023/06/09 15:09:09 - mmengine - INFO - Epoch(train)   [1][ 10/109]  lr: 1.0000e-02  eta: 1:55:49  time: 0.6381  loss: 3.3328

A `Layout` is such a line with its numbers cut out, learned once from a line the format's general
path reads (it says where the numbers are); a parser knows a few, one per kind of line it prints
in blocks (training lines, evaluation lines). All lines of one layout in a chunk are joined and
read with C-level operations on their bytes only: the date and time each line starts with
sliced off, the stretches that vary in shape (an ETA) blanked by their columns or deleted by
one regex (or all before the marker blanked, for a format that reads nothing there), spaces
dropped (padding such as ``[  5/109]`` then needs no pattern); the run's text without its
number characters compared with the layout's, once (a line with another name, another field
or another order differs there); the literal text between the numbers turned into commas,
mostly by one ``bytes.translate`` (`_Plan`); one orjson call converts every number of the
run, which must hold exactly as many as that many lines do. Otherwise
`Layout.read` gives None and the format reads those lines one by one, so the records never
depend on the path taken, only the time does.

A layout is plain data (strings, its cut as a pattern's text compiled through ``re``'s own
cache), so a parser holding some can be saved between passes.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import NamedTuple

import numpy as np

from lossboard.model import RESUME, Columns, Event, Item, Point
from lossboard.sources.formats import _fixed_width
from lossboard.sources.formats._layouts import MASK
from lossboard.sources.formats._lines import LineParser
from lossboard.sources.formats._numbers import json_matrix
from lossboard.sources.formats._offsets import holds_at, ranges, rows_at, windows
from lossboard.sources.formats._plain_bytes import PlainBytesFeed

# an ETA as the trainers print it: "3:37:18", "1 day, 2:03:04", "2 days, 2:47:25"
ETA = r"(?:\d+ days?, )?\d+:\d\d:\d\d"
ETA_HEAD = "eta: "
ETA_CUT = ETA_HEAD + ETA  # the cut of a layout whose lines print one: the only value that is no number
_ETA_HEAD = ETA_HEAD.encode()
_ETA_WIDEST = 32  # an ETA read by its columns: "123 days, 23:59:59" and then some
_ETA_SHAPE = re.compile(ETA.encode())
_ETA_COLUMNS = np.arange(_ETA_WIDEST, dtype=np.uint8)
_COLON = ord(":")
_ETA_PLACES = 4  # columns where a run's lines hold "eta: " (mmcv's iterations of 2 to 4 digits and another)
_ETA_SHAPES = 64  # changes of an ETA's shape in a run read by columns: more, and the regex is as cheap
MIN_LINES = 8  # shorter runs are not worth it
MAX_LAYOUTS = 6  # kinds of line read in bulk per parser
MAX_SHAPES = 512  # line shapes remembered as checked (`RunParser._spaced_as_learned`)
LEARN_FROM = 256  # lines of a chunk's rest where new kinds are looked for: a kind worth it is there
_MARK = "\x00"  # where a number was, while a sample becomes its layout
_NUMBER_CHARS = frozenset("0123456789.eE+-")
_NUMBER_BYTES = b"0123456789.eE+-"
_COMMA = ord(",")
_SPACE = ord(" ")
_NEWLINE = ord("\n")
_PIECE = 1 << 17  # bytes searched for line ends at once (`Chunk`)
_DIGIT_AS_ZERO = np.frombuffer(MASK, dtype=np.uint8)  # `MASK` as a lookup table
_ZEROS = re.compile(b"00+")
# control bytes no log line holds (no tab, line end, backspace or escape): marks of replaced pieces
_MARKS = bytes((*range(1, 8), *range(14, 27), *range(28, 32)))


class Layout(NamedTuple):
    """One kind of line: ``skip`` characters of date and time first (0: none), stretches that
    ``cut`` deletes, then ``pieces`` of literal text (spaces dropped) around its numbers: the
    format's ``counters`` first, then the values of ``names``. A layout ``from_marker`` is
    its lines from their marker on, wherever that is: the format's general path reads
    nothing before it (detectron2's time, logger and ETA), so it is blanked, unchecked
    (`RunParser._before_marker_blanked`)."""

    skip: int
    cut: str
    pieces: tuple[str, ...]
    counters: int
    names: tuple[str, ...]
    from_marker: bool = False

    @classmethod
    def learn(
        cls, sample: str, spans: list[tuple[int, int]], names: list[str], *, skip: int = 0, cut: str = "",
        from_marker: bool = False,
    ) -> Layout | None:
        """The layout of ``sample`` whose numbers are at ``spans`` (in order, the counters then
        the values of ``names``); None when two numbers would touch or a piece could be part of
        a number. A layout ``from_marker`` learns from a line cut where its marker starts."""
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
        return cls(skip, cut, pieces, len(spans) - len(names), tuple(names), from_marker)

    @classmethod
    def blank(cls, *, skip: int = 0) -> Layout:
        """The layout of lines a subclass reads itself (progress a trainer logs, which gives
        nothing; detectron2's copypaste tables): no numbers to convert, only their first
        ``skip`` bytes (a time) to hand over (`RunParser._read_blank`). Its lines hold their
        marker right after those bytes when there are any (`marker_at`)."""
        return cls(skip, "", ("",), 0, ())

    @property
    def marker_at(self) -> int | None:
        """Where `Chunk.holding` looks for this kind's marker: right after the time of a blank
        layout that skips one (detectron2's), else where the chunk's lines hold it (None;
        mmengine's blank progress lines have no time cut off, their marker after the logger's)."""
        return self.skip if not self.width and self.skip else None

    @property
    def width(self) -> int:
        return len(self.pieces) - 1

    def read(self, text: bytes, starts: np.ndarray) -> tuple[np.ndarray | None, np.ndarray, list[int] | None] | None:
        """(the ``skip`` bytes each line starts with, its date and time, as a byte matrix, or None; a
        (lines, numbers) float matrix; when read as columns, one line of each shape with digits
        as 0, its stamp and ETA included (`_fixed_width.Read.alike`), else None) when every
        line of ``text`` (lines joined by ``\\n``, each starting at ``starts``) fits, else
        None. A blank layout's lines are not checked here (`RunParser._read_blank`), nor
        copied: only their stamps are taken."""
        count = len(starts)
        stamps = None
        if self.skip or self.cut:  # blanked to spaces, which go with the others below
            blanked = bytearray(text) if self.width else text  # a blank layout's stamps alone: no copy
            codes = np.frombuffer(blanked, dtype=np.uint8)
            lengths = np.append(starts[1:] - 1, len(text)) - starts
        if self.skip:
            if lengths.min() < self.skip:
                return None
            stamps = rows_at(codes, starts, self.skip)
            if stamps.max() >= 0x80:
                return None  # a character of several bytes: its line is not cut where the str path cuts it
            if self.width:
                windows(codes, self.skip)[starts] = np.void(b" " * self.skip)
        if not self.width:
            return stamps, np.empty((count, 0)), None
        in_place = not self.cut  # whether the lines' columns stay where they were
        etas = None  # the ETAs blanked in place, told apart by their shapes (`_blank_etas`)
        if self.skip or self.cut:
            etas = _blank_etas(codes, starts, lengths) if self.cut == ETA_CUT else None
            in_place = in_place or etas is not None
            # read in place, not copied again: every step below takes a bytearray as it takes bytes
            text = blanked if in_place else re.sub(self.cut.encode(), b"", blanked)
        # read as columns, checked there against the pieces; detectron2's metrics lines (one
        # counter, values to four significant digits) have none, and trying cost a sixth of its load
        if in_place and self.counters > 1:
            columns = _fixed_width.numbers_by_shape(text, starts, _plan(self.pieces).pieces, _blanked(stamps, etas))
            if columns is not None:
                return stamps, columns.matrix, columns.alike
        data = text.translate(None, b" ")  # dropping the spaces is one table pass, and a replace copies less
        plan = _plan(self.pieces)
        if not data.startswith(plan.head) or not data.endswith(plan.tail):
            return None
        body = data[len(plan.head) : len(data) - len(plan.tail)]
        # the letters and signs of the pieces (Epoch's E) that no number of this run uses are
        # text like any other: fewer pieces to replace one by one
        unused = bytes(char for char, per_line, per_boundary in _signs(self.pieces)
                       if body.count(char) == per_line * count + per_boundary * (count - 1))
        if unused:
            plan = _plan(self.pieces, unused)
        if plan.marks is None or (plan.marks and len(body.translate(None, plan.marks)) != len(body)):
            return None  # more pieces to replace than marks, or a mark in the text
        for piece, mark in zip(plan.replaced, plan.marks):
            body = body.replace(piece, bytes((mark,)))
        if body.translate(None, plan.numeric) != plan.boundary_skeleton.join([plan.skeleton] * count):
            return None  # some text between the numbers is not the layout's, or not in its order
        body = body.translate(plan.table, plan.deleted)
        if _has_minus_zero(body):
            return None  # JSON's -0 is the integer 0; float("-0") is -0.0
        matrix = json_matrix(b"".join((b"[", body, b"]")), count, self.width)  # one copy, not two
        if matrix is None:  # a line of another layout, nan, "1.", "+1", "01"
            return None
        return stamps, matrix, None


def _blank_etas(codes: np.ndarray, starts: np.ndarray, lengths: np.ndarray) -> np.ndarray | None:
    """Blank each line's ``eta: `` and ETA, as ``re.sub`` of `ETA_CUT` would delete them
    (spaces are dropped next), when every line holds one at one of a few places
    (`_eta_columns`): the columns from there are one byte matrix, each ETA ends 6 bytes
    after its first colon, and each shape of them with digits as 0 must match `ETA` (a shape
    is checked where it differs from the line before's: a run prints few). Gives what tells
    the lines' ETAs apart (`_fixed_width.row_kinds` of their shapes, and their columns);
    None (nothing blanked) otherwise: then the regex deletes them, whose scan for ``eta: ``
    alone cost as much as all of this. An ``eta: `` elsewhere in a line is left in its text,
    which the layout's skeleton check then finds."""
    columns = _eta_columns(codes, starts, lengths)
    if columns is None:
        return None
    width = min(_ETA_WIDEST, int((lengths - columns).min()) - len(_ETA_HEAD))  # of the ETAs' columns
    rows = starts + columns
    window = rows_at(codes, rows, len(_ETA_HEAD) + width)
    # "\d+:\d\d:\d\d" ends 6 bytes after its first colon, which is not its first byte (0: none)
    ends = (window[:, len(_ETA_HEAD) :] == _COLON).argmax(axis=1).astype(np.uint8) + 6
    width = int(ends.max())  # of the longest ETA: the columns looked at from here
    if ends.min() == 6 or width > window.shape[1] - len(_ETA_HEAD):
        return None
    etas = window[:, len(_ETA_HEAD) : len(_ETA_HEAD) + width]
    inside = _ETA_COLUMNS[:width] < ends[:, None]
    shapes = np.where(inside, _DIGIT_AS_ZERO[etas], np.uint8(0))
    kinds = _fixed_width.row_kinds(shapes, _ETA_SHAPES)
    if kinds is None:
        return None
    firsts = np.unique(kinds, return_index=True)[1].tolist()  # a row of each shape
    if not all(_ETA_SHAPE.fullmatch(shapes[row, : ends[row]].tobytes()) for row in firsts):
        return None
    window[:, : len(_ETA_HEAD)] = 0x20
    window[:, len(_ETA_HEAD) : len(_ETA_HEAD) + width] = np.where(inside, np.uint8(0x20), etas)
    windows(codes, window.shape[1])[rows] = window.view(f"V{window.shape[1]}").ravel()
    return kinds * (int(columns.max()) + 1) + columns


def _blanked(stamps: np.ndarray | None, etas: np.ndarray | None) -> np.ndarray | None:
    """What the columns of a run do not see, its lines' stamps and ETAs blanked: an int a
    line, equal for lines whose stamps and ETAs have one shape with digits as 0 (and ETAs one
    column); None when nothing was blanked."""
    if stamps is None:
        return etas
    kinds = _fixed_width.row_kinds(_DIGIT_AS_ZERO[stamps])
    return kinds if etas is None else etas * (int(kinds.max()) + 1) + kinds


def _eta_columns(codes: np.ndarray, starts: np.ndarray, lengths: np.ndarray) -> np.ndarray | None:
    """Where each line holds ``eta: ``, with room for an ETA after it: at one of a few places
    (`_ETA_PLACES`, a width before it changes seldom: mmcv's unpadded iteration), each found
    in the first line not placed yet; None when a line holds it at none."""
    columns = np.full(len(starts), -1)
    line = 0
    for _ in range(_ETA_PLACES):
        column = bytes(codes[starts[line] : starts[line] + lengths[line]]).find(_ETA_HEAD)
        if column < 0:
            return None
        left = np.flatnonzero((columns < 0) & (lengths >= column + len(_ETA_HEAD) + len("0:00:00")))
        columns[left[holds_at(codes, starts[left] + column, _ETA_HEAD)]] = column
        unplaced = columns < 0
        line = int(unplaced.argmax())
        if not unplaced[line]:
            return columns
    return None


def _before_marker_blanked(text: bytes, starts: np.ndarray, places: np.ndarray, marker: str) -> bytearray | None:
    """``text`` (lines joined by ``\\n``, each starting at ``starts`` and holding ``marker``
    at ``places``) with each line's bytes before its marker blanked to spaces, in place of a
    copy per line, for a layout `from_marker`: a few columns a place, which moves seldom.
    None when the general path could read from elsewhere: a line holding the marker before
    that place too, or no space right before it (where the formats' patterns want a word
    boundary)."""
    blanked = bytearray(text)
    codes = np.frombuffer(blanked, dtype=np.uint8)
    needle = marker.encode("utf-8", "surrogatepass")
    for place in np.unique(places[places > 0]).tolist():
        lines = starts[places == place]
        # the bytes up to the marker's last but one: an earlier marker, even one overlapping it
        heads = rows_at(codes, lines, place + len(needle) - 1)
        if (heads[:, place - 1] != _SPACE).any() or needle in heads.tobytes():
            return None  # (rows joined: one that ends as the next starts is a false alarm, read one by one)
        np.lib.stride_tricks.sliding_window_view(codes, place, writeable=True)[lines] = _SPACE
    return blanked


def _has_minus_zero(body: bytes) -> bool:
    """Whether the comma-separated numbers of ``body`` hold a ``-0``: a memchr for a minus
    first (most runs have none), then four substring tests, where a regex crawled every ``e-0``
    of E-notation."""
    return b"-" in body and (b",-0," in body or body.startswith(b"-0,") or body.endswith(b",-0") or body == b"-0")


class _Plan(NamedTuple):
    """How `Layout.read` turns the text between a run's numbers into commas, in few passes.

    Once the run's text without its number characters is the layout's (``skeleton`` per line,
    ``boundary_skeleton`` between lines), a piece of the layout is found by one character of
    it: that ``anchor`` becomes a comma and its other characters are deleted, all pieces in
    one ``bytes.translate``. That needs each anchor to be in its piece once and in no other
    piece but as that piece's anchor; the pieces holding number characters (``Time``'s e,
    ``Acc@1``'s 1), and those with no such anchor, are ``replaced`` one by one, each by a mark
    of its own (a control byte, a comma in ``table``) before the skeletons are compared: so
    names that differ only in number characters (``s0.loss``, ``s1.loss``) are checked in
    their order. ``marks``: None when there are more such pieces than marks. ``numeric``: the
    characters numbers are made of, less the letters and signs no number of the run uses.
    """

    numeric: bytes
    pieces: tuple[bytes, ...]
    head: bytes
    tail: bytes
    skeleton: bytes
    boundary_skeleton: bytes
    replaced: tuple[bytes, ...]
    marks: bytes | None
    table: bytes
    deleted: bytes


@lru_cache(maxsize=64)
def _signs(pieces: tuple[str, ...]) -> tuple[tuple[int, int, int], ...]:
    """(character, times in a line, times between lines) of each letter or sign of a number
    that the text of a layout's run holds."""
    head, *middle, tail = (piece.encode("utf-8", "surrogatepass") for piece in pieces)
    line, boundary = b"".join(middle), tail + b"\n" + head
    return tuple((char, line.count(char), boundary.count(char)) for char in b"eE+-." if char in line + boundary)


@lru_cache(maxsize=64)
def _plan(pieces: tuple[str, ...], unused: bytes = b"") -> _Plan:
    numeric = _NUMBER_BYTES.translate(None, unused)
    encoded = tuple(piece.encode("utf-8", "surrogatepass") for piece in pieces)
    head, *middle, tail = encoded
    boundary = tail + b"\n" + head
    between = [*dict.fromkeys([*middle, boundary])]  # each distinct piece once, in order
    replaced = [piece for piece in between if piece.translate(None, numeric) != piece]
    # a comma stays a comma: a piece holding one is anchored there (mmcv's ", loss: ")
    anchors = {piece: _COMMA for piece in between if piece not in replaced and piece.count(_COMMA) == 1}
    replaced += [piece for piece in between if piece.count(_COMMA) > 1 and piece not in replaced]
    free = [piece for piece in between if piece not in replaced and piece not in anchors]
    # the characters that could anchor every free piece holding them, widest first (":" anchors all names)
    chars = {char for piece in free for char in piece}
    holders = {char: [piece for piece in free if char in piece] for char in chars}
    comma_pieces = b"".join(anchors)
    usable = [char for char in chars if char not in comma_pieces and all(piece.count(char) == 1 for piece in holders[char])]
    for char in sorted(usable, key=lambda char: (-len(holders[char]), char)):
        if not any(piece in anchors for piece in holders[char]):
            anchors.update((piece, char) for piece in holders[char])
    replaced += [piece for piece in free if piece not in anchors]
    # a piece holding a replaced one ("coco/AP:" holding "/") would lose part of it: replaced too
    while inside := [piece for piece in anchors if any(part in piece for part in replaced)]:
        replaced += inside
        anchors = {piece: anchor for piece, anchor in anchors.items() if piece not in inside}
    replaced.sort(key=len, reverse=True)
    marks = bytes(mark for mark in _MARKS if mark not in b"".join(encoded))[: len(replaced)]
    table = bytearray(range(256))
    for anchor in {*anchors.values(), *marks}:
        table[anchor] = _COMMA
    kept = {*anchors.values(), _COMMA}
    deleted = bytes(sorted({char for piece in anchors for char in piece} - kept))

    def skeleton(text: bytes) -> bytes:  # as `Layout.read` leaves a run's text, numbers out
        for piece, mark in zip(replaced, marks):
            text = text.replace(piece, bytes((mark,)))
        return text.translate(None, numeric + b"\x00")

    return _Plan(
        numeric, encoded, head, tail,
        skeleton(b"\x00".join([b"", *middle, b""])), skeleton(boundary),
        tuple(replaced), marks if len(marks) == len(replaced) else None, bytes(table), deleted,
    )


@lru_cache(maxsize=64)
def _markers(markers: tuple[str, ...]) -> re.Pattern | None:
    """A pattern finding any of ``markers`` (one search a line, not one per marker)."""
    return re.compile("|".join(map(re.escape, markers))) if markers else None


def runs(owners: np.ndarray) -> list[tuple[int, int, int]]:
    """(start, stop, owner) of each stretch of equal values in ``owners``."""
    cuts = (np.flatnonzero(np.diff(owners)) + 1).tolist()
    starts = [0, *cuts]
    stops = [*cuts, len(owners)]
    return list(zip(starts, stops, owners[starts].tolist()))


class Rows(NamedTuple):
    """Consecutive lines of one layout read in bulk, as a subclass's `RunParser._run` gives
    them: rows ``start:stop`` of the ``matrix`` of its kind's lines in the chunk, their steps
    (epochs, wall times: None when unknown for all), and the ``columns`` that become series,
    as ``(column, tag, name)``. `blocks` turns them into `Columns`."""

    matrix: np.ndarray
    start: int
    stop: int
    columns: tuple[tuple[int, str, str], ...]
    steps: np.ndarray
    epochs: np.ndarray | None = None
    walls: np.ndarray | None = None


def blocks(items: list) -> list[Item]:
    """``items`` with each `Rows` as `Columns`, one per series; consecutive `Rows` of one
    layout joined into one block at the first one's place, and the `Point`s of one series
    likewise (detectron2's evaluation results, an epoch's averages), wherever nothing between
    them could change what the collector makes of them (a record of one of their series, a
    resume): the collector takes a few large blocks much faster than many small ones or
    points, and what it makes of them stays the same."""
    out: list = []
    groups: dict[int, list] = {}  # place in out -> the Rows, or the Points, joined there
    open_at: dict[tuple, int] = {}  # what Rows or Points join -> place in out
    series: dict[tuple[str, str], tuple] = {}  # (tag, name) -> the key of the open group holding it
    for item in items:
        kind = type(item)
        if kind is Rows:
            key = (id(item.matrix), item.columns, item.epochs is None, item.walls is None)
            at = open_at.get(key)
            if at is not None:
                groups[at].append(item)
                continue
            for _, tag, name in item.columns:  # a group open with one of these series ends here
                open_at.pop(series.get((tag, name)), None)
                series[tag, name] = key
            open_at[key] = len(out)
            groups[len(out)] = [item]
        elif kind is Point:
            key = (item.tag, item.source_tag, item.epoch is None, item.wall_time is None)
            at = open_at.get(key)
            if at is not None:
                groups[at].append(item)
                continue
            open_at.pop(series.get(key[:2]), None)
            series[key[:2]] = key
            open_at[key] = len(out)
            groups[len(out)] = [item]
        elif kind is Columns:
            open_at.pop(series.pop((item.tag, item.source_tag), None), None)
        elif kind is Event and item.kind == RESUME:
            open_at.clear()
        out.append(item)
    for at, group in groups.items():
        out[at: at + 1] = [_columns(group) if type(group[0]) is Rows else _points_block(group)]
    return [block for item in out for block in (item if type(item) is list else (item,))]


def _points_block(points: list[Point]) -> list[Item]:
    """The `Point`s of one series as one `Columns` (as they were when there is one, or a step
    an int64 cannot hold)."""
    steps = [point.step for point in points]
    if len(points) == 1 or not all(type(step) is int and -(2**63) <= step < 2**63 for step in steps):
        return points
    first = points[0]
    epochs = None if first.epoch is None else np.array([point.epoch for point in points], dtype=np.float64)
    walls = None if first.wall_time is None else np.array([point.wall_time for point in points], dtype=np.float64)
    values = np.array([point.value for point in points], dtype=np.float64)
    return [Columns(first.tag, first.source_tag, np.array(steps, dtype=np.int64), values, epochs, walls)]


def _columns(group: list[Rows]) -> list[Columns]:
    """The `Columns` of consecutive `Rows` of one layout."""
    first = group[0]
    if len(group) == 1:
        values = first.matrix[first.start : first.stop].T
        steps, epochs, walls = first.steps, first.epochs, first.walls
    else:
        starts = np.array([part.start for part in group])
        rows = ranges(starts, np.array([part.stop for part in group]) - starts)  # every part's rows at once
        values = np.ascontiguousarray(first.matrix[rows].T)  # a row per column: its values at once
        steps = np.concatenate([part.steps for part in group])
        epochs = None if first.epochs is None else np.concatenate([part.epochs for part in group])
        walls = None if first.walls is None else np.concatenate([part.walls for part in group])
    return [Columns(tag, name, steps, values[column], epochs, walls) for column, tag, name in first.columns]


class Chunk:
    """Complete lines as bytes, each ending in ``\\n``, with where each starts and ends: lines
    read in bulk never become ``str`` objects; the others are decoded when read one by one
    (``errors``: how, "replace" as the reader decodes a file). The lines end at the last
    ``\\n``: what follows it (the start of a line the next read completes) is no line, and is
    not copied off.

    The line ends are found a piece at a time: a mask of the whole chunk was a megabyte of
    fresh pages each chunk (the allocator gives such blocks back at once), and their page
    faults cost more than the compare."""

    def __init__(self, data: bytes, errors: str = "replace") -> None:
        self.data = data
        codes = np.frombuffer(data, dtype=np.uint8)
        self.ends = np.concatenate([np.flatnonzero(codes[at : at + _PIECE] == _NEWLINE) + at
                                    for at in range(0, max(len(codes), 1), _PIECE)])
        self.starts = np.concatenate(([0], self.ends[:-1] + 1))
        self.errors = errors

    @classmethod
    def of_lines(cls, lines: list[str]) -> Chunk:
        return cls(("\n".join(lines) + "\n").encode("utf-8", "surrogatepass"), "surrogatepass")

    def __len__(self) -> int:
        return len(self.ends)

    def line(self, index: int) -> str:
        return self.data[self.starts[index] : self.ends[index]].decode("utf-8", self.errors)

    def lines(self, start: int, stop: int) -> list[str]:
        """Lines ``start`` to ``stop``, decoded and split at once."""
        if start >= stop:
            return []
        return self.data[self.starts[start] : self.ends[stop - 1]].decode("utf-8", self.errors).split("\n")

    def holding(self, marker: str, among: np.ndarray, at: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """The lines among ``among`` (a bool a line) that hold ``marker`` at byte ``at`` of the
        line, or (None) where the chunk's first or last such line holding it does (a format
        prints a kind of line with its marker at one place; a width before it, an ETA's,
        changes seldom), rising, and where each holds it: those bytes of each line compared
        at once as fixed-width strings, where a split of the chunk per marker cost four times
        as much. A line holding it elsewhere is not found and is read one by one, which gives
        the same records. Only the lines no other kind took are compared: a kind with few
        lines, after those with many, costs little."""
        needle = marker.encode("utf-8", "surrogatepass")
        lines = np.flatnonzero(among)
        if not len(lines):
            return lines, lines
        starts, ends = self.starts[lines], self.ends[lines]
        data = self.data
        if at is None:
            first = data.find(needle, int(starts[0]), int(ends[-1]))
            if first < 0:
                return lines[:0], lines[:0]
            places = {first, data.rfind(needle, int(starts[0]), int(ends[-1]))}
            offsets = {place - int(self.starts[np.searchsorted(self.ends, place)]) for place in places}
        else:
            offsets = {at}
        places = np.full(len(lines), -1)
        for offset in sorted(offsets, reverse=True):  # a line holding it at both: the first place
            rows = np.flatnonzero(ends - starts >= offset + len(needle))
            places[rows[holds_at(data, starts[rows] + offset, needle)]] = offset
        found = places >= 0
        return lines[found], places[found]

    def joined(self, rows: np.ndarray) -> tuple[bytes, np.ndarray]:
        """The lines ``rows`` (rising) joined by ``\\n``, and where each starts there: a slice
        per stretch of consecutive lines."""
        starts, ends = self.starts[rows], self.ends[rows]
        cuts = (np.flatnonzero(np.diff(rows) != 1) + 1).tolist()
        firsts, lasts = [0, *cuts], [cut - 1 for cut in cuts] + [len(rows) - 1]
        data = self.data
        text = b"\n".join([data[start:end] for start, end in zip(starts[firsts].tolist(), ends[lasts].tolist())])
        return text, np.concatenate(([0], np.cumsum(ends[:-1] - starts[:-1] + 1)))

    def is_plain(self, max_line_chars: int) -> bool:
        """Whether `LineSplitter` would give these lines as they are: no redraw, backspace,
        colour code or CRLF, no line it would cut."""
        data, end = self.data, int(self.ends[-1]) + 1 if len(self.ends) else 0
        if data.find(b"\r", 0, end) >= 0 or data.find(b"\x08", 0, end) >= 0 or data.find(b"\x1b", 0, end) >= 0:
            return False
        return end <= max_line_chars or int((self.ends - self.starts).max()) <= max_line_chars


class RunParser(PlainBytesFeed, LineParser):
    """A line parser whose lines of a few layouts are read a chunk at a time.

    A subclass reads one line at a time in `_one_by_one` (the general path, and
    ``fast=False``) and tells in `_layout_of` the layout of a line of a kind it reads in bulk
    (with the text every such line holds, a cheap test that tells the kinds apart). All lines
    of one layout in a chunk are read by one `Layout.read`; `_prepare` turns what it read into
    what `_run` needs (None: read them line by line), or `_read_blank` the lines of a layout
    without numbers, which the subclass reads itself; `_run` takes each stretch of
    consecutive lines of one layout in turn, the lines between them read one by one, giving
    what `_one_by_one` would give (its values as one `Rows` record) or False, having changed
    nothing (then that stretch is read line by line). A layout whose lines do not all fit is
    learned again from its last line; a kind not known yet is learned from the lines read one
    by one. A chunk's records then become blocks (`blocks`).

    The reader hands the file's bytes (`feed_bytes`): a chunk's complete lines stay bytes
    (`Chunk`) unless they need the line splitter (a redraw, CRLF, a line it would cut); the
    start of the last line waits as bytes for its end.
    """

    def __init__(self, *, fast: bool = True) -> None:
        super().__init__()
        self._fast = fast
        self._layouts: dict[str, Layout] = {}  # by the text every line of the layout holds
        # line shapes (digits as 0) the general path reads as the layout of that marker; a
        # marker, not its layout, keeps a saved parser small: forgotten when a layout goes
        self._shapes: dict[bytes, str] = {}

    def feed(self, text: str) -> list[Item]:
        if self._fast:
            try:
                return self.feed_bytes(text.encode())
            except UnicodeEncodeError:  # a lone surrogate, which no file holds: the splitter keeps it
                pass
        return self.feed_text(self.take_unread() + text)

    def feed_text(self, text: str) -> list[Item]:
        return LineParser.feed(self, text)  # `feed` would hand the text back to `feed_bytes`

    def read_plain(self, data: bytes, end: int) -> list[Item] | None:
        """Plain complete lines read as bytes (`Chunk`), without a decode; None for any other.
        ``end`` is just past the last ``\\n`` (`PlainBytesFeed`), where the chunk's lines end."""
        chunk = Chunk(data)
        if not (self._fast and chunk.is_plain(self._splitter.max_line_chars)):
            return None
        return self._parse_chunk(self._splitter.skip(len(chunk)), chunk)

    def parse_lines(self, first: int, lines: list[str]) -> list[Item]:
        if self._fast and len(lines) >= MIN_LINES:
            return self._parse_chunk(first, Chunk.of_lines(lines))
        items: list[Item] = []
        self._one_by_one(first, lines, items)
        return items

    def _parse_chunk(self, first: int, chunk: Chunk) -> list[Item]:
        items: list[Item] = []
        kinds = self._read_chunk(chunk) if len(chunk) >= MIN_LINES else []
        if not kinds:
            lines = chunk.lines(0, len(chunk))
            self._one_by_one(first, lines, items)
            if len(lines) >= MIN_LINES:
                self._learn(lines[:LEARN_FROM])
            return items
        owners = np.full(len(chunk), -1, dtype=np.int16)
        for kind, (_, rows, _) in enumerate(kinds):
            owners[rows] = kind
        if owners.min() >= 0 and self._read_whole(kinds, items):
            return blocks(items)
        taken = [0] * len(kinds)
        alone = 0  # lines read one by one
        for start, stop, kind in runs(owners):
            if kind >= 0:
                layout, _, prepared = kinds[kind]
                at, taken[kind] = taken[kind], taken[kind] + stop - start
                if self._run(layout, prepared, at, taken[kind], items):
                    continue
            self._one_by_one(first + start, chunk.lines(start, stop), items)
            alone += stop - start if kind < 0 else 0
        if alone >= MIN_LINES:
            self._learn([chunk.line(index) for index in np.flatnonzero(owners < 0)[:LEARN_FROM].tolist()])
        return blocks(items)

    def _read_chunk(self, chunk: Chunk) -> list[tuple[Layout, np.ndarray, object]]:
        """(layout, its rows in ``chunk``, what `_prepare` made of them) of each layout with
        enough lines in ``chunk`` that all fit it."""
        if not self._layouts:
            self._learn(chunk.lines(0, len(chunk)))
        kinds, counts = [], {}
        left = np.ones(len(chunk), dtype=bool)  # the lines no layout has taken: each is offered to the next
        for marker, layout in list(self._layouts.items()):
            rows, places = chunk.holding(marker, left, layout.marker_at)
            counts[marker] = len(rows)
            if len(rows) < MIN_LINES:
                continue
            text, starts = chunk.joined(rows)
            if layout.from_marker:
                text = _before_marker_blanked(text, starts, places, marker)
            read = None if text is None else layout.read(text, starts)
            if read is not None and not layout.width:
                prepared = self._read_blank(layout, marker, text, starts, read[0])
            elif read is None or not self._spaced_as_learned(layout, marker, chunk, rows, text, read[2]):
                del self._layouts[marker]
                self._shapes.clear()
                self._learn([chunk.line(rows[-1])])  # the latest layout, if that line has one
                continue
            else:
                prepared = self._prepare(layout, read[0], read[1])
            if prepared is not None:
                kinds.append((layout, rows, prepared))
                left[rows] = False
        # the kinds that took the most lines first: they scan every line, the others what is left
        self._layouts = dict(sorted(self._layouts.items(), key=lambda item: -counts.get(item[0], 0)))
        return kinds

    def _spaced_as_learned(
        self, layout: Layout, marker: str, chunk: Chunk, rows: np.ndarray, text: bytes | bytearray, alike: list[int] | None
    ) -> bool:
        """Whether the general path reads every line of a run (``rows``, joined in ``text``)
        as it reads the line ``layout`` was learned from: `Layout.read` drops spaces, but the
        formats' patterns want them where they are (``Time 0.3``, not ``Time0.3``; ``0.35``,
        not ``0.3 5``; one space after ``loss:``).

        Lines alike but in their digits are read alike by those patterns, and so are lines
        alike but in how many digits each stretch of them holds: where a pattern wants so
        many (a date's ``\\d\\d``), the bulk reading checks them by their columns itself
        (`_mmdet_text._wall_times`, detectron2's line time). So one line of each such shape
        (digits as one 0 a stretch) is learned again and must give this layout; the shapes
        that did are remembered, as are the lines' shapes with each digit a 0 (a log prints a
        few dozen): most runs cost a translate and a split, and a run read as columns, whose
        shapes its columns told (``alike``: a line of each), not even that."""
        if alike is None:
            shapes = bytes(text.translate(MASK)).split(b"\n")  # a bytearray's translate is the faster
        else:
            rows = rows[alike]
            shapes = [chunk.data[chunk.starts[row] : chunk.ends[row]].translate(MASK) for row in rows.tolist()]
        known = self._shapes
        for shape in dict.fromkeys(shapes):
            if known.get(shape) == marker:
                continue
            squeezed = _ZEROS.sub(b"0", shape)
            if known.get(squeezed) != marker:
                if self._layout_of(chunk.line(rows[shapes.index(shape)])) != (layout, marker):
                    return False
                known[squeezed] = marker
            if len(known) >= MAX_SHAPES:
                known.clear()
            known[shape] = marker
        return True

    def _learn(self, lines: list[str]) -> None:
        """The layout of each kind not known yet, from its first line in ``lines``; past
        `MAX_LAYOUTS`, a new kind takes the place of the one that took the fewest lines."""
        known = _markers(tuple(self._layouts))
        for line in lines:
            if known is not None and known.search(line):
                continue
            learned = self._layout_of(line)
            if learned is not None and learned[1] not in self._layouts:
                if len(self._layouts) >= MAX_LAYOUTS:
                    del self._layouts[next(reversed(self._layouts))]
                    self._shapes.clear()
                self._layouts[learned[1]] = learned[0]
                known = _markers(tuple(self._layouts))

    def _one_by_one(self, first: int, lines: list[str], items: list[Item]) -> None:
        raise NotImplementedError

    def _layout_of(self, line: str) -> tuple[Layout, str] | None:
        raise NotImplementedError

    def _read_blank(
        self, layout: Layout, marker: str, text: bytes, starts: np.ndarray, stamps: np.ndarray | None
    ) -> object | None:
        """What `_run` needs of the lines of a blank layout in a chunk (joined in ``text``,
        each starting at ``starts``, its first ``skip`` bytes in ``stamps``), which a subclass
        whose `_layout_of` gives blank layouts reads itself; None: read them one by one."""
        raise NotImplementedError

    def _prepare(self, layout: Layout, stamps: np.ndarray | None, matrix: np.ndarray) -> object | None:
        return matrix

    def _run(self, layout: Layout, prepared: object, start: int, stop: int, items: list[Item]) -> bool:
        raise NotImplementedError

    def _read_whole(self, kinds: list[tuple[Layout, np.ndarray, object]], items: list[Item]) -> bool:
        """Every line of a chunk whose lines all fit its ``kinds`` (`_read_chunk`), read at once
        as `_run` would read them run by run, where a subclass can (a few records for the
        chunk, not a few per run); False, having changed nothing: run by run."""
        return False
