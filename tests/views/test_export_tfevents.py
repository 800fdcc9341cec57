"""TensorBoard export: runs from real logs and edge values written out, then read back two
ways, by `lossboard.load` and by TensorBoard's own `EventMultiplexer`, and compared with
what was exported: steps, values and wall times bit for bit."""

from __future__ import annotations

import io
import math
import re
import sys
import tempfile
import threading
import unicodedata
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import lossboard
from lossboard.errors import UsageError
from lossboard.model import CHECKPOINT, LR_CHANGE, RESUME, Event, Run, Series
from lossboard.sources.logdir import load_paths
from lossboard.views.export import export
from lossboard.views.export_tfevents import run_dir_names, write_tfevents

pytest.importorskip("tensorboard", reason="tensorboard is not installed (pip install 'lossboard[tfevents]')")

from tensorboard.backend.event_processing import event_accumulator  # noqa: E402
from tensorboard.backend.event_processing.event_file_loader import EventFileLoader  # noqa: E402
from tensorboard.backend.event_processing.plugin_event_multiplexer import EventMultiplexer  # noqa: E402
from tensorboard.compat.proto import types_pb2  # noqa: E402
from tensorboard.util import tensor_util  # noqa: E402

EXAMPLE = Path(__file__).parent.parent.parent / "examples" / "alexnet-imagenet"
NOW = 1_764_000_000.25
NAN = math.nan


def series(tag: str, steps: list[int], values: list[float], walls: list[float] | None = None,
           source_tag: str = "") -> Series:
    count = len(steps)
    return Series(tag, source_tag or tag, np.array(steps, np.int64), np.full(count, NAN),
                  np.array(walls if walls is not None else [NAN] * count, np.float64),
                  np.array(values, np.float64))


def make_run(name: str, *parts: Series, events: list[Event] | None = None) -> Run:
    return Run(name, [], [], {part.tag: part for part in parts}, events or [])


def loaded_back(out: Path) -> dict[str, Run]:
    return {run.name: run for run in lossboard.load(out)}


def multiplexer(out: Path) -> EventMultiplexer:
    """TensorBoard's reader over ``out``, keeping every value (its default samples 10 tensors)."""
    reader = EventMultiplexer(size_guidance={event_accumulator.TENSORS: 0})
    reader.AddRunsFromDirectory(str(out))
    reader.Reload()
    return reader


def assert_same(expected: Series, got: Series) -> None:
    """Steps and values bit for bit (NaN, -0.0 and infinities too); wall times where known."""
    assert got.step.tolist() == expected.step.tolist(), expected.tag
    assert got.value.tobytes() == expected.value.tobytes(), expected.tag
    assert got.wall_time.tobytes() == expected.wall_time.tobytes(), expected.tag


def tensorboard_tags(run: Run) -> dict[str, Series]:
    """The TensorBoard tag of each series: its canonical tag, with the name it was printed as
    below it where several series share that tag."""
    shared = run.series.shared_labels()
    return {f"{s.tag}/{s.source_tag}" if s.tag in shared else s.tag: s for s in run.series.values()}


def assert_tensorboard_sees(reader: EventMultiplexer, run_dir: str, run: Run) -> None:
    """TensorBoard lists the run's tags as scalars and reads the same steps, values, wall times."""
    assert set(reader.PluginRunToTagToContent("scalars")[run_dir]) == set(tensorboard_tags(run))
    for tag, expected in tensorboard_tags(run).items():
        tensors = reader.Tensors(run_dir, tag)
        values = np.array([tensor_util.make_ndarray(t.tensor_proto).item() for t in tensors], np.float64)
        assert [t.step for t in tensors] == expected.step.tolist(), tag
        assert values.tobytes() == expected.value.tobytes(), tag
        walls = np.where(np.isnan(expected.wall_time), 0.0, expected.wall_time)  # 0: unknown
        assert [t.wall_time for t in tensors] == walls.tolist(), tag


def assert_round_trip(runs: list[Run], out: Path) -> None:
    write_tfevents(runs, out, now=NOW)
    back, reader = loaded_back(out), multiplexer(out)
    names = run_dir_names([run.name for run in runs])
    assert set(back) == set(names) == set(reader.Runs())
    for name, run in zip(names, runs):
        # read back, a series' printed name is its TensorBoard tag
        read = {s.source_tag: s for s in back[name].series.values()}
        written = tensorboard_tags(run)
        assert set(read) == set(written), name
        for tag, expected in written.items():
            assert_same(expected, read[tag])
        assert_tensorboard_sees(reader, name, run)


@pytest.mark.corpus
def test_every_corpus_run_round_trips_through_lossboard_and_tensorboard(corpus: Path, tmp_path: Path) -> None:
    runs = [run for run in load_paths([corpus]).runs if run.series]
    assert len(runs) >= 30
    assert_round_trip(runs, tmp_path / "tb")


