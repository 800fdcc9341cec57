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
    column = _columns(x, columns, x_range if x_range is not None else (float(x[0]), float(x[-1])))
    index = m4_index(column, y, columns, lo=0, hi=columns - 1)
    return x[index], y[index]


def _columns(x: np.ndarray, columns: int, x_range: tuple[float, float]) -> np.ndarray:
    """The pixel column of each x: ``columns`` equal slices of ``x_range``."""
    lo, hi = x_range
    scale = columns / (hi - lo) if hi > lo else 0.0
    return np.clip(((x - lo) * scale).astype(np.int64), 0, columns - 1)


def band(
    x: np.ndarray, y: np.ndarray, columns: int, *, x_range: tuple[float, float]
) -> tuple[list[np.ndarray], list[np.ndarray]] | None:
    """A dense line as the area it inks: outlines to fill, and segments to stroke.

    Where a line has several points in a pixel column, the stroke through them inks that
    column from their lowest to their highest value, and nothing else: so the column's
    min..max, side by side with its neighbours', is the picture, and filling that outline
    (its edge stroked as wide as the line) draws it for a fraction of the cost of stroking
    the zig-zag up and down each column. The outline passes through each column's extremes
    where they are, dipping between two columns only to the lower top (higher bottom) or to
    where the line crosses, so its stroke reaches into the neighbours as the line's does
    (`tests/views/test_pixels.py`). Columns with no point between two with points keep the
    straight segment the line draws across them; a NaN or infinity breaks the area as it
    breaks a line. Outlines run from the first point to the last one, as the line does.

    None for a line with at most two points a column (it is cheap to stroke as it is) or
    whose x goes back somewhere.
    """
    keep = np.flatnonzero(np.isfinite(x) & np.isfinite(y))
    if len(keep) < 2 or np.any(x[keep[1:]] < x[keep[:-1]]):
        return None
    xs, ys = x[keep], y[keep]
    column = _columns(xs, columns, x_range)
    after_gap = keep[1:] != keep[:-1] + 1  # a NaN between two points (or a point without x)
    starts = np.flatnonzero(np.concatenate([[True], (column[1:] != column[:-1]) | after_gap]))
    if len(xs) <= 2 * len(starts):
        return None
    ends = np.append(starts[1:], len(xs)) - 1
    low, high = np.minimum.reduceat(ys, starts), np.maximum.reduceat(ys, starts)
    at = column[starts]
    top_x, bottom_x = xs[_first_where(ys, high, starts)], xs[_first_where(ys, low, starts)]
    lo, hi = x_range
    edge = lo + (at[:-1] + 1) * ((hi - lo) / columns)
    ends_at, next_start = ys[ends[:-1]], ys[starts[1:]]
    top_dip = np.maximum.reduce([np.minimum(high[:-1], high[1:]), ends_at, next_start])
    bottom_dip = np.minimum.reduce([np.maximum(low[:-1], low[1:]), ends_at, next_start])
    # a new area where the line is broken (a NaN) or skips columns (then a segment joins them)
    broken = np.concatenate([[True], after_gap[starts[1:] - 1] | (at[1:] != at[:-1] + 1)])
    firsts = np.flatnonzero(broken)
    lasts = np.append(firsts[1:], len(starts)) - 1
    outlines = []
    for first, last in zip(firsts.tolist(), lasts.tolist()):
        part = slice(first, last + 1)
        start, end = (xs[starts[first]], ys[starts[first]]), (xs[ends[last]], ys[ends[last]])
        top = _with_dips(top_x[part], high[part], edge[first:last], top_dip[first:last])
        bottom = _with_dips(bottom_x[part], low[part], edge[first:last], bottom_dip[first:last])
        outlines.append(np.concatenate([[start], top, [end], bottom[::-1], [start]]))
    joined = ~after_gap[starts[firsts[1:]] - 1]  # areas apart only by empty columns: the line's segment
    segments = [np.array([[xs[ends[a]], ys[ends[a]]], [xs[starts[b]], ys[starts[b]]]])
                for a, b in zip(lasts[:-1][joined].tolist(), firsts[1:][joined].tolist())]
    return outlines, segments


def _first_where(values: np.ndarray, wanted: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Per group (groups start at ``starts``), the index of its first value equal to its ``wanted``."""
    sizes = np.diff(np.append(starts, len(values)))
    hits = np.flatnonzero(values == np.repeat(wanted, sizes))
    group = np.searchsorted(starts, hits, side="right") - 1
    return hits[np.unique(group, return_index=True)[1]]


def _with_dips(x: np.ndarray, y: np.ndarray, dip_x: np.ndarray, dip_y: np.ndarray) -> np.ndarray:
    """The points (x, y) with a point (dip_x, dip_y) between each two."""
    points = np.empty((2 * len(x) - 1, 2))
    points[0::2, 0], points[0::2, 1] = x, y
    points[1::2, 0], points[1::2, 1] = dip_x, dip_y
    return points
