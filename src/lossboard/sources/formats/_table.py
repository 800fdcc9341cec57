"""Delimited tables with a header line, read row by row: what the CSV-like formats share.

The first non-empty line names the columns; every later line is one row. Columns are found
by name, never by position, because their order changes between framework versions
(Lightning's ``train_loss,step,epoch`` became ``step,epoch,train_loss``). The delimiter is a
tab when the header has one, else a comma; fields are stripped, so YOLO's padding to width
20 or 23 disappears. Counters pick the step: a ``step``-like column if there is one, else
the ``epoch`` column (a global ``epoch`` wins over a per-stage ``e``). A counter that goes
back (a CSVLogger appending after a restart) emits a `RESUME` event.

A column's first non-empty cell decides its kind: a number makes it a metric column, where a
later non-number is a `Problem`; text (a date, a model name) makes it a column we ignore.

Rows after the header go a block at a time through `_table_arrow` when pyarrow is installed,
and row by row here for any block it cannot read exactly as this code would (a bad row, a
header again, quotes). A subclass's `number` and `counter` may therefore only add readings
for cells ``float()`` rejects (YOLO's ``1.93G``, ``29/29``); `counter_offset` is the one
change to what a plain number means that both paths apply. The reader hands a table the
file's bytes (`feed_bytes`): a block of plain rows goes to pyarrow as it was read, never
decoded to text and encoded back.
"""

from __future__ import annotations

import re

from lossboard.model import RESUME, Event, Item, Point, Problem
from lossboard.sources.formats import _table_arrow
from lossboard.sources.formats._lines import LineParser
from lossboard.sources.formats._numbers import number
from lossboard.sources.formats._plain_bytes import PlainBytesFeed, plain_lines
from lossboard.sources.formats._table_head import EPOCH_NAMES, STEP_NAMES, counter_columns, split_cells
from lossboard.tags import canonical

CHUNK_BYTES = 4 << 20  # the reader's chunk: pyarrow reads a 4 MB block for 20% less CPU than four of 1 MB

COUNTERS = frozenset(STEP_NAMES + EPOCH_NAMES)

_SPACES = re.compile(r"\s+")
_SHOWN = 40  # characters of a bad cell quoted in a Problem
# steps are int64; a counter is read as a float first, so 2**63 - 1 arrives as 2**63
_INT64_MIN, _INT64_END = -(2.0**63), 2.0**63


def _lines_of(block: str) -> list[str]:
    """The lines of a block that `LineSplitter.feed_block` gave, as its `feed` would give them."""
    lines = block.split("\n")
    lines.pop()  # the block ends with "\n"
    return [line[:-1] if line.endswith("\r") else line for line in lines] if "\r" in block else lines




def _is_header(cells: list[str]) -> bool:
    """A counter's name and no number: a header line (checked only when a row fails)."""
    stripped = [cell.strip() for cell in cells]
    return any(c.lower() in COUNTERS for c in stripped) and all(number(c) is None for c in stripped)


