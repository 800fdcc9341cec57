"""M4 downsampling: per bucket of steps keep the first, last, minimum and maximum point.

A line drawn through those points looks the same as one drawn through every point at
``buckets`` pixels wide, and a spike is never sampled away (TensorBoard keeps a random 1,000).
The step range ``[lo, hi]`` is cut into ``buckets`` equal parts: step ``s`` falls in bucket
``floor((s - lo) * buckets / (hi - lo + 1))``. NaN is a value too, but not an extreme: the
minimum and maximum are of the bucket's other values (±inf included), and a bucket holding
NaN keeps its first NaN besides, so a diverged step and a spike next to it both show. That is
at most five points a bucket. Everything is vectorised: a million points take milliseconds.

    >>> step = np.arange(10); value = np.zeros(10); value[7] = 9.0
    >>> m4_index(step, value, 1).tolist()
    [0, 7, 9]
"""

from __future__ import annotations

import numpy as np

from lossboard.errors import UsageError


def m4_index(
    step: np.ndarray, value: np.ndarray, buckets: int, *, lo: int | None = None, hi: int | None = None
) -> np.ndarray:
    """Indices of the points M4 keeps among those with ``lo <= step <= hi``, in step order.

    ``step`` is sorted (non-decreasing; repeated steps share a bucket, which the figures' pixel
    columns rely on); ``lo`` and ``hi`` default to the first and last step.
    At most ``4 * buckets`` indices are returned, ``5 * buckets`` when values hold NaN.
    """
    if buckets < 1:
        raise UsageError(f"buckets must be at least 1, got {buckets}")
    if not len(step):
        return np.empty(0, dtype=np.intp)
    lo = int(step[0]) if lo is None else int(lo)
    hi = int(step[-1]) if hi is None else int(hi)
    if hi < lo:
        return np.empty(0, dtype=np.intp)
    # past a bucket a step every step has its own bucket anyway: more buckets keep the same points
    starts_at = edges(lo, hi, min(buckets, hi - lo + 1))
    bounds = np.searchsorted(step, starts_at)  # bounds[k]: index of bucket k's first point
    starts, stops = bounds[:-1], bounds[1:]
    filled = starts < stops
    starts, stops = starts[filled], stops[filled]
    if not len(starts):
        return np.empty(0, dtype=np.intp)
    first, last = int(starts[0]), int(stops[-1])
    window = value[first:last]
    offsets, sizes = starts - first, stops - starts
    missing = np.isnan(window)
    parts = [starts, stops - 1]
    if missing.any():
        # NaN aside: an all-NaN bucket's "extremes" are then its first NaN, which is kept anyway
        lows = first_match(np.where(missing, np.inf, window), offsets, np.minimum, sizes)
        highs = first_match(np.where(missing, -np.inf, window), offsets, np.maximum, sizes)
        nans = np.flatnonzero(missing)
        at = np.searchsorted(nans, offsets)
        has_nan = (at < len(nans)) & (nans[np.minimum(at, len(nans) - 1)] < offsets + sizes)
        parts.append(nans[at[has_nan]] + first)
    else:
        lows = first_match(window, offsets, np.minimum, sizes)
        highs = first_match(window, offsets, np.maximum, sizes)
    parts += [lows + first, highs + first]
    kept = np.sort(np.concatenate(parts))
    return kept[np.concatenate([[True], kept[1:] != kept[:-1]])]  # np.unique hashes: slower here


def edges(lo: int, hi: int, buckets: int) -> np.ndarray:
    """The first step of each bucket, then ``hi + 1``: ``lo + ceil(k * span / buckets)``.

    Written as ``k * q + ceil(k * r / buckets)`` with ``span = q * buckets + r`` so that
    no product overflows int64 however large the steps are.
    """
    span = hi - lo + 1
    q, r = divmod(span, buckets)
    k = np.arange(buckets + 1, dtype=np.int64)
    return lo + k * q + (k * r + buckets - 1) // buckets


def first_match(
    window: np.ndarray, offsets: np.ndarray, reduce: np.ufunc, sizes: np.ndarray
) -> np.ndarray:
    """Per bucket, the offset of its first point equal to the bucket's ``reduce`` (NaN-free)."""
    targets = reduce.reduceat(window, offsets)
    hit = window == np.repeat(targets, sizes)
    # every bucket holds its own target, so its first is the hit after those of the buckets
    # before it: counted in one pass rather than searched for
    before = np.cumsum(hit, dtype=_count_type(len(hit)))[offsets] - hit[offsets]
    return np.flatnonzero(hit)[before]


def _count_type(length: int) -> type:
    """The narrowest integer a running count to ``length`` fits: numpy sums bools into int32
    about 5x faster than into its default int64."""
    return np.int32 if length < 2**31 else np.int64
