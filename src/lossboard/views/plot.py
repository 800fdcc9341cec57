"""Render figure specs with matplotlib into PNG, SVG or PDF files, one file per figure."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from lossboard.errors import UsageError
from lossboard.views.figures import FigureSpec

IMAGE_FORMATS = ("png", "svg", "pdf")
_DASHES = {"solid": "-", "dashed": "--", "dotted": ":", "dashdot": "-."}


def write_figures(figures: Sequence[FigureSpec], out_dir: str | Path, *, image_format: str = "png") -> list[Path]:
    """Draw every figure into ``out_dir`` (created if needed) and return the files written.

    Uses matplotlib's object API (no pyplot state), so it is safe in servers and threads.
    """
    if image_format not in IMAGE_FORMATS:
        raise UsageError(f"image format must be one of {', '.join(IMAGE_FORMATS)}, not {image_format!r}")
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for spec in figures:
        figure = Figure(figsize=(8, 5), dpi=150, layout="constrained")
        FigureCanvasAgg(figure)
        draw(spec, figure.add_subplot())
        path = out / f"{spec.key}.{image_format}"
        # a fixed creation date keeps SVG/PDF output byte-for-byte reproducible
        metadata = {"Date": None} if image_format == "svg" else {"CreationDate": None} if image_format == "pdf" else {}
        figure.savefig(path, format=image_format, metadata=metadata)
        written.append(path)
    return written


def draw(spec: FigureSpec, axes) -> None:  # type: ignore[no-untyped-def]
    """Draw one figure spec on matplotlib ``axes``."""
    for line in sorted(spec.lines, key=lambda item: not item.is_batch):
        axes.plot(
            line.x,
            line.y,
            linestyle=_DASHES[line.style],
            color=line.color,
            linewidth=0.8 if line.is_batch else 1.8,
            alpha=0.35 if line.is_batch else 1.0,
            label=line.label,
        )
    seen: set[str] = set()
    for marker in spec.markers:
        axes.axvline(marker.x, color=marker.color, linestyle=":" if marker.kind == "lr_change" else "--",
                     linewidth=0.9, alpha=0.7)
        if marker.label not in seen:
            axes.annotate(
                marker.label,
                xy=(marker.x, 1.0),
                xycoords=("data", "axes fraction"),
                xytext=(3, -3),
                textcoords="offset points",
                rotation=90,
                va="top",
                fontsize=7,
                color=marker.color,
            )
            seen.add(marker.label)
    axes.set_title(spec.title)
    axes.set_xlabel(spec.xlabel)
    axes.set_ylabel(spec.ylabel)
    if spec.key == "lr":
        values = [v for line in spec.lines for v in line.y.tolist() if v > 0]
        if values and max(values) / min(values) > 50:
            axes.set_yscale("log")
    axes.grid(True, alpha=0.3)
    if spec.lines:
        axes.legend(fontsize=8, loc="best")
