"""Column extraction for long runs of MXNet Speedometer lines that share one layout.

A Speedometer log is mostly lines such as::

    INFO:root:Epoch[3] Batch [500]\tSpeed: 1997.40 samples/sec\taccuracy=0.013391\tlr=0.1

that differ only in their numbers. A `Layout` is the literal text around those numbers,
learned from the first line (or the first few lines, when MXNet <= 0.11 prints one line
per metric for the same batch). Numbers printed as plain decimals (all of Speedometer's
``%f``) are read by `_literals.read_marked`, a few C passes over a run whatever its layout.
Otherwise (``lr=1e-05``) replacing the literal pieces of a run of lines by commas
leaves only the numbers when the lines fit the layout, and one orjson call converts them
(about four times faster than ``float()`` one by one, and no regex touches the text). The
lines fit when orjson accepts the result and it holds exactly as many numbers as that many
records do: a line with other metric names keeps text between its numbers, one with fewer
or more metrics changes the count. (A line printing the same metrics in another order would
pass, and MXNet never does that within a run.) A run that does not fit returns
None and the caller parses it line by line, so the result never depends on which path ran.
Values orjson refuses (``nan``, ``inf``, ``1.``) fall back too.
"""

from __future__ import annotations

import re

import numpy as np

from lossboard import tags
from lossboard.sources.formats._literals import Marks, cut_pieces, read_marked, read_numbers

# a number printed by Speedometer: after "Epoch[" / "Batch [" / "-" in "[100-200]", after
# "Speed: " or "Speed ", after "name="
_NUMBER = re.compile(
    r"(?<=\[)\d+(?=[\]-])|(?<=\d-)\d+(?=\])|(?<=Speed: )\S+|(?<=Speed )\S+|(?<==)[^\s=]+"
)

# "Epoch[3] Batch [500]\t": what every line of one batch starts with, up to its metrics
_HEAD = re.compile(r"(?:Epoch|Iter)\[\d+\]\s*Batch\s*\[(?:\d+-)?\d+\]\s*")

SPEED_TAG = tags.canonical("Speed")
_EXACT = 2.0**53  # the integers a float64 holds exactly lie below
EPOCH = "epoch"
BATCH = "batch"
BATCH_START = "batch_start"
SPEED = "speed"
METRIC = "metric"


def _role(before: str) -> tuple[str, str]:
    """What the number after the literal ``before`` is, and its printed name for metrics."""
    if before.endswith(("Epoch[", "Iter[")):
        return EPOCH, ""
    if before.endswith("Batch ["):
        return BATCH, ""
    if before.endswith("-"):
        return BATCH, ""
    if before.endswith(("Speed: ", "Speed ")):
        return SPEED, "Speed"
    if before.endswith("="):
        name = before[:-1].split()[-1] if before[:-1].strip() else ""
        return (METRIC, name) if name else ("", "")
    return "", ""


