"""Column extraction for the display records that make up most of a Caffe log.

Every ``display`` iterations Caffe prints one record of lines that differ only in their
dates and numbers::

    I0711 14:22:25.854327  1274 solver.cpp:228] Iteration 100, loss = 0.232917
    I0711 14:22:25.854377  1274 solver.cpp:244]     Train net output #0: loss = 0.232917 (* 1 = 0.232917 loss)
    I0711 14:22:25.854387  1274 sgd_solver.cpp:106] Iteration 100, lr = 0.00992565

A `Layout` is the literal text of one record, learned once. A chunk of whole lines is read as
bytes with no Python per line: numpy finds where the lines start, which lines begin with
glog's fixed-width date and a record line's text up to its first number (`Layout.heads`), and
reads the dates as columns of digits. A line's last literal sits at a fixed distance from its
end and the literal after its first number just after the first byte that is no number
character, so both are checked by position (an output line is read up to its weighted value,
which nothing reads). With at most two numbers a line, that places every number: each
is read from its digits where it stands (`_literals.read_decimals`), and only those the digits
cannot give (an exponent, ``nan``) are copied out for one orjson call. A line with literals
between later numbers (``(2.3 iter/s, 43.4s/100 iters)``) is copied from its first number on
into a row of its own, its literals found by position overwritten and left out with what
follows the line's end by one numpy selection, the others cut with `bytes.replace` (~100 ns an
occurrence), and one orjson call reads what is left (`_literals.read_cut`).
Anything that does not fit is left to the caller's line-by-line path, which stays the
reference: values orjson refuses (``nan``, ``-nan``), other output names, dates that are not
glog's fixed width.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable
from functools import lru_cache

import numpy as np

from lossboard import tags
from lossboard.model import Columns, Event, Point
from lossboard.sources.formats._literals import DECIMAL_WIDTH, read_cut, read_decimals
from lossboard.sources.formats._offsets import rows_at, windows

PREFIX = 21  # "I0711 14:22:25.854327": severity, month, day and time, always this wide in glog

# the numbers of a display record: an iteration, a value after " = ", the "(2.3 iter/s,
# 43.4s/100 iters)" of Caffe >= 1.0. An output's index and loss weight ("#0", "(* 1 =") stay
# literal text: the same in every record, and fewer pieces to cut at
_NUMBER = re.compile(
    r"(?<=Iteration )\d+|(?<= = )[^\s()]+"
    r"|(?<=\()[^\s()]+(?= iter/s)|(?<=, )[^\s()]+(?=s/)|(?<=s/)\d+(?= iters)"
)
_OUTPUT_NAME = re.compile(r"(Train|Test) net output #\d+: (\S+) = ")
_TESTING = re.compile(r"Iteration \d+, Testing net \(#(\d+)\)")

LOSS_LINE = ", loss = "  # text only the record's first line has
_COMMA, _NEWLINE = ord(","), ord("\n")
FILL = b"\r"  # overwrites what is cut, then left out: no text handed to the fast path has it
_PAD = 256  # zeros after a block's bytes: more than any date, head and first number the fast path compares


class Block:
    """Whole lines ``data[start:stop]`` (UTF-8, each ending in ``\\n``), with where each starts
    and ends (from ``start``); lines handed out as text are decoded with ``errors``.

    Its bytes, and a flag a byte for where lines end, are written into ``buffer`` (a block's
    `buffer` that is done with) when that is large enough: a fresh megabyte is 256 fresh pages,
    each a page fault once glibc has handed the last one back, and the numbers' arrays between
    two blocks made it do so for most blocks."""

    def __init__(self, data: bytes, start: int, stop: int, errors: str, buffer: np.ndarray | None = None) -> None:
        self._data, self._offset, self.errors = data, start, errors
        # the bytes and zeros after them, one copy: a window of up to `_PAD` bytes fits at every start
        size = stop - start
        if buffer is None or len(buffer) < 2 * size + _PAD:
            buffer = np.empty(2 * size + _PAD, dtype=np.uint8)
        self.buffer, self.padded = buffer, buffer[: size + _PAD]
        self.padded[:size] = np.frombuffer(data, np.uint8, size, start)
        self.padded[size:] = 0
        line_ends = np.equal(self.padded[:size], _NEWLINE, out=buffer[size + _PAD : 2 * size + _PAD].view(bool))
        self.ends = np.flatnonzero(line_ends)
        self.starts = np.concatenate(([0], self.ends[:-1] + 1))
        self.count = len(self.ends)

    def lines(self, start: int, stop: int) -> list[str]:
        """Lines ``start`` to ``stop``, decoded and split at once."""
        if start >= stop:
            return []
        offset = self._offset
        text = self._data[offset + self.starts[start] : offset + self.ends[stop - 1]].decode("utf-8", self.errors)
        return text.split("\n")

    def part(self, start: int, stop: int) -> Block:
        """Lines ``start`` to ``stop`` as a block of their own, sharing this one's bytes."""
        base = int(self.starts[start])
        part = copy.copy(self)
        part._offset += base
        part.padded = self.padded[base : int(self.ends[stop - 1]) + 1 + _PAD]
        part.starts, part.ends, part.count = self.starts[start:stop] - base, self.ends[start:stop] - base, stop - start
        return part

    def find(self, text: bytes, at: int = 0) -> int:
        """Where ``text`` first is from byte ``at`` on, or -1."""
        offset = self._offset
        found = self._data.find(text, offset + at, offset + len(self.padded) - _PAD)
        return found - offset if found >= 0 else -1

    def occurrences(self, text: bytes) -> int:
        offset = self._offset
        return self._data.count(text, offset, offset + len(self.padded) - _PAD)


