"""Column extraction for the display lines that make up most of a Caffe log.

Every ``display`` iterations Caffe prints one record of lines that differ only in their
numbers::

    I0711 14:22:25.854327  1274 solver.cpp:228] Iteration 100, loss = 0.232917
    I0711 14:22:25.854377  1274 solver.cpp:244]     Train net output #0: loss = 0.232917 (* 1 = 0.232917 loss)
    I0711 14:22:25.854387  1274 sgd_solver.cpp:106] Iteration 100, lr = 0.00992565

The dates and times (glog's first 21 characters, fixed width) are read as columns of digits
with numpy. A `Layout` is the literal text after them of one record, learned once;
the numbers of many records are cut out at its literal pieces (`_literals`: another output
name or a missing line does not fit). Anything that does not fit is left to the caller's
line-by-line path, which stays the reference: values orjson refuses (``nan``, ``-nan``) and
dates that are not glog's fixed width included.
"""

from __future__ import annotations

import re

import numpy as np

from lossboard import tags
from lossboard.sources.formats._literals import cut_pieces, read_numbers

PREFIX = 21  # "I0711 14:22:25.854327": severity, month, day and time, always this wide in glog

# the numbers of a display record: an iteration, a value after " = ", the "(2.3 iter/s,
# 43.4s/100 iters)" of Caffe >= 1.0. An output's index and loss weight ("#0", "(* 1 =") stay
# literal text: the same in every record, and fewer pieces to cut at
_NUMBER = re.compile(
    r"(?<=Iteration )\d+|(?<= = )[^\s()]+"
    r"|(?<=\()[^\s()]+(?= iter/s)|(?<=, )[^\s()]+(?=s/)|(?<=s/)\d+(?= iters)"
)
_OUTPUT_NAME = re.compile(r"Train net output #\d+: (\S+) = ")

LOSS_LINE = ", loss = "  # text only the record's first line has


class Layout:
    """The literal text of one display record with its numbers cut out.

    ``columns`` lists (value column, step column, tag, printed name, line of the record) for
    each value the record gives, in the order the line-by-line path gives them. Column 0 is
    the iteration of the record's loss line, the step of all but the lr line's values.
    """

    def __init__(self, pieces: list[str], columns: list[tuple], lines: int) -> None:
        self.pieces, self.columns, self.lines = pieces, columns, lines
        self._cuts = cut_pieces(pieces)

    @classmethod
    def learn(cls, record: list[str]) -> Layout | None:
        """The layout of ``record``: a loss line, its ``Train net output`` lines, an lr line."""
        columns: list[tuple] = []
        pieces: list[str] = []
        start = 0  # the column of the line's first number
        for index, line in enumerate(record):
            body = line[PREFIX:]
            line_pieces = _NUMBER.split(body)
            count = len(line_pieces) - 1
            if index == 0:
                if LOSS_LINE not in body or count not in (2, 5):
                    return None
                columns.append((count - 1, 0, "train/loss", "loss", 0))
                if count == 5:  # "Iteration N (2.3 iter/s, 43.4s/100 iters), loss = X"
                    columns.append((1, 0, "perf/iters_per_sec", "iter/s", 0))
            elif ", lr = " in body and index == len(record) - 1:
                if count != 2:
                    return None
                columns.append((start + 1, start, "opt/lr", "lr", index))
            else:
                output = _OUTPUT_NAME.search(body)
                if output is None or count not in (1, 2):  # its value, and the weighted value
                    return None
                name = output[1]
                columns.append((start, 0, tags.canonical(name, tags.BATCH), name, index))
            # the last piece of a line and the first of the next meet at the line break
            pieces = [*pieces[:-1], pieces[-1] + "\n" + line_pieces[0], *line_pieces[1:]] if pieces else line_pieces
            start += count
        return cls(pieces, columns, len(record))

    def matrix(self, text: str, records: int) -> np.ndarray | None:
        """The numbers of ``records`` whole records, ``text`` their lines after the dates
        (`split_dates`), as a (records, width) array, or None when they do not fit."""
        return read_numbers(text, self.pieces, self._cuts, records)


def split_dates(lines: list[str]) -> tuple[np.ndarray, str] | None:
    """The (month, day, hour, minute, microseconds of the minute) of glog's fixed-width date
    and time on each of ``lines``, and the rest of the lines joined; None when a date is not
    that or names no month."""
    try:
        raw = "".join([line[:PREFIX] for line in lines]).encode("ascii")
    except UnicodeEncodeError:
        return None
    if len(raw) != PREFIX * len(lines):
        return None
    table = np.frombuffer(raw, dtype=np.uint8).reshape(-1, PREFIX)
    if not ((table[:, 5] == 32) & (table[:, 8] == 58) & (table[:, 11] == 58) & (table[:, 14] == 46)).all():
        return None
    digits = table[:, _DIGIT_COLUMNS].astype(np.int64) - 48
    if ((digits < 0) | (digits > 9)).any():
        return None
    fields = digits[:, 0:8:2] * 10 + digits[:, 1:8:2]  # month, day, hour, minute
    if fields[:, 0].min() < 1 or fields[:, 0].max() > 12:
        return None
    micros = digits[:, 8:] @ _PLACES  # "25.854327" -> 25854327
    return np.column_stack([fields, micros]), "\n".join([line[PREFIX:] for line in lines])


def wall_times(dates: np.ndarray, year: int) -> np.ndarray:
    """What `caffe.Parser` computes line by line for ``dates`` in ``year``: ``calendar.timegm``
    of the minute plus ``float()`` of the printed seconds, to the bit (a whole number of
    microseconds over 1e6 rounds as ``float()`` of its decimal text does)."""
    months, days, hours, minutes, micros = dates.T
    first_days = ((year - 1970) * 12 + months - 1).astype("datetime64[M]").astype("datetime64[D]")
    since_epoch = first_days.astype(np.int64) + days - 1
    seconds = ((since_epoch * 24 + hours) * 60 + minutes) * 60
    return seconds.astype(np.float64) + micros / 1e6


# the digits of "I0711 14:22:25.854327": MMDD, hh, mm, ss, ffffff
_DIGIT_COLUMNS = [1, 2, 3, 4, 6, 7, 9, 10, 12, 13, 15, 16, 17, 18, 19, 20]
_PLACES = 10 ** np.arange(7, -1, -1, dtype=np.int64)
