"""The ``prints`` line pipeline on logs of a real torch run printed in six hand-written styles,
each captured through a pipe and through a pseudo-terminal (data/mixed, see make_logs.py),
plus short samples for single rules. Expected values are read off the logs."""

from __future__ import annotations

import itertools
import math
import pickle
import time
from pathlib import Path

import pytest

from lossboard.model import RESUME, Point
from lossboard.sources.detect import detect
from lossboard.sources.formats import FORMATS
from tests.sources.helpers import canonical, events, expand, parse_path, parse_text, points, problems, values

CAPTURES = ["pipe", "pty"]


def series(items: list, tag: str, source_tag: str) -> list[tuple[int, float, float | None]]:
    """(step, value, epoch) of one printed name under one label, in order."""
    return [(p.step, p.value, p.epoch) for p in items if type(p) is Point and (p.tag, p.source_tag) == (tag, source_tag)]


def unread(text: str) -> list[int]:
    parser = FORMATS["prints"].Parser()
    parser.feed(text)
    parser.close()
    return parser.unread


def log(data: Path, style: str, capture: str) -> Path:
    return data / "mixed" / f"{style}_{capture}.log"


def script_lines(path: Path) -> list[int]:
    """The ``Script started/done`` lines a pty capture adds: numbers, but not the run's."""
    lines = path.read_bytes().decode().split("\n")
    return [n for n, line in enumerate(lines, 1) if line.startswith("Script ")]


@pytest.mark.parametrize("capture", CAPTURES)
@pytest.mark.parametrize("style", ["space_pairs", "colon_epoch", "tutorial", "step_pipes", "logger_bar", "glued"])
def test_every_style_is_detected_as_prints(data: Path, style: str, capture: str) -> None:
    path = log(data, style, capture)
    assert detect(path.read_bytes()[:65536], path) == "prints"


@pytest.mark.parametrize("capture", CAPTURES)
def test_space_separated_name_value_pairs(data: Path, capture: str) -> None:
    path = log(data, "space_pairs", capture)
    items = parse_path("prints", path)
    # "Epoch 1 loss 1.1313 acc 0.5094 val_loss 0.6894 val_acc 0.7625" ... "Epoch 5 loss 0.4291 ..."
    assert series(items, "train/loss", "loss") == [
        (1, 1.1313, 1.0), (2, 0.6037, 2.0), (3, 0.4926, 3.0), (4, 0.4532, 4.0), (5, 0.4291, 5.0)
    ]
    assert [v for _, v, _ in series(items, "train/accuracy", "acc")][0] == 0.5094
    assert [v for _, v, _ in series(items, "val/loss", "val_loss")][-1] == 0.4623
    assert [v for _, v, _ in series(items, "val/accuracy", "val_acc")][-1] == 0.8250
    assert unread(path.read_bytes().decode()) == script_lines(path)


@pytest.mark.parametrize("capture", CAPTURES)
def test_epoch_colon_then_pairs(data: Path, capture: str) -> None:
    path = log(data, "colon_epoch", capture)
    items = parse_path("prints", path)
    # "Epoch 10: train_loss 0.3972, val_loss 0.4425, val_acc 0.8250"
    assert series(items, "train/loss", "train_loss")[-1] == (10, 0.3972, 10.0)
    assert series(items, "val/loss", "val_loss")[-1] == (10, 0.4425, 10.0)
    assert len(series(items, "val/accuracy", "val_acc")) == 10
    assert unread(path.read_bytes().decode()) == script_lines(path)


