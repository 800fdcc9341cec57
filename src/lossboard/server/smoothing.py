"""Smoothing computed over every stored point of a series, before it is downsampled.

Smoothing the whole series once (not the sample a chart happens to hold, as TensorBoard does)
keeps the curve the same at every zoom and as the run grows. ``ema`` gives the same numbers as
TensorBoard's ``classicSmoothing`` (tensorboard/webapp/widgets/line_chart_v2/data_transformer.ts):
an exponential moving average debiased by ``1 - weight**n``, non-finite values passed through
and not counted, a constant series left as it is. ``time_ema`` decays with the steps elapsed, not
with the count of points: a point's weight halves every ``window`` steps, so a stretch logged
ten times as often does not pull the curve ten times as hard (`time_ema`). ``mean`` is a
trailing moving average over ``window`` finite points.
"""

from __future__ import annotations

import math

import numpy as np

from lossboard.errors import UsageError

METHODS = ("none", "ema", "time_ema", "mean")
# rows of the vectorised EMA span at most this much decay (e**-345 ~ 1e-150): values up to
# 1e150 in size stay finite when scaled up by it
_MAX_ROW_DECAY = 150 * math.log(10)
_ROW_POINTS = (8, 4096)  # fewest and most points a row holds


def smooth(values: np.ndarray, method: str, *, weight: float = 0.6, window: int = 10,
           steps: np.ndarray | None = None) -> np.ndarray:
    """``values`` smoothed by ``method`` (one of `METHODS`); a new array of the same length.

    ``window`` is the moving average's count of points, or the time-weighted EMA's half-life
    in steps (``steps``: the series' steps, ascending; their positions when not given).
    """
    if method == "none":
        return values
    if method == "ema":
        if not 0.0 <= weight < 1.0:
            raise UsageError(f"smoothing weight must be in [0, 1), not {weight}")
        return ema(values, weight)
    if method == "time_ema":
        if not window > 0:
            raise UsageError(f"the half-life must be more than 0 steps, not {window}")
        return time_ema(values, np.arange(len(values)) if steps is None else steps, window)
    if method == "mean":
        if window < 1:
            raise UsageError(f"smoothing window must be at least 1 point, not {window}")
        return moving_mean(values, window)
    raise UsageError(f"smoothing {method!r} is not one of {', '.join(METHODS)}")


def ema(values: np.ndarray, weight: float) -> np.ndarray:
    """TensorBoard's debiased EMA over the finite values; others pass through unchanged.

    It is `time_ema` over the finite values' positions with a decay of ``-log(weight)`` a point:
    ``last = last * weight + (1 - weight) * x`` debiased by ``1 - weight**n``.
    """
    if weight == 0.0:
        return np.array(values, dtype=np.float64)
    return _decayed_mean(values, np.cumsum(np.isfinite(values)), -math.log(weight))


def time_ema(values: np.ndarray, steps: np.ndarray, half_life: float) -> np.ndarray:
    """An EMA whose weights decay by half every ``half_life`` steps, debiased; NaN and inf pass.

    It is the exact average, with weights ``2**(-age / half_life)``, of the curve the finite
    points draw when each holds its value back to the point before it: a point weighs as much
    as the steps it stands for (``1 - 2**(-gap / half_life)``), the first one as much as the
    first gap. So irregular logging (every 10 steps, then every 1,000) leaves the curve where
    the data put it, and on evenly spaced points it gives TensorBoard's debiased EMA with
    ``weight = 2**(-gap / half_life)``.
    """
    return _decayed_mean(values, steps, math.log(2) / half_life)


def _decayed_mean(values: np.ndarray, steps: np.ndarray, rate: float) -> np.ndarray:
    """The finite values averaged with weights ``(1 - e**(-rate * gap)) * e**(-rate * age)``.

    The weights of the points up to step ``t`` telescope to ``1 - e**(-rate * (t - t0 + first
    gap))``, so only the weighted sum needs a recursion (`_decayed_sum`). Every operation on a
    whole series works in place where it can: a new array of a million points costs as much
    in page faults as the arithmetic on it.
    """
    values = np.asarray(values, dtype=np.float64)
    finite = np.isfinite(values)
    everywhere = bool(finite.all())
    x = values if everywhere else values[finite]
    if not len(x) or (x == x[0]).all():
        return np.array(values)
    elapsed = np.array(steps if everywhere else np.asarray(steps)[finite], dtype=np.float64)
    first_gap = elapsed[1] - elapsed[0] if len(x) > 1 and elapsed[1] > elapsed[0] else math.log(2) / rate
    elapsed -= elapsed[0]
    elapsed *= rate
    weighted = np.empty_like(x)  # -(1 - e**(-rate * gap)) * x: the share of each point's gap, negated
    weighted[0] = -rate * first_gap
    np.subtract(elapsed[:-1], elapsed[1:], out=weighted[1:])
    np.expm1(weighted, out=weighted)
    weighted *= x
    smoothed = _decayed_sum(weighted, elapsed)
    elapsed += rate * first_gap
    np.negative(elapsed, out=elapsed)
    smoothed /= np.expm1(elapsed, out=elapsed)  # both negated: -sum / -(sum of the weights)
    if everywhere:
        return smoothed
    out = np.array(values)
    out[finite] = smoothed
    return out


