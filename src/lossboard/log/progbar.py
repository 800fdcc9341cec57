"""Keras's progress bar for any training loop, and log files that stay readable.

Keras 3 writes its redraws (``\\b`` runs, ``\\r``, ANSI colours) even into a pipe, so a
redirected training log fills with them. `Progbar` redraws in place only where that shows,
on a terminal or in a Jupyter kernel's output; into a pipe or a file it writes plain,
throttled lines in the form of Keras's ``verbose=2``, which lossboard's ``keras-stdout``
parser reads back::

    Epoch 1/3
     40/100 - 30s - ETA: 45s - 750ms/step - loss: 0.6931 - accuracy: 0.5000
    100/100 - 75s - 750ms/step - loss: 0.5012 - accuracy: 0.7500

Print an ``Epoch k/N`` line before each epoch's bar, as Keras does: it numbers the epochs
for the parser. Values may also go to a SummaryWriter (any object with ``add_scalar``).

>>> import io, itertools
>>> out = io.StringIO()
>>> bar = Progbar(2, verbose=2, stream=out, clock=itertools.count().__next__)
>>> bar.update(1, [("loss", 1.0)])
>>> bar.update(2, [("loss", 0.5)])
>>> print(out.getvalue(), end="")
2/2 - 2s - 1s/step - loss: 0.7500
"""

from __future__ import annotations

import math
import sys
import time
import warnings
import weakref
from collections.abc import Callable, Iterable
from typing import Any, Protocol, TextIO

from lossboard.errors import LossboardWarning
from lossboard.log._bar import BarState, format_bar


class ScalarWriter(Protocol):
    """What `Progbar` needs of a writer: lossboard's or torch's SummaryWriter both fit."""

    def add_scalar(self, tag: str, scalar_value: float, global_step: int) -> Any: ...


_LAST_STEPS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # writer -> last step a bar wrote


def _last_step(writer: ScalarWriter | None) -> int:
    try:
        return _LAST_STEPS.get(writer, 0) if writer is not None else 0
    except TypeError:  # a writer that cannot be weakly referenced: each bar starts at 0
        return 0


def _remember(writer: ScalarWriter, step: int) -> None:
    try:
        _LAST_STEPS[writer] = step
    except TypeError:
        pass  # see _last_step


def redraws_in_place(stream: TextIO) -> bool:
    """True on a terminal or a Jupyter kernel's output, where ``\\r`` returns to the line start."""
    # ipykernel's OutStream, recognised by its module so that IPython is never imported here
    if type(stream).__module__.startswith("ipykernel"):
        return True
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty and isatty())
    except (OSError, ValueError):  # a closed or detached stream
        return False


