"""Column extraction for long runs of MXNet Speedometer lines that share one layout.

A Speedometer log is mostly lines such as::

    INFO:root:Epoch[3] Batch [500]\tSpeed: 1997.40 samples/sec\taccuracy=0.013391\tlr=0.1

that differ only in their numbers. A `Layout` is the literal text around those numbers,
learned from the first line (or the first few lines, when MXNet <= 0.11 prints one line
per metric for the same batch). Replacing the literal pieces of a run of lines by commas
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
import orjson

# a number printed by Speedometer: after "Epoch[" / "Batch [" / "-" in "[100-200]", after
# "Speed: " or "Speed ", after "name="
_NUMBER = re.compile(
    r"(?<=\[)\d+(?=[\]-])|(?<=\d-)\d+(?=\])|(?<=Speed: )\S+|(?<=Speed )\S+|(?<==)[^\s=]+"
)

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
        # everything between two numbers, the joint between records included, replaced
        # longest first (a piece may contain another)
        joint = self.tail + "\n" + self.head
        self._pieces = sorted({*pieces[1:-1], joint} - {""}, key=len, reverse=True)
        self._marks = _marks(sample.split("\n"))

    def line_kind(self, line: str) -> int | None:
        """Which line of a record ``line`` is, by the text only that line of a record has."""
        for index, mark in enumerate(self._marks):
            if mark is not None and mark in line:
                return index
        return None

    def _body(self, text: str) -> str:
        return text[len(self.head) : len(text) - len(self.tail)]

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
        head, tail = self.head, self.tail
        if not text.startswith(head) or not text.endswith(tail):
            return None
        body = self._body(text)
        for piece in self._pieces:
            body = body.replace(piece, ",")
        try:
            flat = orjson.loads("[" + body + "]")
        except orjson.JSONDecodeError:
            return None
        if len(flat) != records * self.width:
            return None
        return np.array(flat, dtype=np.float64).reshape(records, self.width)


def _marks(lines: list[str]) -> list[str | None]:
    """For each line of a record, its longest literal piece that no other line has."""
    pieces = [set(_NUMBER.split(line)) - {""} for line in lines]
    marks: list[str | None] = []
    for index, own in enumerate(pieces):
        others = set().union(*(p for i, p in enumerate(pieces) if i != index))
        unique = [piece for piece in own if not any(piece in other for other in others)]
        marks.append(max(unique, key=len) if unique else None)
    return marks
