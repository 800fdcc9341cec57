"""Progbar: Keras's averaging and timing, drawing per stream, and lines the parser reads back.

Expected texts and values are worked out here from the inputs and the fake clock, with the
rules Keras's Progbar follows (keras/src/utils/progbar.py): step-weighted running means,
time per step leaving out the first update, ``%.0f`` times in s/ms/us, ETA as h:mm:ss.
"""

from __future__ import annotations

import io
import math

import numpy as np
import pytest

from lossboard.errors import LossboardWarning
from lossboard.log._bar import format_eta, format_step_time, format_value
from lossboard.log.progbar import Progbar, redraws_in_place
from lossboard.model import Meta, Point
from lossboard.sources.formats import FORMATS
from tests.fakes import Clock, RecordingWriter


class BrokenPipe(io.StringIO):
    name = "<broken pipe>"

    def write(self, text: str) -> int:
        raise BrokenPipeError(32, "Broken pipe")


def states(text: str) -> list[str]:
    """What a terminal showed, state by state: the text between carriage returns."""
    return [part.rstrip(" \n") for part in text.split("\r") if part]


# --- formats --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(2.4, "2s/step"), (1.0, "1s/step"), (0.0613, "61ms/step"), (0.00025, "250us/step"), (0.0, "0s/step")],
)
def test_step_time_picks_s_ms_or_us(seconds: float, text: str) -> None:
    assert format_step_time(seconds) == text


def test_step_time_names_the_unit() -> None:
    assert format_step_time(0.002, "sample") == "2ms/sample"


@pytest.mark.parametrize(("seconds", "text"), [(45.7, "45s"), (125, "2:05"), (3725, "1:02:05"), (-3, "0s")])
def test_eta_as_seconds_minutes_or_hours(seconds: float, text: str) -> None:
    assert format_eta(seconds) == text


@pytest.mark.parametrize(
    ("value", "text"), [(0.69314, "0.6931"), (-2.5, "-2.5000"), (2.5e-4, "2.5000e-04"), (math.nan, "nan")]
)
def test_values_show_four_decimals(value: float, text: str) -> None:
    assert format_value(value) == text


# --- averaging -------------------------------------------------------------------------------


def test_values_are_weighted_by_the_steps_they_cover() -> None:
    out = io.StringIO()
    bar = Progbar(8, verbose=2, stream=out, clock=Clock())
    bar.update(1, [("loss", 1.0)])
    bar.update(4, [("loss", 0.5)])  # covers 3 steps
    bar.add(4, [("loss", 0.25)])  # covers 4 steps
    mean = (1.0 * 1 + 0.5 * 3 + 0.25 * 4) / 8
    assert out.getvalue().endswith(f" - loss: {mean:.4f}\n")


def test_stateful_metrics_show_their_latest_value() -> None:
    out = io.StringIO()
    bar = Progbar(3, verbose=2, stateful_metrics=["lr"], stream=out, clock=Clock())
    for step, lr in [(1, 0.1), (2, 0.05), (3, 0.025)]:
        bar.update(step, [("loss", step), ("lr", lr)])
    assert out.getvalue().endswith(" - loss: 2.0000 - lr: 0.0250\n")


def test_numpy_scalars_are_values() -> None:
    out = io.StringIO()
    bar = Progbar(2, verbose=2, stream=out, clock=Clock())
    bar.update(1, [("loss", np.float32(0.5))])
    bar.update(2, [("loss", np.array(1.5))])
    assert out.getvalue().endswith(" - loss: 1.0000\n")


# --- timing ----------------------------------------------------------------------------------


def test_time_per_step_leaves_out_the_first_update() -> None:
    clock = Clock()
    out = io.StringIO()
    bar = Progbar(100, stream=out, clock=clock, dynamic=True, interval=0)
    clock.now = 5.0  # a slow first step (graph building)
    bar.update(1)
    clock.now = 5.0 + 9 * 0.25
    bar.update(10)
    # 90 steps left at 0.25 s each: 22.5 s
    assert (
        states(out.getvalue())[-1] == " 10/100 [==>...........................] - 7s - ETA: 22s - 250ms/step"
    )


