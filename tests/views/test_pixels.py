"""Lines reduced to their pixel columns: bounded in size, and drawn the same as every point."""

from __future__ import annotations

import numpy as np

from lossboard.views.figures import FigureSpec, Line
from lossboard.views.pixels import reduce_line
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


def test_drawing_the_reduced_line_inks_the_same_pixels_as_drawing_every_point() -> None:
    """Issue 12: a plot from the reduced lines is visually lossless against all points.

    Antialiased edges differ in shade (thousands of overlapping strokes against four a
    column), so the comparison is of ink: per pixel column, the highest and lowest touched
    row (any channel < 245) must be the same, allowing at most 1% of the columns to differ by
    at most 3 pixels; and at most 0.5% of the pixels drawn dark (< 160) from every point may
    be blank (all > 245) in the reduced figure. Measured: 3 columns, 48 of 22,759 pixels.
    """
    x, y = random_walk(200_000)
    y[[1_000, 90_000, 150_000]] += [80.0, -120.0, 60.0]
    y[120_000:120_050] = np.nan
    spec = FigureSpec("loss", "Loss", "epoch", "loss", [Line("r", "train", "loss", x, y, "#0072B2", "solid")])
    full, reduced = (_inside_axes(render(spec, columns=columns)) for columns in (None, COLUMNS))
    dark_full, blank_reduced = (full < 160).any(axis=2), (reduced > 245).all(axis=2)
    assert dark_full.sum() > 10_000  # the line is there
    assert (dark_full & blank_reduced).sum() <= 0.005 * dark_full.sum()
    touched_full, touched_reduced = (full < 245).any(axis=2), (reduced < 245).any(axis=2)
    columns = touched_full.any(axis=0)
    assert np.array_equal(columns, touched_reduced.any(axis=0))
    for image_full, image_reduced in ((touched_full, touched_reduced), (touched_full[::-1], touched_reduced[::-1])):
        shift = np.abs(_first_row(image_full)[columns] - _first_row(image_reduced)[columns])
        assert (shift > 0).sum() <= 0.01 * columns.sum() and shift.max() <= 3


def _inside_axes(figure) -> np.ndarray:  # type: ignore[no-untyped-def]
    """The figure's pixels inside its axes' frame (frame, ticks and legend left out)."""
    figure.canvas.draw()
    pixels = np.asarray(figure.canvas.buffer_rgba())[..., :3].astype(int)
    box = figure.axes[0].get_window_extent()
    height = pixels.shape[0]
    top, bottom = int(height - box.y1) + 3, int(height - box.y0) - 3
    return pixels[top:bottom, int(box.x0) + 3 : int(box.x1) - 3]


def _first_row(ink: np.ndarray) -> np.ndarray:
    return np.argmax(ink, axis=0).astype(int)
