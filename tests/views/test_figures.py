"""Which figures are drawn and what is on them."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from lossboard.model import LR_CHANGE, RESUME, Event, Run, Series
from lossboard.views.figures import build_figures, role, run_colors, smooth
from lossboard.views.plot import write_figures


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
    derived = next(line for line in accuracy.lines if line.label == "train rank-1")
    assert derived.x.tolist() == [0.0, 1.0] and derived.y.tolist() == [3.0, 6.0]
    assert any(line.is_batch for line in accuracy.lines)


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
    out = smooth(np.array([1.0, np.nan, 1.0, 3.0]), 0.5)
    assert out[0] == 1.0 and np.isnan(out[1]) and out[2] == 1.0
    assert out[3] == pytest.approx((0.5 * 0.75 + 0.5 * 3.0) / (1 - 0.5**3))


@pytest.mark.parametrize(("fmt", "magic"), [("png", b"\x89PNG"), ("svg", b"<?xml"), ("pdf", b"%PDF")])
def test_figures_are_written_one_file_each(tmp_path: Path, fmt: str, magic: bytes) -> None:
    paths = write_figures(build_figures([classic_run()]), tmp_path / "out", image_format=fmt)
    assert [p.name for p in paths] == [f"{k}.{fmt}" for k in ("accuracy", "loss", "lr", "throughput")]
    assert all(p.read_bytes().startswith(magic) for p in paths)