def test_eta_past_an_hour() -> None:
    clock = Clock()
    out = io.StringIO()
    bar = Progbar(10_000, width=0, stream=out, clock=clock, dynamic=True, interval=0)
    bar.update(1)
    clock.now = 2.0
    bar.update(3)  # 1 s per step, 9,997 steps left: 2:46:37
    assert states(out.getvalue())[-1] == "    3/10000 - 2s - ETA: 2:46:37 - 1s/step"


# --- drawing ---------------------------------------------------------------------------------


def test_terminal_redraws_in_place_and_ends_with_a_newline() -> None:
    clock = Clock()
    out = io.StringIO()
    bar = Progbar(4, width=4, stream=out, clock=clock, dynamic=True, interval=1.0)
    for step in range(1, 5):
        clock.now = step * 0.5
        bar.update(step, [("loss", 1.0)])
    # drawn at once, then once a second (steps 1 and 3), and the final state
    assert out.getvalue().count("\r") == 3
    assert out.getvalue().endswith("\n") and out.getvalue().count("\n") == 1
    assert [state.split(" - ")[0] for state in states(out.getvalue())] == [
        "1/4 [>...]",
        "3/4 [==>.]",
        "4/4 [====]",
    ]


def test_a_shorter_redraw_blanks_out_the_longer_one() -> None:
    clock = Clock()
    out = io.StringIO()
    bar = Progbar(None, stream=out, clock=clock, dynamic=True, interval=0)
    bar.update(1, [("loss", -12345.0)])
    first = out.getvalue()
    bar.update(1001, [("loss", 0.0)])
    second = out.getvalue()[len(first) :]
    # "loss: -12345.0000" then "loss: -12.3327": three spaces cover the old tail
    assert second.endswith("-12.3327   ") and len(second) == len(first)


def test_unknown_target_counts_then_knows_its_total() -> None:
    clock = Clock()
    out = io.StringIO()
    bar = Progbar(None, stream=out, clock=clock, dynamic=True, interval=0)
    clock.now = 1.0
    bar.add(10, [("loss", 1.0)])
    clock.now = 2.0
    bar.add(10, [("loss", 0.0)])
    bar.update(20, finalize=True)
    shown = states(out.getvalue())
    assert shown[0] == "     10/Unknown - 1s - 100ms/step - loss: 1.0000"
    assert shown[1] == "     20/Unknown - 2s - 100ms/step - loss: 0.5000"
    assert shown[2] == "20/20 [==============================] - 2s - 100ms/step - loss: 0.5000"
    assert out.getvalue().endswith("\n")


def test_verbose_0_writes_nothing_and_reads_the_clock_once() -> None:
    clock = Clock()
    out = io.StringIO()
    bar = Progbar(10, verbose=0, stream=out, clock=clock)
    for step in range(1, 11):
        bar.update(step, [("loss", 1.0)])
    assert out.getvalue() == ""
    assert clock.reads == 1  # at construction


def test_verbose_2_writes_one_line_per_target() -> None:
    clock = Clock()
    out = io.StringIO()
    bar = Progbar(50, verbose=2, stream=out, clock=clock, dynamic=True)
    for step in range(1, 51):
        clock.now = step * 0.1
        bar.update(step, [("accuracy", 0.5)])
    assert out.getvalue() == "50/50 - 5s - 100ms/step - accuracy: 0.5000\n"


def test_pipe_lines_are_throttled_by_tenths_and_time() -> None:
    clock = Clock()
    out = io.StringIO()
    bar = Progbar(100, stream=out, clock=clock, line_interval_s=30)
    for step in range(1, 101):
        clock.now = float(step)
        bar.update(step, [("loss", 2.0)])
    text = out.getvalue()
    assert "\r" not in text and "\b" not in text and "\x1b" not in text
    # first update of a tenth, 30 s after the previous line: 30, 60, 90; then the final state
    assert [line.split("/")[0].strip() for line in text.splitlines()] == ["30", "60", "90", "100"]
    # the clock is read at construction, at the first update, at each new tenth and at the end
    assert clock.reads == 1 + 1 + 9 + 1


def test_pipe_always_writes_the_final_line() -> None:
    clock = Clock()
    out = io.StringIO()
    bar = Progbar(1000, stream=out, clock=clock)
    for step in range(1, 1001):
        clock.now = step * 0.001
        bar.update(step, [("loss", 1.0)])
    assert out.getvalue() == "1000/1000 - 1s - 1ms/step - loss: 1.0000\n"


