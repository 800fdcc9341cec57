"""Reduce a line to what a given number of pixel columns can show, before anything draws it.

A line through each column's first, last, lowest and highest point covers exactly the pixels
the full line covers (M4, Jugel et al. 2014), so a figure costs the same for 3 million points
as for 3 thousand and still shows every spike. The reduction is the store's M4
(`lossboard.store.downsample.m4_index`) with the pixel column as the "step": columns are
whole numbers in x order, so its buckets are the columns and NaN gaps survive as in the store.

    >>> x = np.linspace(0.0, 1.0, 1_000_000); y = np.sin(x * 50)
    >>> len(reduce_line(x, y, 800)[0]) <= 4 * 800
    True
"""

from __future__ import annotations

import numpy as np

from lossboard.store.downsample import m4_index


def reduce_line(
    x: np.ndarray, y: np.ndarray, columns: int, *, x_range: tuple[float, float] | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """The points of the line (x, y) that ``columns`` pixel columns over ``x_range`` can show.

    ``x_range`` is the span of the axis (default: the line's own), so every line of a figure
    is cut at the same column edges. Points with no x (NaN) are dropped, as a plot drops them.
    A line whose x goes back somewhere (a wall clock reset) is reduced in its own order, M4
    per run of ``len(x) / columns`` points, so nothing of it is hidden either.
    """
    if len(x) <= 4 * columns:
        return x, y
    known = np.isfinite(x)
    if not known.all():
        x, y = x[known], y[known]
        if len(x) <= 4 * columns:
            return x, y
    if np.any(x[1:] < x[:-1]):
        index = m4_index(np.arange(len(x)), y, columns)
        return x[index], y[index]
    lo, hi = x_range if x_range is not None else (float(x[0]), float(x[-1]))
    span = hi - lo
    scale = columns / span if span > 0 else 0.0
    column = np.clip(((x - lo) * scale).astype(np.int64), 0, columns - 1)
    index = m4_index(column, y, columns, lo=0, hi=columns - 1)
    return x[index], y[index]
