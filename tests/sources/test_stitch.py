"""Stitching the files of one run: the later file wins where epochs overlap."""

from __future__ import annotations

from lossboard.model import LR_CHANGE, RESUME, Event, Point
from lossboard.sources.collect import RunCollector
from lossboard.sources.reader import ParsedFile
from lossboard.sources.stitch import stitch


def parsed(path: str, epochs: range, value: float, events: tuple[Event, ...] = ()) -> ParsedFile:
    collector = RunCollector(path)
    collector.add([Point("val/accuracy", "Validation-accuracy", e, value, epoch=float(e)) for e in epochs])
    collector.add(list(events))
    return ParsedFile(path, "mxnet", collector)


def test_later_file_wins_for_overlapping_epochs_and_resume_is_an_event() -> None:
    run = stitch("alexnet", [
        parsed("training_0.log", range(0, 70), 0.0, (Event(LR_CHANGE, 66, 66.0, text="x"),)),
        parsed("training_65.log", range(65, 90), 1.0),
        parsed("training_85.log", range(85, 100), 2.0),
    ])
    series = run.series["val/accuracy"]
    assert series.step.tolist() == list(range(100))
    by_epoch = dict(zip(series.step.tolist(), series.value.tolist()))
    assert [by_epoch[e] for e in (64, 65, 84, 85, 99)] == [0.0, 1.0, 1.0, 2.0, 2.0]
    resumes = [(e.epoch, e.text) for e in run.events if e.kind == RESUME]
    assert resumes == [(65.0, "resumed in training_65.log"), (85.0, "resumed in training_85.log")]
    # the lr change at epoch 66 belonged to the abandoned part of the first file
    assert not [e for e in run.events if e.kind == LR_CHANGE]
    assert run.sources == ["training_0.log", "training_65.log", "training_85.log"]
    assert run.formats == ["mxnet"] * 3


def test_a_later_file_that_starts_after_the_earlier_one_ended_just_appends() -> None:
    run = stitch("r", [parsed("a_1.log", range(0, 5), 0.0), parsed("a_2.log", range(5, 8), 1.0)])
    assert run.series["val/accuracy"].step.tolist() == list(range(8))
