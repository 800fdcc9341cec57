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
) -> list[tuple[np.ndarray, np.ndarray]] | None:
    """A dense line as the area it inks: pieces, each its upper and lower edge.

    Where a line has several points in a pixel column, the stroke through them inks that
    column from their lowest to their highest value, and nothing else: so the column's
    min..max, side by side with its neighbours', is the picture, and drawing that area (its
    outline stroked as wide as the line, or grown by half the width, `grown`) costs a fraction
    of stroking the zig-zag up and down each column. The edges pass through each column's
    extremes where they are, dipping between two columns only to the lower top (higher
    bottom) or to where the line crosses, so the area reaches into the neighbours as the
    line's stroke does (`tests/views/test_pixels.py`). Across columns with no point between
    two with points, both edges run along the straight segment the line draws there. A NaN or
    infinity breaks the area as it breaks a line: into pieces.

    Each edge is an (n, 2) array of points in x order, from the piece's first point of the
    line to its last (both edges share them); pieces come in x order. None for a line with at
    most two points a column (it is cheap to stroke as it is) or whose x goes back somewhere.
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
    # an area of adjacent columns ends where the line is broken (a NaN) or skips columns, and
    # a piece where it is broken: the edges of the areas of a piece are joined by the segment
    # the line draws across the empty columns between them
    broken = np.concatenate([[True], after_gap[starts[1:] - 1] | (at[1:] != at[:-1] + 1)])
    firsts = np.flatnonzero(broken)
    lasts = np.append(firsts[1:], len(starts)) - 1
    piece_ends = np.append(after_gap[starts[firsts[1:]] - 1], True)
    points = np.column_stack([xs, ys])
    pieces, uppers, lowers = [], [], []
    for first, last, piece_end in zip(firsts.tolist(), lasts.tolist(), piece_ends.tolist()):
        part = slice(first, last + 1)
        start, end = points[starts[first]], points[ends[last]]
        uppers += [start, _with_dips(top_x[part], high[part], edge[first:last], top_dip[first:last]), end]
        lowers += [start, _with_dips(bottom_x[part], low[part], edge[first:last], bottom_dip[first:last]), end]
        if piece_end:
            pieces.append((np.vstack(uppers), np.vstack(lowers)))
            uppers, lowers = [], []
    return pieces


def outline(upper: np.ndarray, lower: np.ndarray) -> np.ndarray:
    """The outline of a `band` piece: along its upper edge, back along its lower one."""
    return np.concatenate([upper, lower[-2::-1]])


# the octagon around a pen of radius 1, as the heights of its upper half at its corners' x:
# at most 8% wider than the round pen anywhere, never narrower
_PEN_X = np.array([-1.0, -np.tan(np.pi / 8), np.tan(np.pi / 8), 1.0])
_PEN_Y = _PEN_X[[2, 3, 3, 2]]


def grown(upper: np.ndarray, lower: np.ndarray, radius: float, scale: tuple[float, float]) -> np.ndarray:
    """The outline of what a round pen of ``radius`` pixels inks drawn all over a `band`
    piece: the area the line's stroke covers, to be filled, not stroked (a stroked edge over a
    fill shows darker through a translucent colour). ``scale`` is the axes' pixels per unit of
    x and y. Clockwise, as every such outline, so that filling several with the nonzero rule
    (as Agg fills) inks where they overlap once, as a line's stroke does where it crosses itself.

    The pen is the octagon around the round one (`_PEN_X`); its upper edge drawn over the
    upper edge is the top (`_envelope`), its lower edge over the lower edge the bottom.
    """
    pixels = np.asarray(scale, dtype=float)
    top_edge, bottom_edge = upper * pixels, lower * (pixels * (1.0, -1.0))
    x = np.unique(np.concatenate([top_edge[:, 0], bottom_edge[:, 0]])[:, None] + _PEN_X * radius)
    top, bottom = _envelope(top_edge, x, radius), -_envelope(bottom_edge, x, radius)
    return np.concatenate([np.column_stack([x, top]), np.column_stack([x, bottom])[::-1]]) / pixels


def _envelope(edge: np.ndarray, x: np.ndarray, radius: float) -> np.ndarray:
    """At each x, the highest the pen's upper edge reaches with its centre on ``edge`` (x in
    order): at most at one of the pen's corners on the edge, or one of the edge's points
    under the pen. Exact at each x; between two, straight (at most as high again as the pen
    rises between them, which is a fraction of a pixel)."""
    edge_x, edge_y = edge[:, 0], edge[:, 1]
    pen_x, pen_y = _PEN_X * radius, _PEN_Y * radius
    best = np.full(len(x), -np.inf)
    for corner_x, corner_y in zip(pen_x.tolist(), pen_y.tolist()):
        at = x + corner_x
        on_edge = (at >= edge_x[0]) & (at <= edge_x[-1])
        best[on_edge] = np.maximum(best[on_edge], np.interp(at[on_edge], edge_x, edge_y) + corner_y)
    first, stop = np.searchsorted(edge_x, x + pen_x[0], "left"), np.searchsorted(edge_x, x + pen_x[-1], "right")
    for offset in range(int((stop - first).max(initial=0))):
        under = np.flatnonzero(first + offset < stop)
        point = first[under] + offset
        best[under] = np.maximum(best[under], edge_y[point] + np.interp(edge_x[point] - x[under], pen_x, pen_y))
    return best


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
