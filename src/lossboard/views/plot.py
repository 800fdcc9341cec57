"""Render figure specs with matplotlib: into PNG, SVG or PDF files, or as figures in a notebook.

What matplotlib gets is bounded by pixels, not points: every line is first reduced to what the
figure's pixel columns can show (`lossboard.views.pixels`), so a 3-million-point log draws as
fast as a small one. The legend has a fixed place outside the axes, never matplotlib's "best"
search (quadratic in points), and shows at most `LEGEND_ENTRIES` lines and "+N more". Names
are drawn as plain text: a run called ``$\\alpha$`` is not mathtext.
"""

from __future__ import annotations

import math
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
from lossboard.views.figures import LR, FigureSpec, Line, Marker, build_figures, x_limits
from lossboard.views.pixels import band, grown, outline, reduce_line

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from lossboard.model import Run
    from lossboard.views.drawers import Drawers

IMAGE_FORMATS = ("png", "svg", "pdf")
LEGEND_ENTRIES = 16
AXES_IN = (6.9, 4.0)  # the plotting area, whatever the legend; the figure adds margins and legend
DPI = 100  # matplotlib's own default; 150 costs 2.2x the pixels to stroke and encode
COLUMNS = round(AXES_IN[0] * DPI)  # pixel columns of the axes: lines are reduced to these
BLANK_TICKS = 12  # tick marks a side made ahead in a `blank_figure`: about as many as matplotlib's locators place
_MARGINS_IN = (0.85, 0.25, 0.6, 0.45)  # left (tick labels, y label), right, bottom, top (title)
_LEGEND_POINTS = 8
_BREAK = np.full((1, 2), np.nan)
_LABEL_CHARS = 48
_LABELLED_MARKERS = 12
_STEM_CHARS = 48
_DASHES = {"solid": "-", "dashed": "--", "dotted": ":", "dashdot": "-."}
DASHES_MERGE = 100  # points a pixel column from which a dashed line drawn from every point is solid
_MARKER_DASHES = {RESUME: "--", LR_CHANGE: ":"}
_RUG = {LR_CHANGE: (0.97, 1.0), RESUME: (0.0, 0.03)}  # where many markers of a kind go (axes fraction)


class FigureError(LossboardError):
    """Some figures could not be drawn; ``written`` holds the files of those that could."""

    def __init__(self, failures: list[str], written: list[Path]) -> None:
        self.failures, self.written = failures, written
        super().__init__(f"{len(failures)} figure(s) not drawn, the other {len(written)} written: " + "; ".join(failures))