def test_the_resumed_alexnet_example_round_trips(tmp_path: Path) -> None:
    (run,) = lossboard.load(EXAMPLE)
    assert_round_trip([run], tmp_path / "tb")


def test_edge_values_and_steps_survive_exactly(tmp_path: Path) -> None:
    steps = [-(2**63), -5, -1, 0, 2**31, 2**62, 2**63 - 1]
    values = [NAN, math.inf, -math.inf, -0.0, 0.0, 5e-324, 0.1 + 0.2]  # float32 would round the last two
    walls = [NAN, 1.7e9 + 0.123456789, NAN, 1.7e9 + 1e-6, -1.0, 4e9, NAN]
    run = make_run("edges", series("train/loss", steps, values, walls),
                   series("val/accuracy", [3], [1.0 - 2**-52], [1.7e9]))
    assert_round_trip([run], tmp_path)


def test_the_file_is_what_tf_summary_scalar_writes(tmp_path: Path) -> None:
    run = make_run("r", series("train/loss", [0, 1, 2], [0.5, 0.25, NAN], [1.7e9, NAN, 1.7e9 + 2],
                               source_tag="loss"))
    (path,) = write_tfevents([run], tmp_path, now=NOW)
    assert re.fullmatch(r"events\.out\.tfevents\.1764000000\.[^/]+\.lossboard", path.name)
    assert path.parent == tmp_path / "r"
    first, *points = list(EventFileLoader(str(path)).Load())
    assert first.file_version == "brain.Event:2" and first.wall_time == NOW
    assert [e.step for e in points] == [0, 1, 2]
    assert [e.wall_time for e in points] == [1.7e9, 0.0, 1.7e9 + 2]
    for event in points:
        (value,) = event.summary.value
        assert value.tag == "train/loss" and value.WhichOneof("value") == "tensor"
        assert value.tensor.dtype == types_pb2.DT_DOUBLE and not value.tensor.tensor_shape.dim
    assert [e.summary.value[0].HasField("metadata") for e in points] == [True, False, False]
    metadata = points[0].summary.value[0].metadata
    assert metadata.plugin_data.plugin_name == "scalars" and "`loss`" in metadata.summary_description


def test_events_become_text_that_tensorboard_shows_and_scalar_readers_skip(tmp_path: Path) -> None:
    events = [Event(LR_CHANGE, 30, 3.0, None, "Change learning rate to 1.00000e-03"),
              Event(RESUME, 20, 2.0, 1.7e9 + 20, "resumed in b.log"), Event(CHECKPOINT, 10, None, None, "")]
    run = make_run("r", series("train/loss", [0, 10, 20, 30], [4.0, 3.0, 2.0, 1.0]), events=events)
    write_tfevents([run], tmp_path, now=NOW)
    reader = multiplexer(tmp_path)
    assert set(reader.PluginRunToTagToContent("text")["r"]) == {"events/lr_change", "events/resume",
                                                                "events/checkpoint"}
    (lr,) = reader.Tensors("r", "events/lr_change")
    assert lr.step == 30 and tensor_util.make_ndarray(lr.tensor_proto).item() == (
        b"Change learning rate to 1.00000e-03 (epoch 3)")
    (resume,) = reader.Tensors("r", "events/resume")
    assert resume.wall_time == 1.7e9 + 20
    (checkpoint,) = reader.Tensors("r", "events/checkpoint")
    assert tensor_util.make_ndarray(checkpoint.tensor_proto).item() == b"checkpoint"
    (back,) = lossboard.load(tmp_path)
    assert back.tags == ["train/loss"] and back.events == []  # no restart: nothing purged
    assert [t.step for t in reader.Tensors("r", "train/loss")] == [0, 10, 20, 30]


def test_an_event_kind_named_like_a_metric_moves_aside(tmp_path: Path) -> None:
    run = make_run("r", series("events/checkpoint", [0, 1], [2.0, 3.0]), events=[Event(CHECKPOINT, 1)])
    write_tfevents([run], tmp_path, now=NOW)
    reader = multiplexer(tmp_path)
    assert set(reader.PluginRunToTagToContent("scalars")["r"]) == {"events/checkpoint"}
    assert set(reader.PluginRunToTagToContent("text")["r"]) == {"lossboard/events/checkpoint"}


