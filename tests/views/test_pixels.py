"""Lines reduced to their pixel columns: bounded in size, and drawn the same as every point."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pytest

from lossboard.views.figures import FigureSpec, Line
from lossboard.views.pixels import band, reduce_line
from lossboard.views.plot import COLUMNS, render


def random_walk(n: int, seed: int = 7) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return np.linspace(0.0, 50.0, n), np.cumsum(rng.normal(size=n))


def test_a_long_line_keeps_at_most_four_points_a_column_and_every_extreme() -> None:
    x, y = random_walk(300_000)
    y[123_456] = 1e4  # a spike one point wide
    rx, ry = reduce_line(x, y, 500)
    assert len(rx) <= 4 * 500
    assert ry.max() == 1e4 and ry.min() == y.min()
    assert rx[0] == x[0] and rx[-1] == x[-1]
    assert np.all(np.diff(rx) >= 0)


def test_a_gap_of_nan_stays_a_gap() -> None:
    x, y = random_walk(100_000)
    y[40_000:40_100] = np.nan
    _, ry = reduce_line(x, y, 300)
    assert np.isnan(ry).any()


def test_points_without_x_are_dropped_and_a_short_line_is_left_alone() -> None:
    x, y = np.array([0.0, np.nan, 2.0]), np.array([1.0, 2.0, 3.0])
    assert reduce_line(x, y, 10)[0] is x
    x, y = random_walk(10_000)
    x[5] = np.nan
    rx, _ = reduce_line(x, y, 100)
    assert np.isfinite(rx).all()


def test_a_line_whose_x_goes_back_is_still_reduced_without_losing_its_extremes() -> None:
    x, y = random_walk(50_000)
    x[25_000:] -= 30.0  # a wall clock reset halfway
    rx, ry = reduce_line(x, y, 200)
    assert len(rx) <= 4 * 200 and ry.max() == y.max() and ry.min() == y.min()


class Tolerance(NamedTuple):
    """How near the reduced figure's ink must be to every point's (`_assert_same_ink`)."""

    extents: tuple[int, ...]  # ink thresholds (any channel below) at which columns and rows are compared
    dark: int  # "dark": well inside the line
    outside: float  # share of columns whose top or bottom row may be more than a pixel outside
    blank: float  # share of the dark pixels that may be blank in the reduced figure


# An epoch-level line is opaque, 2.5 px: compared at its faint edges (245) and dark (160). A
# batch-level line is faint (alpha 0.35, its colour at full coverage (166, 206, 228)) and under
# a pixel wide: which of its pixels reach 60% of its colour (200) is antialiasing's choice (with
# every point, Agg sums the partial coverage of the strokes overlapping an edge pixel), so its
# extents are compared at a quarter of its colour (233) and its dark pixels only for blanks.
OPAQUE = Tolerance(extents=(245, 160), dark=160, outside=0.03, blank=0.005)
FAINT = Tolerance(extents=(233,), dark=200, outside=0.04, blank=0.01)
LOOKS = pytest.mark.parametrize(("is_batch", "tolerance"), [(False, OPAQUE), (True, FAINT)], ids=["opaque", "faint"])


@LOOKS
def test_drawing_the_reduced_line_inks_the_same_pixels_as_drawing_every_point(is_batch: bool, tolerance: Tolerance) -> None:
    """Issue 12: a plot from the reduced lines is visually lossless against all points.

    Antialiased edges differ in shade (thousands of overlapping strokes against one filled
    area), so the comparison is of ink (`_assert_same_ink`). A dense solid line is drawn as
    the area it inks (`pixels.band`), so this compares that area with the stroked line.
    """
    x, y = random_walk(200_000)
    y[[1_000, 90_000, 150_000]] += [80.0, -120.0, 60.0]
    y[120_000:120_050] = np.nan
    _assert_same_ink(Line("r", "train", "loss", x, y, "#0072B2", "solid", is_batch=is_batch), tolerance)


@LOOKS
def test_a_dense_line_with_holes_is_drawn_as_areas_that_ink_what_the_line_inks(is_batch: bool, tolerance: Tolerance) -> None:
    """Columns with no point (x jumps) keep the line's straight segment across them; a stretch
    of NaN or infinity wider than a column breaks the area as it breaks the line. A faint
    line's pieces overlap where a segment meets an area, and are inked there once."""
    x, y = random_walk(150_000, seed=3)
    x[60_000:] += 12.0  # no point in ~100 columns: one segment across them
    y[100_000:104_000] = np.nan  # ~12 columns without a value: a gap
    y[130_000] = np.inf
    line = Line("r", "train", "loss", x, y, "#0072B2", "solid", is_batch=is_batch)
    reduced = render(FigureSpec("loss", "Loss", "epoch", "loss", [line]))
    assert len(reduced.axes[0].patches) == 1 and not reduced.axes[0].lines  # drawn as areas
    _assert_same_ink(line, tolerance)