@pytest.mark.parametrize("capture", CAPTURES)
def test_transfer_learning_tutorial_header_then_phase_lines(data: Path, capture: str) -> None:
    path = log(data, "tutorial", capture)
    items = parse_path("prints", path)
    # "Epoch 0/4", "----------", "train Loss: 1.1313 Acc: 0.5094", "val Loss: 0.6894 Acc: 0.7625"
    assert series(items, "train/loss", "train Loss")[0] == (0, 1.1313, 0.0)
    assert series(items, "val/loss", "val Loss")[0] == (0, 0.6894, 0.0)
    # each "Acc" takes the phase named before it on its line
    assert series(items, "train/accuracy", "Acc")[-1] == (4, 0.8906, 4.0)
    assert series(items, "val/accuracy", "Acc")[-1] == (4, 0.8250, 4.0)
    assert series(items, "val/Best_Acc", "Best val Acc") == [(4, 0.825, 4.0)]  # "Best val Acc: 0.825000"
    text = path.read_bytes().decode()
    lines = text.split("\n")
    complete = [n for n, line in enumerate(lines, 1) if line.startswith("Training complete in")]
    assert unread(text) == sorted(script_lines(path) + complete)  # "Training complete in 0m 0s"


@pytest.mark.parametrize("capture", CAPTURES)
def test_epoch_and_step_with_totals_between_pipes(data: Path, capture: str) -> None:
    items = parse_path("prints", log(data, "step_pipes", capture))
    loss = series(items, "train_batch/Avg_Loss", "Avg Loss")
    # "Epoch 1/3 | Step 5/20 | Avg Loss: 1.73 | Accuracy: 20.0%": step (1 - 1) * 20 + 5
    assert loss[0] == (5, 1.73, 1.25)
    # "Epoch 3/3 | Step 20/20 | Avg Loss: 0.49 | Accuracy: 87.5%": step (3 - 1) * 20 + 20
    assert loss[-1] == (60, 0.49, 4.0)
    assert series(items, "train_batch/accuracy", "Accuracy")[-1][1] == 87.5


@pytest.mark.parametrize("capture", CAPTURES)
def test_bars_written_through_a_logger_keep_their_prefix_apart(data: Path, capture: str) -> None:
    items = parse_path("prints", log(data, "logger_bar", capture))
    batch = series(items, "train_batch/loss", "loss")
    # "2026-... - INFO - Epoch 1:   5%|▌         | 1/20 [..., loss=2.5010]" ... "Epoch 2: ... 20/20 [..., loss=0.6037]"
    assert batch[0] == (1, 2.5010, 1.05)
    assert batch[-1] == (40, 0.6037, 3.0)  # "Epoch 2" counts on from 20
    assert len({step for step, _, _ in batch}) == 40
    # "Epoch 1 done: train_loss=1.1313 val_loss=0.6894 val_acc=0.7625", at the bar's last step
    assert series(items, "train/loss", "train_loss") == [(20, 1.1313, 1.0), (40, 0.6037, 2.0)]
    assert series(items, "val/accuracy", "val_acc")[0] == (20, 0.7625, 1.0)
    assert problems(items) == []


@pytest.mark.parametrize("capture", CAPTURES)
def test_logging_glued_to_a_redrawn_bar(data: Path, capture: str) -> None:
    path = log(data, "glued", capture)
    items = parse_path("prints", path)
    # "Epoch [1/4], Training Loss: 1.1313, Validation Loss: 0.6894, Accuracy: 76.25%"
    assert series(items, "train/loss", "Training Loss")[0] == (20, 1.1313, 1.0)
    assert series(items, "val/accuracy", "Accuracy")[-1] == (80, 82.50, 4.0)
    lr = series(items, "opt/lr", "Learning rate for next epoch")
    assert [(step, value) for step, value, _ in lr] == [(20, 0.05), (40, 0.025), (60, 0.025), (80, 0.0125)]
    # "Train: STEP 30 - EPOCH 1/4 | loss: 6.041E-01", glued after a bar redraw with no newline
    assert (30, 0.6041, 1.0) in series(items, "train_batch/loss", "loss")
    # the last redraw of epoch 4: "20/20 [00:00<00:00, ..., loss=0.4532]"
    assert max(series(items, "train_batch/loss", "loss")) == (80, 0.4532, 5.0)
    # the first lr line comes before any epoch, step or bar: listed, not guessed
    first_lr = 2 if capture == "pty" else 1
    assert unread(path.read_bytes().decode()) == sorted(script_lines(path) + [first_lr])