def _decayed_sum(u: np.ndarray, elapsed: np.ndarray) -> np.ndarray:
    """``s[i] = sum(u[j] * e**(elapsed[j] - elapsed[i]) for j <= i)``, without a loop per point.

    ``s[i] = s[i-1] * e**-(elapsed[i] - elapsed[i-1]) + u[i]``, a recursion numpy has no
    primitive for. The points are cut into rows spanning about `_MAX_ROW_DECAY` each; within a
    row, from a zero start, ``s`` is a cumsum of ``u`` scaled by ``e**elapsed`` from the row's
    start (one cumsum for all rows); what the rows before left is the same recursion over
    the rows' first points, a few hundred times shorter.
    """
    count = len(u)
    per_row = _row_points(elapsed)
    whole = count - count % per_row
    out = np.empty(count)
    parts = []  # (u, elapsed, out) as rows: the whole rows, then the shorter last one
    if whole:
        parts.append((u[:whole].reshape(-1, per_row), elapsed[:whole].reshape(-1, per_row),
                      out[:whole].reshape(-1, per_row)))
    if whole < count:
        parts.append((u[whole:][None], elapsed[whole:][None], out[whole:][None]))
    decays = [_rows_from_zero(*part) for part in parts]
    if count > per_row:
        starts = np.concatenate([e2[:, 0] for _, e2, _ in parts])
        lasts = np.concatenate([e2[:, -1] for _, e2, _ in parts])
        ends = np.concatenate([local[:, -1] for _, _, local in parts])
        left = np.zeros(len(starts))  # what each row leaves at the next row's first point
        left[1:] = ends[:-1] * np.exp(lasts[:-1] - starts[1:])
        carries = _decayed_sum(left, starts)  # the same recursion, one point a row
        first = 0
        for (_, _, local), decay in zip(parts, decays):
            decay *= carries[first:first + len(local), None]
            local += decay
            first += len(local)
    return out


def _row_points(elapsed: np.ndarray) -> int:
    """Points a row of `_decayed_sum` holds: as many as span `_MAX_ROW_DECAY` on average, fewer
    while more than 1 row in 100 spans more (pauses in logging bunch the decay together)."""
    span = float(elapsed[-1] - elapsed[0])
    per_row = len(elapsed) if span <= 0 else int(len(elapsed) * _MAX_ROW_DECAY / span)
    per_row = min(_ROW_POINTS[1], max(_ROW_POINTS[0], per_row))
    while per_row > _ROW_POINTS[0]:
        ends = elapsed[per_row - 1 :: per_row]
        if np.count_nonzero(ends - elapsed[: len(ends) * per_row : per_row] > _MAX_ROW_DECAY) * 100 <= len(ends):
            break
        per_row //= 2
    return max(per_row, _ROW_POINTS[0])


def _rows_from_zero(u: np.ndarray, elapsed: np.ndarray, out: np.ndarray) -> np.ndarray:
    """Each row of `_decayed_sum` from a zero start, into ``out``; returns the decay from each
    row's first point. A row spanning more than `_MAX_ROW_DECAY` (a long pause in logging)
    would overflow when scaled and is summed in the log domain instead."""
    decay = elapsed - elapsed[:, :1]
    np.negative(decay, out=decay)
    np.exp(decay, out=decay)
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):  # wide rows: replaced below
        np.divide(u, decay, out=out)
        np.cumsum(out, axis=1, out=out)
        out *= decay
    wide = elapsed[:, -1] - elapsed[:, 0] > _MAX_ROW_DECAY
    if wide.any():
        since_row = elapsed[wide] - elapsed[wide, :1]
        with np.errstate(divide="ignore"):  # log(0): a zero term
            above = np.logaddexp.accumulate(np.log(np.maximum(u[wide], 0.0)) + since_row, axis=1)
            below = np.logaddexp.accumulate(np.log(np.maximum(-u[wide], 0.0)) + since_row, axis=1)
        out[wide] = np.exp(above - since_row) - np.exp(below - since_row)
    return decay


def moving_mean(values: np.ndarray, window: int) -> np.ndarray:
    """The mean of each finite value and the ``window - 1`` finite values before it."""
    out = np.array(values, dtype=np.float64)
    finite = np.isfinite(out)
    x = out[finite]
    if not len(x):
        return out
    sums = np.cumsum(np.concatenate([[0.0], x]))
    ends = np.arange(1, len(x) + 1)
    starts = np.maximum(0, ends - window)
    out[finite] = (sums[ends] - sums[starts]) / (ends - starts)
    return out