def test_pipe_with_unknown_target_writes_on_time() -> None:
    clock = Clock()
    out = io.StringIO()
    bar = Progbar(None, stream=out, clock=clock, line_interval_s=10)
    for step in range(1, 26):
        clock.now = float(step)
        bar.update(step)
    bar.update(25, finalize=True)
    assert [line.split(" - ")[0].strip() for line in out.getvalue().splitlines()] == [
        "10/Unknown",
        "20/Unknown",
        "25/25",
    ]


class _NotebookStream(io.StringIO):
    """Stands for ipykernel's OutStream, recognised by its module."""


_NotebookStream.__module__ = "ipykernel.iostream"


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        super().isatty()  # raises ValueError once closed, as a real stream does
        return True


def test_redraws_on_terminals_and_in_jupyter_only() -> None:
    assert redraws_in_place(_Terminal())
    assert redraws_in_place(_NotebookStream())
    assert not redraws_in_place(io.StringIO())
    closed = _Terminal()
    closed.close()
    assert not redraws_in_place(closed)


def test_a_terminal_gets_the_bar_a_file_gets_lines() -> None:
    for stream, redrawn in [(_Terminal(), True), (io.StringIO(), False)]:
        Progbar(1, stream=stream, clock=Clock()).update(1, [("loss", 1.0)])
        assert stream.getvalue().startswith("\r") is redrawn


# --- writer and failures ---------------------------------------------------------------------


def test_writer_gets_the_shown_values_at_offset_steps() -> None:
    writer = RecordingWriter()
    bar = Progbar(4, verbose=0, stateful_metrics=["lr"], writer=writer, step_offset=40, clock=Clock())
    bar.update(2, [("loss", 1.0), ("lr", 0.1)])
    bar.update(4, [("loss", 0.0)])
    assert writer.scalars == [
        ("train_batch/loss", 1.0, 42),
        ("train_batch/lr", 0.1, 42),
        ("train_batch/loss", 0.5, 44),
    ]


def test_a_new_bar_each_epoch_continues_the_steps(tmp_path) -> None:
    """Issue 11: a new Progbar(writer=w) per epoch restarted at step 1 and overwrote the last epoch."""
    import lossboard
    from lossboard.log.writer import SummaryWriter

    with SummaryWriter(tmp_path) as writer:
        for epoch in range(3):
            bar = Progbar(2, verbose=0, writer=writer, clock=Clock())
            for batch in (1, 2):
                bar.update(batch, [("loss", 10.0 * epoch + batch)])
        other = RecordingWriter()  # another writer's bars count on their own
        Progbar(1, verbose=0, writer=other, clock=Clock()).update(1, [("loss", 1.0)])
    (run,) = lossboard.load(tmp_path)
    assert run.series["train_batch/loss"].step.tolist() == [1, 2, 3, 4, 5, 6]
    assert other.scalars == [("train_batch/loss", 1.0, 1)]


def test_writer_needs_add_scalar() -> None:
    with pytest.raises(TypeError, match="add_scalar"):
        Progbar(4, writer=object())


def test_bad_verbose_fails_at_construction() -> None:
    with pytest.raises(ValueError, match="verbose"):
        Progbar(4, verbose=3)


def test_a_broken_stream_warns_once_and_training_goes_on() -> None:
    stream = BrokenPipe()
    bar = Progbar(2, stream=stream, clock=Clock(), dynamic=True)
    with pytest.warns(LossboardWarning, match="<broken pipe>") as caught:
        for step in range(1, 3):
            bar.update(step, [("loss", 1.0)])
    assert len(caught) == 1


def test_a_broken_stream_raises_when_strict() -> None:
    bar = Progbar(2, stream=BrokenPipe(), clock=Clock(), dynamic=True, strict=True)
    with pytest.raises(BrokenPipeError):
        bar.update(1, [("loss", 1.0)])


# --- round trip through the keras-stdout parser ----------------------------------------------

EPOCHS = 3
TARGET = 10  # each update below starts a new tenth, so a file gets a line for each
POSITIONS = [1, 2, 4, 5, 8, 10]  # uneven update sizes
STEP_S = 0.25