class TableParser(PlainBytesFeed, LineParser):
    """Rows of a header-led table to points; subclasses adjust `tag`, `number`, `start`.

    Each non-empty cell of a metric column becomes one `Point` at the row's step, so sparse
    rows (Lightning) merge by step for free. The step is the step column, else the epoch.
    """

    missing: frozenset[str] = frozenset({""})  # cells that mean "no value in this row"
    counter_offset = 0  # added to every counter read (Keras writes epochs from 0, prints them from 1)

    def __init__(self, *, fast: bool = True) -> None:
        """``fast=False`` reads every row on its own (tests compare both paths)."""
        super().__init__()
        self._fast = fast
        self._delimiter: str | None = ","
        self._names: list[str] = []
        self._step_at: int | None = None
        self._epoch_at: int | None = None
        self._metrics: list[tuple[int, str, str]] = []  # (index, source_tag, tag)
        self._numeric: list[bool | None] = []  # per metric: None until its first value
        self._last_step: int | None = None
        self._rows = 0

    def tag(self, name: str) -> str | None:
        """The canonical tag of column ``name``, or None for a column that is no metric."""
        if name.lower() in COUNTERS:
            return None
        return canonical(_SPACES.sub("_", name))  # "epoch time" -> "epoch_time" -> perf/...

    def number(self, cell: str) -> float | None:
        """``1``, ``1.0``, ``0.48880000000000001``, ``nan``, ``inf``; None for text."""
        return number(cell)

    def describe(self, names: list[str]) -> list[Item]:
        """Records a header reveals by itself (the framework)."""
        return []

    def start(self, line_number: int, line: str) -> list[Item]:
        """The first non-empty line: the header."""
        delimiter = "\t" if "\t" in line else ","
        return self.set_header(split_cells(line.lstrip("\ufeff"), delimiter), delimiter)

    def set_header(self, names: list[str], delimiter: str | None) -> list[Item]:
        self._delimiter = delimiter
        self._names = [name.strip() for name in names]
        self._step_at, self._epoch_at = counter_columns(self._names)
        self._metrics = []
        for index, name in enumerate(self._names):
            tag = self.tag(name) if name else None
            if tag is not None:
                self._metrics.append((index, name, tag))
        self._numeric = [None] * len(self._metrics)
        return self.describe(self._names)

    def feed(self, text: str) -> list[Item]:
        """Once the header is known, whole blocks of rows go to `_table_arrow` unsplit."""
        taken = self._splitter.feed_block(text) if self._is_fast() else None
        if taken is None:
            return super().feed(text)
        first, block = taken
        data = block.encode("utf-8", "surrogatepass")
        items = _table_arrow.read_block(self, data, len(data))
        return items if items is not None else self._halves(first, _lines_of(block))

    def feed_bytes(self, data: bytes) -> list[Item]:
        """`feed` for the file's bytes as read (`PlainBytesFeed`), the header line on its own
        first, so that the rows after it go as bytes."""
        if self._names:
            return super().feed_bytes(data)
        data, self._unread = self._unread + data, b""
        items: list[Item] = []
        cut = data.find(b"\n", len(data) - len(data.lstrip())) + 1  # after the first line not blank
        if cut:
            items = self.feed(data[:cut].decode("utf-8", "replace"))  # whole lines: nothing undecoded
            data = data[cut:]
        return items + super().feed_bytes(data)

    def read_plain(self, data: bytes, end: int) -> list[Item] | None:
        """The complete rows of a plain block as they are, to `_table_arrow`; None for others."""
        splitter = self._splitter
        lines = plain_lines(data, end, splitter.max_line_chars) if self._is_fast() else None
        if lines is None:
            return None
        first = splitter.skip(lines)
        rows = _table_arrow.read_block(self, data, end)
        if rows is None:
            rows = self._halves(first, _lines_of(data[:end].decode("utf-8", "replace")))
        return rows

    def parse_lines(self, first: int, lines: list[str]) -> list[Item]:
        items: list[Item] = []
        at = 0
        while not self._names and at < len(lines):  # the header, once per file
            line = lines[at]
            if line and not line.isspace():
                items.extend(self.start(first + at, line))
            at += 1
        if at < len(lines):
            items.extend(self._rows_of(first + at, lines[at:] if at else lines))
        return items

    def _is_fast(self) -> bool:
        return self._fast and bool(self._names) and self._delimiter is not None

    def _rows_of(self, first: int, lines: list[str]) -> list[Item]:
        """A block at a time where `_table_arrow` can, else in halves."""
        if self._is_fast():
            data = "\n".join(lines).encode("utf-8", "surrogatepass")
            items = _table_arrow.read_block(self, data, len(data))
            if items is not None:
                return items
            return self._halves(first, lines)
        return self._row_by_row(first, lines)

    def _halves(self, first: int, lines: list[str]) -> list[Item]:
        """A block with a row `_table_arrow` cannot take: each half tried again, down to 64 lines,
        so only the pieces around a bad row go row by row."""
        if len(lines) <= 64:
            return self._row_by_row(first, lines)
        half = len(lines) // 2
        return self._rows_of(first, lines[:half]) + self._rows_of(first + half, lines[half:])

    def _row_by_row(self, first: int, lines: list[str]) -> list[Item]:
        items: list[Item] = []
        for line_number, line in enumerate(lines, first):
            if line and not line.isspace():
                items.extend(self.row(line_number, split_cells(line, self._delimiter)))
        return items

    def row(self, line_number: int, cells: list[str]) -> list[Item]:
        if len(cells) != len(self._names):
            if _is_header(cells):
                return self.set_header(cells, self._delimiter)
            message = f"expected {len(self._names)} fields, found {len(cells)}; row skipped"
            return [Problem(line_number, message)]
        where = self._where(line_number, cells)
        if type(where) is Problem:
            if _is_header(cells):  # the header again: a second run appended to the file
                return self.set_header(cells, self._delimiter)
            return [where]
        step, epoch = where
        items: list[Item] = []
        if self._last_step is not None and step < self._last_step:
            items.append(Event(RESUME, step, epoch))
        self._last_step = step
        missing, numeric, to_number = self.missing, self._numeric, self.number
        for k, (index, source_tag, tag) in enumerate(self._metrics):
            cell = cells[index].strip()
            if cell in missing:
                continue
            value = to_number(cell)
            if value is None:
                if numeric[k]:
                    found = cell[:_SHOWN]
                    message = f'expected a number in column "{source_tag}", found "{found}"'
                    items.append(Problem(line_number, message + "; skipped"))
                else:
                    numeric[k] = False  # a text column: ignored, not a problem
            elif numeric[k] is not False:
                numeric[k] = True
                items.append(Point(tag, source_tag, step, value, epoch))
        return items

    def _where(self, line_number: int, cells: list[str]) -> tuple[int, float | None] | Problem:
        """The row's (step, epoch), or why it has none."""
        epoch = None
        if self._epoch_at is not None:
            cell = cells[self._epoch_at].strip()
            if cell not in self.missing:
                epoch = self.counter(cell)
                if epoch is None:
                    return self._bad_counter(line_number, self._epoch_at, cell)
        at = self._step_at if self._step_at is not None else self._epoch_at
        if at is None:
            self._rows += 1
            return self._rows - 1, None  # no counter column at all: rows count from 0
        cell = cells[at].strip()
        value = epoch if at == self._epoch_at else self.counter(cell)
        if value is None or not value.is_integer():
            return self._bad_counter(line_number, at, cell)
        if not _INT64_MIN <= value < _INT64_END:
            name = self._names[at]
            return Problem(line_number, f'column "{name}" holds {cell[:_SHOWN]}, beyond 64-bit steps; row skipped')
        return int(value), epoch

    def counter(self, cell: str) -> float | None:
        value = self.number(cell)
        return value + self.counter_offset if value is not None and self.counter_offset else value

    def _bad_counter(self, line_number: int, index: int, cell: str) -> Problem:
        name, found = self._names[index], cell[:_SHOWN]
        message = f'expected a whole number in column "{name}", found "{found}"; row skipped'
        return Problem(line_number, message)
