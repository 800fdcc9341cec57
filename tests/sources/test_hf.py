"""Hugging Face Trainer ``trainer_state.json``: corpus files 20-22 and 30, and the state of a
real transformers 5.24 run (tests/sources/data/hf). Its stdout is in test_hf_stdout.py."""

from __future__ import annotations

import json
import math

import pytest

from lossboard.model import Meta
from lossboard.sources.formats import hf_trainer_state
from tests.sources.helpers import parse_path, parse_text, points, problems, values

STATE = "hf-trainer-state"
STDOUT = "hf-stdout"


def metas(items: list) -> dict[str, str]:
    return {i.key: i.value for i in items if type(i) is Meta}


# --- trainer_state.json: corpus facts ---------------------------------------------------


def test_weibo_rumor_loss_history(corpus):
    items = parse_path(STATE, corpus / "hf-trainer-state/bert-weibo-rumor_trainer_state.json")
    loss = points(items, "train/loss")
    assert len(loss) == 51
    assert (loss[0].step, loss[0].value, loss[0].epoch) == (500, 0.981, 1.94)
    assert (loss[-1].step, loss[-1].value) == (25500, 0.1636)
    assert {p.step for p in points(items, "opt/lr")} == {p.step for p in loss}
    # the summary entry's mean loss is a point of its own label, never one of train/loss
    summary = [(p.step, p.value) for p in points(items, "summary/train_loss")]
    assert summary == [(25800, 0.3071320072440214)]
    assert metas(items)["train_loss"] == "0.3071320072440214"
    assert max(p.step for p in loss) == 25500
    assert metas(items)["max_steps"] == "25800"
    assert not problems(items)


def test_lora_imdb_eval_entries_and_float_noise(corpus):
    items = parse_path(STATE, corpus / "hf-trainer-state/lora-imdb-distilbert_trainer_state.json")
    assert len(points(items, "train/loss")) == 18
    val = points(items, "val/loss")
    assert [(p.step, p.value) for p in val] == [
        (125, 0.3951033353805542), (250, 0.4154859483242035), (375, 0.3891691565513611),
    ]
    assert [p.epoch for p in points(items, "train/loss") if p.step == 340] == [2.7199999999999998]
    assert points(items, "opt/grad_norm")[0].value == 0.7468545436859131
    assert [p.value for p in points(items, "perf/eval_runtime_s")] == [3.2785, 3.1499, 3.0155]
    assert "best_metric" not in metas(items)  # null in the file


def test_lora_imdb_eval_runtime_fact_read_from_file(corpus):
    text = (corpus / "hf-trainer-state/lora-imdb-distilbert_trainer_state.json").read_text()
    runtimes = [e["eval_runtime"] for e in json.loads(text)["log_history"] if "eval_runtime" in e]
    assert values(parse_text(STATE, text), "perf/eval_runtime_s") == runtimes


def test_checkpoint_snapshot_train_and_eval_share_a_step(corpus):
    path = corpus / "hf-trainer-state/text-sentiment-api_checkpoint-500_trainer_state.json"
    items = parse_path(STATE, path)
    assert [(p.step, p.value) for p in points(items, "val/accuracy")] == [(500, 0.8256410256410256)]
    assert [(p.step, p.value) for p in points(items, "train/loss")] == [(500, 0.6628)]
    assert values(items, "val/f1") == [0.8256410256410256]
    meta = metas(items)
    assert meta["best_metric"] == "0.7639023065567017"
    assert meta["global_step"] == "500" and meta["max_steps"] == "1170"
    assert meta["best_model_checkpoint"].endswith("/checkpoint-500")


def test_git_lfs_pointer_is_one_problem(corpus):
    path = corpus / "edge-cases/hf-spam-detection_checkpoint-500_trainer_state.json"
    items = parse_path(STATE, path)
    assert len(items) == 1
    assert "Git LFS pointer" in problems(items)[0].message


def test_invalid_json_names_line_and_column():
    text = '{\n  "log_history": [\n    {"loss": 0.5, "step": 1},\n    {"loss": \n'
    items = parse_text(STATE, text)
    (problem,) = items
    assert problem.line == 5
    assert "line 5 column" in problem.message


def test_non_numeric_value_and_missing_step_are_problems():
    text = json.dumps({"global_step": 2, "log_history": [
        {"loss": "n/a", "learning_rate": 0.1, "epoch": 0.5, "step": 1},
        {"loss": 0.4, "epoch": 1.0},
        {"loss": float("nan"), "eval_loss": float("inf"), "epoch": 1.0, "step": 2},
    ]})
    items = parse_text(STATE, text)
    messages = [p.message for p in problems(items)]
    assert messages[0] == "expected a number for \"loss\", found 'n/a'; skipped"
    assert "log_history[1] has no integer step" in messages[1]
    assert values(items, "opt/lr") == [0.1]
    assert math.isnan(values(items, "train/loss")[0])
    assert values(items, "val/loss") == [math.inf]


@pytest.mark.parametrize("chunk", [1, 7, 100])
def test_state_chunking_does_not_matter(corpus, chunk):
    text = (corpus / "hf-trainer-state/lora-imdb-distilbert_trainer_state.json").read_text()
    assert parse_text(STATE, text, chunk=chunk) == parse_text(STATE, text)


# --- the real run: trainer_state.json and stdout of the same Trainer ----------------------


def _history(data, name="trainer_state.json"):
    return json.loads((data / "hf" / name).read_text())["log_history"]


def test_fixture_state_matches_its_json(data):
    history = _history(data)
    items = parse_path(STATE, data / "hf/trainer_state.json")
    train = [e for e in history if "loss" in e]
    assert [(p.step, p.value, p.epoch) for p in points(items, "train/loss")] == [
        (e["step"], e["loss"], e["epoch"]) for e in train
    ]
    evals = [e for e in history if "eval_loss" in e]
    assert [(p.step, p.value) for p in points(items, "val/accuracy")] == [
        (e["step"], e["eval_accuracy"]) for e in evals
    ]
    assert metas(items)["train_loss"] == repr(history[-1]["train_loss"])


def test_checkpoint_fixture_is_a_prefix_of_the_final_state(data):
    final = parse_path(STATE, data / "hf/trainer_state.json")
    snapshot = parse_path(STATE, data / "hf/checkpoint-10_trainer_state.json")
    assert metas(snapshot)["global_step"] == "10"
    snap = points(snapshot)
    assert snap and snap == [p for p in points(final) if p.step <= 10]


def test_sniff(corpus, data):
    for path in (corpus / "hf-trainer-state").iterdir():
        assert hf_trainer_state.sniff(path.read_text()[:65536], path.name) >= 0.8
    state = (data / "hf/trainer_state.json").read_text()
    assert hf_trainer_state.sniff(state, "state.json") >= 0.8  # renamed: the content decides
    stdout = (data / "hf/trainer_stdout.log").read_text()
    assert hf_trainer_state.sniff(stdout, "train.log") < 0.2
