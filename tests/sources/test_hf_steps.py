"""The arithmetic that places a printed Trainer dict at its step when no bar shows it."""

from __future__ import annotations

import pytest

from lossboard.sources.formats._hf_steps import (
    max_steps,
    nearest_steps,
    only_integer,
    per_epoch_from_summary,
    resolution,
    rounded,
    steps_from_epochs,
)


@pytest.mark.parametrize(("text", "quoted", "expected"), [
    ("0.3", True, 5e-5), ("2.333", True, 5e-4), ("1", True, 5e-4), ("1234", True, 0.5),  # .4g
    ("0.22", False, 5e-3), ("1.0", False, 5e-2), ("2.7199999999999998", False, 5e-17),  # 4.x, as printed
])  # fmt: skip
def test_resolution_is_half_the_last_digit_the_printing_kept(text, quoted, expected):
    assert resolution(text, quoted) == pytest.approx(expected)


def test_only_one_whole_number_counts():
    assert only_integer(5.993, 6.002) == 6
    assert only_integer(5.2, 5.8) is None  # none
    assert only_integer(5.9, 7.1) is None  # two


def test_max_steps_from_a_rate_rounded_to_three_decimals():
    # a real summary: 'train_runtime': '14.66', 'train_steps_per_second': '0.409', 6 steps
    runtime = rounded(14.66, resolution("14.66", True), 4)
    assert max_steps(runtime, (0.409, resolution("0.409", True))) is None  # too narrow to hold 6
    assert max_steps(runtime, rounded(0.409, resolution("0.409", True), 3)) == 6


def test_steps_of_epochs_exact_or_nearest():
    assert steps_from_epochs([(0.3333, 5e-5), (1.0, 5e-4), (2.333, 5e-4)], 3) == [1, 3, 7]  # .4g of 1/3...
    assert steps_from_epochs([(0.22, 5e-3)], 2319) is None  # 0.215-0.225 x 2319: 12 steps possible
    # two dicts printed at the same rounded epoch stay two steps, per kind of dict
    assert nearest_steps([(0.01, "train"), (0.01, "train"), (0.01, "eval")], 120) == [1, 2, 1]


def test_steps_of_an_epoch_need_a_whole_epoch_that_divides_max_steps():
    assert per_epoch_from_summary(30, 3.0) == 10
    assert per_epoch_from_summary(31, 3.0) is None
    assert per_epoch_from_summary(30, 2.5) is None  # max_steps stopped inside an epoch
