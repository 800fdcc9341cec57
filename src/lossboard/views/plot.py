"""Render figure specs with matplotlib: into PNG, SVG or PDF files, or as figures in a notebook.

What matplotlib gets is bounded by pixels, not points: every line is first reduced to what the
figure's pixel columns can show (`lossboard.views.pixels`), so a 3-million-point log draws as
fast as a small one. The legend has a fixed place outside the axes, never matplotlib's "best"
search (quadratic in points), and shows at most `LEGEND_ENTRIES` lines and "+N more". Names
are drawn as plain text: a run called ``$\\alpha$`` is not mathtext.
"""

from __future__ import annotations

import re
import warnings
import zlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from lossboard.errors import LossboardError, LossboardWarning, UsageError
from lossboard.model import LR_CHANGE, RESUME
from lossboard.views.figures import LR, FigureSpec, Line, Marker, x_span
from lossboard.views.pixels import reduce_line

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from lossboard.model import Run

IMAGE_FORMATS = ("png", "svg", "pdf")
LEGEND_ENTRIES = 16
FIGURE_SIZE_IN = (8.0, 5.0)
DPI = 150
COLUMNS = int(FIGURE_SIZE_IN[0] * DPI)  # pixel columns of the whole figure: the axes have fewer
_LABEL_CHARS = 48
_LABELLED_MARKERS = 12
_STEM_CHARS = 48
_DASHES = {"solid": "-", "dashed": "--", "dotted": ":", "dashdot": "-."}


class FigureError(LossboardError):
    """Some figures could not be drawn; ``written`` holds the files of those that could."""

    def __init__(self, failures: list[str], written: list[Path]) -> None:
        self.failures, self.written = failures, written
        super().__init__(f"{len(failures)} figure(s) not drawn, the other {len(written)} written: " + "; ".join(failures))


