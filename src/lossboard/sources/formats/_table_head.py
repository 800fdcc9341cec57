"""A table's header and first rows: what the CSV-like formats' sniffers and `_table` share.

Light on purpose (detection imports it for every file): cells, counters and a peek at a head.
"""

from __future__ import annotations

STEP_NAMES = ("step", "global_step", "iteration", "iter", "it")
EPOCH_NAMES = ("epoch", "epochs", "ep", "e")  # in priority order: global epoch first


def split_cells(line: str, delimiter: str | None) -> list[str]:
    """The fields of one line; quotes are honoured only when the line has any (rare, slower)."""
    if delimiter is None:
        return line.split()
    if '"' in line:
        import csv  # here: every detection imports this module, few tables quote a cell

        return next(csv.reader((line,), delimiter=delimiter))
    return line.split(delimiter)


def peek(head: str, rows: int = 5) -> tuple[list[str], list[list[str]]] | None:
    """The header names and the first data rows of ``head``, if it looks like a table.

    Sniffers use it; it needs two columns or more and rows as wide as the header.
    """
    lines = [line for line in head.lstrip("\ufeff").splitlines()[: rows + 20] if line.strip()]
    if not lines:
        return None
    delimiter = "\t" if "\t" in lines[0] else ","
    names = [name.strip() for name in split_cells(lines[0], delimiter)]
    if len(names) < 2 or not all(names):
        return None
    # the last line of a head may be cut short; judge on complete rows only
    body = [[c.strip() for c in split_cells(line, delimiter)] for line in lines[1 : rows + 1]]
    if any(len(cells) != len(names) for cells in body[:-1] or body):
        return None
    return names, body


def counter_columns(names: list[str]) -> tuple[int | None, int | None]:
    """The indexes of the step column and of the epoch column, None where absent."""
    lowered = [name.lower() for name in names]
    step = next((lowered.index(n) for n in STEP_NAMES if n in lowered), None)
    epoch = next((lowered.index(n) for n in EPOCH_NAMES if n in lowered), None)
    return step, epoch