def _fill(data: np.ndarray, offsets: np.ndarray, width: int) -> None:
    """Overwrite the ``width`` bytes from each of ``offsets`` in ``data`` with FILL."""
    windows(data, width)[offsets] = np.void(FILL * width)


@lru_cache(maxsize=256)
def _line_masks(width: int) -> np.ndarray:
    """``width`` items of ``width`` bytes: item ``n`` is 1 for the first ``n + 1`` bytes (a line's
    bytes to its comma), 0 after. `_texts` picks an item for each row by its length, a
    ``memcpy`` each: comparing each line's length with the columns (short rows through numpy's
    broadcast loop) costs twice as much."""
    masks = (np.arange(width) <= np.arange(width)[:, None]).view(np.dtype((np.void, width))).ravel()
    masks.flags.writeable = False  # shared by every block of the width
    return masks


def _words(padded: np.ndarray) -> np.ndarray:
    """The 8 bytes at every offset of ``padded`` as a little-endian integer, as a view."""
    return np.ndarray((len(padded) - 7,), dtype="<u8", buffer=padded, strides=(1,))


def _matches(padded: np.ndarray, offsets: np.ndarray, text: bytes) -> np.ndarray:
    """Whether ``text`` is at each of ``offsets`` in ``padded``: one comparison of bytes when it
    is at all of them (the common case), a numpy one row by row when not."""
    rows = rows_at(padded, offsets, len(text))
    if rows.tobytes() == text * len(offsets):
        return np.ones(len(offsets), dtype=bool)
    return (rows == np.frombuffer(text, np.uint8)).all(axis=1)