class Layout:
    """The literal text of a group of ``lines_per_record`` lines, with the numbers cut out.

    ``roles[i]`` says what number ``i`` of a record is (`EPOCH`, `BATCH`, `SPEED`, `METRIC`)
    and ``names[i]`` the printed metric name; ``line_of[i]`` is the line of the record it
    sits on.
    """

    def __init__(self, pieces: list[str], sample: str, lines_per_record: int) -> None:
        self.head = pieces[0]
        self.lines_per_record = lines_per_record
        self.width = len(pieces) - 1
        roles: list[str] = []
        names: list[str] = []
        line_of: list[int] = []
        line = 0
        for before in pieces[:-1]:
            line += before.count("\n")
            role, name = _role(before)
            if role == BATCH and roles and roles[-1] == BATCH:
                roles[-1] = BATCH_START  # "[100-200]": the first number starts the range
            roles.append(role)
            names.append(name)
            line_of.append(line)
        self.roles, self.names, self.line_of = roles, names, line_of
        self.usable = all(roles) and roles.count(EPOCH) == roles.count(BATCH) == lines_per_record
        self.tail = pieces[-1]
        self._all_pieces = pieces
        self._pieces = cut_pieces(pieces)  # what `_literals.read_numbers` replaces
        self.decimals = Marks(pieces)  # how `_literals.read_marked` reads runs of plain decimals
        self._line_marks = _marks(sample.split("\n"))
        # `read_chunk` takes the lines that start with the head and are no shorter than a record's
        # shortest line without its numbers for record lines, then checks them exactly; as
        # `_fast_lines` picks the lines with " Batch [", each record line must print it
        self.shortest_line = min(len(line) for line in self.decimals.skeleton.split(b"\n"))
        self.reads_bytes = self.decimals.usable and all(
            any(" Batch [" in piece for piece in _NUMBER.split(line)) for line in sample.split("\n")
        )

    def line_kind(self, line: str) -> int | None:
        """Which line of a record ``line`` is, by the text only that line of a record has."""
        for index, mark in enumerate(self._line_marks):
            if mark is not None and mark in line:
                return index
        return None

    @classmethod
    def learn(cls, lines: list[str]) -> Layout | None:
        """The layout of ``lines`` (one record: one line, or several for one batch)."""
        text = "\n".join(lines)
        pieces = _NUMBER.split(text)
        if len(pieces) < 3:
            return None
        layout = cls(pieces, text, len(lines))
        return layout if layout.usable else None

    def matrix(self, lines: list[str]) -> np.ndarray | None:
        """The numbers of ``lines`` as a (records, width) float array, or None when the
        lines do not fit the layout exactly."""
        records, rest = divmod(len(lines), self.lines_per_record)
        if rest or not records:
            return None
        text = "\n".join(lines)
        if self.decimals.usable:
            matrix = read_marked(text.encode(), self.decimals, records)
            if matrix is not None:
                return matrix
        if not self._in_place(lines):
            return None
        return read_numbers(text, self._all_pieces, self._pieces, records)

    def _in_place(self, lines: list[str]) -> bool:
        """Whether each of ``lines`` (whole records) holds the text only its line of a record
        has: `read_numbers` cuts the pieces wherever they are, so a record of two ``Train-
        accuracy=`` lines (one metric printed twice, the next missing) would pass for one of a
        ``Train-accuracy=`` and a ``Train-top_k_accuracy_5=`` line."""
        size = self.lines_per_record
        return size == 1 or all(
            mark is None or all(mark in line for line in lines[index::size]) for index, mark in enumerate(self._line_marks)
        )


def _marks(lines: list[str]) -> list[str | None]:
    """For each line of a record, its longest literal piece that no other line has."""
    pieces = [set(_NUMBER.split(line)) - {""} for line in lines]
    marks: list[str | None] = []
    for index, own in enumerate(pieces):
        others = set().union(*(p for i, p in enumerate(pieces) if i != index))
        unique = [piece for piece in own if not any(piece in other for other in others)]
        marks.append(max(unique, key=len) if unique else None)
    return marks


def value_series(layout: Layout, walls: np.ndarray | None) -> list[tuple]:
    """(matrix column, tag, printed name, wall times) of each value a record holds."""
    roles, size = layout.roles, layout.lines_per_record
    # MXNet <= 0.11 prints the batch's Speed on each of its lines: one is its value
    speeds = [i for i, role in enumerate(roles) if role == SPEED]
    series = []
    for i, role in enumerate(roles):
        if role == METRIC or i in speeds[-1:]:
            name = layout.names[i]
            tag = SPEED_TAG if role == SPEED else tags.canonical(name, tags.BATCH)
            series.append((i, tag, name, None if walls is None else walls[layout.line_of[i] :: size]))
    return series


def _spans(
    rows: list[int], size: int, counters: tuple[np.ndarray, np.ndarray] | None
) -> list[tuple[int, int, int, int]] | None:
    """(first record, end record, first line, end line) of each stretch of records on
    consecutive lines of one epoch, or None when the records do not sit on consecutive
    lines or batch numbers go back inside a stretch (a restart: parsed line by line)."""
    if counters is None:
        return None
    epochs, batches = counters
    lines = np.asarray(rows, dtype=np.int64).reshape(-1, size)
    if size > 1 and (lines - lines[:, :1] != np.arange(size)).any():
        return None
    starts = lines[:, 0]
    cut = (np.diff(starts) != size) | (epochs[1:] != epochs[:-1])
    if ((batches[1:] < batches[:-1]) & ~cut).any():
        return None
    bounds = [0, *(np.flatnonzero(cut) + 1).tolist(), len(starts)]
    first_lines = starts.tolist()
    return [
        (start, stop, first_lines[start], first_lines[stop - 1] + size)
        for start, stop in zip(bounds, bounds[1:])
    ]


