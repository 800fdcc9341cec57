"""Where the lines of a stretch of print lines go (`_print_runs`), placed in numpy.

`_grammars._place` places one line at a time: a line with a step counter at its own step, a
line with an epoch counter only at the last step a line set, a line with no counter at the
last step and epoch. `Place` does the same for every line of a stretch at once, a layout
(`Sheet`) at a time: the counters each layout's lines set, and for the lines that read them
the last line before each that set one. Lines of the stretch that are read apart but set a
counter too (a bar's redraws, an epoch header: `Setters`) are setters among the others.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from lossboard import tags
from lossboard.sources.formats import _grammars as grammars
from lossboard.sources.formats._numbers import EXACT_FLOAT

if TYPE_CHECKING:
    from lossboard.sources.formats._print_runs import PrintLayout

_UNKNOWN = np.iinfo(np.int64).min  # a step no line set yet
_INT64_END = 2.0**63


class Sheet(NamedTuple):
    """The lines of one layout of values in a stretch (counted from the stretch's first line)
    and their numbers."""

    layout: PrintLayout
    first: int
    where: np.ndarray | None  # the lines, or None: one run from ``first`` on
    matrix: np.ndarray  # a row of numbers a line

    def lines(self) -> np.ndarray:
        return np.arange(self.first, self.first + len(self.matrix)) if self.where is None else self.where

    def counter(self, column: int) -> np.ndarray:
        return self.matrix[:, column].astype(np.int64)


class Setters(NamedTuple):
    """Lines inside a stretch, not read with it, that set the step or the epoch the lines after
    them read: (lines, values) of each, in line order, counted from the stretch's first line."""

    steps: tuple[np.ndarray, np.ndarray]
    epochs: tuple[np.ndarray, np.ndarray]


class Place:
    """Where the lines of a stretch go, as `_grammars._place` places them one after another:
    the counters each line sets, and what the lines after it read of them.

    Called with the sheets in order (`of`). When each layout is one run, the sheets are runs
    in line order and what a sheet reads is what the sheet before left (two numbers); else
    each line looks up the last line before it that set one (a search over the setters)."""

    def __init__(self, context: grammars.Context, sheets: list[Sheet], size: int, setters: Setters | None = None) -> None:
        self.split = context.split or tags.TRAIN  # no header in a stretch: no split changes
        self.ok = False
        self.epochs: dict[int, np.ndarray] = {}  # id of the layout -> its lines' epoch counters
        self.steps: dict[int, tuple[np.ndarray, np.ndarray | None]] = {}  # -> steps, and epochs
        self.epoch_base = context.epoch_base
        for sheet in sheets:  # in the order their layouts first appear: the first epoch is the base
            layout = sheet.layout
            if not layout.counts_fit:
                counters = [at for at in (layout.epoch, layout.step, layout.total) if at is not None]
                if sheet.matrix[:, counters].max() >= EXACT_FLOAT:
                    return
            epoch = None
            if layout.epoch is not None:
                epoch = self.epochs[id(layout)] = sheet.counter(layout.epoch)
                if self.epoch_base is None:
                    self.epoch_base = 0 if epoch[0] == 0 else 1
            if layout.step is None:
                continue
            step = sheet.counter(layout.step)
            if layout.total is not None:
                total = sheet.counter(layout.total)
                if not total.all():
                    return
                if (np.abs(epoch - self.epoch_base) * total.astype(np.float64) + step).max() >= _INT64_END:
                    return  # the general path reports the steps beyond 64 bits that int64 would wrap
                self.steps[id(layout)] = (epoch - self.epoch_base) * total + step, epoch + step / total
            else:
                self.steps[id(layout)] = step, None if epoch is None else epoch.astype(np.float64)
        if any(abs(known) >= _INT64_END for known in (context.epoch, context.step, context.last_step) if known is not None):
            return  # a counter beyond 64 bits before the stretch: its lines are read one by one
        self.ok = True
        self.in_order = setters is None and all(sheet.where is None for sheet in sheets)
        initial_epoch, initial_step = context.epoch, context.step
        self.epoch_now = _UNKNOWN if initial_epoch is None else initial_epoch
        self.step_now = _UNKNOWN if initial_step is None else initial_step
        self.last_step = context.last_step
        self.goes_back = False  # a step below the step of the line of values before it
        if not self.in_order:
            steps = {key: steps for key, (steps, _) in self.steps.items()}
            self.epoch_setters = _setters(sheets, self.epochs, None if setters is None else setters.epochs)
            self.step_setters = _setters(sheets, steps, None if setters is None else setters.steps)
            self.line_steps = np.zeros(size, np.int64)
            self.gives = np.zeros(size, bool)

    def of(self, sheet: Sheet) -> tuple[np.ndarray | None, np.ndarray | None]:
        """(steps, epochs or None) of a sheet's lines; steps None when a line has nothing to be
        placed by (before any step or epoch), or some have an epoch and some not."""
        layout, count = sheet.layout, len(sheet.matrix)
        where = None if self.in_order else sheet.lines()
        epoch = self.epochs.get(id(layout))
        if layout.step is not None:
            steps, epochs = self.steps[id(layout)]
            if epochs is None:
                epochs = _epochs(self._before("epoch", where), count)
        elif epoch is not None:
            steps = np.where(self._before("step", where) == _UNKNOWN, epoch, self._before("step", where))
            epochs = epoch.astype(np.float64)
        else:
            steps = self._before("step", where)
            if np.any(steps == _UNKNOWN):
                steps = np.where(steps == _UNKNOWN, self._before("epoch", where), steps)
                if np.any(steps == _UNKNOWN):
                    return None, steps  # before anything set a context: not read
            steps = np.full(count, steps) if np.ndim(steps) == 0 else steps
            epochs = _epochs(self._before("epoch", where), count)
        if epochs is False:
            return None, steps
        if not self.in_order:
            self.line_steps[where] = steps
            self.gives[where] = True
            return steps, epochs
        last = self.last_step
        if (last is not None and steps[0] < last) or (len(steps) > 1 and (steps[1:] < steps[:-1]).any()):
            self.goes_back = True
        self.last_step = int(steps[-1])
        if epoch is not None:
            self.epoch_now = int(epoch[-1])
        if layout.step is not None:
            self.step_now = int(steps[-1])
        return steps, epochs

    def _before(self, counter: str, where: np.ndarray | None) -> np.ndarray | int:
        """The ``counter`` ("step" or "epoch") the lines ``where`` read: the value of the last
        line before each that set one, else the context's, else `_UNKNOWN`."""
        if self.in_order:
            return self.step_now if counter == "step" else self.epoch_now
        at, values = self.step_setters if counter == "step" else self.epoch_setters
        now = self.step_now if counter == "step" else self.epoch_now
        if not len(at):
            return now
        before = np.searchsorted(at, where) - 1
        return np.where(before >= 0, values[np.maximum(before, 0)], now)

    def goes_forward(self) -> bool:
        """Whether no line's step is below the step of the line of values before it."""
        if self.in_order:
            return not self.goes_back
        steps = self.line_steps[self.gives]
        last = self.last_step
        return not ((last is not None and steps[0] < last) or (steps[1:] < steps[:-1]).any())

    def move_on(self, context: grammars.Context) -> None:
        """The context as the stretch leaves it: the counters the last lines that set them set."""
        context.epoch_base = self.epoch_base
        if self.in_order:
            if self.epochs:
                context.epoch = self.epoch_now
            if self.steps:
                context.step = self.step_now
            context.last_step = self.last_step
            return
        for name, (_, values) in (("epoch", self.epoch_setters), ("step", self.step_setters)):
            if len(values):
                setattr(context, name, int(values[-1]))
        context.last_step = int(self.line_steps[self.gives][-1])


def _epochs(value: np.ndarray | int, count: int) -> np.ndarray | None | bool:
    """The epochs of ``count`` lines that read ``value`` (one for all, or one a line) as floats;
    None when no line knows one, False when some do and some not (a `Point` would say None
    where a block says NaN)."""
    if np.ndim(value) == 0:
        return None if value == _UNKNOWN else np.full(count, float(value))
    unknown = value == _UNKNOWN
    if not unknown.any():
        return value.astype(np.float64)
    return None if unknown.all() else False


def _setters(sheets: list[Sheet], values: dict[int, np.ndarray],
             others: tuple[np.ndarray, np.ndarray] | None) -> tuple[np.ndarray, np.ndarray]:
    """(lines, values) of the sheets whose layouts (by id) set a counter and of the ``others``
    that set it, in line order."""
    found = [(sheet.lines(), values[id(sheet.layout)]) for sheet in sheets if id(sheet.layout) in values]
    if others is not None and len(others[0]):
        found.append(others)
    if len(found) == 1:
        return found[0]
    if not found:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    where = np.concatenate([where for where, _ in found])
    order = np.argsort(where, kind="stable")
    return where[order], np.concatenate([value for _, value in found])[order]
