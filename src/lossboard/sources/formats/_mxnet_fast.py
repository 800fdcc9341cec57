"""Column extraction for long runs of MXNet Speedometer lines that share one layout.

A Speedometer log is mostly lines such as::

    INFO:root:Epoch[3] Batch [500]\tSpeed: 1997.40 samples/sec\taccuracy=0.013391\tlr=0.1

that differ only in their numbers. A `Layout` is the literal text around those numbers,
learned from the first line (or the first few lines, when MXNet <= 0.11 prints one line
per metric for the same batch) and compiled into one regex for a whole record. A run of
lines is read with one ``findall``; it fits only if the matches tile it exactly, and then
orjson converts all its numbers at once, about four times faster than ``float()`` one by
one. A run that does not fit returns None and the caller parses it line by line, so the
result never depends on which path ran. Values orjson refuses (``nan``, ``inf``, ``1.``)
fall back too.
"""

from __future__ import annotations

import re
from itertools import chain

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

    def __init__(self, pieces: list[str], lines_per_record: int) -> None:
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
        number = {EPOCH: r"(\d+)", BATCH: r"(\d+)", BATCH_START: r"(\d+)"}
        groups = [number.get(role, r"([^\s,]+)") for role in roles]
        body = "".join(group + re.escape(piece) for group, piece in zip(groups, pieces[1:]))
        self._record = re.compile("^" + re.escape(self.head) + body + "$", re.M)
        self.usable = all(roles) and roles.count(EPOCH) == roles.count(BATCH) == lines_per_record

    @classmethod
    def learn(cls, lines: list[str]) -> Layout | None:
        """The layout of ``lines`` (one record: one line, or several for one batch)."""
        text = "\n".join(lines)
        pieces = _NUMBER.split(text)
        if len(pieces) < 3:
            return None
        layout = cls(pieces, len(lines))
        return layout if layout.usable else None

    def columns(self, lines: list[str]) -> list[list] | None:
        """One list per number of the record, or None when ``lines`` do not fit exactly."""
        records, rest = divmod(len(lines), self.lines_per_record)
        if rest:
            return None
        rows = self._record.findall("\n".join(lines))
        if len(rows) != records:  # matches never overlap, so they tile the lines exactly
            return None
        try:
            flat = orjson.loads("[" + ",".join(chain.from_iterable(rows)) + "]")
        except orjson.JSONDecodeError:
            return None
        width = self.width
        return [flat[i::width] for i in range(width)]
