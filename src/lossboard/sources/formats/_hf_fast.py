"""Column extraction for long runs of Hugging Face Trainer lines that share one layout, read
from the file's bytes.

Most of a Trainer console is lines such as (``\\r`` shown as ``⏎``)::

    ⏎ 12%|██   | 24/200 [00:01<00:09, 20.5it/s]⏎ 14%|██   | 28/200 [...]⏎<spaces>⏎{'loss': '2.6', 'grad_norm': '1.5', 'learning_rate': '4.9e-05', 'epoch': '0.03'}

the training bar redrawn (its first redraw is the step of the dict on the line before), the
bar cleared by ``tqdm.write`` and the next dict. `steady_stretches` finds the stretches of a
chunk's bytes whose lines may be such lines, with numpy; a `DictLayout` is the literal text of
one dict with its values cut out, and `DictLayout.read_run` reads a stretch whose dicts share
it with one regex over the bytes, which checks each line and captures each line's first bar
count and its dict's values, and one orjson call that converts them all. No line of a run
is decoded or becomes a `str`.

The regex accepts only what the line-by-line reading reads the same way from the decoded
text: the first redraw a bar without description that fills its whole state, drawn as tqdm
draws it, every state after it ending in ``]`` or blank up to the dict, the dict the last
state with every value a JSON number, and no backspace or ``{`` but the dict's. A dict with
other keys, another order, a ``nan``, ``'0.5x'`` or ``np.float64(...)`` does not fit, and the
run is read line by line, so the result never depends on which path ran. The redraws after
the first are only walked to their ``]``: sre's loop for ``[^\\r]*`` is several times cheaper
than a character class. Undecodable bytes can only lie where the pattern takes any character
but a few ASCII ones (a skipped redraw, a bar's brackets): decoding never turns an ASCII byte
into part of a replacement character, nor a replacement character into one of those.
"""

from __future__ import annotations

import re
from functools import lru_cache
from itertools import chain

import numpy as np

from lossboard.sources.formats._numbers import json_matrix

# the first redraw of a line: a bar without description that fills its state, drawn as tqdm
# draws it (full blocks, one partial block, blanks; or "#", a digit, blanks); its count is a
# JSON integer of at most 15 digits: orjson reads it with the values, and a float holds it exactly
_FULL, _PARTIAL = re.escape("█".encode()), re.escape("▏".encode()[:2]) + rb"[\x89-\x8f]"  # U+2588, U+2589-258F
_BAR_START = rb"\r *(?:\d+%)?\|(?:(?:" + _FULL + rb")*(?: |" + _PARTIAL + rb")? *|#*\d? *)\| *"
_BAR_END = rb" \[[^\][|{\r\n]*\]"
# at a line's start: the chunk's, or after a "\n"
_FIRST_BAR = rb"(?:^|\n)" + _BAR_START + rb"(0|[1-9]\d{0,14})/\d+" + _BAR_END
_LONE_BAR = re.compile(_BAR_START + rb"(\d{1,18})/(\d+)" + _BAR_END)  # a line that is one such redraw
# later redraws up to the dict: each blank (tqdm.write clearing the bar) or ending in "]" (one
# starting with "{" is the dict, not tried as a redraw); "[^\r]*" cannot run into the next
# line, whose "\r" follows a "\n" the dict's "}" precedes
_REDRAWS = rb"(?:\r *(?=\r)|\r[^\r{][^\r]*\])*\r"
_TOTAL = re.compile(_BAR_START + rb"\d+/(\d+)")  # of a line `DictLayout.read_run` read
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
        raw = [piece.encode() for piece in pieces]
        values = b"".join(
            re.escape(piece) + b"([^" + re.escape(after[:1]) + b"]*)" for piece, after in zip(raw, raw[1:])
        )
        # one line at a time, anchored at its "\n": a pattern over all the run's lines at once
        # backtracks through every line before a misfit one
        self._line = re.compile(_FIRST_BAR + _REDRAWS + values + re.escape(raw[-1]) + rb"(?=\n)")
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

    def read_run(self, data: bytes, start: int, end: int, lines: int) -> tuple[np.ndarray, np.ndarray] | None:
        """Each line's first bar count and its dict's values, as a (lines,) int64 array and a
        (lines, keys) float array, for the ``lines`` complete lines of ``data[start:end]``, or
        None when one is not a bar-and-dict line of this layout. ``start`` follows a "\\n";
        the lines come from `steady_stretches` (each starts with "\\r", ends with "}" and holds
        one "{")."""
        if data.find(b"\b", start, end) >= 0:
            return None
        # a match a line: each starts at the "\n" before it (or the chunk's start) and ends before its own
        rows = self._line.findall(data, max(start - 1, 0), end)
        if len(rows) != lines:
            return None
        numbers = b",".join(chain.from_iterable(rows))  # no joined row each: one join of all values
        if not numbers.isascii() or numbers.translate(None, _NUMBER_CHARS):
            return None  # orjson would read true, null or "1" as values
        if b",-0," in b",%b," % numbers:
            return None  # orjson reads -0 as the integer 0, float() as -0.0
        matrix = json_matrix(b"[%b]" % numbers, lines, len(self.names) + 1)
        if matrix is None:  # "1.", "01", "", a comma inside a value, 1e999
            return None
        return matrix[:, 0].astype(np.int64), matrix[:, 1:]


