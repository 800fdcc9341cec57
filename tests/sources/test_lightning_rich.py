"""Lightning's RichProgressBar (issue 8: "Lightning with rich installed captured through a
terminal: no metrics found"), on a real Lightning 2.6 run through a terminal and a pipe.

The expected values are the run's own CSVLogger file, `rich_metrics.csv`, rounded as the bar
prints them (three decimals); see tests/sources/data/lightning/make_logs.py.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from lossboard.sources.detect import detect_file
from lossboard.sources.reader import parse_file
from tests.sources.helpers import canonical, parse_path, parse_text, problems

LIGHTNING = Path(__file__).parent / "data" / "lightning"
BATCHES = 32  # per epoch


def logged() -> dict[str, dict[int, float]]:
    """What the CSVLogger recorded: name -> {Lightning's step: value}."""
    found: dict[str, dict[int, float]] = {}
    with open(LIGHTNING / "rich_metrics.csv", newline="") as file:
        for row in csv.DictReader(file):
            for name, value in row.items():
                if value and name not in ("epoch", "step"):
                    found.setdefault(name, {})[int(row["step"])] = round(float(value), 3)
    return found


def series_of(name: str) -> dict[str, dict[int, float]]:
    series, _, _, _ = canonical(parse_path("lightning-rich", LIGHTNING / name))
    return {source: dict(zip(steps, values)) for source, steps, _, _, values in series.values()}


def test_a_terminal_capture_gives_every_epochs_validation_and_epoch_values() -> None:
    series = series_of("rich_pty.log")
    truth = logged()
    for name in ("val_loss", "val_acc", "train_acc_epoch"):
        # an epoch's values land where Lightning logs them: its last batch's step, 31 and 63
        assert series[name] == truth[name] and sorted(series[name]) == [BATCHES - 1, 2 * BATCHES - 1]
    # the batch-level loss the logger kept (log_every_n_steps=50) is the one the bar showed then
    assert series["train_loss"][49] == truth["train_loss"][49]
    assert len(series["train_loss"]) >= 60  # nearly every batch was drawn


def test_epoch_values_carry_their_epoch() -> None:
    series, _, _, _ = canonical(parse_path("lightning-rich", LIGHTNING / "rich_pty.log"))
    _, steps, epochs, _, _ = series["val/accuracy"]
    assert dict(zip(steps, epochs)) == {BATCHES - 1: 0.0, 2 * BATCHES - 1: 1.0}


def test_a_capture_through_a_pipe_keeps_the_last_frame() -> None:
    """Redirected to a file, rich prints the final frame only: the last epoch's values."""
    series = series_of("rich_file.log")
    truth = logged()
    for name in ("val_loss", "val_acc", "train_acc_epoch"):
        assert list(series[name].values()) == [truth[name][2 * BATCHES - 1]]


@pytest.mark.parametrize("name", ["rich_pty.log", "rich_file.log"])
def test_both_captures_are_detected_and_read_without_problems(name: str) -> None:
    path = LIGHTNING / name
    with open(path, "rb") as file:
        assert detect_file(file, path) == "lightning-rich"
    assert not problems(parse_path("lightning-rich", path))
    assert not parse_file(path).collector.problems


@pytest.mark.parametrize("name", ["tqdm_pty.log", "tqdm_file.log"])
def test_tqdm_captures_of_the_same_run_are_not_claimed(name: str) -> None:
    path = LIGHTNING / name
    with open(path, "rb") as file:
        assert detect_file(file, path) == "tqdm"


@pytest.mark.parametrize("chunk", [1, 7, 100, 4096])
def test_chunks_do_not_matter(chunk: int) -> None:
    text = (LIGHTNING / "rich_pty.log").read_bytes().decode()
    assert canonical(parse_text("lightning-rich", text, chunk)) == canonical(parse_text("lightning-rich", text))