def test_a_dashed_line_of_hundreds_of_points_a_column_is_drawn_as_the_area_every_point_inks() -> None:
    """Drawn from every point, the dashes of a faint batch-level line of hundreds of points a
    column leave no hole between them, where M4's four points a column would show holes: it
    is drawn as its area. With a few points a column its dashes stay (holes either way).
    Measured: 9-10 of 628 columns outside, by at most 4 pixels, 31 of 10,834 dark pixels blank."""
    x, y = random_walk(200_000)  # ~320 points a column
    line = Line("r", "train", "loss", x, y, "#0072B2", "dashed", is_batch=True)
    reduced = render(FigureSpec("loss", "Loss", "epoch", "loss", [line])).axes[0]
    assert len(reduced.patches) == 1 and not reduced.lines
    _assert_same_ink(line, FAINT)
    few = Line("r", "train", "loss", x[::40], y[::40], "#0072B2", "dashed", is_batch=True)  # ~8 a column
    assert len(render(FigureSpec("loss", "Loss", "epoch", "loss", [few])).axes[0].lines) == 1


def test_band_follows_the_line_and_leaves_sparse_or_backward_lines_alone() -> None:
    x, y = random_walk(10_000)
    pieces = band(x, y, 100, x_range=(0.0, 50.0))
    assert pieces is not None and len(pieces) == 1
    upper, lower = pieces[0]
    assert tuple(upper[0]) == tuple(lower[0]) == (x[0], y[0]) and tuple(upper[-1]) == tuple(lower[-1]) == (x[-1], y[-1])
    assert upper[:, 1].max() == y.max() and lower[:, 1].min() == y.min()
    assert band(x[::50], y[::50], 100, x_range=(0.0, 50.0)) is None  # 2 points a column: stroked as it is
    backward = x.copy()
    backward[5_000:] -= 30.0
    assert band(backward, y, 100, x_range=(-30.0, 50.0)) is None


def _assert_same_ink(line: Line, tolerance: Tolerance) -> None:
    """The figure drawn from the reduced line inks what the one drawn from every point inks.

    Not pixel for pixel: a stroke spreads each point into the neighbouring columns, and of the
    points near a column's edge only its extremes are kept. So, per pixel column and ink
    threshold (``tolerance.extents``: any channel below): the same columns are inked, and the
    reduced figure's highest and lowest inked row lie within those of the full figure in that
    column and its two neighbours, give or take a pixel, in all but ``tolerance.outside`` of
    the columns, and never more than 16 pixels outside; at most ``tolerance.blank`` of the
    pixels drawn dark from every point are blank (all > 245) in the reduced figure; and no
    pixel is darker than the full figure's darkest, in any channel, by more than 2 (a faint
    line's colour inked twice). Measured, opaque: at most 12 of 630 columns outside, by at
    most 12 pixels, 15 of 18,953 dark pixels blank (the stroked M4 line drawn before the areas:
    5-14 columns, up to 11 pixels). Faint: 13-19 of ~620 columns outside, by at most 14 pixels,
    62 of 11,980 and 102 of 14,020 dark pixels blank (the stroked M4 line: 41-57 columns, up to
    20 pixels, 350 and 439 blank). The grid is off: its lines counted as ink in every column.
    """
    spec = FigureSpec("loss", "Loss", "epoch", "loss", [line])
    full, reduced = (_inside_axes(render(spec, columns=columns)) for columns in (None, COLUMNS))
    dark_full, blank_reduced = (full < tolerance.dark).any(axis=2), (reduced > 245).all(axis=2)
    assert dark_full.sum() > 10_000  # the line is there
    assert (dark_full & blank_reduced).sum() <= tolerance.blank * dark_full.sum()
    assert np.all(reduced.min(axis=(0, 1)) >= full.min(axis=(0, 1)) - 2)
    for threshold in tolerance.extents:
        ink_full, ink_reduced = (full < threshold).any(axis=2), (reduced < threshold).any(axis=2)
        columns = ink_full.any(axis=0)
        assert np.array_equal(columns, ink_reduced.any(axis=0))
        for image_full, image_reduced in ((ink_full, ink_reduced), (ink_full[::-1], ink_reduced[::-1])):
            outside = _rows_outside(_first_row(image_full)[columns], _first_row(image_reduced)[columns])
            assert (outside > 1).sum() <= tolerance.outside * columns.sum() and outside.max() <= 16


def _rows_outside(full: np.ndarray, reduced: np.ndarray) -> np.ndarray:
    """How far each column's row in ``reduced`` lies outside the rows of ``full`` in that
    column and its two neighbours."""
    near = np.stack([np.append(full[:1], full[:-1]), full, np.append(full[1:], full[-1:])])
    return np.maximum(near.min(axis=0) - reduced, reduced - near.max(axis=0)).clip(0)


def _inside_axes(figure) -> np.ndarray:  # type: ignore[no-untyped-def]
    """The figure's pixels inside its axes' frame (frame, ticks, legend and grid left out:
    a grid line would count as ink in every column)."""
    figure.axes[0].grid(False)
    figure.canvas.draw()
    pixels = np.asarray(figure.canvas.buffer_rgba())[..., :3].astype(int)
    box = figure.axes[0].get_window_extent()
    height = pixels.shape[0]
    top, bottom = int(height - box.y1) + 3, int(height - box.y0) - 3
    return pixels[top:bottom, int(box.x0) + 3 : int(box.x1) - 3]


def _first_row(ink: np.ndarray) -> np.ndarray:
    return np.argmax(ink, axis=0).astype(int)
