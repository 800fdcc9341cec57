"""Which figures are drawn and what is on them."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import lossboard
from lossboard.model import LR_CHANGE, RESUME, Event, Run, Series
from lossboard.views.colors import run_colors
from lossboard.views.figures import _has_epochs, build_figures, role, smooth, x_limits
from lossboard.views.plot import write_figures

EXAMPLE = Path(__file__).parent.parent.parent / "examples" / "alexnet-imagenet"


def series(tag: str, epochs: list[float], values: list[float] | None = None) -> Series:
    values = values if values is not None else [0.1 * i for i in range(len(epochs))]
    return Series(tag, tag, np.arange(len(epochs)), np.array(epochs, float),
                  np.full(len(epochs), np.nan), np.array(values, float))


def classic_run(name: str = "alexnet") -> Run:
    tags = ["train/accuracy", "val/accuracy", "train/top_k_accuracy_5", "val/top_k_accuracy_5",
            "train/cross-entropy", "val/cross-entropy", "opt/lr", "perf/samples_per_sec"]
    run = Run(name, ["x.log"], ["mxnet"], {t: series(t, [0, 1, 2]) for t in tags})
    run.events = [Event(RESUME, 1, 1.0, text="resumed in x_1.log"), Event(LR_CHANGE, 2, 2.0, text="lr 1e-3")]
    return run


@given(st.lists(st.sampled_from([np.nan, 0.0, 1.0, 2.5, np.inf]), max_size=6))
def test_a_series_has_epochs_as_the_model_says(epochs: list[float]) -> None:
    assert _has_epochs(series("train/loss", epochs)) == series("train/loss", epochs).has_epochs


@pytest.mark.parametrize(
    ("tag", "expected"),
    [("val/top_k_accuracy_5", "accuracy"), ("train/cross-entropy", "loss"), ("val/box_loss", "loss"),
     ("opt/lr", "lr"), ("opt/lr_pg1", "lr"), ("opt/grad_norm", "grad_norm"), ("perf/samples_per_sec", "throughput"), ("perf/epoch_time_s", "epoch_time_s"), ("val/mAP50", "mAP50")],
)
def test_roles(tag: str, expected: str) -> None:
    assert role(tag) == expected


def test_classic_figures_with_network_and_dataset_titles() -> None:
    figures = build_figures([classic_run()], network="AlexNet", dataset="ImageNet")
    assert [f.key for f in figures] == ["accuracy", "loss", "lr", "throughput"]
    accuracy, loss = figures[0], figures[1]
    assert accuracy.title == "AlexNet: rank-1 and rank-5 accuracy on ImageNet"
    assert loss.title == "AlexNet: cross-entropy loss on ImageNet"
    assert [line.label for line in accuracy.lines] == [
        "train rank-1", "train rank-5", "validation rank-1", "validation rank-5"]
    assert {m.kind for m in accuracy.markers} == {RESUME, LR_CHANGE}


def test_batch_only_metric_gets_its_last_value_per_epoch_as_the_train_curve() -> None:
    batch = series("train_batch/accuracy", [0.25, 0.5, 0.75, 1.25, 1.5, 1.75], [1, 2, 3, 4, 5, 6])
    run = Run("old", ["x.log"], ["mxnet"], {"train_batch/accuracy": batch, "val/accuracy": series("val/accuracy", [0, 1])})
    (accuracy,) = build_figures([run])
    derived = next(line for line in accuracy.lines if line.label == "train")
    assert derived.x.tolist() == [0.0, 1.0] and derived.y.tolist() == [3.0, 6.0]
    assert [line.label for line in accuracy.lines if line.is_batch] == ["train (batch)"]


def test_rank_1_is_said_only_beside_a_rank_5_curve() -> None:
    """Issue 11: plain accuracy was labelled "rank-1" with no rank-5 anywhere."""
    plain = Run("a", ["x.log"], ["keras"], {t: series(t, [0, 1]) for t in ("train/accuracy", "val/accuracy")})
    (figure,) = build_figures([plain])
    assert [line.label for line in figure.lines] == ["train", "validation"] and figure.title == "Accuracy"
    ranked = build_figures([classic_run()])[0]
    assert "train rank-1" in [line.label for line in ranked.lines]


def test_several_runs_get_one_colour_each_stable_across_calls() -> None:
    runs = [classic_run("a"), classic_run("b")]
    first = build_figures(runs)[0]
    colours = {line.run: line.color for line in first.lines}
    assert len(set(colours.values())) == 2
    assert run_colors(["b", "a"]) == run_colors(["a", "b"]) == colours


def test_step_axis_is_used_when_a_series_has_no_epochs() -> None:
    loss = Series("train/loss", "loss", np.array([19, 39]), np.full(2, np.nan), np.full(2, np.nan), np.array([2.0, 1.5]))
    (figure,) = build_figures([Run("d2", ["m.json"], ["detectron2-json"], {"train/loss": loss})])
    assert figure.xlabel == "step" and figure.lines[0].x.tolist() == [19.0, 39.0]


def test_smoothing_is_a_debiased_moving_average_that_skips_nan() -> None:
    values = np.array([1.0, np.nan, 1.0, 3.0])
    out = smooth(values, 0.5)
    per_point = 0.5 ** (1000 / 2)  # three finite points: the weight spans two steps, not a thousand
    assert out[0] == 1.0 and np.isnan(out[1]) and out[2] == 1.0
    assert out[3] == pytest.approx(((1 - per_point) ** 2 * per_point + (1 - per_point) * 3.0) / (1 - per_point**3))


def test_smoothing_an_8_point_series_keeps_its_last_point_where_the_data_is() -> None:
    """Issue 11: an 8-point loss ending at 0.48, smoothed with 0.9, was drawn at 0.97."""
    values = 0.48 + 2 * (np.exp(-np.arange(8) / 2) - np.exp(-3.5))
    assert values[-1] == pytest.approx(0.48)
    assert smooth(values, 0.9)[-1] == pytest.approx(0.48, abs=0.005)
    assert smooth(values, 0.99)[-1] == pytest.approx(0.48, abs=0.05)


def test_smoothing_spans_the_same_share_of_a_short_and_a_long_line() -> None:
    rng = np.random.default_rng(0)
    short_x, long_x = np.linspace(0, 1, 1_001), np.linspace(0, 1, 100_001)
    short = smooth(np.exp(-3 * short_x) + rng.normal(0, 0.05, short_x.size), 0.9)
    long = smooth(np.exp(-3 * long_x) + rng.normal(0, 0.05, long_x.size), 0.9)
    assert np.abs(long[::100] - short).max() < 0.05


def test_smoothing_keeps_the_raw_values_as_a_line_of_their_own_underneath() -> None:
    run = classic_run()
    loss = next(f for f in build_figures([run], smoothing=0.95) if f.key == "loss")
    raw = [line for line in loss.lines if line.is_raw]
    assert [line.label for line in raw] == ["train cross-entropy", "validation cross-entropy"]
    assert raw[0].y.tolist() == run.series["train/cross-entropy"].value.tolist()
    smoothed = next(line for line in loss.lines if not line.is_raw and line.label == "train cross-entropy")
    assert smoothed.y.tolist() != raw[0].y.tolist()


def test_batch_level_values_are_flagged_and_a_dense_rate_gets_its_epoch_mean() -> None:
    """Issue 11: a batch-level throughput series was an unreadable block."""
    speed = Series("perf/samples_per_sec", "Speed", np.arange(6), np.array([0.2, 0.5, 0.8, 1.2, 1.5, 1.8]),
                   np.full(6, np.nan), np.array([10.0, 20.0, 30.0, 40.0, 50.0, 60.0]))
    run = Run("r", ["x.log"], ["mxnet"], {"perf/samples_per_sec": speed})
    (figure,) = build_figures([run])
    batch, mean = figure.lines
    assert batch.is_batch and not mean.is_batch
    assert mean.label == "samples per sec (epoch mean)"
    assert mean.x.tolist() == [0.0, 1.0] and mean.y.tolist() == [20.0, 50.0]


@pytest.mark.parametrize(("span_s", "unit", "end"), [(90.0, "seconds", 90.0), (1800.0, "minutes", 30.0),
                                                      (7 * 3600.0, "hours", 7.0), (5 * 86400.0, "days", 5.0)])
def test_wall_time_axis_takes_the_unit_its_span_reads_best_in(span_s: float, unit: str, end: float) -> None:
    """Issue 11: `--x wall` read "hours since start 0.000-0.005"."""
    wall = 1.7e9 + np.array([0.0, span_s / 2, span_s])
    loss = Series("train/loss", "loss", np.arange(3), np.full(3, np.nan), wall, np.array([3.0, 2.0, 1.0]))
    (figure,) = build_figures([Run("r", ["x.log"], ["keyvalue"], {"train/loss": loss})], x="wall")
    assert figure.xlabel == f"{unit} since start"
    assert figure.lines[0].x.tolist() == pytest.approx([0.0, end / 2, end])


def test_two_series_of_one_run_that_share_a_label_are_both_drawn_told_apart_by_source_tag() -> None:
    """Issue 8: `Loss/train` and `train_loss` are both labelled train/loss."""
    first = Series("train/loss", "Loss/train", np.arange(3), np.full(3, np.nan), np.full(3, np.nan), np.ones(3))
    second = Series("train/loss", "train_loss", np.arange(3), np.full(3, np.nan), np.full(3, np.nan), np.zeros(3))
    run = Run("r", ["x"], ["tfevents"], [first, second])
    (figure,) = build_figures([run])
    assert sorted(line.label for line in figure.lines) == ["train [Loss/train]", "train [train_loss]"]


def test_hyper_parameters_are_never_a_line_figure() -> None:
    """Issue 11: add_hparams drew an empty hparam_accuracy figure and legend entries in the loss figure."""
    curves = list(classic_run().series.values())
    run = Run("r", ["x"], ["lossboard"], curves + [series("hparam/accuracy", [0]), series("train/hparam/loss", [0])])
    figures = build_figures([run])
    assert all("hparam" not in line.source_tag for f in figures for line in f.lines)
    assert [f.key for f in figures] == ["accuracy", "loss", "lr", "throughput"]


@pytest.mark.parametrize(("fmt", "magic"), [("png", b"\x89PNG"), ("svg", b"<?xml"), ("pdf", b"%PDF")])
def test_figures_are_written_one_file_each(tmp_path: Path, fmt: str, magic: bytes) -> None:
    paths = write_figures(build_figures([classic_run()]), tmp_path / "out", image_format=fmt)
    assert [p.name for p in paths] == [f"{k}.{fmt}" for k in ("accuracy", "loss", "lr", "throughput")]
    assert all(p.read_bytes().startswith(magic) for p in paths)


def test_with_many_runs_batch_lines_give_way_to_each_runs_epoch_line() -> None:
    def run(name: str) -> Run:
        batch = series("train_batch/loss", [0.25, 0.5, 0.75, 1.25], [4, 3, 2, 1])
        return Run(name, ["x.log"], ["mxnet"], [batch, series("train/loss", [0, 1], [3, 1])])

    few = build_figures([run(f"r{i}") for i in range(2)])[0]
    many = build_figures([run(f"r{i}") for i in range(20)])[0]
    assert sum(line.is_batch for line in few.lines) == 2
    assert not any(line.is_batch for line in many.lines) and len(many.lines) == 20



def test_the_last_learning_rate_holds_until_the_run_ends() -> None:
    """The example sets lr 0.0001 when it resumes at epoch 85 and trains on to epoch 99: the lr
    line reaches the last batch (epoch 99 + 10/11, step 1,099,000) instead of stopping at 85."""
    (run,) = lossboard.load(EXAMPLE)
    (printed,) = [series for key, series in run.series.items() if key.tag == "opt/lr"]
    for axis, end in (("epoch", 99 + 10 / 11), ("step", 1_099_000)):
        (lr,) = [spec for spec in build_figures([run], x=axis) if spec.key == "lr"]
        (line,) = lr.lines
        assert list(line.y) == [*printed.value, 0.0001] and line.x[-1] == pytest.approx(end)


@pytest.mark.parametrize(
    ("xs", "expected"),
    [
        ([np.array([2.0, np.nan, 12.0])], (1.5, 12.5)),  # NaN passed by, 5% of the span each side
        ([np.array([-np.inf, 4.0, 0.0]), np.array([np.nan, 10.0, np.inf])], (-0.5, 10.5)),  # infinities too
        ([np.array([3, 1], dtype=np.int64), np.array([], dtype=np.float64)], (0.9, 3.1)),  # steps; an empty line
        ([np.array([7.0, np.nan])], (6.5, 7.5)),  # one value: half a unit each side
        ([np.array([np.nan, np.inf]), np.array([], dtype=np.float64)], None),  # nothing finite: no axis
    ],
)
def test_the_x_axis_spans_the_finite_values_of_every_line(xs: list[np.ndarray], expected: tuple | None) -> None:
    limits = x_limits(xs)
    assert limits == (None if expected is None else pytest.approx(expected))