def test_run_names_become_safe_distinct_directories(tmp_path: Path) -> None:
    names = ["cifar/resnet", "cifar_resnet", "CIFAR_resnet", "../../escape", "", "  .hidden ", "ünï cødé run",
             unicodedata.normalize("NFD", "ünï cødé run"), "a\\b:c*d?\x00", "con"]
    runs = [make_run(name, series("train/loss", [0, 1], [float(index), 1.0])) for index, name in enumerate(names)]
    written = write_tfevents(runs, tmp_path / "tb", now=NOW)
    dirs = [path.parent.name for path in written]
    assert dirs == ["cifar_resnet", "cifar_resnet#2", "CIFAR_resnet#3", "______escape", "run", "_hidden",
                    "ünï cødé run", "ünï cødé run#2", "a_b_c_d__", "_con"]
    assert all(path.parent.parent == tmp_path / "tb" for path in written)
    back = loaded_back(tmp_path / "tb")
    assert {name: run.series["train/loss"].value[0] for name, run in back.items()} == {
        name: float(index) for index, name in enumerate(dirs)}


def test_a_long_name_is_cut_to_fit_a_file_system_name() -> None:
    (name,) = run_dir_names(["é" * 300])
    assert name == "é" * 100 and len(name.encode()) <= 200


def test_an_existing_event_file_stops_the_export_before_anything_is_written(tmp_path: Path) -> None:
    first = make_run("a", series("train/loss", [0], [1.0]))
    second = make_run("b", series("train/loss", [0], [2.0]))
    write_tfevents([second], tmp_path, now=NOW)
    before = sorted(tmp_path.rglob("*"))
    with pytest.raises(UsageError, match=r"b already holds an event file \(events\.out\.tfevents\."):
        write_tfevents([first, second], tmp_path, now=NOW + 100)
    assert sorted(tmp_path.rglob("*")) == before  # not even a's directory


def test_other_files_in_a_run_directory_are_left_alone(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "notes.txt").write_text("mine")
    write_tfevents([make_run("a", series("train/loss", [0], [1.0]))], tmp_path, now=NOW)
    assert (tmp_path / "a" / "notes.txt").read_text() == "mine"


def test_a_file_where_a_directory_should_be_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "a").write_text("in the way")
    with pytest.raises(UsageError, match="a file is in the way"):
        write_tfevents([make_run("a", series("train/loss", [0], [1.0]))], tmp_path, now=NOW)
    with pytest.raises(UsageError, match="not a directory"):
        write_tfevents([make_run("b", series("train/loss", [0], [1.0]))], tmp_path / "a", now=NOW)


def test_without_tensorboard_the_error_names_the_extra(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in [name for name in sys.modules if name.split(".")[0] == "tensorboard"]:
        monkeypatch.setitem(sys.modules, name, None)  # None in sys.modules reads as "not installed"
    with pytest.raises(UsageError, match=r"pip install 'lossboard\[tfevents\]'"):
        write_tfevents([make_run("a", series("train/loss", [0], [1.0]))], tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_the_stream_export_points_to_the_directory_writer() -> None:
    with pytest.raises(UsageError, match="write_tfevents"):
        export([make_run("a", series("train/loss", [0], [1.0]))], io.BytesIO(), fmt="tfevents")


def test_a_long_series_is_written_a_slice_at_a_time(tmp_path: Path) -> None:
    count = 120_000  # as Python numbers, its steps, wall times and values would be 360,000 objects
    run = make_run("long", series("train/loss", list(range(count)), np.linspace(0, 1, count).tolist(),
                                  np.linspace(1.7e9, 1.8e9, count).tolist()))
    baseline = sys.getallocatedblocks()
    peak, done = baseline, threading.Event()

    def watch() -> None:  # the most objects alive at once while the export runs
        nonlocal peak
        while not done.wait(0.002):
            peak = max(peak, sys.getallocatedblocks())

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        write_tfevents([run], tmp_path, now=NOW)
    finally:
        done.set()
        watcher.join()
    assert peak - baseline < count
    (back,) = lossboard.load(tmp_path)
    assert_same(run.series["train/loss"], back.series["train/loss"])


_STEPS = st.lists(st.integers(-(2**63), 2**63 - 1), min_size=1, max_size=40, unique=True).map(sorted)


@st.composite
def random_series(draw: st.DrawFn, tag: str) -> Series:
    steps = draw(_STEPS)
    values = draw(st.lists(st.floats(), min_size=len(steps), max_size=len(steps)))
    walls = draw(st.lists(st.just(NAN) | st.floats(allow_nan=False).filter(bool), min_size=len(steps),
                          max_size=len(steps)))
    return series(tag, steps, values, walls)


@given(loss=random_series("train/loss"), accuracy=random_series("val/accuracy"))
@settings(max_examples=60, deadline=None)
def test_random_series_round_trip_exactly(loss: Series, accuracy: Series) -> None:
    with tempfile.TemporaryDirectory() as out:
        write_tfevents([make_run("r", loss, accuracy)], out, now=NOW)
        (back,) = lossboard.load(out)
    assert back.tags == ["train/loss", "val/accuracy"]
    assert_same(loss, back.series["train/loss"])
    assert_same(accuracy, back.series["val/accuracy"])
