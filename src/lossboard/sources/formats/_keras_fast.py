"""The running states of a Keras ``verbose=1`` progress bar, read in bulk.

In a file, Keras redraws its bar on one physical line per epoch: a few hundred states such as
(Keras 3; Keras 2 draws ``[=====>....] - ETA: 0s`` instead of the bar and times)::

    \\r\\x1b[1m 5/13\\x1b[0m \\x1b[32m━━━━━━━\\x1b[0m\\x1b[37m━━━━━━━━━━━━━\\x1b[0m \\x1b[1m0s\\x1b[0m 15ms/step - accuracy: 0.6500 - loss: 0.6064\\b\\b\\b...

Every state but the last differs only in its counter, bar, times and values, so one regex
over the line's bytes (built for the metric names of the first state, with Keras 3's colour
codes as the literals it prints, and the backspaces before each ``\\r``) finds every counter and
value at once, and one orjson call converts them. The bytes are the file's as read: a line of
redraws is never decoded (the bar's ``━`` made the decode a seventh of a load), and the regex
steps over bytes faster than over the two-byte characters of the decoded line. The states fit
when every ``\\r`` starts one that matches and orjson takes every value; otherwise (a print
glued to a state, a tqdm bar of the script drawn in between, ``nan``, other metric names) the
caller reads the line state by state, its reference path. The pattern accepts only states that
`keras_stdout.parse_bar` reads as a bar with those metrics: a counter, an optional bar, the
durations Keras prints, an optional ETA, then the metrics in order.
"""

from __future__ import annotations

import re
from functools import lru_cache

import numpy as np

from lossboard import tags
from lossboard.sources.formats._layouts import MASK
from lossboard.sources.formats._lines import _ANSI
from lossboard.sources.formats._numbers import decimal_at, decimals, json_matrix
from lossboard.sources.formats._offsets import rows_at

MIN_STATES = 32  # a line with fewer redraws is read state by state

# Possessive repeats and atomic choices (each part is delimited by literals no other part
# holds, so there is nothing to backtrack into): a quarter fewer steps of the regex engine.
_TIME = rb"\d++(?:\.\d++)?+(?:us|ms|s)(?:/\w++)?+"
_CLOCK = rb"\d++:\d\d(?::\d\d)?+"  # an ETA over a minute: "1:02", "1:02:03"
# the bar's "━" is three bytes: a run of any non-ASCII bytes costs the regex a third of
# "(?:━)*"; `read_states` then checks that every non-ASCII byte it crossed was part of a "━"
_BAR = rb"[\x80-\xff]*+"
# Keras 3, its colour codes as literals (a generic colour pattern costs the regex 4x)
_KERAS3_HEAD = (
    rb"\r\x1b\[1m *+(\d++)/(\d++)\x1b\[0m (?:\x1b\[32m" + _BAR + rb"\x1b\[0m)?+(?:\x1b\[37m" + _BAR + rb"\x1b\[0m)?+"
    rb" \x1b\[1m(?>" + _TIME + rb"|" + _CLOCK + rb")\x1b\[0m " + _TIME
)
# Keras 2: "  32/60000 [=====>......] - ETA: 10:03"; an ETA is one " - " part, so holds no " - "
_KERAS2_HEAD = rb"\r *+(\d++)/(\d++) \[[=>.]*+\]( - ETA: (?:(?! - )[^\r\x08])*)?"
_VALUE = rb"([-+.0-9eE]++)"  # what a JSON number may hold: orjson checks the rest
_END = rb" *+\x08*+(?=\r)"  # Keras 2 pads with blanks; the backspaces move back for the next state
_FIRST_NAMES = re.compile(r"^ *\d+/\d+\b.*? - (?:ETA: .*? - )?((?:[A-Za-z_][\w.@/-]*: \S+(?: - |$))+)$")
_NAME = re.compile(r"([A-Za-z_][\w.@/-]*): ")
_MAX_EPOCH_LAYOUTS = 64  # a run with more layouts of its epochs goes through `findall`


