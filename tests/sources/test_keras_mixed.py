"""A training script's own output between Keras's lines is read, placed with Keras's epoch
values (issue 8): real Keras 3 runs (tests/sources/data/keras/make_mixed_logs.py) whose script
prints a config before training, a ``print`` inside the progress bar (glued to a bar state in
``verbose=1``), a ``print`` and a ``logging`` record in ``on_epoch_end`` and a tqdm bar over its
own validation loop, captured through a pipe and through a pseudo-terminal. Expected values are
the ones the script printed (its JSON beside each log), never lossboard's output."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lossboard.model import Item, SeriesMap
from lossboard.sources.collect import RunCollector
from tests.sources.helpers import parse_path, problems

CAPTURES = ["mixed_verbose1_pipe", "mixed_verbose1_pty", "mixed_verbose2_pipe", "mixed_verbose2_pty"]
EPOCH_ENDS = [13, 26, 39]  # each epoch's bar shows 13/13: Keras's epoch values sit at 13, 26, 39


def _series(items: list[Item]) -> SeriesMap:
    collector = RunCollector("test")
    collector.add(items)
    return collector.series()


def _read(data: Path, name: str) -> tuple[SeriesMap, list[Item], dict]:
    items = parse_path("keras-stdout", data / "keras" / f"{name}.log")
    return _series(items), items, json.loads((data / "keras" / f"{name}.json").read_text())


@pytest.mark.parametrize("name", CAPTURES)
def test_the_scripts_prints_are_read_at_the_epoch_keras_is_in(data: Path, name: str) -> None:
    series, _, truth = _read(data, name)
    for printed, tag in [("weight_norm", "train/weight_norm"), ("val_margin", "val/margin"),
                         ("train_seconds", "train/seconds"), ("val_f1", "val/f1")]:
        found = series[tag, printed]
        assert found.value.tolist() == truth["printed"][printed], printed
        assert found.epoch.tolist() == [1, 2, 3], printed
        # beside Keras's own values of the epoch: one x for val_margin and val_loss
        assert found.step.tolist() == EPOCH_ENDS, printed


@pytest.mark.parametrize("name", CAPTURES)
def test_kerass_own_values_are_unchanged_by_the_prints(data: Path, name: str) -> None:
    series, items, truth = _read(data, name)
    for key, tag in [("loss", "train/loss"), ("accuracy", "train/accuracy"),
                     ("val_loss", "val/loss"), ("val_accuracy", "val/accuracy")]:
        found = series[tag, key]
        assert found.step.tolist() == EPOCH_ENDS
        assert found.value.tolist() == pytest.approx(truth["history"][key], abs=5e-5)
    assert not problems(items)


@pytest.mark.parametrize("name", CAPTURES)
def test_a_config_printed_before_training_is_not_read(data: Path, name: str) -> None:
    """``batch_size: 8`` and ``epochs: 3`` come before ``Epoch 1/3``: no epoch to put them at."""
    series, _, _ = _read(data, name)
    assert not [s for s in series.values() if s.source_tag in ("batch_size", "epochs")]


def test_a_print_glued_to_a_bar_state_is_split_off() -> None:
    """Keras 3 ends a redraw without a newline; a print lands right after the last value."""
    from tests.sources.helpers import parse_text, points

    bar = "\r 3/13 ━━━━━━━━━━━━━━━━━━━━ 0s 34ms/step - accuracy: 0.5833 - loss: 0.7203"
    text = f"Epoch 1/1\n{bar}grad_norm: 1.5\n\r13/13 ━━━━━━━━━━━━━━━━━━━━ 1s 9ms/step - loss: 0.6\n"
    items = parse_text("keras-stdout", text)
    assert [(p.step, p.value) for p in points(items, "train_batch/loss")] == [(3, 0.7203)]
    assert [(p.step, p.value) for p in points(items) if p.source_tag == "grad_norm"] == [(13, 1.5)]
    assert [(p.step, p.value) for p in points(items, "train/loss")] == [(13, 0.6)]
    assert not problems(items)


def test_an_epoch_line_of_a_users_callback_is_read_and_kerass_own_are_events() -> None:
    from tests.sources.helpers import events, parse_text, points

    text = ("Epoch 1/2\nEpoch 1: val_loss improved from inf to 0.50000, saving model to m.keras\n"
            "Epoch 1: val_iou 0.6123\n10/10 - 1s - loss: 0.7 - val_loss: 0.5\n")
    items = parse_text("keras-stdout", text)
    assert [(p.step, p.epoch, p.value) for p in points(items, "val/iou")] == [(10, 1.0, 0.6123)]
    assert [e.step for e in events(items)] == [10]
    assert {p.tag for p in points(items)} == {"val/iou", "train/loss", "val/loss", "perf/epoch_time_s"}


@pytest.mark.parametrize("name", CAPTURES)
def test_a_keras_log_with_a_scripts_tqdm_bar_is_still_detected_as_keras(data: Path, name: str) -> None:
    from lossboard.sources.detect import detect_file

    path = data / "keras" / f"{name}.log"
    with open(path, "rb") as file:
        assert detect_file(file, path) == "keras-stdout"