def _counters(matrix: np.ndarray, roles: list[str]) -> tuple[np.ndarray, np.ndarray] | None:
    """The epoch and batch of each record, when whole numbers and the same on every line of
    a record (MXNet <= 0.11 prints one line per metric for one batch), and below 2**53: a
    float64 holds those exactly, where ``Epoch[9007199254740993]`` would round to its
    neighbour (the line-by-line path reads it exactly)."""
    epoch_cols = [i for i, role in enumerate(roles) if role == EPOCH]
    batch_cols = [i for i, role in enumerate(roles) if role == BATCH]
    counters = matrix[:, epoch_cols + batch_cols]
    if not (counters == np.floor(counters)).all() or ((counters < 0) | (counters >= _EXACT)).any():
        return None
    epochs, batches = matrix[:, epoch_cols], matrix[:, batch_cols]
    if (epochs != epochs[:, :1]).any() or (batches != batches[:, :1]).any():
        return None
    return epochs[:, 0].astype(np.int64), batches[:, 0].astype(np.int64)


def read_records(rows: list[int], lines: list[str], layout: Layout) -> tuple | None:
    """(batch lines skipped, matrix, counters, spans) for the whole records in ``lines``, or
    None when they do not fit ``layout``. A chunk may start or end inside a record of
    several lines; those lines are left to the line-by-line path."""
    found = _whole_records(layout, lines[0], len(lines))
    if found is None:
        return None
    skip, whole = found
    matrix = layout.matrix(lines[skip : skip + whole])
    return None if matrix is None else _placed(skip, matrix, rows[skip : skip + whole], layout)


def _placed(skip: int, matrix: np.ndarray, rows, layout: Layout) -> tuple | None:
    """What `read_records` gives for the records ``matrix`` read from lines ``rows``, or None
    when their counters or lines do not make stretches (`_counters`, `_spans`)."""
    counters = _counters(matrix, layout.roles)
    spans = _spans(rows, layout.lines_per_record, counters)  # None without counters
    return None if spans is None else (skip, matrix, counters, spans)


def _whole_records(layout: Layout, first: str, count: int) -> tuple[int, int] | None:
    """(lines before the first whole record, lines in whole records) of ``count`` record lines,
    the first of them ``first`` (its kind tells where a record of several lines starts: a
    chunk may start inside one); None without a whole record."""
    size = layout.lines_per_record
    skip = 0
    if size > 1:
        kind = layout.line_kind(first)
        if kind is None:
            return None
        skip = (size - kind) % size
    whole = (count - skip) // size * size
    return (skip, whole) if whole >= size else None