class Progbar:
    """A progress bar with Keras's semantics: ``update(current, values)`` or ``add(n, values)``.

    ``target`` is the number of steps, None while unknown. Each value is averaged over the
    steps it covers (``value * (current - previous)``), except ``stateful_metrics``, shown as
    last given. ``verbose`` 0 draws nothing, 1 a bar, 2 one line when the target is reached.

    Where it redraws in place (``dynamic``, detected from ``stream`` unless given) a redraw
    needs the position to have moved and ``interval`` seconds to have passed. Otherwise a line
    may be written at the first update of each new tenth of the target (at any move while the
    target is unknown) if ``line_interval_s`` seconds have passed since the previous line; the
    final state is always written. The counter is checked before the clock is read. Unlike Keras 3, the final update is
    averaged like the others (Keras 3 shows it as given, its fit loop passing epoch means).

    With a ``writer``, every update calls ``writer.add_scalar(tag_prefix + name, shown value,
    step_offset + current)`` for the values it carries, whatever ``verbose`` says. Without a
    ``step_offset``, a bar continues where the last bar of the same writer stopped, so a new
    `Progbar` per epoch (the usual Keras loop) counts steps on instead of writing over the last
    epoch's.
    """

    def __init__(
        self,
        target: int | None,
        width: int = 30,
        verbose: int = 1,
        *,
        interval: float = 0.05,
        stateful_metrics: Iterable[str] | None = None,
        unit_name: str = "step",
        stream: TextIO | None = None,
        clock: Callable[[], float] = time.monotonic,
        dynamic: bool | None = None,
        line_interval_s: float = 30.0,
        writer: ScalarWriter | None = None,
        tag_prefix: str = "train_batch/",
        step_offset: int | None = None,
        strict: bool = False,
    ) -> None:
        if verbose not in (0, 1, 2):
            raise ValueError(
                f"verbose must be 0 (silent), 1 (bar) or 2 (one line per target), not {verbose!r}"
            )
        if target is not None and target < 0:
            raise ValueError(f"target must be a number of steps or None if unknown, not {target!r}")
        if writer is not None and not callable(getattr(writer, "add_scalar", None)):
            raise TypeError(f"writer must have an add_scalar method; {type(writer).__name__} has none")
        self._stream = sys.stdout if stream is None else stream
        self._clock = clock
        self._verbose = verbose
        self._width = width
        self._writer = writer
        self._tag_prefix = tag_prefix
        self._step_offset = _last_step(writer) if step_offset is None else step_offset
        self._strict = strict
        self._dynamic = redraws_in_place(self._stream) if dynamic is None else dynamic
        self._interval = interval if self._dynamic else line_interval_s
        start = clock()
        self._state = BarState(
            target=target or None,
            start=start,
            stateful=frozenset(stateful_metrics or ()),
            unit_name=unit_name,
        )
        self._drawn = 0  # position of the last drawing
        self._tenth = 0  # tenth of the target last considered for a line (pipes and files)
        self._last_draw = -math.inf if self._dynamic else start  # a bar shows at once, lines wait
        self._shown = 0  # length of the text on the terminal line, to blank out on a redraw

    def update(
        self, current: int, values: Iterable[tuple[str, Any]] | None = None, finalize: bool | None = None
    ) -> None:
        """Move to step ``current`` with ``values`` = ``[(name, value for the last step), ...]``.

        ``finalize`` (by default: ``current`` reached the target) draws the final state; an
        unknown target becomes ``current`` then.
        """
        state = self._state
        if finalize is None:
            finalize = state.target is not None and current >= state.target
        values = values or ()
        # the clock is read at most once per update: here for the first step's time, or below
        now = self._clock() if self._verbose and state.first is None and current > 0 else None
        state.record(current, values, now=now)
        if self._writer is not None:
            step = self._step_offset + current
            for name, _ in values:
                self._writer.add_scalar(self._tag_prefix + name, state.mean(name), step)
            _remember(self._writer, step)
        if finalize and self._verbose:
            state.finished = True
            state.target = state.target or current
            self._draw(self._clock() if now is None else now)
        elif self._verbose == 1:
            now = self._due(current, now)
            if now is not None:
                self._draw(now)

    def add(self, n: int, values: Iterable[tuple[str, Any]] | None = None) -> None:
        """Move ``n`` steps forward; see `update`."""
        self.update(self._state.current + n, values)

    def _due(self, current: int, now: float | None) -> float | None:
        """The clock time if an intermediate state should be drawn now, else None."""
        target = self._state.target
        if target and not self._dynamic:
            tenth = current * 10 // target
            if tenth <= self._tenth:  # only the first update of a new tenth may write a line
                return None
            self._tenth = tenth
        elif current == self._drawn:
            return None
        now = self._clock() if now is None else now
        return now if now - self._last_draw >= self._interval else None

    def _draw(self, now: float) -> None:
        state = self._state
        if self._verbose == 1 and self._dynamic:
            text = format_bar(state, now, self._width)
            end = "\n" if state.finished else ""
            self._write("\r" + text + " " * max(self._shown - len(text), 0) + end)
            self._shown = 0 if end else len(text)
        else:
            self._write(format_bar(state, now, 0) + "\n")
        self._drawn = state.current
        self._last_draw = now

    def _write(self, text: str) -> None:
        """Write and flush; a failure stops this bar's output with one warning (raises if strict)."""
        try:
            self._stream.write(text)
            self._stream.flush()
        except (OSError, ValueError) as exc:  # ValueError: a closed file
            if self._strict:
                raise
            self._verbose = 0
            name = getattr(self._stream, "name", type(self._stream).__name__)
            warnings.warn(
                f"{name}: cannot write the progress bar ({exc}); training goes on without it",
                LossboardWarning,
                stacklevel=4,
            )