@lru_cache(maxsize=64)  # a run's dicts have the layout of the run before: built once
def dict_layout(names: tuple[str, ...], pieces: tuple[str, ...]) -> DictLayout:
    return DictLayout(names, pieces)


def bar_total(data: bytes, start: int) -> str:
    """The total of the first bar of the line at ``start`` that `DictLayout.read_run` read."""
    return _TOTAL.match(data, start)[1].decode()  # type: ignore[index]


def lone_bar(data: bytes, start: int, end: int) -> tuple[int, str] | None:
    """(count, total) of the line ``data[start:end]`` when it is the training bar drawn once
    and nothing else (it ends a run before an evaluation), or None."""
    found = _LONE_BAR.fullmatch(data, start, end)
    if found is None:
        return None
    return int(found[1]), found[2].decode()


def steady_stretches(data: bytes, end: int, shortest: int, longest: int) -> list[tuple[int, int, int]]:
    """(line count, start, end) of each stretch of at least ``shortest`` of the
    complete lines of ``data[:end]`` that may be bar-and-dict lines: starting with "\\r",
    ending with "}", one "{" (a dict in a redraw is read by the reference reading), no escape
    code and none longer than ``longest`` (the splitter would cut it). Positions are found with
    numpy; `DictLayout.read_run` makes sure of each line."""
    chars = np.frombuffer(data, np.uint8, end)
    found = chars == 10
    found |= chars == 123
    marks = np.flatnonzero(found)  # one scan for line ends and braces: the scan is the cost, not the compares
    is_end = chars[marks] == 10
    ends, braces = marks[is_end], marks[~is_end]
    starts = np.empty_like(ends)
    starts[0], starts[1:] = 0, ends[:-1] + 1
    maybe = (chars[np.minimum(starts, ends)] == 13) & (chars[ends - 1] == 125)  # "\r" ... "}"
    maybe &= np.bincount(np.searchsorted(ends, braces), minlength=len(ends)) == 1
    if end > longest:
        maybe &= ends - starts <= longest
    escape = data.find(b"\x1b", 0, end)
    while escape >= 0:  # evaluation lines (cursor-up codes) end a stretch, which they could not fit
        line = int(np.searchsorted(ends, escape))
        maybe[line] = False
        escape = data.find(b"\x1b", int(ends[line]) + 1, end)
    edges = np.flatnonzero(np.diff(maybe, prepend=False, append=False))
    firsts, stops = edges[::2], edges[1::2]
    long_enough = stops - firsts >= shortest
    firsts, stops = firsts[long_enough], stops[long_enough]
    return list(zip((stops - firsts).tolist(), starts[firsts].tolist(), (ends[stops - 1] + 1).tolist()))
