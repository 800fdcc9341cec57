"""Hugging Face Trainer stdout: corpus files 37-40, and captures of real transformers 5.24 runs
(tests/sources/data/hf: one train() call, and two train() calls through a pipe and a pty).

Corpus expectations are the MANIFEST facts, read from the logs with grep; the captures are
compared with the ``log_history`` the Trainers themselves kept.
"""

from __future__ import annotations

import csv
import io
import json
import math

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import lossboard
from lossboard.model import RESUME, Meta
from lossboard.sources.collect import RunCollector
from lossboard.sources.coverage import run_coverage
from lossboard.sources.formats import hf_stdout
from lossboard.sources.formats._lines import redraws
from lossboard.views.export import write_csv
from tests.sources.helpers import events, parse_path, parse_text, points, problems, values

STDOUT = "hf-stdout"
TWO_TRAINS = "hf-trainer-stdout/esha_bert_mlm_then_classifier_train_log.txt"
EVAL_FIRST = "hf-trainer-stdout/vit_customer_doc_train_log.txt"
PREFIXED = "hf-trainer-stdout/llamafactory_deepseek7b_lora_running_log.txt"
CRLF_EXTRA_KEYS = "hf-trainer-stdout/taylorswift_llm_dicts_only_crlf_training_output.txt"


def at_epoch(items: list, tag: str) -> list[tuple[float, float]]:
    return [(p.epoch, p.value) for p in points(items, tag)]


def metas(items: list) -> dict[str, str]:
    return {i.key: i.value for i in items if type(i) is Meta}


def _close(printed: float, exact: float) -> bool:
    """transformers 5 prints 4 significant digits ('0.004833')."""
    return math.isclose(printed, exact, rel_tol=5e-4)


# --- corpus file 37: two train() calls in one file -------------------------------------


@pytest.fixture(scope="module")
def two_trains(corpus) -> list:
    return parse_path(STDOUT, corpus / TWO_TRAINS)


def test_two_train_calls_in_one_file_are_both_kept(two_trains):
    loss = at_epoch(two_trains, "train/loss")
    assert len(loss) == 13 + 4
    assert loss[0] == (0.22, 1.6282)  # line 62, trailing spaces after the dict
    assert [e for e, _ in loss[13:]] == [2.21, 4.42, 6.64, 8.85]  # the second call
    assert [e for e, _ in at_epoch(two_trains, "val/loss")] == [1.0, 2.0, 3.0, *range(1, 11)]
    steps = [p.step for p in points(two_trains, "train/loss")]
    assert steps == sorted(set(steps))  # the second call's dicts come after the first's


def test_the_second_train_call_starts_after_the_first_and_is_marked(two_trains):
    (restart,) = events(two_trains, RESUME)
    first_summary, second_summary = points(two_trains, "summary/train_loss")
    assert first_summary.step < restart.step  # nothing of the first call lies after the mark
    assert restart.epoch is None  # placed by step: the first call's epochs are not dropped
    second = [p for p in points(two_trains) if p.step >= restart.step]
    assert min(p.epoch for p in second) == 1.0  # line 89: the second call restarts at epoch 1.0
    assert (first_summary.value, second_summary.value) == (0.1268128219462339, 0.0429237630514972)


def test_best_f1_and_evaluations_that_share_an_interval_between_losses(two_trains):
    f1 = at_epoch(two_trains, "val/f1")
    assert len(f1) == 10  # two evaluations between each pair of loss dicts stay two points
    assert max(f1, key=lambda ev: ev[1]) == (7.0, 0.9926479169097912)  # line 98


def test_echoed_dicts_and_a_dataset_sample_are_not_points(two_trains):
    # line 107 "eval_results= {...}" repeats the epoch-10 eval; TrainOutput(... metrics={...})
    # repeats the summary; line 18 {'text': [...]} is a dataset sample
    assert len(values(two_trains, "val/loss")) == 13
    assert len(values(two_trains, "summary/train_runtime")) == 2
    assert not [p for p in points(two_trains) if p.source_tag == "text"]
    assert not problems(two_trains)


