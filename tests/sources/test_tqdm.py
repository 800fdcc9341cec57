"""tqdm bars: a plain PyTorch loop and Lightning's TQDMProgressBar, each captured redirected to a
file and through a pseudo-terminal (data/tqdm, data/lightning), plus snippets."""

from __future__ import annotations

import math

import pytest

from lossboard.sources.formats import tqdm
from tests.sources.helpers import parse_path, parse_text, points, problems, values

PLAIN = ["tqdm/plain_loop_file.log", "tqdm/plain_loop_pty.log"]
LIGHTNING = ["lightning/tqdm_file.log", "lightning/tqdm_pty.log"]


@pytest.mark.parametrize("name", PLAIN)
def test_plain_loop_postfix_is_batch_level_with_global_steps(data, name: str) -> None:
    items = parse_path("tqdm", data / name)
    loss = points(items, "train_batch/loss")
    steps = [p.step for p in loss]
    assert steps == sorted(steps) and 0 < steps[0] and steps[-1] == 40  # 2 epochs of 20 batches
    # the last redraw of "Epoch 1": "20/20 [...] acc=1, loss=0.00224]"
    assert (loss[-1].value, loss[-1].epoch) == (0.00224, 2.0)
    assert values(items, "train_batch/accuracy")[-1] == 1.0
    assert all(p.step > 20 for p in loss if p.epoch > 1)  # "Epoch 1" counts on from 20
    assert all(p.value > 0 for p in points(items, "perf/its_per_sec"))
    assert problems(items) == []


@pytest.mark.parametrize("name", PLAIN)
def test_plain_loop_val_bar_final_state_is_epoch_level(data, name: str) -> None:
    items = parse_path("tqdm", data / name)
    # "val: 100%|...| 10/10 [..., acc=0.988, loss=0.0403]" and later "acc=0.994, loss=0.0151"
    assert [(p.step, p.value, p.epoch) for p in points(items, "val/loss")] == [
        (20, 0.0403, 0.0),
        (40, 0.0151, 1.0),
    ]
    assert values(items, "val/accuracy") == [0.988, 0.994]


def test_lightning_epoch_values_come_from_the_final_redraw(data) -> None:
    items = parse_path("tqdm", data / LIGHTNING[0])
    # "Epoch 0: 100%|...| 32/32 [..., val_loss=0.427, val_acc=0.852, train_acc_epoch=0.746]";
    # Lightning logs an epoch's values at its last batch's step, 31 (batches done before it)
    assert [(p.step, p.value, p.epoch) for p in points(items, "val/loss")] == [(31, 0.427, 0.0), (63, 0.373, 1.0)]
    assert values(items, "val/accuracy") == [0.852, 0.844]
    assert values(items, "train/accuracy") == [0.746, 0.855]  # train_acc_epoch
    # train_loss and train_acc_step are per step; v_num is not a metric
    assert values(items, "train_batch/loss")[-1] == 0.221
    assert values(items, "train_batch/accuracy")[-1] == 1.0
    assert not [p for p in points(items) if "v_num" in p.tag]
    # sanity check and validation bars give no training points
    assert max(p.step for p in points(items)) == 63


def test_lightning_in_a_narrow_terminal_drops_the_cut_pair(data) -> None:
    items = parse_path("tqdm", data / LIGHTNING[1])
    # 100 columns cut the postfix after "train_acc_step=1.000, v": no val values, no bogus ones
    assert points(items, "val/loss") == []
    assert values(items, "train_batch/loss")[-1] == 0.221
    assert problems(items) == []


def test_seconds_per_iteration_unknown_total_and_no_description() -> None:
    text = "train:  45%|####5     | 45/100 [00:02<00:03,  2.50s/it, loss=0.4]\r\n7it [00:01,  5.00it/s, loss=nan]\n"
    items = parse_text("tqdm", text)
    assert values(items, "perf/its_per_sec") == [0.4, 5.0]
    first, second = points(items, "train_batch/loss")
    assert (first.step, first.value, first.epoch) == (45, 0.4, None)
    assert second.step == 7 and math.isnan(second.value)


def test_redraws_count_on_across_bars() -> None:
    text = (
        "\rEpoch 1:  50%|#####     | 2/4 [00:01<00:01,  2.00it/s, loss=0.9]"
        "\rEpoch 1: 100%|##########| 4/4 [00:02<00:00,  2.00it/s, loss=0.7]\n"
        "\rEpoch 2:  50%|#####     | 2/4 [00:01<00:01,  2.00it/s, loss=0.5, val_loss=0.8]"
        "\rEpoch 2: 100%|##########| 4/4 [00:02<00:00,  2.00it/s, loss=0.4, val_loss=0.6]\n"
    )
    items = parse_text("tqdm", text)
    assert [(p.step, p.value, p.epoch) for p in points(items, "train_batch/loss")] == [
        (2, 0.9, 1.5),
        (4, 0.7, 2.0),
        (6, 0.5, 2.5),
        (8, 0.4, 3.0),
    ]
    assert [(p.step, p.value, p.epoch) for p in points(items, "val/loss")] == [(8, 0.6, 2.0)]


def test_a_postfix_that_is_not_a_number_is_one_problem() -> None:
    text = "".join(f"\rtrain: {i}0%|#| {i}/9 [00:01<00:01, 2.00it/s, loss=n/a]" for i in range(1, 4)) + "\n"
    [problem] = problems(parse_text("tqdm", text))
    assert problem.line == 1 and '"loss="' in problem.message


@pytest.mark.parametrize("name", PLAIN + LIGHTNING)
@pytest.mark.parametrize("chunk", [1, 3, 17, 4096])
def test_chunking_does_not_matter(data, name: str, chunk: int) -> None:
    text = (data / name).read_text(encoding="utf-8")
    assert parse_text("tqdm", text, chunk=chunk) == parse_text("tqdm", text)


@pytest.mark.parametrize("name", PLAIN + LIGHTNING)
def test_detection(data, name: str) -> None:
    assert tqdm.sniff((data / name).read_text(encoding="utf-8")[:65536], "train.log") >= 0.8