def _metrics(names: tuple[str, ...]) -> bytes:
    """`` - name: value`` for each name, in order, the values as groups."""
    return b"".join(b" - " + re.escape(name.encode()) + b": " + _VALUE for name in names)


@lru_cache(maxsize=64)
def _pattern(names: tuple[str, ...], keras3: bool) -> re.Pattern:
    return re.compile((_KERAS3_HEAD if keras3 else _KERAS2_HEAD) + _metrics(names) + _END)


def metric_names(state: str) -> tuple[str, ...] | None:
    """The metric names of a bar state (colour codes removed), in order."""
    found = _FIRST_NAMES.match(state)
    return tuple(_NAME.findall(found[1])) if found else None


def first_state(raw: bytes, start: int) -> str:
    """The state drawn after the ``\\r`` at ``start``, as the terminal shows it."""
    end = raw.find(b"\r", start + 1)
    return _ANSI.sub("", raw[start + 1 : end].decode("utf-8", "replace")).rstrip("\x08").rstrip()


@lru_cache(maxsize=64)
def batch_columns(names: tuple[str, ...]) -> list[tuple[int, str, str]]:
    """(column in `read_states`' rows, name, tag) of the running means among ``names``: not
    lr or val_*, which a running state repeats."""
    found = [(column, name, tags.canonical(name, tags.BATCH)) for column, name in enumerate(names, 2)]
    return [column for column in found if column[2].startswith("train_batch/")]


def read_states(
    raw: bytes, start: int, end: int, names: tuple[str, ...], count: int
) -> tuple[np.ndarray, np.ndarray | None] | None:
    """The (current, total, value of each name) of the ``count`` states in ``raw[start:end]``
    -- bytes in which each state follows a ``\\r`` and ends before one -- as rows, and which
    states show an ETA (None: none can, Keras 3 shows no ETA of its own); None when one of
    them does not fit."""
    if raw.find(b"\x1b", start, end) >= 0:  # Keras 3: every group is a number, joined at C speed
        found = _pattern(names, True).findall(raw, start, end)
        if len(found) != count or not _only_bars(raw, start, end):
            return None
        has_eta = None
        body = b",".join(map(b",".join, found))
    else:  # Keras 2: a state with an ETA is running whatever its count
        found = _pattern(names, False).findall(raw, start, end)
        if len(found) != count:
            return None
        has_eta = np.array([bool(state[2]) for state in found])
        body = b",".join([b",".join((a, b, *rest)) for a, b, _, *rest in found])
    table = json_matrix(b"[" + body + b"]", count, len(names) + 2)
    return None if table is None else (table, has_eta)


def count(raw: bytes, byte: bytes, start: int, end: int) -> int:
    """How many ``byte`` ``raw[start:end]`` holds (numpy's compare: a sixth of ``bytes.count``'s time)."""
    return int(np.count_nonzero(np.frombuffer(raw, np.uint8, end - start, start) == ord(byte)))


def _only_bars(raw: bytes, start: int, end: int) -> bool:
    """Whether every non-ASCII byte of ``raw[start:end]`` is part of a ``━`` (E2 94 81). The
    states matched from one ``\\r`` to the next, so their only non-ASCII bytes are the bar's
    runs, each between ASCII colour codes: all of them being whole ``━`` makes each run a bar
    that `keras_stdout.parse_bar` reads."""
    codes = np.frombuffer(raw, np.uint8, end - start, start)
    high = np.count_nonzero(codes >= 0x80)
    if not high:
        return True
    bars = np.count_nonzero((codes[:-2] == 0xE2) & (codes[1:-1] == 0x94) & (codes[2:] == 0x81))
    return int(high) == 3 * int(bars)  # the triples cannot overlap: they cover every such byte