def test_loading_the_file_drops_nothing_of_the_first_call(corpus):
    (run,) = lossboard.load(corpus / TWO_TRAINS)
    assert len(run.series["train/loss"]) == 17
    assert len(run.series["val/loss"]) == 13


# --- corpus files 38-40 -------------------------------------------------------------------


def test_an_eval_dict_before_the_first_loss_dict(corpus):
    items = parse_path(STDOUT, corpus / EVAL_FIRST)
    val, loss = points(items, "val/loss"), points(items, "train/loss")
    assert (val[0].epoch, loss[0].epoch) == (1.0, 1.08)  # lines 11 and 12
    assert val[0].step < loss[0].step
    assert (len(loss), len(val)) == (9, 10)
    assert values(items, "val/accuracy") == [1.0] * 10
    assert next(p.epoch for p in loss if p.value == 0.0) == 4.3  # line 18
    assert val[-1].value == 1.4945596376492176e-05  # line 29
    assert values(items, "summary/train_loss") == [0.01062842070740918]  # line 30, no newline at EOF
    assert not problems(items)


def test_dicts_behind_a_logging_prefix_with_blank_lines(corpus):
    items = parse_path(STDOUT, corpus / PREFIXED)
    loss = at_epoch(items, "train/loss")
    assert len(loss) == 421
    assert loss[0] == (0.29, 2.2818) and loss[-1] == (123.48, 0.0067)  # lines 192, 1998
    assert min(loss, key=lambda ev: ev[1]) == (121.72, 0.0061)  # line 1940
    assert values(items, "opt/lr")[0] == 2.5e-06
    assert not points(items, "val/loss")  # 22 evaluation headers, not one eval value
    assert not problems(items)


def test_crlf_and_keys_the_trainer_does_not_print(corpus):
    items = parse_path(STDOUT, corpus / CRLF_EXTRA_KEYS)
    loss, val = points(items, "train/loss"), at_epoch(items, "val/loss")
    assert len(loss) == 3915 and len(val) == 32
    assert val[0] == (0.61, 1.6775776147842407)  # line 121
    assert min(val, key=lambda ev: ev[1]) == (1.84, 1.4331215620040894)  # line 363
    assert val[-1] == (19.62, 1.9143657684326172)  # line 3872
    assert (loss[-1].epoch, loss[-1].value) == (20.0, 0.1302)  # line 3947
    assert points(items, "opt/lr")[-1].value == 0.0
    # every dict carries iter_time, flops, remaining_time (all 0.0 on line 1)
    for name in ("iter_time", "flops", "remaining_time"):
        printed = [p for p in points(items) if p.source_tag == name and not p.tag.startswith("summary")]
        assert len(printed) == 3915 + 32 and printed[0].value == 0.0
    assert values(items, "summary/train_loss") == [0.32471879872744414]  # line 3948
    assert not problems(items)


def test_the_final_summary_is_exported_apart_from_the_per_step_loss(corpus):
    (run,) = lossboard.load(corpus / EVAL_FIRST)
    out = io.BytesIO()
    write_csv([run], out)
    rows = list(csv.DictReader(io.StringIO(out.getvalue().decode())))
    summary = {row["source_tag"]: float(row["value"]) for row in rows if row["tag"].startswith("summary/")}
    assert summary == {  # line 30
        "train_runtime": 2617.8581, "train_samples_per_second": 7.105,
        "train_steps_per_second": 1.776, "train_loss": 0.01062842070740918,
    }
    loss_rows = [row for row in rows if row["tag"] == "train/loss"]
    assert {row["source_tag"] for row in loss_rows} == {"loss"} and len(loss_rows) == 9


@pytest.mark.parametrize("relative", [TWO_TRAINS, EVAL_FIRST, PREFIXED, CRLF_EXTRA_KEYS])
def test_no_trainer_dict_is_left_unread(corpus, relative):
    """What stays unread is the script's own output (a dataset dump, model config, warnings,
    its own prints), never a line holding a Trainer dict."""
    (run,) = lossboard.load(corpus / relative)
    (found,) = run_coverage(run)
    for shape in found.shapes.values():
        assert "'epoch': " not in shape.example and "{'eval_" not in shape.example, shape.example
    if relative == CRLF_EXTRA_KEYS:  # dicts and nothing else
        assert found.numbered == 3948 and found.unread == 0


