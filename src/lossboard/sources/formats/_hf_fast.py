"""Column extraction for long runs of Hugging Face Trainer lines that share one layout.

Most of a Trainer console is lines such as (``\\r`` shown as ``⏎``)::

    ⏎ 12%|██   | 24/200 [00:01<00:09, 20.5it/s]⏎ 14%|██   | 28/200 [...]⏎<spaces>⏎{'loss': '2.6', 'grad_norm': '1.5', 'learning_rate': '4.9e-05', 'epoch': '0.03'}

the training bar redrawn (its first redraw is the step of the dict on the line before), the
bar cleared by ``tqdm.write`` and the next dict. `STEADY` takes such a line apart in one regex
match, accepting only what the line-by-line reading reads the same way: the first redraw a
bar without description that fills its whole state, the redraws after it ending in ``]``,
the dict the last state, no escape code and no ``{`` before it.

A `DictLayout` is the literal text of one dict with its values cut out. The dicts of a run
fit it when one regex checks that every value is a JSON number and every literal is the
same; `_literals.read_numbers` then converts all their values with one orjson call. A dict
with other keys, another order, a ``nan``, ``'0.5x'`` or ``np.float64(...)`` does not fit,
and its line is read line by line, so the result never depends on which path ran.
"""

from __future__ import annotations

import re

import numpy as np

from lossboard.sources.formats._literals import cut_pieces, read_numbers

# a whole line: the Trainer's bar (no description), more redraws ending in "]" or blank ones,
# then the dict; the classes leave out what would make the line-by-line reading differ
STEADY = re.compile(
    r"\r *(?:\d+%)?\|[^|:{\r\x1b\b]*\| *(\d{1,18})/(\d+) \[[^\][|{\r\x1b\b]*\] *"
    r"(?:\r[^{\r\x1b\b]*\] *|\r *)*"
    r"\r(\{'[^\r\x1b\b]*?) *"
)
# what orjson and float() read alike
_NUMBER = r"(?:-?[1-9]\d*|0|-?0(?=[.eE]))(?:\.\d+)?(?:[eE][+-]?\d+)?"


class DictLayout:
    """The keys of a printed dict in order and the literal text around its values."""

    def __init__(self, names: list[str], pieces: list[str]) -> None:
        self.names = names
        self.pieces = pieces
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
        return cls(names, pieces)

    def matrix(self, dicts: list[str]) -> np.ndarray | None:
        """The values of ``dicts`` as a (dicts, keys) float array, or None when one of them
        does not fit the layout with numbers only."""
        text = "\n".join(dicts)
        if self._records.fullmatch(text) is None:
            return None
        return read_numbers(text, self.pieces, self._cuts, len(dicts))
