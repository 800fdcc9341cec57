"""The query API over a real SQLite index: many runs x tags, M4 downsampling, runs for the views,
and ``lossboard plot``/``export --store``."""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

import lossboard
from lossboard import SummaryWriter, query
from lossboard.cli import main
from lossboard.errors import UsageError
from lossboard.model import LR_CHANGE, RESUME, Event, FileProblem, Media
from lossboard.store.base import Batch, Columns, SourceState
from lossboard.store.indexer import index_paths
from lossboard.store.sqlite import SQLiteStore
from lossboard.views.export import write_csv

STEPS = np.arange(0, 1000, 10, dtype=np.int64)  # 100 points, steps 0, 10, ..., 990


def spiky(base: float) -> np.ndarray:
    """A flat line at ``base`` with one spike of 100 at step 370, NaN at 500 and +inf at 510."""
    value = np.full(len(STEPS), base)
    value[STEPS == 370] = 100.0
    value[STEPS == 500] = math.nan
    value[STEPS == 510] = math.inf
    return value


def add_run(store: SQLiteStore, run: str, tags: dict[str, np.ndarray], **extra: list) -> None:
    """Index ``tags`` (tag -> values at `STEPS`) as one source file of ``run``."""
    source = SourceState(path=f"/logs/{run}/events.lossboard", run=run, format="lossboard", ordinal=0,
                         size=100, inode=1, mtime_ns=1, offset=100)
    columns = [
        Columns(tag, tag.replace("/", "_"), STEPS, STEPS / 100.0, 1.7e9 + STEPS.astype(float), value)
        for tag, value in tags.items()
    ]
    store.apply(Batch(source, columns=columns, meta={"framework": "bench"}, **extra))


@pytest.fixture
def store() -> Iterator[SQLiteStore]:
    store = SQLiteStore(":memory:")
    add_run(store, "resnet-a", {"train/loss": spiky(1.0), "val/accuracy": np.linspace(0, 1, len(STEPS))},
            events=[Event(LR_CHANGE, 300, 3.0, None, "lr 0.01")],
            media=[Media("image", "samples", 200, None, {"path": "media/samples_200.png"})],
            problems=[FileProblem("/logs/resnet-a/events.lossboard", 0, "truncated record at byte 96")])
    add_run(store, "resnet-b", {"train/loss": spiky(2.0)})
    add_run(store, "vgg", {"train/loss": spiky(3.0)})
    yield store
    store.close()


def test_runs_are_filtered_by_any_of_several_name_patterns(store: SQLiteStore) -> None:
    assert {info.name for info in query.list_runs(store)} == {"resnet-a", "resnet-b", "vgg"}
    assert {info.name for info in query.list_runs(store, name_regex="^resnet")} == {"resnet-a", "resnet-b"}
    assert {info.name for info in query.list_runs(store, name_regex=["-b$", "vgg"])} == {"resnet-b", "vgg"}


def test_a_bad_name_pattern_is_a_usage_error_naming_it(store: SQLiteStore) -> None:
    with pytest.raises(UsageError, match=r"'res\[' is not a regular expression"):
        query.list_runs(store, name_regex=["vgg", "res["])


def test_many_runs_by_many_tags_leave_out_the_pairs_the_index_lacks(store: SQLiteStore) -> None:
    found = query.read_series(store, runs=["resnet-a", "vgg"], tags=["train/loss", "val/accuracy"])
    assert list(found) == [
        ("resnet-a", "train/loss", "train_loss"), ("resnet-a", "val/accuracy", "val_accuracy"),
        ("vgg", "train/loss", "train_loss"),
    ]
    vgg = found["vgg", "train/loss", "train_loss"]
    assert vgg.step.tolist() == STEPS.tolist()
    assert vgg.value.tobytes() == spiky(3.0).tobytes()  # NaN and +inf bit for bit
    assert vgg.source_tag == "train_loss"
    assert vgg.total_points == len(STEPS)


def test_every_tag_of_every_run_when_neither_is_given(store: SQLiteStore) -> None:
    assert {key[:2] for key in query.read_series(store)} == {
        ("resnet-a", "train/loss"), ("resnet-a", "val/accuracy"), ("resnet-b", "train/loss"), ("vgg", "train/loss")
    }


def test_downsampling_keeps_the_spike_and_counts_every_point(store: SQLiteStore) -> None:
    (data,) = query.read_series(store, runs=["resnet-b"], tags=["train/loss"], buckets=4).values()
    assert data.total_points == len(STEPS)
    assert len(data.step) <= 20
    assert 370 in data.step.tolist()  # the maximum of the second bucket, steps 250 to 490
    assert data.value[data.step == 370].tolist() == [100.0]
    assert np.all(np.diff(data.step) > 0)


def test_a_step_range_reads_only_its_points(store: SQLiteStore) -> None:
    (data,) = query.read_series(store, runs=["vgg"], tags=["train/loss"], step_range=(100, 190)).values()
    assert data.step.tolist() == list(range(100, 200, 10))
    assert data.total_points == 10


