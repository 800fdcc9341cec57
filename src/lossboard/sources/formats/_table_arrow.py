"""Whole blocks of table rows through pyarrow's CSV reader: the fast path of `_table`.

`TableParser` reads a row at a time in Python (about 10 MB/s); pyarrow's C++ reader splits and
converts a 1 MB block in a few milliseconds. The block path only ever takes a block it can read
exactly as the row path would, and answers None for any other, which then goes row by row:

* no ``"`` anywhere (the row path unquotes with the ``csv`` module; quoting rules differ);
* every row as wide as the header, no whitespace-only line (arrow raises, we answer None);
* every cell of a metric column a number or a missing marker (``""``, Keras's ``NA``): what
  arrow reads as a float64 is a subset of what ``float()`` reads (it trims spaces and tabs,
  takes ``nan``/``inf``/``infinity`` in any case, and rejects ``1_0``, Unicode digits and
  ``1.93G``), both correctly rounded, so the values are the same;
* every counter a whole number within int64 (any other row is a Problem of the row path).

So problems, headers written again and text in a number column all take the row path, and
anything this module returns is what the row path returns, block for block. pyarrow is
optional: without it every block takes the row path.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

import numpy as np

from lossboard.model import RESUME, Columns, Event, Item

if TYPE_CHECKING:
    from lossboard.sources.formats._table import TableParser

_INT64_MIN, _INT64_END = -(2.0**63), 2.0**63


def read_block(parser: TableParser, data: bytes, end: int) -> list[Item] | None:
    """The records of ``data[:end]`` (complete rows after the header, UTF-8, LF or CRLF), or
    None to read them row by row. ``end`` rather than a slice: 4 MB are not copied.

    Updates ``parser``'s column kinds, last step and row count only when it answers.
    """
    pa = _pyarrow()
    if pa is None:
        return None
    csv = pa.csv
    if data.find(b'"', 0, end) >= 0:
        return None
    wanted = _wanted_columns(parser)
    names = [f"c{i}" for i in range(len(parser._names))]
    try:
        table = csv.read_csv(
            pa.py_buffer(data).slice(0, end),
            read_options=csv.ReadOptions(column_names=names, use_threads=False),
            parse_options=csv.ParseOptions(delimiter=parser._delimiter, quote_char=False),
            convert_options=csv.ConvertOptions(
                include_columns=[names[i] for i in wanted],
                column_types={names[i]: pa.float64() for i in wanted},
                null_values=sorted(parser.missing),
                strings_can_be_null=False,
            ),
            memory_pool=pa.system_memory_pool(),  # malloc gives memory back; mimalloc held 6 MB more
        )
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None  # a row of another width, a cell that is no number: the row path says which
    columns = {i: _values(table.column(names[i])) for i in wanted}
    where = _steps(parser, columns, table.num_rows)
    if where is None:
        return None
    steps, epochs, has_epoch = where
    return _records(parser, columns, steps, epochs, has_epoch)


@functools.cache
def _pyarrow():
    """pyarrow with its csv module, or None: imported on the first block, never at import."""
    try:
        import pyarrow
        import pyarrow.csv  # noqa: F401  (pyarrow.csv is used through pyarrow)
    except ImportError:
        return None
    return pyarrow


def _wanted_columns(parser: TableParser) -> list[int]:
    """Counter columns and metric columns not known to hold text, in column order."""
    wanted = {at for at in (parser._step_at, parser._epoch_at) if at is not None}
    wanted.update(index for k, (index, _, _) in enumerate(parser._metrics) if parser._numeric[k] is not False)
    return sorted(wanted)


def _values(column) -> tuple[np.ndarray, np.ndarray | None]:
    """A float64 column as (values with NaN where missing, mask of present cells or None if all are).

    Read from the Arrow buffers: pyarrow's own ``to_numpy`` imports pandas (0.3 s) to do it.
    """
    values, present = [], []
    for chunk in column.chunks:
        validity, data = chunk.buffers()
        start, end = chunk.offset, chunk.offset + len(chunk)
        values.append(np.frombuffer(data, dtype=np.float64)[start:end])
        if chunk.null_count:
            bits = np.unpackbits(np.frombuffer(validity, dtype=np.uint8), bitorder="little")
            present.append(bits[start:end].view(bool))
        else:
            present.append(np.ones(end - start, dtype=bool))
    value = np.concatenate(values) if len(values) != 1 else values[0]
    if not column.null_count:
        return value, None
    mask = np.concatenate(present)
    return np.where(mask, value, np.nan), mask


def _steps(parser: TableParser, columns: dict, rows: int) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None] | None:
    """(steps, epochs, which rows have an epoch) as the row path's ``_where`` reads them, or None."""
    offset = parser.counter_offset
    epochs = present = None
    if parser._epoch_at is not None:
        epochs, present = columns[parser._epoch_at]
        if offset:
            epochs = epochs + offset
    at = parser._step_at if parser._step_at is not None else parser._epoch_at
    if at is None:
        return np.arange(parser._rows, parser._rows + rows, dtype=np.int64), None, None
    if at == parser._epoch_at:
        counter, missing = epochs, present
    else:
        counter, missing = columns[at]
        if offset:
            counter = counter + offset
    if missing is not None:
        return None  # a row without its step: a Problem
    with np.errstate(invalid="ignore"):
        whole = (np.floor(counter) == counter) & (counter >= _INT64_MIN) & (counter < _INT64_END)
    if not whole.all():
        return None
    return counter.astype(np.int64), epochs, present


def _records(parser: TableParser, columns: dict, steps: np.ndarray, epochs, has_epoch) -> list[Item]:
    """Columns per metric, cut where the step goes back (a resume, emitted before its rows)."""
    cuts = (np.flatnonzero(steps[1:] < steps[:-1]) + 1).tolist()
    if parser._last_step is not None and len(steps) and steps[0] < parser._last_step:
        cuts.insert(0, 0)
    edges = [0, *cuts, len(steps)]
    items: list[Item] = []
    for k, (start, end) in enumerate(zip(edges, edges[1:])):
        if k:  # every segment but the first starts where the step went back
            is_dated = epochs is not None and (has_epoch is None or has_epoch[start])
            items.append(Event(RESUME, int(steps[start]), float(epochs[start]) if is_dated else None))
        items.extend(_segment(parser, columns, steps, epochs, start, end))
    if parser._epoch_at is None and parser._step_at is None:
        parser._rows += len(steps)
    if len(steps):
        parser._last_step = int(steps[-1])
    return items


def _segment(parser: TableParser, columns: dict, steps, epochs, start: int, end: int) -> list[Item]:
    items: list[Item] = []
    numeric = parser._numeric
    for k, (index, source_tag, tag) in enumerate(parser._metrics):
        if numeric[k] is False:
            continue
        values, present = columns[index]
        step, value = steps[start:end], values[start:end]
        epoch = None if epochs is None else epochs[start:end]
        if present is not None:
            keep = present[start:end]
            if not keep.any():
                continue
            step, value = step[keep], value[keep]
            epoch = None if epoch is None else epoch[keep]
        if not len(step):
            continue
        numeric[k] = True
        items.append(Columns(tag, source_tag, step, value, epoch))
    return items