class Seam:
    """Where a record line's literals can be found by position: after the head, the first
    number, then ``literal`` (None: cut by `bytes.replace`, or none); ``tail`` ends the line.
    An ``integer`` first number is an iteration, digits only. A line whose numbers after the
    first no column reads (the weighted value of ``loss = X (* 1 = Xw loss)``) is copied up
    to its literal only: what follows is no number the line-by-line path reads either."""

    def __init__(self, head: bytes, literal: bytes | None, tail: bytes, integer: bool, numbers: int) -> None:
        self.body = PREFIX + len(head)  # where the first number starts, from the line's start
        self.literal, self.tail, self.integer = literal, tail, integer
        self.numbers = numbers  # how many of the line's numbers `Layout._cut` copies
        self.stops_at_literal = literal is not None and numbers == 1

    @classmethod
    def of(cls, pieces: list[str], read: int) -> Seam | None:
        """The seam of a line split at its numbers, of which columns read the first ``read``:
        its literal left to `bytes.replace` when it could not be told from a number by position
        or would be looked for too far on; None when the line's iteration could not be told
        apart by position."""
        head, tail = pieces[0].encode("utf-8"), pieces[-1].encode("utf-8")
        literal = pieces[1].encode("utf-8") if len(pieces) > 2 else None
        if literal is not None and (not literal or literal[0] in _NUMBER_BYTES):
            literal = None
        if literal is not None and PREFIX + len(head) + _SCAN + len(literal) > _PAD:
            literal = None  # looked for so far on, it might be looked for past a block's padding
        # the line-by-line path reads an iteration as `Iteration (\d+)`: "300.0" or "3e2" is none
        integer = head.endswith(b"Iteration ")
        if integer and literal is None and len(pieces) > 2:
            return None
        return cls(head, literal, tail, integer, 1 if read == 1 and literal is not None else len(pieces) - 1)

    def check(self, padded: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """Which lines (from ``starts`` to their ``\\n`` at ``ends``) hold the tail and the
        literal where they belong (and an iteration of digits only), and where the literal is on
        each (None without one)."""
        tails = ends - len(self.tail)
        numbers = ends - (starts + self.body)  # the bytes `Layout._cut` copies, to the "\n" (without it)
        fits = (numbers >= len(self.tail)) & (numbers < _PAD)  # the tail after the head, the copy inside the padding
        if self.tail:
            fits &= _matches(padded, tails, self.tail)
        if self.literal is None and not self.integer:
            return fits, None
        first = starts + self.body
        window = rows_at(padded, first, _SCAN)  # the first number and what follows it
        if self.integer:  # digits, up to the first other byte (not within `_SCAN`: the first)
            end = first + np.argmax(window - _ZERO > 9, axis=1)
            fits &= (end > first) & (end - first <= _EXACT_DIGITS)
        else:
            end = first + np.argmax(window == self.literal[0], axis=1)  # no number has that byte
        if self.literal is None:
            return fits & (end == tails), None
        fits &= _matches(padded, end, self.literal) & (end + len(self.literal) <= tails)  # in its line, before the tail
        return fits, end

    def cut(self, data: np.ndarray, ends: np.ndarray, at: np.ndarray | None) -> None:
        """Overwrite the tail before ``ends`` with FILL, and the literal at ``at`` with a comma
        and FILL (a line copied up to its literal has neither)."""
        if self.stops_at_literal:
            return
        if self.tail:
            _fill(data, ends - len(self.tail), len(self.tail))
        if at is not None:
            _fill(data, at, len(self.literal))
            data[at] = _COMMA

    def spans(self, starts: np.ndarray, ends: np.ndarray, at: np.ndarray | None) -> list[tuple[np.ndarray, np.ndarray]]:
        """Where the numbers `Layout._cut` copies start and end on lines from ``starts`` to their
        ``\n`` at ``ends``, the literal at ``at`` (`check`): the first to the literal (or the
        tail), the next from the literal to the tail. Only for a line of at most two numbers."""
        first, last = starts + self.body, ends - len(self.tail)
        if at is None:
            return [(first, last)]
        return [(first, at)] if self.stops_at_literal else [(first, at), (at + len(self.literal), last)]


class Layout:
    """The literal text of one display record (or test block) around its numbers.

    ``heads`` holds each line's text between the date and its first number, ``columns``
    (value column, step column, tag, printed name, line of the record) each value the record
    gives, in the order the line-by-line path gives them. Column 0 is the iteration of the
    record's loss line, the step of all but the lr line's values.
    """

    def __init__(
        self, heads: list[str], seams: list[Seam], cuts: Iterable[str], columns: list[tuple], width: int, split: str | None
    ) -> None:
        self.heads = [head.encode("utf-8") for head in heads]
        self.seams = seams
        self.split = split  # None for display records, the test net's split for a test block
        self.lines = len(heads)
        self.columns, self.width = columns, width
        self.tags = {column[2] for column in columns}
        # the literals the seams leave, each cut down to a comma, longest first (one may hold another)
        self._cuts = sorted((cut.encode("utf-8") for cut in cuts), key=len, reverse=True)
        # 8 bytes of the first head that tell its line from others of the same shape: those
        # that end glog's "file:line]", else its first
        first = self.heads[0]
        self._key_offset = max(0, min(first.find(b"]") - 7, len(first) - 8))
        self._key = int.from_bytes(first[self._key_offset : self._key_offset + 8], "little") if len(first) >= 8 else None

    @classmethod
    def learn(cls, record: list[str]) -> Layout | None:
        """The layout of ``record``: a display record (a loss line, its ``Train net output``
        lines, an lr line) or a test block (a ``Testing net (#k)`` line and its ``Test net
        output`` lines, whose values go to ``split``)."""
        columns: list[tuple] = []
        heads: list[str] = []
        seams: list[Seam] = []
        cuts: dict[str, None] = {}
        split = None  # the test net's split, for a test block
        start = 0  # the column of the line's first number
        for index, line in enumerate(record):
            pieces = _NUMBER.split(line[PREFIX:])
            count = read = len(pieces) - 1  # its numbers, and how many of the first a column reads
            if index == 0:
                testing = _TESTING.search(line)
                if testing is not None and count == 1 and len(record) > 1:
                    split = tags.VAL if testing[1] == "0" else f"val_net{testing[1]}"
                elif count not in (2, 5) or pieces[1] != (LOSS_LINE if count == 2 else " ("):
                    return None  # the line-by-line path reads no loss unless these follow the iteration
                else:
                    columns.append((count - 1, 0, "train/loss", "loss", 0))
                    if count == 5:  # "Iteration N (2.3 iter/s, 43.4s/100 iters), loss = X"
                        columns.append((1, 0, "perf/iters_per_sec", "iter/s", 0))
            elif split is None and ", lr = " in line and index == len(record) - 1:
                if count != 2 or pieces[1] != ", lr = ":
                    return None  # nor an lr
                columns.append((start + 1, start, "opt/lr", "lr", index))
            else:
                output = _OUTPUT_NAME.search(line)
                if output is None or output[1] != ("Train" if split is None else "Test") or count not in (1, 2):
                    return None  # its value, and the weighted value
                name = output[2]
                columns.append((start, 0, output_tag(name, split), name, index))
                read = 1
            if PREFIX + len(pieces[0].encode()) + 8 > _PAD:
                return None  # a window that long would reach past a block's padding
            if not all(pieces[1:-1]):
                return None  # two numbers with nothing between: no place to cut
            heads.append(pieces[0])
            seam = Seam.of(pieces, read)
            if seam is None:
                return None
            seams.append(seam)
            cuts.update(dict.fromkeys(pieces[1 if seam.literal is None else 2 : -1]))
            start += seam.numbers
        return cls(heads, seams, cuts, columns, start, split)

    def find(self, block: Block) -> tuple[np.ndarray, list]:
        """The first line of each record in ``block`` whose heads and literals are where they
        belong (records may overlap: `read` refuses those), and where the seams' literals are
        (`Seam.check`)."""
        size, count = self.lines, block.count
        if count < size:
            return np.arange(0), []
        padded = block.padded
        if self._key is None:
            firsts = np.arange(count - size + 1)
        else:  # a word of the first line's head picks the lines worth comparing in full
            keys = _words(padded)[block.starts[: count - size + 1] + (PREFIX + self._key_offset)]
            firsts = np.flatnonzero(keys == self._key)
        for index, head in enumerate(self.heads):
            firsts = firsts[_matches(padded, block.starts[firsts + index] + PREFIX, head)]
        # a record whose literals are not where they belong is left to the line-by-line path
        fits = np.ones(len(firsts), dtype=bool)
        literals = []
        for index, seam in enumerate(self.seams):
            line_fits, at = seam.check(padded, block.starts[firsts + index], block.ends[firsts + index])
            fits &= line_fits
            literals.append(at)
        if not fits.all():
            firsts = firsts[fits]
            literals = [None if at is None else at[fits] for at in literals]
        return firsts, literals

    def read(self, block: Block, found: tuple[np.ndarray, list]) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
        """(first line of each record `find` ``found`` in ``block``, the dates of their lines as
        `read_dates` gives them, their numbers as a (records, width) array), or None when
        there are none or they do not fit."""
        firsts, literals = found
        size = self.lines
        if not len(firsts) or (np.diff(firsts) < size).any():
            return None
        lines = _record_lines(firsts, size)
        dates = read_dates(rows_at(block.padded, block.starts[lines], PREFIX))
        if dates is None:
            return None
        matrix = self._numbers(block, lines, literals)
        return None if matrix is None else (firsts, dates, matrix)

    def _numbers(self, block: Block, lines: np.ndarray, literals: list) -> np.ndarray | None:
        """The numbers of the records' ``lines`` as a (records, width) array, or None when one is
        no number orjson reads. Where the seams know every number's bytes, each is read from its
        digits (`read_decimals`), and only those it cannot read are cut and read by orjson: no
        text is made for the rest. Else the records are cut (`_cut`) and read by orjson."""
        records = len(lines) // self.lines
        if self._cuts:  # literals between later numbers, which only `bytes.replace` finds
            body = self._cut(block, lines, literals)
            for cut in self._cuts:
                body = body.replace(cut, b",")
            return read_cut(body[:-1], records, self.width)  # the last "\n" became a comma
        starts, ends = self._spans(block, lines, literals)
        values, fits = read_decimals(rows_at(block.padded, ends - DECIMAL_WIDTH, DECIMAL_WIDTH), ends - starts)
        if not fits.all():  # an exponent, nan, more digits
            unfit = np.flatnonzero(~fits)
            found = read_cut(_joined(block.padded, starts[unfit], ends[unfit])[:-1], len(unfit), 1)
            if found is None:
                return None
            values[unfit] = found.ravel()
        return values.reshape(records, self.width)

    def _spans(self, block: Block, lines: np.ndarray, literals: list) -> tuple[np.ndarray, np.ndarray]:
        """Where each number of the records' ``lines`` starts and ends (`Seam.spans`), in the
        order of the records' numbers."""
        size = self.lines
        starts = np.empty((len(lines) // size, self.width), dtype=block.starts.dtype)
        ends = np.empty_like(starts)
        line_starts, line_ends = block.starts[lines], block.ends[lines]
        column = 0
        for index, seam in enumerate(self.seams):
            for start, end in seam.spans(line_starts[index::size], line_ends[index::size], literals[index]):
                starts[:, column], ends[:, column] = start, end
                column += 1
        return starts.reshape(-1), ends.reshape(-1)

    def _cut(self, block: Block, lines: np.ndarray, literals: list) -> bytes:
        """The text of the records' ``lines`` (record after record) from each line's first number
        to its end, without the tails and the seams' literals (at ``literals``, one array or None
        a line of the record) and with each ``\\n`` a comma.

        Each line's numbers are copied into a row of their own (as wide as the longest), so the
        work grows with the records' lines, not with the block: the dates and heads are never
        copied, and one numpy selection leaves out what is past a line's end or overwritten by
        FILL."""
        size = self.lines
        slots = block.starts[lines]
        for index, seam in enumerate(self.seams):  # a line of the record at a time, as in `_record_lines`
            slots[index::size] += seam.body  # where each line's first number starts
        lengths = block.ends[lines] - slots  # each line's bytes from its first number to its "\n"
        for index, seam in enumerate(self.seams):
            if seam.stops_at_literal:  # to its literal, which becomes the comma
                lengths[index::size] = literals[index] - slots[index::size]
        width = int(lengths.max()) + 1  # at most `_PAD` (`Seam.check`)
        rows = rows_at(block.padded, slots, width)
        data = rows.reshape(-1)  # a view: the rows one after another
        row_starts = np.arange(0, len(data), width)
        ends = row_starts + lengths
        for index, seam in enumerate(self.seams):
            at = literals[index]
            seam.cut(data, ends[index::size], None if at is None else at - slots[index::size] + row_starts[index::size])
        return _texts(rows, lengths)


def _texts(rows: np.ndarray, lengths: np.ndarray) -> bytes:
    """The first ``lengths`` bytes of each of ``rows`` and a comma after them (over the byte
    there), row after row, without FILL: one numpy selection."""
    data = rows.reshape(-1)  # a view: the rows one after another
    data[np.arange(0, len(data), rows.shape[1]) + lengths] = _COMMA
    kept = _line_masks(rows.shape[1])[lengths].view(bool).reshape(rows.shape)  # a row's bytes to its comma
    kept &= rows != FILL[0]
    return data[kept.reshape(-1)].tobytes()


def _joined(padded: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> bytes:
    """The texts from each of ``starts`` to its end in ``padded``, each with a comma after it
    (`_texts`; none is longer than the padding, `Seam.check`)."""
    lengths = ends - starts
    return _texts(rows_at(padded, starts, int(lengths.max()) + 1), lengths)


class Records:
    """The records of one layout in a block (`Layout.read`), and the runs of them read so far
    that are still to be emitted."""

    def __init__(
        self, layout: Layout, firsts: np.ndarray, dates: np.ndarray, matrix: np.ndarray, year: int, walls: np.ndarray | None = None
    ) -> None:
        self.layout, self.firsts, self.dates, self.matrix = layout, firsts, dates, matrix
        self.year, self.walls = year, wall_times(dates, year) if walls is None else walls
        self.pending: list[tuple[int, int, np.ndarray]] = []  # (first, stop record, walls of their lines)

    @property
    def line_indexes(self) -> np.ndarray:
        """The block's lines the records are on, record by record."""
        return _record_lines(self.firsts, self.layout.lines)

    def part(self, record: int, stop: int, line: int) -> Records | None:
        """Records ``record`` to ``stop`` on their own, their lines counted from line ``line``
        (`Block.part`); None if there are none."""
        if record >= stop:
            return None
        lines = slice(record * self.layout.lines, stop * self.layout.lines)
        firsts, matrix = self.firsts[record:stop] - line, self.matrix[record:stop]
        return Records(self.layout, firsts, self.dates[lines], matrix, self.year, self.walls[lines])

    def take(self, record: int, stop: int, year: int) -> None:
        """Records ``record`` to ``stop`` are read: emit them with the next `emit`."""
        size = self.layout.lines
        lines = slice(record * size, stop * size)
        walls = self.walls[lines] if year == self.year else wall_times(self.dates[lines], year)
        self.pending.append((record, stop, walls))

    def touched_by(self, items: list) -> bool:
        """Whether ``items`` must come after the pending records: an event, or a value of one
        of their series."""
        series = self.layout.tags
        return bool(self.pending) and any(
            type(item) is Event or (type(item) in (Point, Columns) and item.tag in series) for item in items
        )

    def emit(self, items: list) -> None:
        """The values of the pending records, one block per series."""
        if not self.pending:
            return
        if len(self.pending) == 1:
            (start, stop, walls), = self.pending
            matrix = self.matrix[start:stop]
        else:
            matrix = np.concatenate([self.matrix[start:stop] for start, stop, _ in self.pending])
            walls = np.concatenate([walls for _, _, walls in self.pending])
        self.pending = []
        size = self.layout.lines
        steps = matrix[:, 0].astype(np.int64)
        for column, step_column, tag, name, line in self.layout.columns:
            at = steps if step_column == 0 else matrix[:, step_column].astype(np.int64)
            items.append(Columns(tag, name, at, matrix[:, column], None, walls[line::size]))


def _record_lines(firsts: np.ndarray, size: int) -> np.ndarray:
    """The lines of records of ``size`` lines starting at ``firsts``, record by record: filled a
    line of the record at a time (broadcasting ``firsts[:, None] + np.arange(size)`` loops over
    the three lines of each record, five times the work)."""
    lines = np.empty((len(firsts), size), dtype=firsts.dtype)
    for line in range(size):
        np.add(firsts, line, out=lines[:, line])
    return lines.ravel()


@lru_cache(maxsize=1024)
def output_tag(name: str, split: str | None) -> str:
    """The tag `caffe.Parser` gives an output: a raw batch value, or a test net's value."""
    if split is None:
        return tags.canonical(name, tags.BATCH)
    tag = tags.canonical(name, tags.VAL)
    return tag if split == tags.VAL else f"{split}/{tags.metric_of(tag)}"


def read_dates(table: np.ndarray) -> np.ndarray | None:
    """The (month, day, hour, minute, microseconds of the minute) of glog's fixed-width
    severity, date and time, one row of ``table`` (bytes) a line; None when one is not that
    or names no month."""
    if not _SEVERITY[table[:, 0]].all():
        return None
    if not ((table[:, 5] == 32) & (table[:, 8] == 58) & (table[:, 11] == 58) & (table[:, 14] == 46)).all():
        return None
    digits = table[:, _DIGIT_COLUMNS] - 48  # uint8: a byte below "0" wraps past 9
    if (digits > 9).any():
        return None
    pairs = digits[:, 0::2] * np.uint8(10) + digits[:, 1::2]  # month, day, hour, minute, seconds, 3 x 2 digits
    if pairs[:, 0].min() < 1 or pairs[:, 0].max() > 12:
        return None
    dates = pairs.astype(np.int64)  # at once: a column at a time, each cast is buffered (three times the work)
    micros = dates[:, 4]  # "25.854327" -> 25854327, summed into the seconds' column
    micros *= 1_000_000
    for pair, scale in ((5, 10_000), (6, 100), (7, 1)):
        micros += dates[:, pair] * scale
    return dates[:, :5]


def wall_times(dates: np.ndarray, year: int) -> np.ndarray:
    """What `caffe.Parser` computes line by line for ``dates`` in ``year``: ``calendar.timegm``
    of the minute plus ``float()`` of the printed seconds, to the bit (whole seconds and a
    whole number of microseconds over 1e6, which rounds as ``float()`` of its decimal text
    does, added once)."""
    months, days, hours, minutes, micros = dates.T
    since_epoch = _month_starts(year)[months - 1] + days - 1
    seconds = ((since_epoch * 24 + hours) * 60 + minutes) * 60
    return seconds + micros / 1e6


@lru_cache(maxsize=16)
def _month_starts(year: int) -> np.ndarray:
    """The days from 1970-01-01 to the first of each month of ``year``, as float64."""
    starts = np.arange(f"{year}-01", f"{year + 1}-01", dtype="datetime64[M]").astype("datetime64[D]").astype(np.float64)
    starts.flags.writeable = False  # shared by every call for the year
    return starts


_SCAN = 32  # the longest first number a seam finds the end of, plus one
_ZERO = ord("0")
_EXACT_DIGITS = 15  # an iteration of at most this many digits is exact as the float64 orjson's list becomes
_NUMBER_BYTES = b"0123456789.eE+-"  # what a number orjson reads is made of
_SEVERITY = np.zeros(256, dtype=bool)
_SEVERITY[list(b"IWEF")] = True
# the digits of "I0711 14:22:25.854327": MMDD, hh, mm, ss, ffffff
_DIGIT_COLUMNS = [1, 2, 3, 4, 6, 7, 9, 10, 12, 13, 15, 16, 17, 18, 19, 20]
