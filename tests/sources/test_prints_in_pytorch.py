"""A script's own output between the PyTorch ImageNet example's lines is read, where the
example's lines are (issue 8): a real torch 2.13 run printing the example's format with
``print``, ``logging`` and a tqdm bar of its own (tests/sources/data/pytorch/make_mixed_logs.py),
captured through a pipe and through a pseudo-terminal, and a corpus log with prints inserted.
Expected values are grepped from the printed lines."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

import lossboard
from lossboard.sources.formats._lines import render

DATA = Path(__file__).parent / "data" / "pytorch"
CAPTURES = ["imagenet_mixed_pipe.log", "imagenet_mixed_pty.log"]
CORPUS = "pytorch-imagenet/salientnet_ssanet50_imagenet.log"
_TRAIN = re.compile(r"Epoch: \[(\d+)\]\[ *(\d+)/(\d+)\]")


def _lines(path: Path) -> list[str]:
    """The lines as a terminal shows them (the pty capture redraws tqdm with \\r)."""
    return [render(line) for line in path.read_bytes().decode().split("\n")]


def _series(run, source_tag: str) -> list[tuple[int, float]]:
    [series] = [s for s in run.series.values() if s.source_tag == source_tag]
    return list(zip(series.step.tolist(), series.value.tolist()))


@pytest.mark.parametrize("name", CAPTURES)
def test_a_logging_record_in_the_loop_is_read_at_the_step_of_the_line_before_it(name: str) -> None:
    expected, step = [], None
    for line in _lines(DATA / name):
        train = _TRAIN.search(line)
        if train:
            step = int(train[1]) * int(train[3]) + int(train[2])
        elif "grad norm: " in line:
            expected.append((step, float(line.rpartition(": ")[2])))
    assert len(expected) == 8
    [run] = lossboard.load(DATA / name)
    assert _series(run, "grad norm") == expected


@pytest.mark.parametrize("name", CAPTURES)
def test_a_print_after_the_summary_is_a_validation_value_where_the_epoch_ends(name: str) -> None:
    printed = [float(line.split(": ")[1]) for line in _lines(DATA / name) if line.startswith("val_loss: ")]
    [run] = lossboard.load(DATA / name)
    # beside the example's own validation values, at (epoch + 1) * 20 batches
    [accuracy] = [s for s in run.series.values() if s.tag == "val/accuracy"]
    assert accuracy.step.tolist() == [20, 40]
    [printed_loss] = [s for s in run.series.values() if s.source_tag == "val_loss"]
    assert printed_loss.tag == "val/loss"
    assert list(zip(printed_loss.step.tolist(), printed_loss.value.tolist())) == [(20, printed[0]), (40, printed[1])]
    assert printed_loss.epoch.tolist() == [0.0, 1.0]


@pytest.mark.parametrize("name", CAPTURES)
def test_the_config_dump_before_training_gives_nothing(name: str) -> None:
    [run] = lossboard.load(DATA / name)
    assert not [s for s in run.series.values() if s.source_tag in ("batch_size", "print_freq")]


@pytest.mark.parametrize("name", CAPTURES)
def test_the_examples_values_are_unchanged_by_the_scripts_output(name: str, tmp_path: Path) -> None:
    own = [line for line in _lines(DATA / name) if line.startswith(("Epoch: [", "Test: [", " *   Acc@1"))]
    assert len(own) == 8 + 4 + 2
    alone = tmp_path / "alone.log"
    alone.write_text("\n".join(own) + "\n")
    [plain], [mixed] = lossboard.load(alone), lossboard.load(DATA / name)
    for key, series in plain.series.items():
        np.testing.assert_array_equal(mixed.series[key].step, series.step)
        np.testing.assert_array_equal(mixed.series[key].value, series.value)


def test_prints_inserted_into_a_corpus_log_are_read_at_its_epochs(corpus: Path, tmp_path: Path) -> None:
    lines = (corpus / CORPUS).read_text().splitlines()
    at = {" * Acc@1 17.856": "val_loss: 2.0410", " * Acc@1 76.466": "val_loss: 0.9213"}
    mixed = tmp_path / "mixed.log"
    mixed.write_text("".join(line + "\n" + "".join(v + "\n" for k, v in at.items() if line.startswith(k))
                             for line in lines))
    [plain], [run] = lossboard.load(corpus / CORPUS), lossboard.load(mixed)
    # epochs 0 and 99 of 10,010 iterations end at steps 10,010 and 1,001,000
    assert _series(run, "val_loss") == [(10_010, 2.041), (1_001_000, 0.9213)]
    for key, series in plain.series.items():
        np.testing.assert_array_equal(run.series[key].value, series.value)