# --- real captures: one train() call, and two through a pipe and a pty ---------------------


def _history(data, name):
    return json.loads((data / "hf" / name).read_text())


def test_one_train_call_matches_the_state_the_trainer_wrote(data):
    history = _history(data, "trainer_state.json")["log_history"]
    items = parse_path(STDOUT, data / "hf/trainer_stdout.log")
    assert not problems(items)
    train = [e for e in history if "loss" in e]
    loss = points(items, "train/loss")
    assert [p.epoch for p in loss] == [e["epoch"] for e in train]
    for point, entry in zip(loss, train, strict=True):
        assert _close(point.value, entry["loss"])
    for point, entry in zip(points(items, "opt/grad_norm"), train, strict=True):
        assert _close(point.value, entry["grad_norm"])
    evals = [e for e in history if "eval_loss" in e]
    assert [p.epoch for p in points(items, "val/loss")] == [e["epoch"] for e in evals]
    assert values(items, "val/accuracy") == [e["eval_accuracy"] for e in evals]
    # each dict at the Trainer's global step: the bar tqdm redraws right after it shows it
    for tag, name in [("train/loss", "loss"), ("val/loss", "eval_loss"), ("summary/train_loss", "train_loss")]:
        assert [p.step for p in points(items, tag)] == [e["step"] for e in history if name in e], tag
    assert _close(values(items, "summary/train_loss")[0], history[-1]["train_loss"])


def test_without_bars_the_summary_gives_the_steps_of_an_epoch(data):
    """Only stdout redirected (the bars went to the terminal): the dicts alone."""
    history = _history(data, "trainer_state.json")["log_history"]
    text = (data / "hf/trainer_stdout.log").read_text()
    dicts_only = "".join(line.rpartition("\r")[2] + "\n" for line in text.splitlines() if "{'" in line)
    assert "/30 [" not in dicts_only and "'train_steps_per_second': '94.85'" in dicts_only
    items = parse_text(STDOUT, dicts_only)
    # train_runtime 0.3163 s x 94.85 steps/s = 30 steps in 3 epochs: 10 an epoch
    for tag, name in [("train/loss", "loss"), ("val/loss", "eval_loss")]:
        assert [p.step for p in points(items, tag)] == [e["step"] for e in history if name in e], tag


def test_a_summary_rate_rounded_before_printing_still_gives_the_steps(data):
    """'train_runtime': '14.66' x 'train_steps_per_second': '0.409' (3 decimals, not 4 digits)
    is 6 steps: 2 an epoch over the 3 epochs the summary prints."""
    history = _history(data, "stdout_only_no_bars_state.json")["log_history"]
    items = parse_path(STDOUT, data / "hf/stdout_only_no_bars.log")
    for tag, name in [("train/loss", "loss"), ("val/loss", "eval_loss"), ("summary/train_loss", "train_loss")]:
        assert [p.step for p in points(items, tag)] == [e["step"] for e in history if name in e], tag
    assert [(p.step, p.value) for p in points(items, "train/custom_score")] == [(2, 0.52), (4, 0.54), (6, 0.56)]