@pytest.mark.parametrize(
    ("arguments", "message"),
    [({"buckets": 0}, "buckets must be at least 1"), ({"step_range": (50, 10)}, "first <= last")],
)
def test_impossible_reads_are_usage_errors(store: SQLiteStore, arguments: dict, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        query.read_series(store, runs=["vgg"], tags=["train/loss"], **arguments)


def test_events_and_media_come_back_by_run(store: SQLiteStore) -> None:
    assert query.read_events(store, ["resnet-a", "vgg"]) == {
        "resnet-a": [Event(LR_CHANGE, 300, 3.0, None, "lr 0.01")], "vgg": []
    }
    media = query.read_media(store, ["resnet-a"], tags=["samples"])
    assert media == {"resnet-a": [Media("image", "samples", 200, None, {"path": "media/samples_200.png"})]}
    assert query.read_media(store, ["resnet-a"], tags=["samples"], step_range=(200, 200)) == media
    assert query.read_media(store, ["resnet-a"], step_range=(0, 199)) == {"resnet-a": []}


def test_loaded_runs_hold_what_was_indexed(store: SQLiteStore) -> None:
    (run,) = query.load_runs(store, runs=["resnet-a"])
    assert (run.name, run.sources, run.formats) == ("resnet-a", ["/logs/resnet-a/events.lossboard"], ["lossboard"])
    assert run.meta["framework"] == "bench"
    assert run.tags == ["train/loss", "val/accuracy"]
    loss = run.series["train/loss"]
    assert loss.epoch.tolist() == (STEPS / 100.0).tolist()
    assert loss.value.tobytes() == spiky(1.0).tobytes()
    assert [event.kind for event in run.events] == [LR_CHANGE]
    assert [str(problem) for problem in run.problems] == ["/logs/resnet-a/events.lossboard: truncated record at byte 96"]


def test_the_export_of_loaded_runs_has_a_row_per_indexed_point(store: SQLiteStore) -> None:
    out = io.BytesIO()
    write_csv(query.load_runs(store, name_regex="^resnet", tags=["train/loss"]), out)
    rows = list(csv.DictReader(io.StringIO(out.getvalue().decode())))
    assert len(rows) == 2 * len(STEPS)
    spike = [row for row in rows if row["step"] == "370"]
    assert [(row["run"], row["value"]) for row in spike] == [("resnet-a", "100.0"), ("resnet-b", "100.0")]
    assert {row["value"] for row in rows if row["step"] in ("500", "510")} == {"nan", "inf"}


def test_runs_from_an_index_export_as_the_same_logs_loaded_from_files(tmp_path: Path) -> None:
    logdir = tmp_path / "logs"
    for name, scale in (("a", 1.0), ("b", 2.0)):
        with SummaryWriter(str(logdir / name)) as writer:
            for step in range(0, 50, 5):
                writer.add_scalar("train/loss", scale / (step + 1), step, walltime=1.7e9 + step)
    store = SQLiteStore(":memory:")
    index_paths(store, [logdir])
    from_index, from_files = io.BytesIO(), io.BytesIO()
    write_csv(query.load_runs(store), from_index)
    write_csv(lossboard.load(logdir), from_files)
    assert from_index.getvalue() == from_files.getvalue()
    rows = list(csv.DictReader(io.StringIO(from_index.getvalue().decode())))
    expected = [float(np.float32(2.0 / (s + 1))) for s in range(0, 50, 5)]  # float32, as torch's writer stores
    assert [float(row["value"]) for row in rows if row["run"] == "b"] == expected


# -- lossboard plot / export --store -------------------------------------------------------------

@pytest.fixture
def store_url(tmp_path: Path) -> str:
    path = tmp_path / "index.db"
    store = SQLiteStore(str(path))
    add_run(store, "resnet-a", {"train/loss": spiky(1.0), "val/accuracy": np.linspace(0, 1, len(STEPS))},
            events=[Event(RESUME, 500, 5.0, None, "resumed")])
    add_run(store, "vgg", {"train/loss": spiky(3.0)})
    store.close()
    return f"sqlite:///{path}"


def test_export_store_writes_the_runs_whose_names_match(store_url: str) -> None:
    result = CliRunner().invoke(main, ["export", "--store", store_url, "^vgg$"])
    assert result.exit_code == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert {row["run"] for row in rows} == {"vgg"}
    assert [row["step"] for row in rows] == [str(step) for step in STEPS]


def test_plot_store_draws_the_figures_of_every_run(store_url: str, tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["plot", "--store", store_url, "-o", str(tmp_path / "figs")])
    assert result.exit_code == 0, result.stderr
    assert {Path(line).name for line in result.stdout.split()} >= {"loss.png", "accuracy.png"}


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["^nothing"], "no runs with metrics in sqlite:///"),
        (["--log-format", "mxnet"], "--log-format and --stitch"),
    ],
)
def test_store_reads_say_what_went_wrong(store_url: str, arguments: list[str], message: str) -> None:
    result = CliRunner().invoke(main, ["export", "--store", store_url, *arguments])
    assert result.exit_code == 1
    assert message in result.stderr


def test_plot_without_paths_or_store_is_a_usage_error() -> None:
    result = CliRunner().invoke(main, ["plot"])
    assert result.exit_code == 1
    assert "give the PATHS of logs to read, or --store URL" in result.stderr
