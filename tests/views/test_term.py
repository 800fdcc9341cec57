"""Terminal charts: a colour and a marker per line, the legend under the chart."""

from __future__ import annotations

import re
from pathlib import Path

import lossboard
from lossboard.sources.logdir import load_paths
from lossboard.views.colors import run_colors
from lossboard.views.figures import build_figures
from lossboard.views.term import MARKERS, render_figures

EXAMPLE = Path(__file__).parent.parent.parent / "examples" / "alexnet-imagenet"
_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_ENTRY = re.compile(r"^  (\S) (\S.*)$")


def test_every_line_has_its_colour_and_its_own_marker_listed_under_the_chart() -> None:
    """Issue 11: `--term` charts had no colour, every legend entry looked the same, and the legend covered the curves."""
    (run,) = lossboard.load(EXAMPLE)
    accuracy = build_figures([run])[0]
    text = render_figures([accuracy], width=90, height=20)
    lines = text.splitlines()
    frame_end = max(i for i, line in enumerate(lines) if "└" in line)
    legend = [m.groups() for m in (_ENTRY.match(_ANSI.sub("", line)) for line in lines[frame_end + 1 :]) if m]
    labels = [line.label for line in accuracy.lines]
    assert [label for _, label in legend] == sorted(labels, key=lambda label: "batch" not in label)
    markers = [marker for marker, _ in legend]
    assert len(set(markers)) == len(markers) and set(markers) <= set(MARKERS)
    for color in {line.color for line in accuracy.lines}:
        red, green, blue = (int(color[i : i + 2], 16) for i in (1, 3, 5))
        assert f"\x1b[38;2;{red};{green};{blue}m" in text  # drawn in the line's colour
    plot_area = "\n".join(_ANSI.sub("", line) for line in lines[: frame_end + 1])
    assert not any(label in plot_area for label in labels)  # no legend over the curves


def test_several_runs_are_drawn_in_their_run_colours() -> None:
    files = [str(EXAMPLE / "training_0.log"), str(EXAMPLE / "training_65.log")]
    runs = load_paths(files, stitch_files=False).runs
    assert len(runs) == 2
    text = render_figures(build_figures(runs)[:1], width=80, height=18)
    for color in run_colors([run.name for run in runs]).values():
        red, green, blue = (int(color[i : i + 2], 16) for i in (1, 3, 5))
        assert f"\x1b[38;2;{red};{green};{blue}m" in text
