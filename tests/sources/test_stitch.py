"""Stitching the files of one run: the later file wins where epochs overlap."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from lossboard.model import LR_CHANGE, RESUME, Event, Point
from lossboard.sources import load
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


# ---- where a resumed file takes over ----------------------------------------------------------


def test_lr_printed_before_the_first_metric_line_does_not_move_the_resume_point() -> None:
    # a scheduler catching up at the start of a resumed file, as an older parser placed it
    catch_up = tuple(Event(LR_CHANGE, 0, 0.0, text="Update[2001]") for _ in range(5))
    later = RunCollector("training_4.log")
    later.add([Point("opt/lr", "lr", 0, 0.04, epoch=0.0)])
    later.add([Point("val/accuracy", "Validation-accuracy", e, 1.0, epoch=float(e)) for e in range(4, 8)])
    later.add(list(catch_up))
    run = stitch("r", [parsed("training_0.log", range(0, 6), 0.0), ParsedFile("training_4.log", "mxnet", later)])
    series = run.series["val/accuracy"]
    assert series.step.tolist() == list(range(8))
    assert series.value.tolist() == [0.0] * 4 + [1.0] * 4
    assert [e.epoch for e in run.events if e.kind == RESUME] == [4.0]


def test_a_file_of_settings_only_takes_over_where_they_start() -> None:
    later = RunCollector("b_2.log")
    later.add([Point("opt/lr", "lr", e, 0.1, epoch=float(e)) for e in (3, 4)])
    run = stitch("r", [parsed("b_1.log", range(0, 6), 0.0), ParsedFile("b_2.log", "mxnet", later)])
    assert run.series["val/accuracy"].step.tolist() == [0, 1, 2]


# Lines of corpus file 51 (tornadomeet ResNet-18, MXNet 0.11): a run stopped during epoch 5 and
# resumed with --model-load-epoch=4, whose second file opens with the scheduler catching up.
def _mxnet_file(namespace: str, catch_up: int, epochs: range, accuracy: str) -> str:
    lines = [f"INFO:root:Namespace(batch_size=256, frequent=100, gpus='2,3', {namespace})"]
    lines += ["INFO:root:Update[2001]: Change learning rate to 4.00000e-02"] * catch_up
    for e in epochs:
        for b in (100, 200, 300):
            lines.append(f"INFO:root:Epoch[{e}] Batch [{b}]\tSpeed: 652.68 samples/sec\tTrain-accuracy=0.002617")
            lines.append(f"INFO:root:Epoch[{e}] Batch [{b}]\tSpeed: 652.68 samples/sec\tTrain-top_k_accuracy_5=0.011484")
        lines.append(f"INFO:root:Epoch[{e}] Time cost=2979.937")
        lines.append(f'INFO:root:Saved checkpoint to "model/resnet-imagenet-18-0-{e + 1:04d}.params"')
        lines.append(f"INFO:root:Epoch[{e}] Validation-accuracy={accuracy}")
    return "\n".join(lines) + "\n"


def test_resumed_mxnet_file_opening_with_lr_catch_up_keeps_the_earlier_epochs(tmp_path) -> None:
    first = tmp_path / "training_0.log"
    first.write_text(_mxnet_file("lr=0.1, model_load_epoch=0, retrain=False", 0, range(0, 5), "0.676100"))
    second = tmp_path / "training_4.log"
    second.write_text(_mxnet_file("lr=0.1, model_load_epoch=4, retrain=True", 5, range(4, 7), "0.690310"))
    [run] = load(first, second)
    val = run.series["val/accuracy"]
    assert val.epoch.tolist() == [0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0]
    assert val.value.tolist() == [0.676100] * 4 + [0.690310] * 3
    assert [e.epoch for e in run.events if e.kind == RESUME] == [4.0]
    batch = run.series["train_batch/accuracy"]
    assert sorted(set(np.floor(batch.epoch).tolist())) == [0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0]
    lr = run.series["opt/lr"]
    assert lr.epoch.tolist() == [0.0, 4.0] and lr.value.tolist() == [0.1, 0.04]


# ---- property: stitching never drops an epoch that no later file covers ---------------------

_BATCHES = (2, 5, 8)  # batch-level points at epoch + b/10


@st.composite
def _resumed_files(draw) -> list[tuple[int, int, str]]:
    """(first epoch, last epoch, how it opens: "" or an lr catch-up at epoch 0 or at no epoch)."""
    count = draw(st.integers(1, 4))
    files = []
    for index in range(count):
        start = draw(st.integers(0, 12))
        end = draw(st.integers(start, 15))
        files.append((start, end, draw(st.sampled_from(["", "at epoch 0", "no epoch"])) if index else ""))
    return files


def _file(index: int, start: int, end: int, catch_up: str) -> ParsedFile:
    path = f"run_{index}.log"
    collector = RunCollector(path)
    if catch_up:
        epoch = 0.0 if catch_up == "at epoch 0" else None
        collector.add([Point("opt/lr", "lr", 0, 0.04, epoch=epoch), Event(LR_CHANGE, 0, epoch, text="catch-up")])
    for epoch in range(start, end + 1):
        collector.add([
            Point("train_batch/accuracy", "accuracy", epoch * 10 + b, index, epoch=epoch + b / 10)
            for b in _BATCHES
        ])
        collector.add([Point("val/accuracy", "Validation-accuracy", epoch, index, epoch=float(epoch))])
    return ParsedFile(path, "mxnet", collector)


@given(_resumed_files())
@settings(max_examples=200, deadline=None)
def test_stitching_keeps_each_epoch_from_the_last_file_that_resumed_before_it(files) -> None:
    run = stitch("r", [_file(i, *spec) for i, spec in enumerate(files)])
    # an epoch belongs to the last file that started at or before it; that file has it unless
    # it stopped earlier, and then the epoch was abandoned by the restart
    expected = {}
    for epoch in range(16):
        owners = [i for i, (start, _, _) in enumerate(files) if start <= epoch]
        if owners and epoch <= files[owners[-1]][1]:
            expected[float(epoch)] = float(owners[-1])
    val = run.series["val/accuracy"]
    assert dict(zip(val.epoch.tolist(), val.value.tolist())) == expected
    batch = run.series["train_batch/accuracy"]
    kept = {(e // 1, v) for e, v in zip(batch.epoch.tolist(), batch.value.tolist())}
    assert kept == set(expected.items())
    assert len(batch) == len(_BATCHES) * len(expected)
