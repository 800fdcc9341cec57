"""The numbers of a progress bar and their text: no stream, no clock.

`BarState` keeps what Keras's Progbar keeps (position, running sums, the time of the first
update) and `format_bar` turns it into one line of text for a given time, so every drawing
decision can be tested with plain numbers. The text is the one Keras prints and lossboard's
``keras-stdout`` parser reads back::

    >>> state = BarState(target=100, start=0.0)
    >>> state.record(32, [("loss", 0.69314)], now=2.0)
    >>> format_bar(state, now=2.0, width=0)
    ' 32/100 - 2s - ETA: 4s - 62ms/step - loss: 0.6931'
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class BarState:
    """Position, running sums and timing of one bar (one epoch, in Keras's use).

    A value counts with the number of steps since the previous update (at least 1), so the
    shown mean is per step whatever the update size; a stateful metric shows its latest value.
    """

    target: int | None  # None while the total is unknown
    start: float  # clock time the bar began
    stateful: frozenset[str] = frozenset()
    unit_name: str = "step"
    current: int = 0
    finished: bool = False
    sums: dict[str, list[float]] = field(default_factory=dict)  # name -> [weighted sum, weight]
    # (position, time) of the first update: the first step's time (graph building, warm-up)
    # is left out of the time per step once later steps are known, as Keras does
    first: tuple[int, float] | None = None

    def record(self, current: int, values: Iterable[tuple[str, Any]] = (), *, now: float | None) -> None:
        """Move to ``current``, adding ``values`` (name, value for the last step)."""
        weight = max(current - self.current, 1)
        sums = self.sums
        for name, value in values:
            value = float(value)  # numpy scalars and 0-d tensors too, without importing them
            pair = sums.get(name)
            if name in self.stateful:
                sums[name] = [value, 1]
            elif pair is None:
                sums[name] = [value * weight, weight]
            else:
                pair[0] += value * weight
                pair[1] += weight
        if self.first is None and current > 0 and now is not None:
            self.first = (current, now)
        self.current = current

    def mean(self, name: str) -> float:
        """The value shown for ``name``: its step-weighted mean, or its latest if stateful."""
        total, weight = self.sums[name]
        return total / weight

    def step_time(self, now: float) -> float:
        """Seconds per step, leaving out the first update once later steps are known."""
        if self.first is not None and self.current > self.first[0]:
            position, then = self.first
            return (now - then) / (self.current - position)
        return (now - self.start) / self.current if self.current > 0 else 0.0


def format_value(value: float) -> str:
    """Four decimals, or four decimals of mantissa below 1e-3 (``0.6931``, ``2.5000e-04``)."""
    return f"{value:.4f}" if abs(value) > 1e-3 else f"{value:.4e}"


def format_step_time(seconds: float, unit_name: str = "step") -> str:
    """``2s/step``, ``61ms/step`` or ``250us/step``: whole numbers in the largest unit that fits."""
    if seconds >= 1 or seconds == 0:
        return f"{seconds:.0f}s/{unit_name}"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.0f}ms/{unit_name}"
    return f"{seconds * 1e6:.0f}us/{unit_name}"


def format_eta(seconds: float) -> str:
    """``45s``, ``2:05`` past a minute, ``1:02:05`` past an hour."""
    seconds = int(max(seconds, 0.0))
    if seconds > 3600:
        return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"
    if seconds > 60:
        return f"{seconds // 60}:{seconds % 60:02d}"
    return f"{seconds}s"


def _graphic(done: float, width: int) -> str:
    """``[=========>....................]``: Keras's ASCII bar, readable without colours."""
    filled = int(width * min(max(done, 0.0), 1.0))
    head = ">" if done < 1 else "="
    bars = "=" * (filled - 1) + head if filled else ""
    return f"[{bars}{'.' * (width - filled)}]"


def format_bar(state: BarState, now: float, width: int = 30) -> str:
    """One line for ``state`` at clock time ``now``; ``width=0`` leaves out the bar graphic.

    Parts: position/target (``Unknown`` while unknown), elapsed seconds, the ETA while
    running towards a known target, time per step, then each metric as ``name: value``.
    """
    target = state.target
    if target:
        counter = f"{state.current:{len(str(target))}d}/{target}"
        if width > 0:
            counter += " " + _graphic(state.current / target, width)
    else:
        counter = f"{state.current:7d}/Unknown"
    step_time = state.step_time(now)
    parts = [counter, f"{now - state.start:.0f}s"]
    if target and not state.finished:
        parts.append("ETA: " + format_eta(step_time * (target - state.current)))
    parts.append(format_step_time(step_time, state.unit_name))
    parts.extend(f"{name}: {format_value(state.mean(name))}" for name in state.sums)
    return " - ".join(parts)
