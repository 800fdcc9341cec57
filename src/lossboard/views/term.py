"""Draw figure specs as charts in the terminal with plotext.

Each line has its colour (the same run colours as the image files) and its own marker
character, so lines read apart even without colour (a pipe, where click drops the escape
codes); the legend goes under the chart, never over the curves.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from lossboard.errors import UsageError
from lossboard.views.figures import FigureSpec, x_limits
from lossboard.views.pixels import reduce_line

MARKERS = ("•", "x", "+", "o", "*", "#", "%", "@", "=", "~")


def render_figures(figures: Sequence[FigureSpec], *, width: int = 100, height: int = 25) -> str:
    """The figures as text charts, one after the other, with ANSI colour codes."""
    try:
        import plotext as plt
    except ImportError as exc:
        raise UsageError("terminal charts need plotext: pip install 'lossboard[term]'") from exc
    charts = []
    for spec in figures:
        plt.clear_figure()
        plt.plotsize(width, height)
        plt.theme("clear")
        # no faint in a terminal: the smoothed line only; batch-level first, so the epoch values are on top
        lines = sorted((line for line in spec.lines if not line.is_raw), key=lambda line: not line.is_batch)
        x_range = x_limits([line.x for line in lines])
        legend = []
        for index, line in enumerate(lines):
            x, y = reduce_line(line.x, line.y, width, x_range=x_range)
            finite = np.isfinite(x) & np.isfinite(y)
            if not finite.any():
                continue
            marker, color = MARKERS[index % len(MARKERS)], _rgb(line.color)
            plt.plot(x[finite].tolist(), y[finite].tolist(), marker=marker, color=color)
            legend.append(f"  {plt.colorize(marker, color)} {line.label}")
        for marker in spec.markers:
            plt.vline(marker.x, _rgb(marker.color))
        plt.title(spec.title)
        plt.xlabel(spec.xlabel)
        plt.ylabel(spec.ylabel)
        charts.append("\n".join([plt.build(), *legend]))
    plt.clear_figure()
    return "\n".join(charts)


def _rgb(color: str) -> tuple[int, int, int]:
    return int(color[1:3], 16), int(color[3:5], 16), int(color[5:7], 16)
