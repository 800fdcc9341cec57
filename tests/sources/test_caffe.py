"""Caffe glog logs: corpus file 1 (MANIFEST facts) and snippets in Caffe's printed formats."""

from __future__ import annotations

import math

import pytest

from lossboard.model import RESUME, Meta
from lossboard.sources.formats import caffe
from tests.sources.helpers import canonical, events, parse_path, parse_text, points, problems, values

LENET = "caffe/mnist_lenet_train.log"

# Caffe >= 1.0 prints the speed in the loss line (solver.cpp), which broke its own parse_log.py
NEWER = (
    "I0302 10:00:00.000001  4242 solver.cpp:218] Iteration 100 (2.3 iter/s, 43.4s/100 iters), loss = 0.2\n"
    "I0302 10:00:00.000002  4242 solver.cpp:237]     Train net output #0: loss = 0.19 (* 1 = 0.19 loss)\n"
    "I0302 10:00:00.000003  4242 sgd_solver.cpp:105] Iteration 100, lr = 0.01\n"
    "I0302 10:00:43.400001  4242 solver.cpp:218] Iteration 200 (2.30415 iter/s, 43.4s/100 iters), loss = 0.1\n"
)


@pytest.fixture(scope="module")
def lenet(corpus):
    return parse_path("caffe", corpus / LENET)


def test_test_points_match_the_manifest(lenet) -> None:
    accuracy = points(lenet, "val/accuracy")
    assert len(accuracy) == 21
    assert (accuracy[0].step, accuracy[0].value) == (0, 0.0969)
    assert (accuracy[-1].step, accuracy[-1].value) == (10000, 0.991)
    loss = points(lenet, "val/loss")
    assert (loss[0].step, loss[0].value) == (0, 2.36186)
    assert (loss[-1].step, loss[-1].value) == (10000, 0.0291381)


def test_smoothed_loss_has_101_points_including_the_final_line(lenet) -> None:
    loss = points(lenet, "train/loss")
    assert [p.step for p in loss] == list(range(0, 10001, 100))
    assert loss[-1].value == 0.00321545  # solver.cpp:317, with no Train net output line after it


def test_learning_rate_and_raw_outputs(lenet) -> None:
    lr = {p.step: p.value for p in points(lenet, "opt/lr")}
    assert lr[100] == 0.00992565
    raw = {p.step: p.value for p in points(lenet, "train_batch/loss")}
    # line 534: "Train net output #0: loss = 0.0774005 (* 1 = 0.0774005 loss)" under Iteration 400
    assert raw[400] == 0.0774005
    assert 10000 not in raw


def test_solver_parameters_become_meta_and_prototxt_is_noise(lenet) -> None:
    meta = {m.key: m.value for m in lenet if type(m) is Meta}
    assert meta["framework"] == "caffe"
    assert meta["base_lr"] == "0.01"
    assert meta["lr_policy"] == "inv"
    assert "name" not in meta  # 'name: "LeNet"' belongs to the net dump
    assert problems(lenet) == []


def test_wall_times_keep_the_printed_date_and_exact_differences(lenet) -> None:
    first, last = points(lenet, "val/accuracy")[0], points(lenet, "val/accuracy")[-1]
    # I0711 14:22:24.278648 and I0711 14:25:21.278156 (the two "Test net output #0" lines)
    assert last.wall_time - first.wall_time == pytest.approx(176.999508)
    import datetime

    shown = datetime.datetime.fromtimestamp(first.wall_time, datetime.timezone.utc)
    assert (shown.month, shown.day, shown.hour, shown.minute, shown.second) == (7, 11, 14, 22, 24)


def test_new_year_moves_the_placeholder_year_forward() -> None:
    text = (
        "I1231 23:59:59.000000  1 solver.cpp:228] Iteration 100, loss = 0.5\n"
        "I0101 00:00:01.000000  1 solver.cpp:228] Iteration 200, loss = 0.4\n"
    )
    first, second = points(parse_text("caffe", text), "train/loss")
    assert second.wall_time - first.wall_time == pytest.approx(2.0)


def test_newer_format_with_speed() -> None:
    items = parse_text("caffe", NEWER)
    assert [(p.step, p.value) for p in points(items, "train/loss")] == [(100, 0.2), (200, 0.1)]
    assert values(items, "perf/iters_per_sec") == [2.3, 2.30415]
    assert values(items, "train_batch/loss") == [0.19]
    assert values(items, "opt/lr") == [0.01]


def test_second_test_net_gets_its_own_split() -> None:
    text = (
        "I0711 14:22:32.056936  1274 solver.cpp:337] Iteration 500, Testing net (#1)\n"
        "I0711 14:22:33.123492  1274 solver.cpp:404]     Test net output #0: accuracy = 0.9726\n"
    )
    assert [p.tag for p in points(parse_text("caffe", text))] == ["val_net1/accuracy"]


def test_nan_inf_and_malformed_values() -> None:
    text = (
        "I0711 14:22:30.508089  1274 solver.cpp:228] Iteration 100, loss = -nan\n"
        "I0711 14:22:30.508112  1274 solver.cpp:244]     Train net output #0: loss = inf (* 1 = inf loss)\n"
        "I0711 14:22:30.508122  1274 sgd_solver.cpp:106] Iteration 100, lr = 0.0l\n"
    )
    items = parse_text("caffe", text)
    assert math.isnan(values(items, "train/loss")[0])
    assert values(items, "train_batch/loss") == [math.inf]
    [problem] = problems(items)
    assert problem.line == 3 and '"0.0l"' in problem.message


def test_restart_in_the_same_log_is_a_resume() -> None:
    text = (
        "I0711 14:22:30.508089  1274 solver.cpp:228] Iteration 5000, loss = 0.1\n"
        "I0711 15:00:00.000000  1300 solver.cpp:228] Iteration 4000, loss = 0.2\n"
    )
    [resume] = events(parse_text("caffe", text), RESUME)
    assert resume.step == 4000


@pytest.mark.parametrize("chunk", [1, 2, 3, 7, 64, 4096])
def test_chunking_does_not_matter(corpus, chunk: int) -> None:
    """The same series, events and problems whatever the chunks (the fast path groups values
    by series, so the order of records across series may differ)."""
    text = (corpus / LENET).read_text()[:20000].replace("\n", "\r\n")
    assert canonical(parse_text("caffe", text, chunk=chunk)) == canonical(parse_text("caffe", text))


def test_detection(corpus) -> None:
    assert caffe.sniff((corpus / LENET).read_text()[:65536], "lenet_train.log") >= 0.8
    assert caffe.sniff(NEWER, "train.log") >= 0.8
