"""Issue 8: a series is what the user wrote. Near-colliding names logged side by side come back
as as many series, whichever way they were written: lossboard's writer, torch's TensorBoard
writer, a CSV file. Each keeps its own values; the canonical tag only groups them."""

from __future__ import annotations

from pathlib import Path

import pytest

import lossboard
from lossboard.model import Run, SeriesKey

# the PyTorch TensorBoard tutorial logs "Loss/train" and "training loss" side by side
NAMES = ["Loss/train", "training loss", "train_loss", "loss", "train/loss"]
STEPS = range(5)


def value(name: str, step: int) -> float:
    """A value only ``name`` logs at ``step``: a merge would show up as a foreign value."""
    return NAMES.index(name) * 100.0 + step


def assert_every_name_apart(run: Run, names: list[str]) -> None:
    by_name = {s.source_tag: s for s in run.series.values()}
    assert sorted(by_name) == sorted(names)
    for name in names:
        series = by_name[name]
        assert series.step.tolist() == list(STEPS), name
        assert series.value.tolist() == [value(name, step) for step in STEPS], name
    # all five are training losses: one label, five series, told apart by their names
    assert run.tags == ["train/loss"]
    assert run.series.shared_labels() == {"train/loss": sorted(names)}


def _torch_writer(logdir: Path):
    pytest.importorskip("tensorboard")
    return pytest.importorskip("torch.utils.tensorboard").SummaryWriter(str(logdir))


@pytest.mark.parametrize("make_writer", [lossboard.SummaryWriter, _torch_writer], ids=["lossboard", "torch"])
def test_a_writer_keeps_near_colliding_tags_apart(tmp_path: Path, make_writer) -> None:
    with make_writer(tmp_path / "run") as writer:
        for step in STEPS:
            for name in NAMES:
                writer.add_scalar(name, value(name, step), step)
    (run,) = lossboard.load(tmp_path / "run")
    assert_every_name_apart(run, NAMES)


def test_a_csv_keeps_near_colliding_columns_apart(tmp_path: Path) -> None:
    path = tmp_path / "metrics.csv"
    rows = [",".join(["step", *NAMES])]
    rows += [",".join([str(step), *(repr(value(name, step)) for name in NAMES)]) for step in STEPS]
    path.write_text("\n".join(rows) + "\n")
    (run,) = lossboard.load(path)
    assert_every_name_apart(run, NAMES)


def test_a_name_that_fits_several_series_is_an_error_that_lists_them(tmp_path: Path) -> None:
    with lossboard.SummaryWriter(tmp_path / "run") as writer:
        for name in ("Loss/train", "train_loss"):
            writer.add_scalar(name, value(name, 0), 0)
    (run,) = lossboard.load(tmp_path / "run")
    with pytest.raises(KeyError, match="'Loss/train', 'train_loss'"):
        run.series["train/loss"]
    assert run.series["Loss/train"].value.tolist() == [value("Loss/train", 0)]
    assert run.series[SeriesKey("train/loss", "train_loss")].value.tolist() == [value("train_loss", 0)]
    assert "train/loss" in run.series and "val/loss" not in run.series


def test_no_split_is_invented_for_a_users_namespace(tmp_path: Path) -> None:
    with lossboard.SummaryWriter(tmp_path / "run") as writer:
        writer.add_scalar("hparam/accuracy", 0.9, 0)
        writer.add_scalar("Accuracy/val", 0.8, 0)
    (run,) = lossboard.load(tmp_path / "run")
    assert run.tags == ["hparam/accuracy", "val/accuracy"]


def test_a_run_and_a_load_have_short_reprs_and_notebook_tables() -> None:
    runs = lossboard.load(Path(__file__).parent.parent / "examples" / "alexnet-imagenet")
    assert len(repr(runs)) < 300 and "alexnet" in repr(runs)
    assert "<table>" in runs._repr_html_() and "val/accuracy" in runs[0]._repr_html_()