def read_chunk(data: bytes, end: int, layout: Layout) -> Chunk | None:
    """The records of the whole lines ``data[:end]`` (plain lines, each ending in ``\\n``, no
    ``\\r``) read from the bytes, with no ``str`` for each line; None when they do not fit
    ``layout`` exactly (the caller then reads the decoded lines).

    Numpy finds where each line starts; those that seem to start with the layout's head
    (`_starting_with`) and are no shorter than a record's shortest line are taken for record
    lines (the lines `_fast_lines` picks by `` Batch [``), `read_marked` checks that they are
    exactly, and `Chunk.lines` that no other line names a batch.
    """
    codes = np.frombuffer(data, np.uint8, end)
    ends = np.flatnonzero(codes == _NEWLINE)
    starts = np.empty_like(ends)
    starts[:1] = 0
    starts[1:] = ends[:-1] + 1
    head = layout.head.encode()
    rows = np.flatnonzero(ends - starts >= max(layout.shortest_line, len(head), 8))
    rows = rows[_starting_with(codes, starts[rows], head)]
    if not len(rows):
        return None
    size = layout.lines_per_record
    first = data[starts[rows[0]] : ends[rows[0]]].decode("utf-8", "replace") if size > 1 else ""
    found = _whole_records(layout, first, len(rows))
    if found is None:
        return None
    skip, whole = found
    taken = rows[skip : skip + whole]
    # the record lines, run by run: a run of consecutive lines is one slice of the bytes
    breaks = np.flatnonzero(np.diff(taken) != 1) + 1
    firsts = starts[taken[np.concatenate(([0], breaks))]].tolist()
    lasts = ends[taken[np.concatenate((breaks - 1, [whole - 1]))]].tolist()
    view = memoryview(data)  # slices of a view are not copies: the join is the one copy
    matrix = read_marked(b"\n".join([view[a:b] for a, b in zip(firsts, lasts)]), layout.decimals, whole // size)
    read = None if matrix is None else _placed(skip, matrix, taken, layout)
    if read is None:
        return None
    outside = {*rows[:skip].tolist(), *rows[skip + whole :].tolist()}
    return Chunk(data, starts, ends, outside, read)


_NEWLINE = ord("\n")


def _starting_with(codes: np.ndarray, offsets: np.ndarray, head: bytes) -> np.ndarray:
    """Whether the first and the last 8 bytes of ``head`` (all of it, if up to 16 bytes) are at
    each of ``offsets`` in ``codes`` (each line at least 8 bytes long): a first look, two 64-bit
    words a line (a copy of the whole head for each line took as long as finding the lines;
    the first word alone is ``INFO:roo`` on every line of a log); `read_marked` then checks
    the lines taken exactly."""
    width = min(len(head), 8)
    words = np.ndarray((len(codes) - 7,), dtype="<u8", buffer=codes, strides=(1,)) if len(offsets) else _NO_WORDS
    mask = (1 << 8 * width) - 1
    found = (words[offsets] & mask) == int.from_bytes(head[:width], "little")
    if len(head) > 8:
        found &= words[offsets + (len(head) - 8)] == int.from_bytes(head[-8:], "little")
    return found


_NO_WORDS = np.zeros(0, dtype="<u8")


class Chunk:
    """What `read_chunk` read: ``read`` as `read_records` gives it (no line skipped before the
    records but those of a record cut by the chunk's start), and the chunk's lines."""

    def __init__(self, data: bytes, starts: np.ndarray, ends: np.ndarray, outside: set[int], read: tuple) -> None:
        self._data, self._starts, self._ends = data, starts, ends
        self._outside = outside  # the record lines outside whole records, at the chunk's ends
        self.read = read
        self.count = len(ends)

    def lines(self) -> list[str] | None:
        """The lines of the chunk, decoded as the reader decodes them, but those of the records
        (left empty: they are read); None when a line outside the records names a batch and was
        not taken for a record line or the other way round (`_fast_lines` would pick them)."""
        lines = [""] * self.count
        data, starts, ends, outside = self._data, self._starts, self._ends, self._outside
        done = 0
        for _, _, first_line, end_line in [*self.read[3], (0, 0, self.count, self.count)]:
            if done < first_line:
                text = data[starts[done] : ends[first_line - 1]].decode("utf-8", "replace")
                part = text.split("\n")
                if outside or " Batch [" in text:
                    if any((" Batch [" in line) != (index in outside) for index, line in enumerate(part, done)):
                        return None
                lines[done:first_line] = part
            done = end_line
        return lines


def learn_layout(lines: list[str]) -> Layout | None:
    """The layout of the first whole record of ``lines``: the lines that print one batch.

    The first group of lines with one batch number may be the tail of a record cut by the
    chunk boundary, so the second group is learned from when there is one.
    """
    groups = []
    start = 0
    while start < len(lines) and len(groups) < 2:
        head = _HEAD.search(lines[start])
        if head is None:
            return None
        prefix = lines[start][: head.end()]
        end = start + 1
        while end < len(lines) and lines[end].startswith(prefix):
            end += 1
        groups.append(lines[start:end])
        start = end
    whole = groups[1] if len(groups) > 1 and start < len(lines) else groups[0]
    return Layout.learn(whole)
