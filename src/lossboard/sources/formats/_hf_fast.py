"""Column extraction for long runs of Hugging Face Trainer lines that share one layout.

Most of a Trainer console is lines such as (``\\r`` shown as ``⏎``)::

    ⏎ 12%|██   | 24/200 [00:01<00:09, 20.5it/s]⏎ 14%|██   | 28/200 [...]⏎<spaces>⏎{'loss': '2.6', 'grad_norm': '1.5', 'learning_rate': '4.9e-05', 'epoch': '0.03'}

the training bar redrawn (its first redraw is the step of the dict on the line before), the
bar cleared by ``tqdm.write`` and the next dict. `bars_and_dicts` takes a run of such lines
apart with C-level string counts and one regex search per line's first bar, not a regex over
every character, and accepts only what the line-by-line reading reads the same way: the first
redraw a bar without description that fills its whole state, every state after it ending in
``]`` or blank up to the dict, the dict the last state, no escape code and no ``{`` but the
dict's.

A `DictLayout` is the literal text of one dict with its values cut out. The dicts of a run
fit it when one regex checks that every value is a JSON number and every literal is the
same; `_literals.read_numbers` then converts all their values with one orjson call. A dict
with other keys, another order, a ``nan``, ``'0.5x'`` or ``np.float64(...)`` does not fit,
and its line is read line by line, so the result never depends on which path ran.
"""

from __future__ import annotations

import re
from functools import lru_cache
from itertools import repeat

import numpy as np

from lossboard.sources.formats._literals import cut_pieces, read_numbers

# the first redraw of a line: a bar without description ("{", ":" and "[" where they would let
# tqdm's bar pattern read a description, or the line hold a dict, are left out)
_FIRST_BAR = re.compile(r"\n\r *(?:\d+%)?\|[^|:{\r\n]*\| *(\d{1,18})/(\d+) \[[^\][|{\r\n]*\]\r")
_BLANK = re.compile(r"\r +(?=\r)")  # a redraw state of spaces: tqdm.write clearing the bar
# what orjson and float() read alike
_NUMBER = r"(?:-?[1-9]\d*|0|-?0(?=[.eE]))(?:\.\d+)?(?:[eE][+-]?\d+)?"


class DictLayout:
    """The keys of a printed dict in order and the literal text around its values."""

    def __init__(self, names: tuple[str, ...], pieces: tuple[str, ...]) -> None:
        self.names = names
        self.pieces = list(pieces)
        self.epoch_column = names.index("epoch")
        self._cuts = cut_pieces(pieces)
        record = _NUMBER.join(map(re.escape, pieces))
        self._records = re.compile(f"(?:{record}\n)*{record}")

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
        return _layout(tuple(names), tuple(pieces))

    def matrix(self, dicts: list[str]) -> np.ndarray | None:
        """The values of ``dicts`` as a (dicts, keys) float array, or None when one of them
        does not fit the layout with numbers only."""
        text = "\n".join(dicts)
        if self._records.fullmatch(text) is None:
            return None
        return read_numbers(text, self.pieces, self._cuts, len(dicts))


@lru_cache(maxsize=64)  # a run's dicts have the layout of the run before: built once
def _layout(names: tuple[str, ...], pieces: tuple[str, ...]) -> DictLayout:
    return DictLayout(names, pieces)


def steady_stretches(lines: list[str], shortest: int) -> list[tuple[int, int]]:
    """(start, end) of each stretch of at least ``shortest`` lines that may be bar-and-dict
    lines, by a cheap test of every line at C speed; `bars_and_dicts` makes sure."""
    count = len(lines)
    maybe = np.fromiter(map(str.startswith, lines, repeat("\r")), bool, count)
    maybe &= np.fromiter(map(str.endswith, lines, repeat("}")), bool, count)
    maybe &= ~np.fromiter(map(str.__contains__, lines, repeat("\x1b")), bool, count)
    edges = np.flatnonzero(np.diff(maybe, prepend=False, append=False)).tolist()
    return [(start, end) for start, end in zip(edges[::2], edges[1::2]) if end - start >= shortest]


def bars_and_dicts(lines: list[str]) -> tuple[list[tuple[str, str]], list[str]] | None:
    """The (count, total) of each line's first bar and each line's dict, or None when a line
    is not a bar-and-dict line."""
    block = "\n" + "\n".join(lines)
    if "\x1b" in block or "\b" in block or block.count("{") != len(lines):
        return None
    bars = _FIRST_BAR.findall(block)
    if len(bars) != len(lines):
        return None
    # every "\r" but a line's first ends a state: a bar ending in "]" or a blank state
    if block.count("\r") != len(lines) + block.count("]\r") + len(_BLANK.findall(block)):
        return None
    return bars, [line.rpartition("\r")[2] for line in lines]