def write_figures(figures: Sequence[FigureSpec], out_dir: str | Path, *, image_format: str = "png") -> list[Path]:
    """Draw every figure into ``out_dir`` (created if needed) and return the files written.

    Each figure gets its own short file name, unique among them (`file_names`). A figure that
    fails does not stop the others: they are written and a `FigureError` then names it.
    Uses matplotlib's object API (no pyplot state), so it is safe in servers and threads.
    """
    if image_format not in IMAGE_FORMATS:
        raise UsageError(f"image format must be one of {', '.join(IMAGE_FORMATS)}, not {image_format!r}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    # a fixed creation date keeps SVG/PDF output byte-for-byte reproducible
    metadata = {"svg": {"Date": None}, "pdf": {"CreationDate": None}}.get(image_format, {})
    written, failures = [], []
    for spec, name in zip(figures, file_names([spec.key for spec in figures], image_format)):
        path = out / name
        try:
            render(spec).savefig(path, format=image_format, metadata=metadata)
        except (ValueError, OverflowError, OSError, RuntimeError) as error:
            failures.append(f"{spec.title!r} ({path}): {error}")
            continue
        written.append(path)
    if failures:
        raise FigureError(failures, written)
    return written


class Figures(list):
    """The figures `plot` returns: a list of matplotlib figures that Jupyter shows inline."""

    def _ipython_display_(self) -> None:
        from IPython.display import display

        for figure in self:
            display(figure)


def plot(
    runs_or_paths: Any,
    *,
    x: str = "epoch",
    smooth: float = 0.0,
    network: str | None = None,
    dataset: str | None = None,
) -> Figures:
    """Draw the standard figures of runs (or of the logs at paths) and return them.

    As a cell's result in Jupyter they show inline; elsewhere save them with
    ``figure.savefig(...)``. A figure that cannot be drawn is left out with a `LossboardWarning`.

        >>> figures = lossboard.plot("logs/", x="step", smooth=0.6)  # doctest: +SKIP
    """
    from lossboard.views.figures import build_figures

    runs = _as_runs(runs_or_paths)
    figures = Figures()
    for spec in build_figures(runs, x=x, smoothing=smooth, network=network, dataset=dataset, columns=COLUMNS):
        try:
            figures.append(render(spec))
        except (ValueError, OverflowError, RuntimeError) as error:
            warnings.warn(f"figure {spec.title!r} not drawn: {error}", LossboardWarning, stacklevel=2)
    return figures


def render(spec: FigureSpec) -> Figure:
    """One figure spec as a matplotlib `Figure`, its legend outside the axes."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    with _plain_text():
        figure = Figure(figsize=FIGURE_SIZE_IN, dpi=DPI, layout="constrained")
        FigureCanvasAgg(figure)
        draw(spec, figure.add_subplot())
        _legend(figure, figure.axes[0])
    return figure


def draw(spec: FigureSpec, axes: Axes) -> None:
    """Draw one figure spec on matplotlib ``axes``: batch-level lines first, thin and faint;
    a smoothed line over its raw values, drawn faint underneath."""
    x_range = x_span([line.x for line in spec.lines])
    for line in sorted(spec.lines, key=lambda item: (not item.is_raw, not item.is_batch)):
        width, alpha = (0.7, 0.35) if line.is_batch else (1.8, 1.0)
        if line.is_raw:
            width, alpha = width * 0.6, alpha * 0.3
        axes.plot(*reduce_line(line.x, line.y, COLUMNS, x_range=x_range), linestyle=_DASHES[line.style],
                  color=line.color, linewidth=width, alpha=alpha, label=None if line.is_raw else _legend_text(line))
    _draw_markers(spec.markers, axes)
    axes.set_title(spec.title)
    axes.set_xlabel(spec.xlabel)
    axes.set_ylabel(spec.ylabel)
    if spec.key == LR and _spans_decades(spec.lines):
        axes.set_yscale("log")
    axes.grid(True, alpha=0.3)


def _draw_markers(markers: Sequence[Marker], axes: Axes) -> None:
    """Resumes and lr changes as vertical lines, one collection per kind and colour; each
    labelled once, unless a kind has so many (an lr change per epoch) that labels would bury
    the curves: then the legend counts them."""
    groups: dict[tuple[str, str], list[Marker]] = {}
    for marker in markers:
        groups.setdefault((marker.kind, marker.color), []).append(marker)
    for (kind, color), group in groups.items():
        many = len(group) > _LABELLED_MARKERS
        name = "resume" if kind == RESUME else "lr change"
        axes.vlines([m.x for m in group], 0, 1, transform=axes.get_xaxis_transform(), colors=color,
                    linestyles=":" if kind == LR_CHANGE else "--", linewidth=0.9 if not many else 0.5,
                    alpha=0.7 if not many else 0.4, label=f"{name} ({len(group)})" if many else None)
        if many:
            continue
        seen: set[str] = set()
        for marker in group:
            if marker.label not in seen:
                axes.annotate(marker.label, xy=(marker.x, 1.0), xycoords=("data", "axes fraction"), xytext=(3, -3),
                              textcoords="offset points", rotation=90, va="top", fontsize=7, color=color)
                seen.add(marker.label)


def file_names(keys: Sequence[str], extension: str) -> list[str]:
    """A short file name per figure key, unique among ``keys``.

    A key that is a plain short name keeps it (``accuracy.png``); any other (``train/损失``,
    300 characters, a clash) gets a readable ASCII part and a hash of the whole key.
    """
    names, taken = [], set()
    for key in keys:
        slug = re.sub(r"[^A-Za-z0-9._-]+", "_", key).strip("_.")
        stem = key if slug == key and len(key) <= _STEM_CHARS else f"{slug[:_STEM_CHARS] or 'metric'}-{zlib.crc32(key.encode()):08x}"
        name, count = f"{stem}.{extension}", 1
        while name.lower() in taken:  # case-insensitive file systems
            count += 1
            name = f"{stem}-{count}.{extension}"
        taken.add(name.lower())
        names.append(name)
    return names


@contextmanager
def _plain_text() -> Iterator[None]:
    """Text made here is drawn as written: no mathtext for ``$...$`` in run names or tags."""
    import matplotlib

    with matplotlib.rc_context({"text.parse_math": False}):
        yield


def _legend(figure: Figure, axes: Axes) -> None:
    handles, labels = axes.get_legend_handles_labels()
    if not handles:
        return
    if len(handles) > LEGEND_ENTRIES:
        from matplotlib.lines import Line2D

        hidden = len(handles) - (LEGEND_ENTRIES - 1)
        handles = handles[: LEGEND_ENTRIES - 1] + [Line2D([], [], linestyle="none")]
        labels = labels[: LEGEND_ENTRIES - 1] + [f"+{hidden} more"]
    figure.legend(handles, labels, loc="outside right upper", fontsize=8, frameon=False)


def _legend_text(line: Line) -> str:
    label = line.label if len(line.label) <= _LABEL_CHARS else line.label[: _LABEL_CHARS - 1] + "…"
    return "\u200b" + label if label.startswith("_") else label  # matplotlib hides labels starting with "_"


def _spans_decades(lines: Sequence[Line]) -> bool:
    positive = [line.y[line.y > 0] for line in lines]
    positive = [values for values in positive if len(values)]
    if not positive:
        return False
    return max(map(np.max, positive)) / min(map(np.min, positive)) > 50


def _as_runs(runs_or_paths: Any) -> list[Run]:
    """Runs as given, or loaded from a path or a list of paths (`lossboard.load`)."""
    from lossboard.model import Run
    from lossboard.sources import load

    items = [runs_or_paths] if isinstance(runs_or_paths, (str, Path, Run)) else list(runs_or_paths)
    runs = [item for item in items if isinstance(item, Run)]
    paths = [item for item in items if not isinstance(item, Run)]
    return runs + (list(load(*paths)) if paths else [])