def test_header_sets_the_split_of_the_lines_below_it() -> None:
    text = "Epoch 2/10\nTraining:\nloss: 0.5 acc: 0.8\nValidation:\nloss: 0.6 acc: 0.7\n"
    items = parse_text("prints", text)
    assert series(items, "train/loss", "loss") == [(2, 0.5, 2.0)]
    assert series(items, "val/loss", "loss") == [(2, 0.6, 2.0)]
    assert series(items, "val/accuracy", "acc") == [(2, 0.7, 2.0)]


def test_a_config_dump_before_training_is_not_metrics() -> None:
    text = "batch_size: 80\nlr: 0.05\nweight decay = 1e-4\nEpoch 1\nloss: 0.5\n"
    items = parse_text("prints", text)
    assert [(p.tag, p.value) for p in items if type(p) is Point] == [("train/loss", 0.5)]
    assert unread(text) == [1, 2, 3]


def test_source_location_prefix_is_not_a_metric() -> None:
    text = "train.py[line:175] INFO: epoch 3 loss: 0.25\n[07:18:39] Node[0] epoch 4 loss: 0.2\n"
    items = parse_text("prints", text)
    assert [(p.tag, p.source_tag, p.step, p.value) for p in items] == [
        ("train/loss", "loss", 3, 0.25),
        ("train/loss", "loss", 4, 0.2),
    ]


def test_percent_counts_lists_and_stated_values() -> None:
    text = (
        "Epoch: 0\n"
        "learning rate is 0.1\n"
        "Testing Loss: 0.906 | Acc: 77.740% (7774/10000)\n"
        "Val Dice per class: 0.9486, 0.9315, 0.7781\n"
    )
    items = parse_text("prints", text)
    assert values(items, "opt/lr") == [0.1]
    assert values(items, "test/accuracy") == [77.74]
    assert values(items, "test/loss") == [0.906]
    # a list of numbers to the end of the line: one series per place
    assert [values(items, f"val/Dice_per_class[{i}]") for i in range(3)] == [[0.9486], [0.9315], [0.7781]]
    assert unread(text) == []
    # a number after a list's comma that is followed by words is no list: the value alone is not one
    assert unread("Epoch: 1\nloss: 0.5, 3 epochs left\n") == [2]


def test_nan_inf_malformed_and_a_step_that_goes_back() -> None:
    text = "step=10 loss=nan acc=inf\nstep=20 loss=0.4.1 grad=ok\nstep=5 loss=0.5 lr=1e-3 acc=0.9\n"
    items = parse_text("prints", text)
    loss = values(items, "train_batch/loss")
    assert math.isnan(loss[0]) and loss[1:] == [0.5]
    assert values(items, "train_batch/accuracy") == [math.inf, 0.9]
    assert values(items, "opt/lr") == [1e-3]  # "1e-3" is a value, not the first word of "1e-3 acc"
    [problem] = problems(items)  # "grad=ok" says no loss, acc or lr, so it is no problem
    assert problem.line == 2 and '"0.4.1"' in problem.message
    [resume] = events(items, RESUME)
    assert resume.step == 5


def test_a_sentence_with_numbers_is_unread_not_guessed() -> None:
    text = "Epoch 1 loss 0.3\nSaved best model at epoch 1 with val loss 0.1977\n"
    items = parse_text("prints", text)
    assert values(items, "val/loss") == []
    assert unread(text) == [2]


@pytest.mark.parametrize("chunk", [1, 2, 3, 7, 64])
def test_chunks_split_anywhere_give_the_same_records(data: Path, chunk: int) -> None:
    """The same series, events and problems; a bar's redraws that arrive in pieces are read as
    they come, so records of different series may come in another order."""
    text = log(data, "glued", "pty").read_bytes().decode()[:6000]
    assert canonical(parse_text("prints", text, chunk=chunk)) == canonical(parse_text("prints", text))


