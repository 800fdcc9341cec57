"""Column extraction for long runs of Hugging Face Trainer lines that share one layout.

Most of a Trainer console is lines such as (``\\r`` shown as ``⏎``)::

    ⏎ 12%|██   | 24/200 [00:01<00:09, 20.5it/s]⏎ 14%|██   | 28/200 [...]⏎<spaces>⏎{'loss': '2.6', 'grad_norm': '1.5', 'learning_rate': '4.9e-05', 'epoch': '0.03'}

the training bar redrawn (its first redraw is the step of the dict on the line before), the
bar cleared by ``tqdm.write`` and the next dict. A `DictLayout` is the literal text of one
dict with its values cut out; `read_run` reads a run of such lines whose dicts share it with
one regex over the whole run, which checks each line and captures each line's first bar count
and its dict's values, and one orjson call that converts them all.

The regex accepts only what the line-by-line reading reads the same way: the first redraw a
bar without description that fills its whole state, every state after it ending in ``]`` or
blank up to the dict, the dict the last state with every value a JSON number, and no escape
code, backspace or ``{`` but the dict's. A dict with other keys, another order, a ``nan``,
``'0.5x'`` or ``np.float64(...)`` does not fit, and the run is read line by line, so the
result never depends on which path ran. The bar redraws after the first are only walked to
their ``]``: sre's loop for ``[^\\r]*`` is several times cheaper than a character class.
"""

from __future__ import annotations

import re
from functools import lru_cache
from itertools import repeat

import numpy as np
import orjson

# the first redraw of a line: a bar without description that fills its state, drawn as tqdm
# draws it (full blocks, one partial block, blanks; or "#", a digit, blanks); its count is a
# JSON integer, so orjson reads it with the values
_BAR_START = r"\r *(?:\d+%)?\|(?:█*[ ▏▎▍▌▋▊▉]? *|#*\d? *)\| *"
_BAR_END = r" \[[^\][|{\r\n]*\]"
_FIRST_BAR = r"\n" + _BAR_START + r"(0|[1-9]\d{0,17})/\d+" + _BAR_END
_LONE_BAR = re.compile(_BAR_START + r"(\d{1,18})/(\d+)" + _BAR_END)  # a line that is one such redraw
# later redraws up to the dict: each blank (tqdm.write clearing the bar) or ending in "]" (one
# starting with "{" is the dict, not tried as a redraw); "[^\r]*" cannot run into the next
# line, whose "\r" follows a "\n" the dict's "}" precedes
_REDRAWS = r"(?:\r *(?=\r)|\r[^\r{][^\r]*\])*\r"
_TOTAL = re.compile(_BAR_START + r"\d+/(\d+)")  # of a line `DictLayout.read_run` read
_NUMBER_CHARS = b"0123456789.eE+-,"  # all a run's values may hold, joined by commas
_NUMBER = r"-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?"  # a value `fits` takes for one of the layout's


