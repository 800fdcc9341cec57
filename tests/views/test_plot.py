"""Figures drawn with matplotlib: names as plain text, file names, failures, legends, notebooks."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from matplotlib.figure import Figure

import lossboard
from lossboard.cli import main
from lossboard.model import LR_CHANGE, Run, Series
from lossboard.views.figures import FigureSpec, Line, Marker, build_figures
from lossboard.views.plot import (
    COLUMNS,
    LEGEND_ENTRIES,
    FigureError,
    blank_figure,
    file_names,
    render,
    write_figures,
)

EXAMPLE = Path(__file__).parent.parent.parent / "examples" / "alexnet-imagenet"


def run_of(name: str, tags: dict[str, list[float]]) -> Run:
    series = {
        tag: Series(tag, tag, np.arange(len(values)), np.arange(len(values), dtype=float), np.full(len(values), np.nan),
                    np.array(values, float))
        for tag, values in tags.items()
    }
    return Run(name, [f"{name}.log"], ["keyvalue"], series)


def test_dollar_signs_in_run_names_tags_and_network_are_drawn_as_written(tmp_path: Path) -> None:
    """Issue 9: `$\\foo$` in a run name, tag or --network crashed plot (matplotlib mathtext)."""
    runs = [run_of(r"$\foo$", {r"train/$\alpha$": [1.0, 2.0], "train/loss": [2.0, 1.0]}), run_of("b", {"train/loss": [3.0, 1.0]})]
    figures = build_figures(runs, network=r"$\bar$")
    paths = write_figures(figures, tmp_path)
    assert len(paths) == 2 and all(path.stat().st_size > 0 for path in paths)
    rendered = render(figures[0])
    assert rendered.axes[0].get_title() == r"$\bar$: loss"
    assert r"$\foo$: train" in [text.get_text() for text in rendered.legends[0].get_texts()]


@pytest.mark.filterwarnings("ignore:Glyph .* missing from font")  # no CJK font here: boxes, but drawn
def test_tags_that_clean_to_the_same_name_get_their_own_short_files(tmp_path: Path) -> None:
    """Issue 9: `train/损失` and `train/精度` overwrote each other; a 300-character tag aborted the plot."""
    long_tag = "train/" + "very_long_metric_name_" * 14
    runs = [run_of("r", {"train/损失": [1.0, 0.5], "train/精度": [0.1, 0.9], long_tag: [1.0, 2.0], "val/loss": [1.0, 0.9]})]
    paths = write_figures(build_figures(runs), tmp_path)
    assert len(paths) == len({path.name for path in paths}) == 4
    assert all(len(path.name) <= 80 for path in paths)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in paths)


def test_file_names_are_unique_case_insensitively_and_plain_names_stay_readable() -> None:
    names = file_names(["accuracy", "Loss", "loss", "train_精度", "train_损失"], "png")
    assert names[:2] == ["accuracy.png", "Loss.png"]
    assert len({name.lower() for name in names}) == 5
    assert all(name.isascii() for name in names)


def test_one_figure_that_fails_does_not_lose_the_others(tmp_path: Path) -> None:
    good = FigureSpec("loss", "Loss", "epoch", "loss", [Line("r", "train", "loss", np.arange(3.0), np.ones(3), "#0072B2", "solid")])
    bad = FigureSpec("accuracy", "Accuracy", "epoch", "accuracy",
                     [Line("r", "train", "acc", np.arange(3.0), np.ones(3), "not a colour", "solid")])
    with pytest.raises(FigureError) as caught:
        write_figures([bad, good], tmp_path)
    assert caught.value.written == [tmp_path / "loss.png"] and (tmp_path / "loss.png").is_file()
    assert "'Accuracy'" in str(caught.value) and "not a colour" in str(caught.value)


def test_the_cli_lists_the_figures_it_wrote_and_names_the_one_it_could_not(tmp_path: Path) -> None:
    (tmp_path / "loss.png").mkdir()  # a directory where the loss figure should go
    result = CliRunner().invoke(main, ["plot", str(EXAMPLE), "-o", str(tmp_path)])
    assert result.exit_code == 1
    written = ("accuracy.png", "lr.png", "throughput.png", "epoch_time_s.png")
    assert result.stdout.split() == [str(tmp_path / name) for name in written]
    assert result.stderr.startswith("lossboard: 1 figure(s) not drawn, the other 4 written: 'Cross-entropy loss'")
    assert "Traceback" not in result.stderr


def test_400_runs_keep_the_legend_inside_the_figure_with_a_count_of_the_rest() -> None:
    """Issue 12: 400 runs overlaid, with a legend that stays inside the figure."""
    runs = [run_of(f"run-{i:03d}", {"train/loss": [3.0, 2.0, 1.0 + i / 400]}) for i in range(400)]
    (spec,) = build_figures(runs)
    figure = render(spec)
    figure.canvas.draw()
    (legend,) = figure.legends
    texts = [text.get_text() for text in legend.get_texts()]
    assert len(texts) == LEGEND_ENTRIES and texts[-1] == f"+{400 - LEGEND_ENTRIES + 1} more"
    inside, box = figure.bbox, legend.get_window_extent()
    assert inside.x0 <= box.x0 and box.x1 <= inside.x1 and inside.y0 <= box.y0 and box.y1 <= inside.y1
    assert not box.overlaps(figure.axes[0].get_window_extent())  # never over the curves


def test_many_runs_lr_changes_are_one_legend_entry_once_colours_no_longer_name_a_run() -> None:
    """400 runs share a handful of colours: a count per colour would be seven "lr change" lines."""
    x = np.arange(40.0)
    colors = ["#0072B2", "#D55E00", "#009E73", "#CC79A7"]
    lines = [Line(f"run-{i}", "train", "train/loss", x, 1 / (1 + x), colors[i % 4], "solid") for i in range(40)]
    markers = [Marker(float(at), LR_CHANGE, "lr", colors[i % 4]) for i in range(40) for at in range(0, 40, 2)]
    for runs, expected in ((4, ["lr change (20)"] * 4), (40, ["lr change (800)"])):
        spec = FigureSpec("loss", "Loss", "epoch", "loss", lines[:runs], markers[: runs * 20])
        legend = [text.get_text() for text in render(spec).legends[0].get_texts()]
        assert [text for text in legend if text.startswith("lr change")] == expected


def test_raw_values_are_drawn_faint_under_the_smoothed_line_and_batch_lines_thin_under_epoch_lines() -> None:
    (run,) = lossboard.load(EXAMPLE)
    loss = next(spec for spec in build_figures([run], smoothing=0.9) if spec.key == "loss")
    drawn = render(loss).axes[0].get_lines()
    looks = [(line.get_alpha(), line.get_linewidth()) for line in drawn]
    # drawing order: raw values first (faint), then batch-level (thin, faint), then epoch-level (bold, opaque)
    assert looks == sorted(looks)
    assert looks[0][0] < 0.2 and looks[-1] == (1.0, 1.8)


def test_hparams_go_to_a_table_and_never_to_a_figure(tmp_path: Path) -> None:
    """Issue 11: add_hparams drew an empty hparam_accuracy.png and hparam legend entries."""
    for name, lr in (("a", 0.1), ("b", 0.01)):
        with lossboard.SummaryWriter(tmp_path / "runs" / name) as writer:
            for step in range(5):
                writer.add_scalar("train/loss", 1.0 / (step + 1), step)
            writer.add_hparams({"lr": lr, "optimizer": "sgd"}, {"hparam/accuracy": 0.5 + lr})
    result = CliRunner().invoke(main, ["plot", str(tmp_path / "runs"), "-o", str(tmp_path / "figures")])
    assert result.exit_code == 0, result.output
    written = sorted(p.name for p in (tmp_path / "figures").iterdir())
    assert written == ["hparams.csv", "loss.png"]
    with open(tmp_path / "figures" / "hparams.csv", newline="") as table:
        rows = list(csv.DictReader(table))
    assert {(row["run"], row["lr"], row["optimizer"], row["hparam/accuracy"]) for row in rows} == {
        ("a", "0.1", "sgd", "0.6"), ("b", "0.01", "sgd", "0.51")}


def test_lossboard_plot_returns_the_figures_and_shows_them_inline_as_images() -> None:
    figures = lossboard.plot(EXAMPLE, network="AlexNet")
    assert [figure.axes[0].get_title() for figure in figures] == [
        "AlexNet: rank-1 and rank-5 accuracy", "AlexNet: cross-entropy loss", "AlexNet: learning rate",
        "AlexNet: throughput", "AlexNet: epoch time (s)"]
    html = figures._repr_html_()
    assert html.count('<img alt="AlexNet: ') == 5 and html.count("data:image/png;base64,iVBORw0KGgo") == 5


def test_a_learning_rate_over_decades_is_on_a_log_axis_labelled_in_plain_numbers() -> None:
    x = np.arange(90.0)
    spec = FigureSpec("lr", "Learning rate", "epoch", "learning rate",
                      [Line("r", "lr", "opt/lr", x, 0.1 * 0.1 ** (x // 30), "#0072B2", "solid")])
    figure = render(spec)
    figure.canvas.draw()
    axes = figure.axes[0]
    assert axes.get_yscale() == "log"
    labels = {text.get_text() for text in axes.get_yticklabels() if text.get_visible() and text.get_text()}
    assert {"0.1", "0.01", "0.001"} <= labels  # not matplotlib's mathtext "$\mathdefault{10^{-2}}$"


def test_many_lr_changes_are_ticks_along_the_top_counted_in_the_legend_and_few_are_labelled_lines() -> None:
    x = np.arange(300.0)
    line = Line("r", "train", "train/loss", x, 1 / (1 + x), "#0072B2", "solid")
    for count in (3, 100):
        markers = [Marker(float(at), LR_CHANGE, f"lr {at}", "#555555") for at in range(0, 300, 300 // count)]
        axes = render(FigureSpec("loss", "Loss", "epoch", "loss", [line], markers)).axes[0]
        (collection,) = axes.collections
        heights = {(float(segment[0, 1]), float(segment[1, 1])) for segment in collection.get_segments()}
        legend = [text.get_text() for text in axes.figure.legends[0].get_texts()]
        if count == 3:  # each a full-height line, labelled on the plot
            assert heights == {(0.0, 1.0)} and len(axes.texts) == 3 and legend == ["train"]
        else:  # a tick each along the top: 100 full-height lines would bury the curve
            assert heights == {(0.97, 1.0)} and not axes.texts and legend == ["train", "lr change (100)"]


def _pixels(figure: Figure) -> np.ndarray:
    figure.canvas.draw()
    return np.asarray(figure.canvas.buffer_rgba())


def test_a_figure_drawn_on_a_blank_made_ahead_is_the_figure_drawn_on_a_new_one() -> None:
    lr = Line("r", "lr", "lr", np.arange(4.0), np.array([0.1, 0.01, 0.001, 0.0001]), "#0072B2", "solid")
    specs = [*build_figures(lossboard.load(EXAMPLE), columns=COLUMNS), FigureSpec("lr", "Decades", "epoch", "lr", [lr])]
    for spec in specs:
        assert np.array_equal(_pixels(render(spec, blank=blank_figure())), _pixels(render(spec))), spec.key