@pytest.mark.parametrize("capture", ["two_trains_pipe", "two_trains_pty"])
def test_two_train_calls_captured_through_a_pipe_and_a_terminal(data, capture):
    truth = _history(data, f"{capture}.json")
    items = parse_path(STDOUT, data / f"hf/{capture}.log")
    assert not problems(items)
    logged = truth["first"][:-1] + truth["second"]  # the last of "first" is evaluate()'s, not printed
    assert "eval_loss" in truth["first"][-1] and truth["first"][-2].get("train_loss") is not None
    train = [e for e in logged if "loss" in e]
    loss = points(items, "train/loss")
    assert [p.epoch for p in loss] == [e["epoch"] for e in train]
    for point, entry in zip(loss, train, strict=True):
        assert _close(point.value, entry["loss"])
    evals = [e for e in logged if "eval_loss" in e]
    assert [(p.epoch, p.value) for p in points(items, "val/accuracy")] == [
        (e["epoch"], e["eval_accuracy"]) for e in evals]
    summaries = [e["train_loss"] for e in logged if "train_loss" in e]
    assert len(summaries) == 2
    for point, expected in zip(points(items, "summary/train_loss"), summaries, strict=True):
        assert _close(point.value, expected)
    # each call's dicts at its Trainer's steps, the second call's after the first call's last
    (restart,) = events(items, RESUME)
    first_last = truth["first"][-1]["step"]
    assert restart.step == first_last + 1
    steps = [e["step"] for e in truth["first"][:-1] if "loss" in e]
    steps += [first_last + e["step"] for e in truth["second"] if "loss" in e]
    assert [p.step for p in loss] == steps
    evals = [e["step"] for e in truth["first"][:-1] if "eval_loss" in e]
    evals += [first_last + e["step"] for e in truth["second"] if "eval_loss" in e]
    assert [p.step for p in points(items, "val/loss")] == evals
    # the script's own print between the calls, at the first call's last step
    (evaluated,) = points(items, "train/first_model_evaluated")
    assert (evaluated.step, evaluated.value) == (first_last, truth["evaluate"]["eval_accuracy"])


def test_prints_and_logging_between_accumulated_steps_are_read_at_the_trainers_step(data):
    """Through a terminal, dicts only every 3rd step of 6; the script printed at each epoch's
    end (steps 2, 4, 6), two of them before any dict of that step was printed."""
    history = _history(data, "accumulated_pty_state.json")["log_history"]
    printed = _history(data, "accumulated_pty_prints.json")
    items = parse_path(STDOUT, data / "hf/accumulated_pty.log")
    assert [p.step for p in points(items, "train/loss")] == [e["step"] for e in history if "loss" in e] == [3, 6]
    assert [p.step for p in points(items, "val/loss")] == [e["step"] for e in history if "eval_loss" in e]
    for name in ("custom_score", "token_rate"):
        found = [(p.step, p.value) for p in points(items) if p.source_tag == name]
        assert found == [(entry["step"], pytest.approx(entry[name])) for entry in printed], name
    assert not problems(items)


@pytest.mark.parametrize("chunk", [1, 3, 64, 1000])
@pytest.mark.parametrize("capture", ["two_trains_pty.log", "accumulated_pty.log", "stdout_only_no_bars.log"])
def test_chunking_does_not_matter(data, chunk, capture):
    text = (data / "hf" / capture).read_bytes().decode()
    assert parse_text(STDOUT, text, chunk=chunk) == parse_text(STDOUT, text)


# --- short hand-written samples --------------------------------------------------------------


OLD_STYLE = (
    "  0%|          | 0/8 [00:00<?, ?it/s]\r 25%|##5       | 2/8 [00:01<00:03]"
    "\r{'loss': 0.6931, 'learning_rate': 4.5e-05, 'epoch': 0.5}\r\n"
    "{'loss': nan, 'grad_norm': inf, 'learning_rate': 4e-05, 'epoch': 1.0}\r\n"
    "{'eval_loss': 0.61, 'eval_accuracy': np.float64(0.75), 'eval_runtime': 1.5, 'epoch': 1.0}\r\n"
    "{'loss': '0.5x', 'learning_rate': 3e-05, 'epoch': 1.5}\r\n"
    "config: {'lr': 0.1, 'batch_size': 8}\r\n"
)


def test_numeric_values_nan_inf_numpy_and_problems():
    items = parse_text(STDOUT, OLD_STYLE)
    assert [(p.step, p.epoch) for p in points(items, "opt/lr")] == [(1, 0.5), (2, 1.0), (4, 1.5)]
    loss = values(items, "train/loss")
    assert loss[0] == 0.6931 and math.isnan(loss[1])
    assert values(items, "opt/grad_norm") == [math.inf]
    assert [(p.step, p.value) for p in points(items, "val/accuracy")] == [(3, 0.75)]
    assert values(items, "perf/eval_runtime_s") == [1.5]
    (problem,) = problems(items)
    assert problem.line == 4 and '"loss"' in problem.message and "'0.5x'" in problem.message
    assert len(points(items)) == 9  # the config dict is not a Trainer log