def _batch_values(epoch: int, position: int) -> dict[str, float]:
    return {
        "loss": 2.0 / (epoch + position) + 0.013 * (position % 3),
        "accuracy": position / (TARGET + epoch),
        "kl": 3.3e-4 / (epoch + position),  # below 1e-3: printed with an exponent
    }


def _train(dynamic: bool) -> tuple[str, dict[tuple[str, int], float]]:
    """Run EPOCHS epochs of bars into a StringIO; return the text and the expected points."""
    clock = Clock()
    out = io.StringIO()
    expected: dict[tuple[str, int], float] = {}
    for epoch in range(1, EPOCHS + 1):
        out.write(f"Epoch {epoch}/{EPOCHS}\n")
        start = clock.now
        bar = Progbar(
            TARGET, stream=out, clock=clock, dynamic=dynamic, interval=0, line_interval_s=0,
            stateful_metrics=["lr"],
        )  # fmt: skip
        sums: dict[str, float] = {}
        previous = 0
        for position in POSITIONS:
            clock.now += STEP_S * (position - previous)
            values = _batch_values(epoch, position)
            for name, value in values.items():
                sums[name] = sums.get(name, 0.0) + value * (position - previous)
            logged = [*values.items(), ("lr", 0.01 / epoch)]
            if position == TARGET:
                logged += [("val_loss", 1.5 / epoch), ("val_accuracy", 0.3 + 0.1 * epoch)]
            bar.update(position, logged)
            previous = position
            means = {name: total / position for name, total in sums.items()}
            if position < TARGET:
                for name, mean in means.items():
                    expected[(f"train_batch/{name}", (epoch - 1) * TARGET + position)] = mean
        end = epoch * TARGET  # epoch-level values sit at the global step where the epoch ended
        for name, mean in means.items():
            expected[(f"train/{name}", end)] = mean
        expected[("opt/lr", end)] = 0.01 / epoch
        expected[("val/loss", end)] = 1.5 / epoch
        expected[("val/accuracy", end)] = 0.3 + 0.1 * epoch
        expected[("perf/epoch_time_s", end)] = round(clock.now - start)
        expected[("perf/step_time_s", end)] = STEP_S  # 250ms/step: exact in ms
    return out.getvalue(), expected


def _printed_precision(value: float) -> float:
    """Half a unit of the last printed digit: 4 decimals, or 4 decimals of mantissa below 1e-3."""
    if abs(value) > 1e-3:
        return 0.5e-4
    return 0.5e-4 * 10 ** math.floor(math.log10(abs(value)))


@pytest.mark.parametrize("dynamic", [False, True], ids=["pipe", "terminal"])
def test_keras_stdout_parser_reads_every_value_back(dynamic: bool) -> None:
    text, expected = _train(dynamic)
    if not dynamic:
        assert "\r" not in text and "\b" not in text and "\x1b" not in text
    module = FORMATS["keras-stdout"]
    assert module.sniff(text[:4096], "train.log") == 1.0
    parser = module.Parser()
    items = parser.feed(text) + parser.close()
    points = {(item.tag, item.step): item for item in items if isinstance(item, Point)}
    assert [item for item in items if not isinstance(item, Point)] == [Meta("framework", "keras")]
    assert sorted(points) == sorted(expected)
    for key, value in expected.items():
        got = points[key].value
        assert abs(got - value) <= _printed_precision(value) * (1 + 1e-9), (key, got, value)
    # batch points sit at fractional epochs, epoch points at whole ones
    assert points[("train_batch/loss", TARGET + 5)].epoch == pytest.approx(1 + 5 / TARGET)
    assert points[("train/loss", 2 * TARGET)].epoch == 2.0


def test_nan_and_inf_read_back_as_values() -> None:
    out = io.StringIO()
    out.write("Epoch 1/1\n")
    bar = Progbar(2, verbose=2, stream=out, clock=Clock())
    bar.update(1, [("loss", 1.0), ("grad", math.inf)])
    bar.update(2, [("loss", math.nan), ("grad", 1.0)])
    parser = FORMATS["keras-stdout"].Parser()
    values = {
        item.tag: item.value
        for item in parser.feed(out.getvalue()) + parser.close()
        if isinstance(item, Point)
    }
    assert math.isnan(values["train/loss"]) and values["train/grad"] == math.inf