class DictLayout:
    """The keys of a printed dict in order and the literal text around its values."""

    def __init__(self, names: tuple[str, ...], pieces: tuple[str, ...]) -> None:
        self.names = names
        self.key = (names, pieces)  # plain data a parser keeps to find the layout again
        self.epoch_column = names.index("epoch")
        # a value is what lies between two literals (a loop in sre, where a number pattern
        # costs three times as much); `read_run` checks they are numbers
        values = "".join(
            f"{re.escape(piece)}([^{re.escape(after[0])}]*)" for piece, after in zip(pieces, pieces[1:])
        )
        # one line at a time, anchored at its "\n": a pattern over all the run's lines at once
        # backtracks through every line before a misfit one
        self._line = re.compile(_FIRST_BAR + _REDRAWS + values + re.escape(pieces[-1]) + r"(?=\n)")
        self._dict = re.compile(_NUMBER.join(map(re.escape, pieces)))

    def fits(self, sample: str) -> bool:
        """Whether ``sample`` is this layout's literal text with numbers between (a dict whose
        values are quoted where this layout's are not is another layout)."""
        return self._dict.fullmatch(sample) is not None

    @classmethod
    def learn(cls, sample: str, dict_pattern: re.Pattern, pair_pattern: re.Pattern) -> DictLayout | None:
        """The layout of ``sample`` (one whole dict), or None when it is not one flat dict
        with an ``epoch`` and distinct keys."""
        if dict_pattern.fullmatch(sample) is None or sample.count("{") != 1:
            return None
        names, pieces, start = [], [], 0
        for pair in pair_pattern.finditer(sample):
            group = next(g for g in (2, 3, 4) if pair[g] is not None)
            begin, end = pair.span(group)
            text = pair[group]
            begin += len(text) - len(text.lstrip())
            end -= len(text) - len(text.rstrip())
            names.append(pair[1])
            pieces.append(sample[start:begin])
            start = end
        pieces.append(sample[start:])
        if "epoch" not in names or len(set(names)) != len(names) or "" in pieces:
            return None
        return dict_layout(tuple(names), tuple(pieces))

    def read_run(self, lines: list[str]) -> tuple[np.ndarray, np.ndarray] | None:
        """Each line's first bar count and its dict's values, as a (lines,) int64 array and a
        (lines, keys) float array, or None when a line is not a bar-and-dict line of this
        layout. ``lines`` come from `steady_stretches` (no escape codes)."""
        text = "\n".join(["", *lines, ""])
        if "\b" in text or text.count("{") != len(lines):
            return None
        rows = self._line.findall(text)  # a match a line: each starts at a "\n", ends at the next
        if len(rows) != len(lines):
            return None
        numbers = ",".join(map(",".join, rows))
        if not numbers.isascii() or numbers.encode().translate(None, _NUMBER_CHARS):
            return None  # orjson would read true, null or "1" as values
        if ",-0," in f",{numbers},":
            return None  # orjson reads -0 as the integer 0, float() as -0.0
        try:
            flat = orjson.loads(f"[{numbers}]")
        except orjson.JSONDecodeError:  # "1.", "01", "", a comma inside a value, 1e999
            return None
        width = len(self.names) + 1
        if len(flat) != len(lines) * width:
            return None  # a value held a comma
        counts = np.array(flat[::width], dtype=np.int64)
        return counts, np.array(flat, dtype=np.float64).reshape(len(lines), width)[:, 1:]


@lru_cache(maxsize=64)  # a run's dicts have the layout of the run before: built once
def dict_layout(names: tuple[str, ...], pieces: tuple[str, ...]) -> DictLayout:
    return DictLayout(names, pieces)


def bar_total(line: str) -> str:
    """The total of the first bar of a line `DictLayout.read_run` read."""
    return _TOTAL.match(line)[1]  # type: ignore[index]


def lone_bar(line: str) -> tuple[int, str] | None:
    """(count, total) of a line that is the training bar drawn once and nothing else (it ends a
    run before an evaluation), or None."""
    found = _LONE_BAR.fullmatch(line)
    if found is None or "\x1b" in line or "\b" in line:
        return None
    return int(found[1]), found[2]


def steady_stretches(lines: list[str], shortest: int) -> list[tuple[int, int]]:
    """(start, end) of each stretch of at least ``shortest`` lines that may be bar-and-dict
    lines, by a cheap test of every line at C speed; `DictLayout.read_run` makes sure."""
    count = len(lines)
    maybe = np.fromiter(map(str.startswith, lines, repeat("\r")), bool, count)
    maybe &= np.fromiter(map(str.endswith, lines, repeat("}")), bool, count)
    maybe &= ~np.fromiter(map(str.__contains__, lines, repeat("\x1b")), bool, count)
    edges = np.flatnonzero(np.diff(maybe, prepend=False, append=False)).tolist()
    return [(start, end) for start, end in zip(edges[::2], edges[1::2]) if end - start >= shortest]