@pytest.mark.parametrize("cut", [OLD_STYLE.index("\r\n") + 1, OLD_STYLE.index("0.6931") + 3])
def test_split_inside_crlf_and_inside_a_number(cut):
    whole = parse_text(STDOUT, OLD_STYLE)
    parser = hf_stdout.Parser()
    items = parser.feed(OLD_STYLE[:cut]) + parser.feed(OLD_STYLE[cut:]) + parser.close()
    assert str(items) == str(whole)  # reprs, because NaN != NaN


def dicts(*entries: str) -> str:
    return "".join(f"{{{entry}}}\n" for entry in entries)


def test_epoch_going_back_within_a_call_is_a_resume_at_that_dict():
    text = dicts(*(f"'loss': {v}, 'epoch': {e}" for v, e in
                   [(0.9, 0.5), (0.8, 1.0), (0.7, 1.5), (0.75, 1.0), (0.6, 1.5)]))
    items = parse_text(STDOUT, text)
    assert [(e.step, e.epoch) for e in events(items, RESUME)] == [(2, 1.0)]
    assert [(p.step, p.value) for p in points(items, "train/loss")] == [
        (1, 0.9), (2, 0.8), (3, 0.7), (2, 0.75), (3, 0.6),
    ]


def test_an_evaluate_after_the_summary_is_not_another_train_call():
    text = dicts("'loss': 0.9, 'epoch': 1.0", "'train_runtime': 3.0, 'train_loss': 0.9, 'epoch': 1.0",
                 "'eval_loss': 0.5, 'epoch': 1.0")
    items = parse_text(STDOUT, text)
    assert not events(items)
    assert [(p.step, p.value) for p in points(items, "val/loss")] == [(3, 0.5)]
    assert metas(items)["train_loss"] == "0.9"


def test_a_resume_inside_the_second_call_keeps_the_first_call():
    text = dicts("'loss': 0.9, 'epoch': 1.0", "'loss': 0.8, 'epoch': 2.0",
                 "'train_runtime': 3.0, 'train_loss': 0.85, 'epoch': 2.0",
                 "'loss': 0.5, 'epoch': 1.0", "'loss': 0.4, 'epoch': 2.0", "'loss': 0.45, 'epoch': 1.0")
    collected = RunCollector("log")
    collected.add(parse_text(STDOUT, text))
    loss = collected.series()["train/loss"]
    assert loss.value.tolist() == [0.9, 0.8, 0.45]  # the resume to epoch 1.0 replaced 0.5 and 0.4 only
    kinds = [(e.step, e.epoch, e.text) for e in collected.events]
    assert kinds == [(4, None, "train() called again"), (4, None, "epoch back to 1")]


def test_sniff(corpus, data):
    for name in ("trainer_stdout.log", "two_trains_pipe.log", "two_trains_pty.log"):
        assert hf_stdout.sniff((data / "hf" / name).read_text(), "train.log") >= 0.8
    state = (data / "hf/trainer_state.json").read_text()
    assert hf_stdout.sniff(state, "trainer_state.json") < 0.2
    assert hf_stdout.sniff("config: {'lr': 0.1}\n", "train.log") < 0.2


PIECES = ["\r", "\x1b[A", "\x1b[2K", "\x1b", "\x1b]0;title\x07", "\x1b]0;", "\x07", "\b", "  ", "ab", "]", "[", "{'loss': 1}"]


@given(st.lists(st.sampled_from(PIECES), max_size=12).map("".join))
def test_a_redrawn_lines_states_are_what_a_terminal_shows_of_each_redraw(line):
    """The states read without drawing (an evaluation bar's cursor-up codes dropped) are the
    ones `redraws` draws."""
    assume("\r" in line or "\x1b" in line)
    assert hf_stdout._states(line) == redraws(line)
