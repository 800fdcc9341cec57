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
# block length for the vectorised EMA: weight**-block must stay far below float64's 1e308
_MAX_SCALE_LOG10 = 150  # values up to 1e150 in size stay finite when scaled
_MAX_BLOCK = 4096


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
    """TensorBoard's debiased EMA over the finite values; others pass through unchanged."""
    out = np.array(values, dtype=np.float64)
    finite = np.isfinite(out)
    if weight == 0.0 or not finite.any() or (out == out[0]).all():
        return out
    x = out[finite]
    raw = _ema_recursion(x, weight)
    count = np.arange(1, len(x) + 1, dtype=np.float64)
    out[finite] = raw / -np.expm1(count * math.log(weight))  # 1 - weight**count, exact near 1
    return out


def _ema_recursion(x: np.ndarray, weight: float) -> np.ndarray:
    """``last = last * weight + (1 - weight) * x[i]`` from ``last = 0``, without a loop per point.

    The points are cut into blocks, short enough that ``w**-j`` cannot overflow. Within block
    k, from a zero start, ``local_i = (1 - w) * w**i * sum_{j<=i} x_j / w**j`` (one cumsum for
    all blocks); each block then adds ``carry_k * w**(i+1)``, the value the previous blocks
    left, and carries are a scalar recursion over blocks only.
    """
    block = min(_MAX_BLOCK, max(1, int(_MAX_SCALE_LOG10 * math.log(10) / -math.log(weight))))
    count = len(x)
    blocks = -(-count // block)
    padded = np.zeros(blocks * block)
    padded[:count] = x  # zeros after the end change nothing before it
    decay = weight ** np.arange(block, dtype=np.float64)  # w**0 .. w**(block-1)
    local = (1 - weight) * decay * np.cumsum(padded.reshape(blocks, block) / decay, axis=1)
    carries = np.empty(blocks)
    carry, across = 0.0, weight**block
    for k, end in enumerate(local[:, -1].tolist()):
        carries[k] = carry
        carry = end + carry * across
    return (local + carries[:, None] * (decay * weight)).ravel()[:count]


def time_ema(values: np.ndarray, steps: np.ndarray, half_life: float) -> np.ndarray:
    """An EMA whose weights decay by half every ``half_life`` steps, debiased; NaN and inf pass.

    It is the exact average, with weights ``2**(-age / half_life)``, of the curve the finite
    points draw when each holds its value back to the point before it: a point weighs as much
    as the steps it stands for (``1 - 2**(-gap / half_life)``), the first one as much as the
    first gap. So irregular logging (every 10 steps, then every 1,000) leaves the curve where
    the data put it, and on evenly spaced points it gives TensorBoard's debiased EMA with
    ``weight = 2**(-gap / half_life)``. Computed in the log domain with cumulative
    log-sum-exp, which neither loops per point nor overflows however many half-lives pass.
    """
    out = np.array(values, dtype=np.float64)
    finite = np.isfinite(out)
    if not finite.any() or (out[finite] == out[finite][0]).all():
        return out
    x = out[finite]
    t = np.asarray(steps, dtype=np.float64)[finite]
    rate = math.log(2) / half_life
    first_gap = t[1] - t[0] if len(t) > 1 and t[1] > t[0] else half_life
    gaps = np.diff(t, prepend=t[0] - first_gap)
    with np.errstate(divide="ignore"):  # log(0): a point of weight 0 (a repeated step), or a zero value
        log_weight = np.log(-np.expm1(-rate * gaps)) + rate * (t - t[0])
        total = np.logaddexp.accumulate(log_weight)
        above = np.logaddexp.accumulate(log_weight + np.log(np.maximum(x, 0.0)))
        below = np.logaddexp.accumulate(log_weight + np.log(np.maximum(-x, 0.0)))
    out[finite] = np.exp(above - total) - np.exp(below - total)
    return out


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
