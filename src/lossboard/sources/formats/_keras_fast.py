"""The running states of a Keras ``verbose=1`` progress bar, read in bulk.

In a file, Keras redraws its bar on one physical line per epoch: a few hundred states such as
(Keras 3; Keras 2 draws ``[=====>....] - ETA: 0s`` instead of the bar and times)::

    \\r\\x1b[1m 5/13\\x1b[0m \\x1b[32m━━━━━━━\\x1b[0m\\x1b[37m━━━━━━━━━━━━━\\x1b[0m \\x1b[1m0s\\x1b[0m 15ms/step - accuracy: 0.6500 - loss: 0.6064\\b\\b\\b...

Every state but the last differs only in its counter, bar, times and values, so one regex
over the raw line (built for the metric names of the first state, with Keras 3's colour codes
as the literals it prints, and the backspaces before each ``\\r``) finds every counter and
value at once, and one orjson call converts them. The states fit when every ``\\r`` starts one that matches
and orjson takes every value; otherwise (a print glued to a state, a tqdm bar of the script
drawn in between, ``nan``, other metric names) the caller reads the line state by state, its
reference path. The pattern accepts only states that `keras_stdout.parse_bar` reads as a bar
with those metrics: a counter, an optional bar, the durations Keras prints, an optional ETA,
then the metrics in order.
"""

from __future__ import annotations

import re
from functools import lru_cache

import numpy as np
import orjson

from lossboard import tags
from lossboard.sources.formats._lines import _ANSI

MIN_STATES = 32  # a line with fewer redraws is read state by state

_TIME = r"\d+(?:\.\d+)?(?:us|ms|s)(?:/\w+)?"
_CLOCK = r"\d+:\d\d(?::\d\d)?"  # an ETA over a minute: "1:02", "1:02:03"
# Keras 3, its colour codes as literals (a generic colour pattern costs the regex 4x)
_KERAS3_HEAD = (
    rf"\r\x1b\[1m *(\d+)/(\d+)\x1b\[0m (?:\x1b\[32m━*\x1b\[0m)?(?:\x1b\[37m━*\x1b\[0m)?"
    rf" \x1b\[1m(?:{_TIME}|{_CLOCK})\x1b\[0m {_TIME}"
)
# Keras 2: "  32/60000 [=====>......] - ETA: 10:03"; an ETA is one " - " part, so holds no " - "
_KERAS2_HEAD = r"\r *(\d+)/(\d+) \[[=>.]*\]( - ETA: (?:(?! - )[^\r\x08])*)?"
_VALUE = r"([^\s\x08\x1b]+)"
_END = r" *\x08*(?=\r)"  # Keras 2 pads with blanks; the backspaces move back for the next state
_FIRST_NAMES = re.compile(r"^ *\d+/\d+\b.*? - (?:ETA: .*? - )?((?:[A-Za-z_][\w.@/-]*: \S+(?: - |$))+)$")
_NAME = re.compile(r"([A-Za-z_][\w.@/-]*): ")


@lru_cache(maxsize=64)
def _pattern(names: tuple[str, ...], keras3: bool) -> re.Pattern:
    metrics = "".join(rf" - {re.escape(name)}: {_VALUE}" for name in names)
    return re.compile((_KERAS3_HEAD if keras3 else _KERAS2_HEAD) + metrics + _END)


def metric_names(state: str) -> tuple[str, ...] | None:
    """The metric names of a bar state (colour codes removed), in order."""
    found = _FIRST_NAMES.match(state)
    return tuple(_NAME.findall(found[1])) if found else None


def first_state(raw: str, start: int) -> str:
    """The state drawn after the ``\\r`` at ``start``, as the terminal shows it."""
    end = raw.find("\r", start + 1)
    return _ANSI.sub("", raw[start + 1 : end]).rstrip("\x08").rstrip()


@lru_cache(maxsize=64)
def batch_columns(names: tuple[str, ...]) -> list[tuple[int, str, str]]:
    """(column in `read_states`' rows, name, tag) of the running means among ``names``: not
    lr or val_*, which a running state repeats."""
    found = [(column, name, tags.canonical(name, tags.BATCH)) for column, name in enumerate(names, 2)]
    return [column for column in found if column[2].startswith("train_batch/")]


def read_states(shown: str, names: tuple[str, ...], count: int) -> tuple[np.ndarray, np.ndarray | None] | None:
    """The (current, total, value of each name) of the ``count`` states in ``shown`` -- raw
    text in which each state follows a ``\\r`` and ends before one -- as rows, and which states
    show an ETA (None: none can, Keras 3 shows no ETA of its own); None when one of them does
    not fit."""
    if "\x1b" in shown:  # Keras 3: every group is a number, joined at C speed
        found = _pattern(names, True).findall(shown)
        if len(found) != count:
            return None
        has_eta = None
        body = ",".join(map(",".join, found))
    else:  # Keras 2: a state with an ETA is running whatever its count
        found = _pattern(names, False).findall(shown)
        if len(found) != count:
            return None
        has_eta = np.array([bool(state[2]) for state in found])
        body = ",".join([",".join((a, b, *rest)) for a, b, _, *rest in found])
    try:
        flat = orjson.loads("[" + body + "]")
    except orjson.JSONDecodeError:
        return None
    width = len(names) + 2
    if len(flat) != width * count:
        return None
    return np.array(flat, dtype=np.float64).reshape(-1, width), has_eta
