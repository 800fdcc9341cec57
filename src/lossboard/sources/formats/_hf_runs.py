"""The runs of a chunk that the Hugging Face stdout fast path reads at once: the stretches of
bar-and-dict lines `_hf_fast.SteadyLines` finds, joined where nothing but an evaluation lies
between two of them.

A Trainer that evaluates every N steps prints the training bar drawn alone and a line of
evaluation bars and its dict between two stretches; read line by line, those two lines and
the run they end cost as much as a hundred bar-and-dict lines read at once. Joined, a chunk
is a few runs, and each evaluation is a regex over its two lines and the records of one dict.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from itertools import accumulate
from typing import NamedTuple

import numpy as np

from lossboard.model import Columns
from lossboard.sources.formats._hf import tag_of


class Evaluation(NamedTuple):
    """The two lines an evaluation printed between two stretches of a run."""

    start: int  # where its lines are in the chunk
    end: int
    later: int  # the run's bar-and-dict lines after it
    count: int  # the training bar's count, drawn alone: the step of the run's dict before it
    names: tuple[str, ...]  # its dict's, but the epoch; the dict is placed at the next line's first bar
    values: tuple[float, ...]
    epoch: float


class Run(NamedTuple):
    """``lines`` bar-and-dict lines at ``data[start:stop]``, and the evaluations between them."""

    lines: int
    start: int
    stop: int
    evaluations: tuple[Evaluation, ...] = ()

    def next_lines(self) -> np.ndarray:
        """Where the line after each evaluation is among the run's lines."""
        return self.lines - np.array([e.later for e in self.evaluations], np.intp)

    def evaluations_apart_from(self, names: tuple[str, ...]) -> bool:
        """Whether the evaluations share their names and have none of ``names`` (the run's
        dicts'), so that their values are blocks of their own, after the run's."""
        kinds = {e.names for e in self.evaluations}
        return not kinds or (len(kinds) == 1 and set(names).isdisjoint(kinds.pop()))

    def evaluation_columns(self, steps: np.ndarray) -> list[Columns]:
        """The evaluations' values at ``steps``, a block a name (`evaluations_apart_from`)."""
        values = np.array([e.values for e in self.evaluations])
        epochs = np.array([e.epoch for e in self.evaluations])
        return [Columns(tag_of(name), name, steps, values[:, column], epochs)
                for column, name in enumerate(self.evaluations[0].names)]

    def parts(self) -> list[Run]:
        """The stretches joined into this run, each a run of its own."""
        starts = [self.start, *(e.end for e in self.evaluations)]
        stops = [*(e.start for e in self.evaluations), self.stop]
        from_part = [self.lines, *(e.later for e in self.evaluations), 0]  # lines from each part on
        return [Run(lines - later, start, stop)
                for start, stop, lines, later in zip(starts, stops, from_part, from_part[1:])]


# (start, end) -> (bar count, names, values, epoch) of an evaluation printed there, or None
EvaluationReader = Callable[[int, int], "tuple[int, tuple[str, ...], tuple[float, ...], float] | None"]


def joined_runs(stretches: Iterable[tuple[int, int, int]], evaluation: EvaluationReader) -> list[Run]:
    """``stretches`` (line count, start, stop), in order, as runs: a stretch joins the run
    before it when ``evaluation`` reads the lines between them as one."""
    groups: list[list[tuple[int, int, int]]] = []  # the stretches of each run
    between: list[list[tuple]] = []  # what `evaluation` read between them
    for stretch in stretches:
        found = evaluation(groups[-1][-1][2], stretch[1]) if groups else None
        if found is None:
            groups.append([stretch])
            between.append([])
        else:
            groups[-1].append(stretch)
            between[-1].append(found)
    return [_joined(group, found) for group, found in zip(groups, between)]


def _joined(stretches: list[tuple[int, int, int]], found: list[tuple]) -> Run:
    """One run of ``stretches`` with the evaluations ``found`` between them."""
    later = [*accumulate(lines for lines, _, _ in reversed(stretches))][-2::-1]  # lines after each evaluation
    evaluations = tuple(Evaluation(before[2], after[1], lines, *read)
                        for before, after, lines, read in zip(stretches, stretches[1:], later, found))
    return Run(sum(lines for lines, _, _ in stretches), stretches[0][1], stretches[-1][2], evaluations)