def write_figures(
    figures: Sequence[FigureSpec], out_dir: str | Path, *, image_format: str = "png", drawers: Drawers | None = None
) -> list[Path]:
    """Draw every figure into ``out_dir`` (created if needed) and return the files written.

    Each figure gets its own short file name, unique among them (`file_names`). A figure that
    fails does not stop the others: they are written and a `FigureError` then names it.
    ``drawers`` (`lossboard.views.drawers`) draws them in processes that have matplotlib ready.
    Uses matplotlib's object API (no pyplot state), so it is safe in servers and threads.
    """
    if image_format not in IMAGE_FORMATS:
        raise UsageError(f"image format must be one of {', '.join(IMAGE_FORMATS)}, not {image_format!r}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    jobs = [(spec, out / name) for spec, name in zip(figures, file_names([spec.key for spec in figures], image_format))]
    if drawers is None:
        failures = [write_figure(spec, path, image_format=image_format) for spec, path in jobs]
    else:
        failures = drawers.draw(jobs, image_format)
    written = [path for (_, path), failure in zip(jobs, failures) if failure is None]
    if any(failures):
        raise FigureError([failure for failure in failures if failure], written)
    return written


def write_figure(
    spec: FigureSpec, path: Path, *, image_format: str, blank: tuple[Figure, Axes] | None = None
) -> str | None:
    """Draw one figure into ``path``, on ``blank`` if given (`blank_figure`): None, or why it
    could not be drawn."""
    # a fixed creation date keeps SVG/PDF output byte-for-byte reproducible
    metadata = {"svg": {"Date": None}, "pdf": {"CreationDate": None}}.get(image_format, {})
    # zlib level 1: the same pixels, ~10% of a figure's CPU less than level 6 for ~1.1x the bytes
    options = {"pil_kwargs": {"compress_level": 1}} if image_format == "png" else {}
    try:
        # not cleared once saved: `Figure.clear` builds the axes anew (~5% of a figure's CPU), and
        # the lines it would free early are reduced to pixel columns (400 runs: +9 MB at the peak)
        render(spec, blank=blank).savefig(path, format=image_format, metadata=metadata, **options)
    except (ValueError, OverflowError, OSError, RuntimeError) as error:
        return f"{spec.title!r} ({path}): {error}"
    return None


def warm_up() -> None:
    """Pay matplotlib's first-use costs now (imports, font lookup, PNG writer), as a drawing
    process does while the runs are loaded elsewhere."""
    import io

    spec = FigureSpec("warm-up", "warm-up", "epoch", "value",
                      [Line("", "warm-up", "", np.arange(2.0), np.arange(2.0), "#000000", "solid")])
    render(spec).savefig(io.BytesIO(), format="png", pil_kwargs={"compress_level": 1})


class Figures(list):
    """The figures `plot` returns: a list of matplotlib figures that a notebook shows inline.

    Jupyter (and any front end that renders ``_repr_html_``) draws them as PNG images, one
    after the other, whether or not pyplot and its inline backend were ever set up.
    """

    def _repr_html_(self) -> str:
        import base64
        import html
        import io

        images = []
        for figure in self:
            buffer = io.BytesIO()
            figure.savefig(buffer, format="png")
            data = base64.b64encode(buffer.getvalue()).decode("ascii")
            title = html.escape(figure.axes[0].get_title() if figure.axes else "", quote=True)
            images.append(f'<img alt="{title}" src="data:image/png;base64,{data}"/>')
        return "\n".join(images)


def plot(
    runs_or_paths: Any,
    *,
    x: str = "epoch",
    smooth: float = 0.0,
    network: str | None = None,
    dataset: str | None = None,
) -> Figures:
    """Draw the standard figures of runs (or of the logs at paths) and return them.

    As a cell's result in Jupyter they show inline (`Figures`); elsewhere save them with
    ``figure.savefig(...)``. A figure that cannot be drawn is left out with a `LossboardWarning`.

        >>> figures = lossboard.plot("logs/", x="step", smooth=0.6)  # doctest: +SKIP
    """
    runs = _as_runs(runs_or_paths)
    figures = Figures()
    for spec in build_figures(runs, x=x, smoothing=smooth, network=network, dataset=dataset, columns=COLUMNS):
        try:
            figures.append(render(spec))
        except (ValueError, OverflowError, RuntimeError) as error:
            warnings.warn(f"figure {spec.title!r} not drawn: {error}", LossboardWarning, stacklevel=2)
    return figures


def render(spec: FigureSpec, *, columns: int | None = COLUMNS, blank: tuple[Figure, Axes] | None = None) -> Figure:
    """One figure spec as a matplotlib `Figure`, its legend outside the axes on the right.

    The layout is fixed, not searched: the axes keep `AXES_IN` whatever the legend holds, and
    the figure grows to the right by the legend's width, so no line is ever under it.
    ``columns=None`` draws every point (for comparison: the picture is the same). ``blank``, a
    `blank_figure` made ahead, is drawn on (once) rather than a new figure.
    """
    entries = _legend_entries(spec)
    legend_in = _legend_width_in([label for _, label in entries])
    # whole pixels, so that the axes' edges fall on pixel edges and the columns are the pixels
    width_in = math.ceil((AXES_IN[0] + _MARGINS_IN[0] + _MARGINS_IN[1] + legend_in) * DPI) / DPI
    height_in = AXES_IN[1] + sum(_MARGINS_IN[2:])
    figure, axes = blank or blank_figure(ticks=0)
    with _plain_text():
        figure.set_size_inches(width_in, height_in)
        left, bottom = _MARGINS_IN[0] / width_in, _MARGINS_IN[2] / height_in
        axes.set_position((left, bottom, AXES_IN[0] / width_in, AXES_IN[1] / height_in))
        draw(spec, axes, columns=columns)
        if entries:
            figure.legend([handle for handle, _ in entries], [label for _, label in entries], loc="upper left",
                          bbox_to_anchor=(left + (AXES_IN[0] + 0.1) / width_in, bottom + AXES_IN[1] / height_in),
                          fontsize=_LEGEND_POINTS, frameon=False, borderaxespad=0)
    return figure


def blank_figure(*, ticks: int = BLANK_TICKS) -> tuple[Figure, Axes]:
    """An empty figure and its axes for `render`, with ``ticks`` tick marks made on each axis.

    matplotlib makes a tick mark (five artists, copied property by property) when a draw first
    needs it: ~10 ms of a ~80 ms figure. A drawing process makes its blanks while the runs load.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    with _plain_text():
        figure = Figure(dpi=DPI)
        FigureCanvasAgg(figure)
        axes = figure.add_axes((0.0, 0.0, 1.0, 1.0))
        if ticks:
            axes.xaxis.get_major_ticks(ticks)
            axes.yaxis.get_major_ticks(ticks)
    return figure, axes


def draw(spec: FigureSpec, axes: Axes, *, columns: int | None = COLUMNS) -> None:
    """Draw one figure spec on matplotlib ``axes``: faint raw values under smoothed lines,
    batch-level lines thin and faint under epoch-level ones. A dense solid line is drawn as
    the area its stroke would ink (`_area_patch`): the same picture, a fraction of the cost.

    Lines of one look (colour, dash, weight) are drawn as one matplotlib line broken by NaN:
    400 runs are a few dozen artists, not thousands, and matplotlib still simplifies them.
    The limits are set before anything is drawn: an area grows by the line's width in pixels.
    """
    x_range = x_limits([line.x for line in spec.lines])
    groups: dict[tuple[bool, bool, str, str, bool], list[Any]] = {}
    finite = []
    for line in sorted(spec.lines, key=lambda item: (not item.is_raw, not item.is_batch)):
        x, y = (line.x, line.y) if columns is None else reduce_line(line.x, line.y, columns, x_range=x_range)
        points = np.column_stack([x, y])
        finite.append(points[np.isfinite(points).all(axis=1)])
        area = _area(line, x, y, columns, x_range) if spec.key != LR else None  # a rate's steps stay steps
        key = (line.is_raw, line.is_batch, line.color, line.style, area is not None)
        groups.setdefault(key, []).extend([points, _BREAK] if area is None else area)
    known = np.concatenate(finite) if finite else np.empty((0, 2))
    if spec.key == LR and _spans_decades(known[:, 1]):
        _log_scale(axes)
        known = known[known[:, 1] > 0]
    if len(known):
        axes.update_datalim(known)
        axes.autoscale_view(scalex=False)
    if x_range is not None:
        axes.set_xlim(x_range)
    for (is_raw, is_batch, color, style, is_area), parts in groups.items():
        width, alpha = _look(is_raw, is_batch)
        if is_area:  # add_artist: add_patch would walk every vertex in Python for the data limits
            axes.add_artist(_area_patch(parts, color, width, alpha, axes))
            continue
        joined = np.concatenate(parts)  # a NaN row between lines: one artist, still separate lines
        axes.plot(joined[:, 0], joined[:, 1], color=color, linestyle=_DASHES[style], linewidth=width, alpha=alpha,
                  drawstyle="steps-post" if spec.key == LR else "default",  # a rate holds until it changes
                  scalex=False, scaley=False)
    _draw_markers(spec.markers, axes)
    axes.set_title(spec.title)
    axes.set_xlabel(spec.xlabel)
    axes.set_ylabel(spec.ylabel)
    axes.grid(True, alpha=0.3)


def _area(
    line: Line, x: np.ndarray, y: np.ndarray, columns: int | None, x_range: tuple[float, float] | None
) -> list[tuple[np.ndarray, np.ndarray]] | None:
    """The area a dense line inks (`pixels.band`), or None to stroke the line.

    A dashed (dotted, dash-dot) zig-zag is no solid area where it has a few points a column
    (the epoch-level rank-5 line: ~11, holes between its dashes whether every point is drawn
    or only M4's), but from `DASHES_MERGE` points a column on, drawn from every point, the
    dashes of its many strokes leave no hole between them (measured for each style, faint and
    bold): that area, where M4's few strokes would show holes.
    """
    if columns is None or x_range is None:
        return None
    if line.style != "solid" and (line.points_a_column or len(line.x) / columns) < DASHES_MERGE:
        return None
    return band(x, y, columns, x_range=x_range)


def _area_patch(pieces: list[tuple[np.ndarray, np.ndarray]], color: str, width: float, alpha: float, axes: Axes) -> Any:
    """One patch for the areas of one look, inking what their lines' strokes would.

    Opaque: the outlines filled, their edges stroked as wide as the line with its own joins and
    caps. Translucent: the outlines grown by half the line's width in the axes' pixels
    (`pixels.grown`) and filled only, so that nothing is inked twice (the edge over the fill
    would show darker), as a translucent line's stroke inks its self-overlaps once.
    """
    from matplotlib.patches import PathPatch
    from matplotlib.path import Path as MplPath

    if alpha < 1.0:
        radius = width * axes.figure.dpi / 72 / 2
        shapes = [grown(upper, lower, radius, _pixels_per_unit(axes)) for upper, lower in pieces]
        look = {"facecolor": color, "edgecolor": "none", "linewidth": 0, "alpha": alpha}
    else:
        shapes = [outline(upper, lower) for upper, lower in pieces]
        look = {"facecolor": color, "edgecolor": color, "linewidth": width, "joinstyle": "round",
                "capstyle": "projecting"}
    vertices = np.concatenate(shapes)
    codes = np.full(len(vertices), MplPath.LINETO, dtype=MplPath.code_type)
    codes[np.cumsum([0] + [len(shape) for shape in shapes[:-1]])] = MplPath.MOVETO
    return PathPatch(MplPath(vertices, codes), snap=False, zorder=2, **look)


def _pixels_per_unit(axes: Axes) -> tuple[float, float]:
    """How many pixels a unit of x and of y spans on (linear) ``axes``, their limits set."""
    (x0, y0), (x1, y1) = axes.transData.transform([[0.0, 0.0], [1.0, 1.0]])
    return abs(x1 - x0), abs(y1 - y0)


def _log_scale(axes: Axes) -> None:
    """A log y axis labelled "0.1", "0.001", "1e-05" in plain text: matplotlib's own labels
    ("10^-5") are mathtext, whose grammar costs ~50 ms to build on a process's first use.
    Minor ticks stay unlabelled, as matplotlib leaves them beyond a decade (the axis is log
    only when the values span more than 50x)."""
    from matplotlib.ticker import FuncFormatter, NullFormatter

    axes.set_yscale("log")
    axes.yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
    axes.yaxis.set_minor_formatter(NullFormatter())


def _look(is_raw: bool, is_batch: bool) -> tuple[float, float]:
    """Line width and opacity: epoch-level lines bold, batch-level thin and faint, raw values
    under a smoothed line fainter still."""
    width, alpha = (0.7, 0.35) if is_batch else (1.8, 1.0)
    return (width * 0.6, alpha * 0.3) if is_raw else (width, alpha)


def _draw_markers(markers: Sequence[Marker], axes: Axes) -> None:
    """Resumes and lr changes as vertical lines, one collection per kind and colour; each
    labelled once, unless a kind has so many (an lr change per epoch) that lines and labels
    would bury the curves: then they are short ticks along the top (lr changes) or bottom
    (resumes) edge, and the legend counts them (`_legend_entries`)."""
    for (kind, color), group in _marker_groups(markers).items():
        if len(group) > _LABELLED_MARKERS:
            low, high = _RUG[kind]
            axes.vlines([m.x for m in group], low, high, transform=axes.get_xaxis_transform(), colors=color,
                        linewidth=0.9, alpha=0.7)
            continue
        axes.vlines([m.x for m in group], 0, 1, transform=axes.get_xaxis_transform(), colors=color,
                    linestyles=_MARKER_DASHES[kind], linewidth=0.9, alpha=0.7)
        seen: set[str] = set()
        for marker in group:
            if marker.label not in seen:
                axes.annotate(marker.label, xy=(marker.x, 1.0), xycoords=("data", "axes fraction"), xytext=(3, -3),
                              textcoords="offset points", rotation=90, va="top", fontsize=7, color=color)
                seen.add(marker.label)


def _marker_groups(markers: Sequence[Marker]) -> dict[tuple[str, str], list[Marker]]:
    groups: dict[tuple[str, str], list[Marker]] = {}
    for marker in markers:
        groups.setdefault((marker.kind, marker.color), []).append(marker)
    return groups


def file_names(keys: Sequence[str], extension: str) -> list[str]:
    """A short file name per figure key, unique among ``keys``.

    A key that is a plain short name keeps it (``accuracy.png``); any other (``train/损失``,
    300 characters, a clash) gets a readable ASCII part and a hash of the whole key.
    """
    names, taken = [], set()
    for key in keys:
        slug = re.sub(r"[^A-Za-z0-9._-]+", "_", key).strip("_.")
        stem = key
        if slug != key or len(key) > _STEM_CHARS:
            stem = f"{slug[:_STEM_CHARS] or 'metric'}-{zlib.crc32(key.encode()):08x}"
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


def _legend_entries(spec: FigureSpec) -> list[tuple[Any, str]]:
    """A handle and a label per legend line: at most `LEGEND_ENTRIES`, the last "+N more";
    then markers too many to label one by one, with their count."""
    from matplotlib.lines import Line2D

    shown = [line for line in spec.lines if not line.is_raw]
    rest = len(shown) - (LEGEND_ENTRIES - 1) if len(shown) > LEGEND_ENTRIES else 0
    entries: list[tuple[Any, str]] = []
    for line in shown[: len(shown) - rest]:
        width, alpha = _look(False, line.is_batch)
        handle = Line2D([], [], color=line.color, linestyle=_DASHES[line.style], linewidth=width, alpha=alpha)
        entries.append((handle, _legend_text(line)))
    if rest:
        entries.append((Line2D([], [], linestyle="none"), f"+{rest} more"))
    counted: dict[tuple[str, str], int] = {}
    for (kind, color), group in _marker_groups(spec.markers).items():
        if len(group) > _LABELLED_MARKERS:
            # once the legend leaves runs out, a colour names no one run: one entry per kind
            key = (kind, "0.4" if rest else color)
            counted[key] = counted.get(key, 0) + len(group)
    for (kind, color), count in counted.items():
        handle = Line2D([], [], color=color, linestyle="none", marker="|", markersize=6, alpha=0.7)
        entries.append((handle, f"{'resume' if kind == RESUME else 'lr change'} ({count})"))
    return entries


def _legend_width_in(labels: Sequence[str]) -> float:
    """Room for the legend: its handles and its longest label at ~0.5 em a character."""
    if not labels:
        return 0.0
    return 0.6 + max(map(len, labels)) * _LEGEND_POINTS * 0.5 / 72


def _legend_text(line: Line) -> str:
    label = line.label if len(line.label) <= _LABEL_CHARS else line.label[: _LABEL_CHARS - 1] + "…"
    return "\u200b" + label if label.startswith("_") else label  # matplotlib hides labels starting with "_"


def _spans_decades(values: np.ndarray) -> bool:
    positive = values[values > 0]
    return bool(len(positive)) and positive.max() / positive.min() > 50


def _as_runs(runs_or_paths: Any) -> list[Run]:
    """Runs as given, or loaded from a path or a list of paths (`lossboard.load`)."""
    from lossboard.model import Run
    from lossboard.sources import load

    items = [runs_or_paths] if isinstance(runs_or_paths, (str, Path, Run)) else list(runs_or_paths)
    runs = [item for item in items if isinstance(item, Run)]
    paths = [item for item in items if not isinstance(item, Run)]
    return runs + (list(load(*paths)) if paths else [])
