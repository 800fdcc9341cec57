"""Hugging Face callback: a one-layer BERT made from a BertConfig (no download, no tokenizer)
trained by ``Trainer`` for two epochs on synthetic token sequences, evaluated each epoch; the
lossboard run must hold what ``trainer.state.log_history`` holds."""

from __future__ import annotations

import contextlib
import importlib
import io
import os
import sys

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
transformers = pytest.importorskip(
    "transformers", reason="transformers is not installed (pip install 'lossboard[transformers]')"
)
torch = pytest.importorskip("torch")

import lossboard  # noqa: E402
from lossboard.integrations.transformers import LossboardCallback  # noqa: E402
from lossboard.log.writer import SummaryWriter  # noqa: E402
from tests.integrations.hf_task import make_trainer  # noqa: E402


def history(trainer, name: str) -> tuple[list[int], list[float]]:
    entries = [entry for entry in trainer.state.log_history if name in entry]
    return [entry["step"] for entry in entries], [float(entry[name]) for entry in entries]


def test_training_reads_back_as_the_trainer_logged_it(tmp_path) -> None:
    trainer = make_trainer(tmp_path / "out", LossboardCallback(), run_name="bert-tiny")
    trainer.train()

    (run,) = lossboard.load(tmp_path / "out" / "runs" / "bert-tiny")
    for name, tag in [
        ("loss", "train/loss"),
        ("learning_rate", "opt/lr"),
        ("grad_norm", "opt/grad_norm"),
        ("eval_loss", "val/loss"),
        ("eval_runtime", "perf/eval_runtime_s"),
    ]:
        steps, values = history(trainer, name)
        assert run.series[tag].step.tolist() == steps, tag
        assert run.series[tag].value.tolist() == pytest.approx(values), tag
    assert run.series["train/loss"].step.tolist() == [2, 4, 6, 8]  # logging_steps=2, 4 steps an epoch
    assert run.series["val/loss"].step.tolist() == [4, 8]  # each epoch
    for tag in ("train/loss", "val/loss"):  # each entry's epoch, as log_history gives it
        steps, epochs = history(trainer, "epoch")
        by_step = dict(zip(steps, epochs))
        assert run.series[tag].epoch.tolist() == [by_step[step] for step in run.series[tag].step.tolist()]
    assert "train/epoch" not in run.series
    # the summary entry is metadata, and its mean loss no point
    (summary,) = [entry for entry in trainer.state.log_history if "train_runtime" in entry]
    assert float(run.meta["train_loss"]) == pytest.approx(summary["train_loss"])
    assert run.meta["max_steps"] == "8"
    assert float(run.meta["num_train_epochs"]) == 2
    hparams = trainer.args.to_sanitized_dict()
    assert run.meta["hparam/learning_rate"] == str(hparams["learning_rate"])
    assert run.meta["hparam/logging_steps"] == "2"


def test_a_writer_passed_in_is_flushed_not_closed(tmp_path) -> None:
    writer = SummaryWriter(tmp_path / "run")
    trainer = make_trainer(tmp_path / "out", LossboardCallback(writer))
    trainer.train()
    trainer.evaluate()  # after training: logged at the last step again
    writer.add_scalar("train/marker", 1.0, 0)  # still open
    writer.close()

    assert not (tmp_path / "out" / "runs").exists()
    (run,) = lossboard.load(tmp_path / "run")
    steps, values = history(trainer, "eval_loss")
    assert steps == [4, 8, 8]
    assert run.series["val/loss"].step.tolist() == [4, 8]  # one value per step: the later wins
    assert run.series["val/loss"].value.tolist() == pytest.approx([values[0], values[2]])


def test_two_trainings_are_two_runs(tmp_path) -> None:
    """Issue 11: every run used to be "lossboard", "lossboard#2"... in one directory."""
    for _ in range(2):
        make_trainer(tmp_path / "out", LossboardCallback()).train()
    runs = lossboard.load(tmp_path / "out" / "runs")
    assert len(runs) == 2 and runs[0].name != runs[1].name
    assert all(len(run.series["train/loss"]) == 4 for run in runs)


def _overlay(tmp_path) -> dict:
    """One training seen three ways: its stdout, trainer_state.json and the callback's run."""
    trainer = make_trainer(tmp_path / "out", LossboardCallback(), run_name="overlay")
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):  # the Trainer prints a dict per log
        trainer.train()
    trainer.save_state()
    (tmp_path / "stdout.log").write_text(printed.getvalue())
    paths = {"stdout": "stdout.log", "state": "out/trainer_state.json", "callback": "out/runs/overlay"}
    return {name: lossboard.load(tmp_path / path)[0] for name, path in paths.items()}


OVERLAY_TAGS = ("train/loss", "opt/lr", "opt/grad_norm", "val/loss")


def test_stdout_trainer_state_and_callback_give_every_value_the_same_step_and_epoch(tmp_path) -> None:
    runs = _overlay(tmp_path)
    assert [run.formats for run in runs.values()] == [["hf-stdout"], ["hf-trainer-state"], ["tfevents"]]
    for tag in OVERLAY_TAGS:
        epochs = {name: run.series[tag].epoch.tolist() for name, run in runs.items()}
        assert epochs["stdout"] == epochs["state"] == epochs["callback"], tag
        values = {name: run.series[tag].value.tolist() for name, run in runs.items()}
        assert values["stdout"] == pytest.approx(values["state"], rel=1e-3), tag  # 4 digits printed
        assert values["callback"] == pytest.approx(values["state"]), tag
        # the callback writes at state.global_step, the step of trainer_state.json's entries;
        # stdout prints no step: the summary's runtime x steps/s gives 4 steps an epoch
        steps = {name: run.series[tag].step.tolist() for name, run in runs.items()}
        assert steps["stdout"] == steps["state"] == steps["callback"], tag
    assert runs["state"].series["val/loss"].step.tolist() == [4, 8]


def test_without_transformers_the_import_error_names_the_extra(monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "transformers", None)  # None in sys.modules reads as "not installed"
    monkeypatch.delitem(sys.modules, "lossboard.integrations.transformers")
    with pytest.raises(ImportError, match=r"pip install 'lossboard\[transformers\]'"):
        importlib.import_module("lossboard.integrations.transformers")
