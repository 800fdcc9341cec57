"""The keras-stdout format: Keras 1 verbose=2 logs from the corpus, real Keras 3 captures
(redirected, through a pseudo-terminal, verbose=2) and Keras 2 line forms."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from lossboard.model import CHECKPOINT, EARLY_STOP, LR_CHANGE, Item, Meta, SeriesMap
from lossboard.sources.collect import RunCollector
from lossboard.sources.formats import FORMATS, keras_stdout
from lossboard.sources.formats.keras_stdout import STAGE, parse_bar
from lossboard.sources.reader import parse_file
from tests.sources.helpers import canonical, events, expand, parse_text, points, problems, values

NAME = "keras-stdout"
KERAS3 = ["keras3_verbose1_redirect", "keras3_verbose1_pty", "keras3_verbose2"]


def _text(path: Path) -> str:
    """The file as the reader decodes it: bytes, so ``\\r`` stays (read_text would turn it
    into a line end)."""
    return path.read_bytes().decode("utf-8", errors="replace")


def _head(path: Path) -> str:
    return path.read_bytes()[: 64 * 1024].decode("utf-8", errors="replace")


def _series(items: list[Item]) -> SeriesMap:
    """What the collector keeps: one value per step, the last one printed."""
    collector = RunCollector("test")
    collector.add(items)
    return collector.series()


def _by_step(items: list[Item], tag: str) -> dict[int, float]:
    series = _series(items)[tag]
    return dict(zip(series.step.tolist(), series.value.tolist()))


# detection ------------------------------------------------------------------------------


def _logs(root: Path) -> list[Path]:
    names = {"MANIFEST.md", "README.md"}
    files = (p for p in root.rglob("*") if p.is_file() and p.name not in names)
    return sorted(p for p in files if p.suffix != ".py")


def test_sniff_claims_the_keras_stdout_corpus_files_and_no_other(corpus: Path) -> None:
    mine = 0
    for path in _logs(corpus):
        score = keras_stdout.sniff(_head(path), path.name)
        if path.parent.name == "keras-stdout":
            assert score >= 0.8, path
            mine += 1
        else:
            assert score < 0.2, path
    assert mine == 2


def test_sniff_claims_the_keras_fixtures_and_no_other_fixture(data: Path) -> None:
    for path in _logs(data):
        if path.suffix == ".json" and path.parent.name == "keras":
            continue  # Keras's own history, not a log
        score = keras_stdout.sniff(_head(path), path.name)
        if path.parent.name == "keras":
            assert score >= 0.8, path
        else:
            assert score < 0.2, path


@pytest.mark.parametrize(
    "text",
    [
        "Epoch 0: 100%|##########| 32/32 [00:01<00:00, 27.1it/s, loss=0.5, v_num=0]\n",
        "Epoch 1/9 ━━━━━━━━━━━━━━━━ 32/32 0:00:01 • 0:00:00 50.00it/s v_num: 0 loss: 0.5\n",
        "INFO:root:Epoch[0] Batch [50]\tSpeed: 707.55 samples/sec\tTrain-accuracy=0.198750\n"
        "INFO:root:Epoch[0] Validation-accuracy=0.502670\n",
        "2018-03-07 10:32:37,184 - Epoch[0] Batch [50]\tSpeed: 481.86 samples/sec\taccuracy=0.22\n",
        "Epoch 1/10\nTrain Loss: 0.5 Acc: 0.9\nEpoch 2/10\nTrain Loss: 0.4 Acc: 0.9\n",
    ],
)
def test_sniff_rejects_other_progress_and_epoch_lines(text: str) -> None:
    assert keras_stdout.sniff(text, "train.log") < 0.2


def test_sniff_sees_a_bar_line_longer_than_the_head() -> None:
    """A pty capture can hold a whole epoch of redraws before its first newline."""
    state = "\b" * 60 + "\r\x1b[1m 1/10\x1b[0m ━━━━ \x1b[1m0s\x1b[0m 64ms/step - loss: 0.5446"
    assert keras_stdout.sniff("Epoch 1/3\n" + state * 500, "out.log") >= 0.8


def test_the_reader_detects_and_loads_a_pty_capture(data: Path) -> None:
    parsed = parse_file(data / "keras" / "keras3_verbose1_pty.log")
    assert parsed.format == NAME
    history = json.loads((data / "keras" / "keras3_verbose1_pty.json").read_text())
    loss = parsed.collector.series()["train/loss"]
    assert loss.step.tolist() == [10, 20, 25, 30]  # epochs end after 10, 10, 5 and 5 batches
    expected = history["fit"][0]["loss"] + history["fit"][1]["loss"]
    assert loss.value.tolist() == pytest.approx(expected, abs=5e-5)
    assert not parsed.collector.problems


# corpus (Keras 1, verbose=2) ------------------------------------------------------------


def test_kanji_augmented_three_fits_and_early_stopping(corpus: Path) -> None:
    items = parse_text(NAME, _text(corpus / "keras-stdout" / "kanji_augmented_training_log.txt"))
    assert len(points(items, "train/loss")) == 25  # 25 metric lines
    assert len(points(items, "val/accuracy")) == 25
    assert [p.step for p in points(items, "val/accuracy")] == list(range(1, 26))  # 10 + 9 + 6
    assert points(items, "val/accuracy")[-1].value == 0.9848
    # Keras 1 prints no bar counter, so the step is the epoch; a fit() starts where the last ended
    stages = [(e.step, e.text) for e in events(items, STAGE)]
    assert stages == [(10, "fit() call 2"), (19, "fit() call 3")]
    # "Epoch 00008: early stopping" sits between "Epoch 9/10" of fit 2 and its metrics line
    stops = events(items, EARLY_STOP)
    assert [(e.step, e.text) for e in stops] == [
        (19, "Epoch 00008: early stopping"),
        (20 + 5, "Epoch 00005: early stopping"),
    ]
    assert _by_step(items, "val/accuracy")[19] == 0.9836
    assert _by_step(items, "perf/epoch_time_s")[1] == 3083.0
    assert not problems(items)


def test_kanji_four_fits_and_a_user_print(corpus: Path) -> None:
    items = parse_text(NAME, _text(corpus / "keras-stdout" / "kanji_training_log.txt"))
    assert len(points(items, "train/loss")) == 66
    assert [p.step for p in points(items, "train/accuracy")] == list(range(1, 67))  # 19+14+19+14
    assert [e.step for e in events(items, STAGE)] == [19, 33, 52]  # where the previous fit() ended
    stage1 = {p.step: p.value for p in points(items, "val/accuracy") if p.step <= 19}
    assert max(stage1.values()) == 0.9189
    assert max(stage1, key=stage1.__getitem__) == 13
    assert [p.step for p in points(items, "val/loss")] == list(range(1, 34))  # stages 1-2 only
    assert points(items, "train/accuracy")[-1].value == 0.9854
    assert points(items, "train/accuracy")[-1].step == 66
    # "stopped after  19 epochs" is a print, not a metric: only these series exist
    assert {p.tag for p in points(items)} == {
        "train/loss", "train/accuracy", "val/loss", "val/accuracy", "perf/epoch_time_s",
    }
    assert not problems(items)
    assert Meta("framework", "keras") in items


# real Keras 3 captures --------------------------------------------------------------------


@pytest.mark.parametrize("name", KERAS3)
def test_keras3_epoch_values_match_keras_history(data: Path, name: str) -> None:
    items = parse_text(NAME, _text(data / "keras" / f"{name}.log"))
    history = json.loads((data / "keras" / f"{name}.json").read_text())
    first, second = history["fit"]
    for key, tag in [("loss", "train/loss"), ("accuracy", "train/accuracy")]:
        got = _by_step(items, tag)
        # global steps: fit 1's epochs end after 10 and 20 batches, fit 2's (5 a epoch) after 25, 30
        assert list(got) == [10, 20, 25, 30]
        assert _series(items)[tag].epoch.tolist() == [1, 2, 3, 4]  # fit 2 continues at epoch 3
        assert list(got.values()) == pytest.approx(first[key] + second[key], abs=5e-5)
    for key, tag in [("val_loss", "val/loss"), ("val_accuracy", "val/accuracy")]:
        got = _by_step(items, tag)
        assert list(got) == [10, 20]  # fit 2 has no validation
        assert list(got.values()) == pytest.approx(first[key], abs=5e-5)
    for key, value in history["evaluate"].items():
        # evaluate() after 30 training batches
        assert _by_step(items, f"test/{key}") == {30: pytest.approx(value, abs=5e-5)}
    assert not problems(items)


@pytest.mark.parametrize("name", KERAS3)
def test_keras3_callbacks_and_second_fit(data: Path, name: str) -> None:
    items = parse_text(NAME, _text(data / "keras" / f"{name}.log"))
    # events at the global step where their epoch ended (10 batches an epoch in fit 1)
    assert [(e.step, e.epoch) for e in events(items, CHECKPOINT)] == [(10, 1.0), (20, 2.0)]
    first = events(items, CHECKPOINT)[0].text
    assert first.startswith("Epoch 1: val_loss improved from None to 0.68360")
    assert [e.step for e in events(items, EARLY_STOP)] == [20]
    assert [(e.step, e.text) for e in events(items, STAGE)] == [(20, "fit() call 2")]
    # "Epoch 2: ReduceLROnPlateau reducing learning rate to 0.05000000074505806." is printed
    # at the end of epoch 2 (step 20), whose own line still says learning_rate: 0.1000; the
    # second fit() runs epoch 3 (ending at step 25) at the new rate without printing it, so
    # the message's value is its point
    (change,) = events(items, LR_CHANGE)
    assert (change.step, change.epoch) == (20, 2.0)
    lr = _series(items)
    assert dict(zip(lr["opt/lr", "learning_rate"].step.tolist(), lr["opt/lr", "learning_rate"].value.tolist())) == {
        10: 0.1, 20: 0.1}
    assert lr["opt/lr", "learning rate"].step.tolist() == [25]
    assert lr["opt/lr", "learning rate"].epoch.tolist() == [3]
    assert lr["opt/lr", "learning rate"].value.tolist() == [0.05000000074505806]


def test_a_learning_rate_reduced_before_early_stopping_is_an_event_not_a_point() -> None:
    # Keras 3 verbose=2, ReduceLROnPlateau then EarlyStopping at the end of the same epoch
    text = (
        "Epoch 1/5\n"
        "10/10 - 1s - 66ms/step - loss: 0.6572 - val_loss: 0.6836 - learning_rate: 0.1000\n"
        "Epoch 2/5\n"
        "10/10 - 1s - 66ms/step - loss: 0.5846 - val_loss: 0.6957 - learning_rate: 0.1000\n"
        "\n"
        "Epoch 2: ReduceLROnPlateau reducing learning rate to 0.05000000074505806.\n"
        "Epoch 2: early stopping\n"
    )
    items = parse_text(NAME, text)
    assert [e.step for e in events(items, LR_CHANGE)] == [20]  # where epoch 2 ended
    assert {s.source_tag: s.step.tolist() for s in _series(items).values() if s.tag == "opt/lr"} == {
        "learning_rate": [10, 20]}


def test_a_scheduler_rate_sits_where_its_epoch_began_and_a_plateau_rate_where_its_epoch_ended() -> None:
    # Keras 3 verbose=2 lines (as in keras3_verbose2.log) around Keras 3's callback messages
    text = (
        "Epoch 1/3\n"
        "10/10 - 1s - 66ms/step - loss: 0.6572 - val_loss: 0.6836 - learning_rate: 0.1000\n"
        "Epoch 2/3\n"
        "\n"
        "Epoch 2: LearningRateScheduler setting learning rate to 0.05.\n"
        "\n"
        "Epoch 2: ReduceLROnPlateau reducing learning rate to 0.025.\n"
        "10/10 - 1s - 66ms/step - loss: 0.5846 - val_loss: 0.6257\n"
        "Epoch 3/3\n"
        "10/10 - 1s - 66ms/step - loss: 0.5800 - val_loss: 0.6200\n"
    )
    items = parse_text(NAME, text)
    # the scheduler's rate applies from step 11, after epoch 1 ended at step 10; the plateau's
    # from step 21, after epoch 2 ended at 20 (its message came before that epoch's line)
    assert [(e.step, e.epoch) for e in events(items, LR_CHANGE)] == [(10, 1.0), (20, 2.0)]
    # each rate as a point of the epoch that ran at it, at the step where that epoch ended
    assert _by_step(items, "learning_rate") == {10: 0.1}
    assert _by_step(items, "learning rate") == {20: 0.05, 30: 0.025}


def test_a_callback_line_of_an_unfinished_epoch_is_kept_at_the_end_of_the_file() -> None:
    text = "Epoch 1/3\n10/10 - 1s - loss: 0.6572\nEpoch 2/3\nEpoch 2: early stopping\n"
    items = parse_text(NAME, text)
    # epoch 2 printed no counter before the file ended: the step is where training stood
    assert [(e.step, e.epoch) for e in events(items, EARLY_STOP)] == [(10, 2.0)]


def test_keras3_verbose2_times(data: Path) -> None:
    items = parse_text(NAME, _text(data / "keras" / "keras3_verbose2.log"))
    # "10/10 - 1s - 66ms/step - accuracy: ..." and "5/5 - 0s - 92ms/step - ..."
    assert _by_step(items, "perf/epoch_time_s") == {10: 1.0, 20: 1.0, 25: 0.0, 30: 0.0}
    step_time = _by_step(items, "perf/step_time_s")
    assert step_time == pytest.approx({10: 0.066, 20: 0.066, 25: 0.092, 30: 0.065})


def test_keras3_progress_bar_redraws_become_batch_points(data: Path) -> None:
    items = parse_text(NAME, _text(data / "keras" / "keras3_verbose1_pty.log"))
    batch = points(items, "train_batch/loss")
    # states " 1/10" .. " 9/10" of two 10-step epochs, then "1/5" .. "4/5" of two 5-step ones
    expected_steps = [*range(1, 10), *range(11, 20), *range(21, 25), *range(26, 30)]
    assert [p.step for p in batch] == expected_steps
    assert batch[0].value == 0.5446  # " 1/10 ━━ 0s 64ms/step - accuracy: 0.5000 - loss: 0.5446"
    assert batch[0].epoch == pytest.approx(0.1)
    assert batch[-1].epoch == pytest.approx(3.8)  # "4/5" in epoch 4
    # evaluate()'s running state "1/3 ... loss: 0.5288" belongs to no training batch
    assert 0.5288 not in values(items, "train_batch/loss")
    assert not any(p.tag.startswith("train_batch/") for p in points(items) if p.value == 0.5288)


def test_redirected_and_pty_captures_give_the_same_records(data: Path) -> None:
    def strip(items: list[Item]) -> dict[str, dict[int, float]]:
        """Every series but the timings, which differ from run to run."""
        return {key: dict(zip(s.step.tolist(), s.value.tolist()))
                for key, s in _series(items).items() if not s.tag.startswith("perf/")}

    redirect = parse_text(NAME, _text(data / "keras" / "keras3_verbose1_redirect.log"))
    pty = parse_text(NAME, _text(data / "keras" / "keras3_verbose1_pty.log"))
    assert strip(redirect) == strip(pty)


@pytest.mark.parametrize("chunk", [1, 7, 64, 1000])
def test_keras3_pty_capture_in_chunks(data: Path, chunk: int) -> None:
    text = _text(data / "keras" / "keras3_verbose1_pty.log")
    assert parse_text(NAME, text, chunk=chunk) == parse_text(NAME, text)


# line forms of Keras 1 and 2 ---------------------------------------------------------------


def test_keras2_verbose1_bar_with_backspaces() -> None:
    bs = "\b" * 80
    text = (
        "Train on 60000 samples, validate on 10000 samples\nEpoch 1/2\n"
        "  32/60000 [..............................] - ETA: 10:03 - loss: 2.3000 - acc: 0.1000"
        f"{bs}\r30016/60000 [==============>...............] - ETA: 1s - loss: 0.4000"
        " - acc: 0.8800"
        f"{bs}\r60000/60000 [==============================] - 3s 50us/step - loss: 0.3000"
        " - acc: 0.9100 - val_loss: 0.2000 - val_acc: 0.9400\n"
    )
    items = parse_text(NAME, text)
    assert [(p.step, p.value, p.epoch) for p in points(items, "train_batch/loss")] == [
        (32, 2.3, pytest.approx(32 / 60000)),
        (30016, 0.4, pytest.approx(30016 / 60000)),
    ]
    assert values(items, "train/loss") == [0.3]
    assert values(items, "val/accuracy") == [0.94]
    assert values(items, "perf/epoch_time_s") == [3.0]
    assert values(items, "perf/step_time_s") == [pytest.approx(50e-6)]


def test_keras2_final_bar_printed_twice_keeps_the_one_with_validation() -> None:
    """Keras 2.0-2.2 end the bar after the last batch, then redraw it with val_* below."""
    text = (
        "Epoch 1/1\n"
        "1000/1000 [==============================] - 1s - loss: 0.5000\n"
        + "\b" * 60
        + "\r1000/1000 [==============================] - 1s - loss: 0.5000 - val_loss: 0.6000\n"
    )
    items = parse_text(NAME, text)
    # Keras 2.0-2.2 bars count samples: the epoch ends at sample 1000
    assert _by_step(items, "train/loss") == {1000: 0.5}
    assert _by_step(items, "val/loss") == {1000: 0.6}
    assert not points(items, "test/loss")


def test_old_and_new_verbose2_lines() -> None:
    text = (
        "Epoch 1/2\n - 3s - loss: 0.2500 - acc: 0.9000\n"
        "Epoch 2/2\n1563/1563 - 8s - loss: 1.5177 - accuracy: 0.4480 - val_loss: 1.2655"
        " - val_accuracy: 0.5473 - 8s/epoch - 5ms/step\n"
    )
    items = parse_text(NAME, text)
    # epoch 1's line has no counter: its step is the epoch; epoch 2 ends after its 1563 steps
    assert _by_step(items, "train/loss") == {1: 0.25, 1563: 1.5177}
    # Keras 1 printed "acc", Keras 2 "accuracy": two names, two series under one tag
    assert _by_step(items, "acc") == {1: 0.9} and _by_step(items, "accuracy") == {1563: 0.448}
    assert _series(items).shared_labels()["train/accuracy"] == ["acc", "accuracy"]
    assert _by_step(items, "perf/epoch_time_s") == {1: 3.0, 1563: 8.0}
    assert _by_step(items, "perf/step_time_s") == {1563: 0.005}


def test_callback_lines_of_keras_1_and_2() -> None:
    text = (
        "Epoch 5/10\n"
        "Epoch 00005: LearningRateScheduler setting learning rate to 0.001.\n"
        "Epoch 00005: val_loss improved from inf to 0.50000, saving model to /tmp/w.h5\n"
        "Epoch 00005: ReduceLROnPlateau reducing learning rate to 0.0001.\n"
        " - 3s - loss: 0.3000 - val_loss: 0.5000\n"
        "Epoch 6/10\n"
        "Epoch 00006: LearningRateScheduler setting learning rate to 0.0001.\n"
        "Epoch 00006: saving model to /tmp/w.h5\n"
        " - 3s - loss: 0.2000 - val_loss: 0.5500\n"
        "Epoch 00006: early stopping\n"
    )
    items = parse_text(NAME, text)
    assert _by_step(items, "opt/lr") == {5: 0.001, 6: 0.0001}
    # one change: the plateau's, where epoch 5 ended (no counter: step = epoch); the scheduler
    # then only repeats the same rate
    assert [e.step for e in events(items, LR_CHANGE)] == [5]
    assert [e.step for e in events(items, CHECKPOINT)] == [5, 6]
    assert [e.step for e in events(items, EARLY_STOP)] == [6]


def test_a_fit_with_initial_epoch_keeps_its_epoch_numbers() -> None:
    text = "Epoch 5/5\n3s - loss: 0.5\nEpoch 6/10\n3s - loss: 0.4\n"
    items = parse_text(NAME, text)
    assert _by_step(items, "train/loss") == {5: 0.5, 6: 0.4}
    # fit() call 2 starts where the first ended, after epoch 5
    assert [(e.step, e.text) for e in events(items, STAGE)] == [(5, "fit() call 2")]


def test_evaluate_before_any_epoch_is_a_test_point_at_step_0() -> None:
    text = "313/313 [==============================] - 1s 2ms/step - loss: 2.3 - accuracy: 0.1\n"
    items = parse_text(NAME, text)
    assert _by_step(items, "test/loss") == {0: 2.3}
    assert not points(items, "train/loss")


def test_nan_and_inf_are_values() -> None:
    text = "Epoch 1/1\n10/10 - 1s - loss: nan - val_loss: inf - val_acc: -inf\n"
    items = parse_text(NAME, text)
    assert math.isnan(values(items, "train/loss")[0])
    assert values(items, "val/loss") == [math.inf]
    assert values(items, "val/accuracy") == [-math.inf]
    assert not problems(items)


def test_a_malformed_value_is_a_problem_and_the_rest_is_kept() -> None:
    text = "Epoch 1/1\n3083s - loss: 0.1234 - acc: 0.9876 - val_loss: 0.2 - val_acc: n/a\n"
    items = parse_text(NAME, text)
    assert [(p.line, p.message) for p in problems(items)] == [
        (2, 'expected a number after "val_acc: ", found "n/a"; skipped')
    ]
    assert values(items, "train/accuracy") == [0.9876]
    assert values(items, "val/loss") == [0.2]


def test_chunks_split_inside_crlf_and_numbers() -> None:
    text = (
        "Epoch 1/2\r\n224s - loss: 3.5508 - acc: 0.2966\r\n"
        "Epoch 2/2\r\n223s - loss: 1.0899 - acc: 0.6879\r\n"
    )
    whole = parse_text(NAME, text)
    assert values(whole, "train/loss") == [3.5508, 1.0899]
    for cut in range(1, len(text)):
        parser = FORMATS[NAME].Parser()
        items = parser.feed(text[:cut]) + parser.feed(text[cut:]) + parser.close()
        assert items == whole, cut


def test_parse_bar_rejects_prose_with_dashes() -> None:
    assert parse_bar("stopped after  19 epochs") is None
    assert parse_bar("note - this: that - and more") is None
    assert parse_bar("2018-03-07 10:32:37,184 - INFO - loss: 0.5") is None


def test_a_keras3_state_with_an_eta_over_a_minute_is_a_bar_state() -> None:
    """Keras 3 prints the ETA of a long epoch as minutes:seconds ("1:02") in a running state."""
    text = "Epoch 1/1\n 120/1563 ━━━━━━━━━━━━━━━━━━━━ 1:02 5ms/step - loss: 0.6500\r1563/1563 ━━━━━━━━━━━━━━━━━━━━ 9s 5ms/step - loss: 0.6\n"
    items = parse_text(NAME, text)
    assert [(p.step, p.value) for p in points(items, "train_batch/loss")] == [(120, 0.65)]
    assert values(items, "train/loss") == [0.6]
    assert not problems(items)


def test_a_keras3_bar_still_being_drawn_gives_its_running_states_before_its_line_ends(data: Path) -> None:
    """Issue 10, live: under `lossboard run` Keras has a terminal and redraws one line per
    epoch; the states drawn so far are read before the line ends, none of them taken for the
    epoch's last, and the whole line then gives exactly what it gives read at once."""
    text = _text(data / "keras" / "keras3_verbose1_pty.log")
    bar_start = text.index("\n\r") + 1  # the first epoch's bar line (a real pty capture)
    middle = text.index("\r", text.index(" 6/10", bar_start))  # six states drawn, the 7th begun
    parser = FORMATS[NAME].Parser()
    early = expand(parser.feed(text[:middle + 4]))
    running = points(early, "train_batch/loss")
    assert [p.step for p in running] == [1, 2, 3, 4, 5, 6]
    assert not points(early, "train/loss") and not points(early, "val/loss")  # no epoch ended yet
    rest = expand(parser.feed(text[middle + 4:]) + parser.close())
    assert canonical(early + rest) == canonical(parse_text(NAME, text))
