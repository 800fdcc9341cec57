"""Draw figure specs as charts in the terminal with plotext."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from lossboard.errors import UsageError
from lossboard.views.figures import FigureSpec


def render_figures(figures: Sequence[FigureSpec], *, width: int = 100, height: int = 25) -> str:
    """The figures as plain text charts, one after the other (no colour codes)."""
    try:
        import plotext as plt
    except ImportError as exc:
        raise UsageError("terminal charts need plotext: pip install 'lossboard[term]'") from exc
    charts = []
    for spec in figures:
        plt.clear_figure()
        plt.plotsize(width, height)
        plt.theme("clear")
        for line in spec.lines:
            finite = np.isfinite(line.x) & np.isfinite(line.y)
            if not finite.any():
                continue
            plt.plot(line.x[finite].tolist(), line.y[finite].tolist(), label=line.label, marker="braille")
        for marker in spec.markers:
            plt.vline(marker.x)
        plt.title(spec.title)
        plt.xlabel(spec.xlabel)
        plt.ylabel(spec.ylabel)
        charts.append(plt.build())
    plt.clear_figure()
    return "\n".join(charts)
