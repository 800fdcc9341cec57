"""Runs are identified by where they live and series by their source tag (issues 9 and 8), on
both backends: nothing overwrites another run or merges two series."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from lossboard import query
from lossboard.errors import UsageError
from lossboard.store.base import Batch, Columns, SourceState, Store
from lossboard.store.indexer import index_paths

from ._indexing import mxnet_epoch


def _batch(run: str, name: str, *columns: Columns, path: str | None = None) -> Batch:
    source = SourceState(path or f"{run}/train.log", run, "csv", 0, 1, 1, 1, 1, None, name)
    return Batch(source, columns=list(columns))


def _cols(source_tag: str, steps: list[int], values: list[float], tag: str = "train/loss") -> Columns:
    nan = np.full(len(steps), np.nan)
    return Columns(tag, source_tag, np.array(steps, dtype=np.int64), nan, nan, np.array(values, dtype=float))


def test_two_runs_of_one_name_at_two_paths_are_both_kept_and_told_apart(store: Store) -> None:
    store.apply(_batch("/data/projA/runs/baseline", "baseline", _cols("loss", [1, 2], [1.0, 2.0])))
    store.apply(_batch("/data/projB/runs/baseline", "baseline", _cols("loss", [1, 2], [5.0, 6.0])))
    runs = {info.name: info.path for info in store.list_runs()}
    assert runs == {"projA/baseline": "/data/projA/runs/baseline", "projB/baseline": "/data/projB/runs/baseline"}
    assert store.read_series("projA/baseline", "train/loss").value.tolist() == [1.0, 2.0]
    assert store.read_series("projB/baseline", "train/loss").value.tolist() == [5.0, 6.0]
    assert [info.name for info in store.list_runs("^projB")] == ["projB/baseline"]
    store.reset_run("/data/projA/runs/baseline")  # alone again: the plain name comes back
    assert [(info.name, info.points) for info in store.list_runs()] == [("baseline", 2)]


def test_a_run_renamed_by_a_later_pass_keeps_its_data(store: Store) -> None:
    store.apply(_batch("/data/a", "a", _cols("loss", [1], [1.0])))
    store.apply(_batch("/data/a", "runs/a", _cols("loss", [2], [2.0])))
    [info] = store.list_runs()
    assert (info.name, info.path, info.points) == ("runs/a", "/data/a", 2)


def test_a_name_like_another_runs_label_gets_a_number(store: Store) -> None:
    store.apply(_batch("/x/p/a", "a"))
    store.apply(_batch("/x/q/a", "a"))
    store.apply(_batch("/y/p-a", "p/a"))  # printed like the first run's label
    assert sorted(info.name for info in store.list_runs()) == ["p/a", "p/a#2", "q/a"]


def test_two_series_sharing_a_label_are_both_kept(store: Store) -> None:
    store.apply(_batch("/r", "r", _cols("Loss/train", [1, 2], [1.0, 2.0]), _cols("training loss", [2, 3], [9.0, 8.0])))
    store.apply(_batch("/r", "r", _cols("train_loss", [2], [7.0])))
    tags = store.list_tags(["r"])
    assert [(t.tag, t.source_tag, t.points) for t in tags] == [
        ("train/loss", "Loss/train", 2), ("train/loss", "train_loss", 1), ("train/loss", "training loss", 2)]
    assert store.read_series("r", "train/loss", source_tag="Loss/train").value.tolist() == [1.0, 2.0]
    assert store.read_series("r", "train/loss", source_tag="training loss").value.tolist() == [9.0, 8.0]
    with pytest.raises(UsageError, match="3 series labelled 'train/loss'.*'Loss/train', 'train_loss', 'training loss'"):
        store.read_series("r", "train/loss")
    assert store.read_series("r", "train/loss", source_tag="nope") is None


def test_load_runs_gives_every_series_of_a_shared_label(store: Store) -> None:
    store.apply(_batch("/r", "r", _cols("Loss/train", [1], [1.0]), _cols("loss", [1], [3.0]),
                       _cols("val_acc", [1], [0.5], tag="val/accuracy")))
    [run] = query.load_runs(store)
    assert sorted(run.series) == [("train/loss", "Loss/train"), ("train/loss", "loss"), ("val/accuracy", "val_acc")]
    assert run.series["train/loss", "loss"].value.tolist() == [3.0]
    assert run.series["val/accuracy"].value.tolist() == [0.5]
    found = query.read_series(store, tags=["train/loss"])
    assert sorted(found) == [("r", "train/loss", "Loss/train"), ("r", "train/loss", "loss")]


def test_indexing_a_second_baseline_keeps_the_first(store: Store, tmp_path: Path) -> None:
    for project, accuracy in (("projA", 0.5), ("projB", 0.7)):
        run = tmp_path / project / "runs" / "baseline"
        run.mkdir(parents=True)
        (run / "train.log").write_text("".join(mxnet_epoch(epoch, accuracy) for epoch in range(3)))
    index_paths(store, [tmp_path / "projA" / "runs" / "baseline"])
    summary = index_paths(store, [tmp_path / "projB" / "runs" / "baseline"])
    assert summary.reset == []
    runs = {info.name: info for info in store.list_runs()}
    assert sorted(runs) == ["projA/baseline", "projB/baseline"]
    assert runs["projA/baseline"].path == str(tmp_path / "projA" / "runs" / "baseline" / "train.log")
    # grep of the logs: Train-accuracy=0.5000 in projA, 0.7000 in projB
    assert store.read_series("projA/baseline", "train/accuracy").value.tolist() == [0.5] * 3
    assert store.read_series("projB/baseline", "train/accuracy").value.tolist() == [0.7] * 3
    assert index_paths(store, [tmp_path / "projA" / "runs" / "baseline"]).reset == []  # nothing re-read


def test_ls_shows_and_filters_the_display_names(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from lossboard.cli import main

    url = f"sqlite:///{tmp_path / 'index.db'}"
    for project in ("projA", "projB"):
        run = tmp_path / project / "runs" / "baseline"
        run.mkdir(parents=True)
        (run / "train.log").write_text(mxnet_epoch(0, 0.5))
        assert CliRunner().invoke(main, ["index", str(run), "--store", url]).exit_code == 0
    listed = CliRunner().invoke(main, ["ls", "--store", url])
    assert listed.exit_code == 0
    assert "projA/baseline" in listed.output and "projB/baseline" in listed.output
    only_b = CliRunner().invoke(main, ["ls", "--store", url, "--runs", "^projB/"])
    assert "projB/baseline" in only_b.output and "projA" not in only_b.output