@lru_cache(maxsize=64)
def _epochs_pattern(names: tuple[str, ...]) -> re.Pattern:
    return re.compile(rb"^Epoch (\d++)/(\d++)\n(\d++)/(\d++) - (\d++)s - (\d++)ms/step" + _metrics(names) + rb"\n", re.M)


def read_epochs(raw: bytes, start: int, end: int, pairs: int) -> tuple[tuple[str, ...], np.ndarray] | None:
    """Keras 3 ``verbose=2`` epochs: ``raw[start:end]`` is ``pairs`` times an ``Epoch k/N``
    header and its metrics line (``450/450 - 3s - 6ms/step - loss: 0.5``), the names of the
    first line in every one. Their metric names and rows (k, N, counter, total, seconds,
    milliseconds a step, value of each name); None when one line is not that. Read from their
    digits when their layouts allow it (`_epochs_by_layout`), else by one `findall` and orjson."""
    second = raw.find(b"\n", start, end) + 1
    names = metric_names(raw[second : raw.find(b"\n", second, end)].decode("utf-8", "replace"))
    if not names:
        return None
    table = _epochs_by_layout(raw, start, end, pairs, names)
    if table is None:
        found = _epochs_pattern(names).findall(raw, start, end)
        if len(found) != pairs:  # each match is two whole lines: all of them, when there are as many
            return None
        table = json_matrix(b"[" + b",".join(map(b",".join, found)) + b"]", pairs, len(names) + 6)
    return None if table is None else (names, table)


def _epochs_by_layout(raw: bytes, start: int, end: int, pairs: int, names: tuple[str, ...]) -> np.ndarray | None:
    """The rows `read_epochs` gives, read from the digits: the epochs (header and line) whose
    text with every digit masked is one layout are checked against the first of them in one
    numpy compare, that one is matched by the pattern, and each number of all of them is read
    from its digits (`_numbers.decimals`, as `float` and `int` read it; ``1.0000e-04`` too),
    with no regex, no `bytes` a number and no orjson a value. The pattern reads every digit as
    ``\\d``, so an epoch of the same layout as one it matches matches too (a metric name with a
    digit in it would not: those go to `findall`). None when the epochs are not so read
    (``nan``, more layouts than `_MAX_EPOCH_LAYOUTS`): `findall` reads them, or finds they do
    not fit."""
    if any(char.isdigit() for name in names for char in name):
        return None
    codes = np.frombuffer(raw, np.uint8, end - start, start)
    ends = np.flatnonzero(codes == 10)
    if len(ends) != 2 * pairs or ends[-1] != len(codes) - 1:
        return None
    starts = np.concatenate(([0], ends[1:-1:2] + 1))
    sizes = ends[1::2] + 1 - starts
    heads = ends[::2] - starts
    layouts, which = np.unique(sizes * (int(heads.max()) + 1) + heads, return_inverse=True)
    if len(layouts) > _MAX_EPOCH_LAYOUTS:
        return None
    masked = np.frombuffer(raw[start:end].translate(MASK), np.uint8)
    pattern = _epochs_pattern(names)
    table = np.empty((pairs, len(names) + 6))
    for kind in range(len(layouts)):
        rows = np.flatnonzero(which == kind)
        at, size = int(starts[rows[0]]), int(sizes[rows[0]])
        if not (rows_at(masked, starts[rows], size) == masked[at : at + size]).all():
            return None  # epochs of one size but not one layout
        epoch = raw[start + at : start + at + size]
        match = pattern.fullmatch(epoch)
        if match is None:
            return None
        lines = rows_at(codes, starts[rows], size)
        for column in range(pattern.groups):
            first, last = match.span(column + 1)  # within the epoch's bytes
            decimal = decimal_at(epoch[first:last], first)
            values = None if decimal is None else decimals(lines, decimal)
            if values is None:
                return None
            table[rows, column] = values
    return table