def test_a_bar_that_never_ends_its_line_is_read_as_it_is_drawn() -> None:
    """A live tail of a tqdm bar redrawn with \\r and no \\n yet (one line per epoch) gives
    each finished redraw at once; the one after the last \\r waits, it may still be written."""
    states = [f"Epoch 1: {n * 10:3d}%|{'#' * n:<10}| {n}/10 [00:0{n}<00:09, 1.00it/s, loss={1 - n / 20:.2f}]" for n in range(1, 5)]
    for name, as_bytes, before in itertools.product(("prints", "tqdm"), (False, True), ("", "epoch 0\n")):
        # fed as text or as the reader's bytes, after a complete line or not
        parser = FORMATS[name].Parser()
        feed = (lambda text, parser=parser: parser.feed_bytes(text.encode())) if as_bytes else parser.feed
        got = expand(feed(before + "\r".join(states[:3]) + "\r"))
        assert [p.value for p in points(got, "train_batch/loss")] == [0.95, 0.90], name
        got = expand(feed(states[3][:20]))
        assert [p.value for p in points(got, "train_batch/loss")] == [0.85], name
        got = expand(feed(states[3][20:] + "\n") + parser.close())
        assert [p.value for p in points(got, "train_batch/loss")] == [0.80], name


def test_the_keyvalue_id_reads_with_the_same_pipeline(data: Path) -> None:
    path = log(data, "step_pipes", "pipe")
    # what the parse means: a layout bulk-read once per process emits a series' block where the
    # first reading interleaved the series line by line
    assert canonical(parse_path("keyvalue", path)) == canonical(parse_path("prints", path))
    assert FORMATS["keyvalue"].sniff(path.read_text(), path.name) == 0.0


@pytest.mark.parametrize("capture", CAPTURES)
def test_a_logging_timestamp_is_the_wall_time_of_its_values(data: Path, capture: str) -> None:
    path = log(data, "logger_bar", capture)
    items = parse_path("prints", path)
    # the record with "Epoch 1 done: train_loss=1.1313 ..." starts with its local date and time
    [line] = [line for line in path.read_bytes().decode().split("\n") if "Epoch 1 done" in line]
    date, clock = line.split(" ")[:2]
    whole, millis = clock.split(",")
    expected = time.mktime(time.strptime(f"{date} {whole}", "%Y-%m-%d %H:%M:%S")) + int(millis) / 1000
    [point] = [p for p in items if type(p) is Point and p.source_tag == "train_loss"][:1]
    assert point.wall_time == pytest.approx(expected)
    # and every bar redraw written through the logger has its record's time
    assert all(p.wall_time is not None for p in items if type(p) is Point and p.tag == "train_batch/loss")


def test_a_parser_pickled_mid_stream_goes_on_as_if_never_stopped(data: Path) -> None:
    # the index store keeps a file's parser pickled between runs of `lossboard index`
    text = log(data, "glued", "pipe").read_bytes().decode()
    whole = parse_text("prints", text)
    parser = FORMATS["prints"].Parser()
    cut = len(text) // 2
    first = parser.feed(text[:cut])
    parser = pickle.loads(pickle.dumps(parser))
    assert expand(first + parser.feed(text[cut:]) + parser.close()) == whole


def test_the_same_text_parsed_twice_in_one_process_gives_the_same_records() -> None:
    # a line layout printed once is learned only when it comes again: in the same stream, not
    # because an earlier parse in the process saw it (its records' types would change)
    text = "Epoch [1/6], Step [10/161], Loss: 0.55\nsaved\nEpoch [1/6], Training Loss: 0.47, Accuracy: 5.74%\n"

    def records() -> list[tuple]:
        parser = FORMATS["prints"].Parser()
        items = parser.feed(text) + parser.close()
        return [(type(item).__name__, item) for item in expand(items)] + [type(item).__name__ for item in items]

    assert records() == records()
