"""One Trainer run seen through its console, its ``trainer_state.json`` and the callback: same
steps, same epochs (issue 11 "one training, one picture"), and the script's own prints and
logging records read at the Trainer's step (issue 8).

Each training runs hf_train.py as a real script (transformers, torch CPU, a tiny BERT) captured
as users capture it: stdout and stderr through one pipe (``python train.py > log 2>&1``), through
a pseudo-terminal (``script -q``), and with stdout alone and ``disable_tqdm=True`` (no bar).
Ground truth is what the Trainer itself kept (``trainer_state.json``) and what the script printed
(``prints.json``).
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("transformers", reason="transformers is not installed (pip install 'lossboard[transformers]')")
pytest.importorskip("torch")

import lossboard  # noqa: E402

SCRIPT = Path(__file__).with_name("hf_train.py")
SRC = Path(lossboard.__file__).parents[1]
TAGS = ("train/loss", "opt/lr", "opt/grad_norm", "val/loss")

# (logging_steps, epochs, gradient accumulation): 4 batches an epoch (hf_task.py)
EVERY_STEP = (1, 3, 1)  # 4 optimizer steps an epoch, a dict at each
ACCUMULATED = (3, 3, 3)  # 2 steps an epoch (3 batches + 1): dicts at steps 3 and 6 only


def capture(out: Path, setup: tuple[int, int, int], how: str) -> Path:
    """Run the script; its console output goes to ``out/console.log`` as ``how`` captures it."""
    out.mkdir()
    args = [sys.executable, str(SCRIPT), str(out), *map(str, setup)]
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(SRC), "TQDM_MININTERVAL": "0"}
    log = out / "console.log"
    if how == "pty":
        command = "stty cols 120 rows 40; " + shlex.join(args)  # 0 columns: tqdm draws nothing
        subprocess.run(["script", "-q", "-e", "-c", command, str(log)], env=env, check=True,
                       stdout=subprocess.DEVNULL, timeout=600)  # fmt: skip
    elif how == "pipe":
        with open(log, "wb") as file:
            subprocess.run(args, env=env, check=True, stdout=file, stderr=subprocess.STDOUT, timeout=600)
    else:  # "stdout": bars off, stderr elsewhere
        with open(log, "wb") as file:
            subprocess.run([*args, "--no-bars"], env=env, check=True, stdout=file,
                           stderr=subprocess.DEVNULL, timeout=600)  # fmt: skip
    return out


def three_ways(out: Path) -> dict:
    paths = {"stdout": "console.log", "state": "trainer_state.json", "callback": "runs/stdout-run"}
    return {name: lossboard.load(out / path)[0] for name, path in paths.items()}


CASES = [(EVERY_STEP, "pipe"), (EVERY_STEP, "pty"), (ACCUMULATED, "pipe"), (ACCUMULATED, "pty"),
         ((2, 3, 2), "stdout")]  # fmt: skip


@pytest.fixture(scope="module", params=CASES, ids=lambda case: f"{'-'.join(map(str, case[0]))}-{case[1]}")
def run(request, tmp_path_factory):
    if request.param[1] == "pty" and shutil.which("script") is None:
        pytest.skip("no `script` command (util-linux) to capture through a pseudo-terminal")
    return capture(tmp_path_factory.mktemp("hf") / "out", *request.param)


def test_stdout_trainer_state_and_callback_give_the_same_steps_and_epochs(run):
    runs = three_ways(run)
    assert runs["stdout"].formats == ["hf-stdout"]
    for tag in TAGS:
        state = runs["state"].series[tag]
        for name in ("stdout", "callback"):
            series = runs[name].series[tag]
            assert series.step.tolist() == state.step.tolist(), (name, tag)
            assert series.epoch.tolist() == pytest.approx(state.epoch.tolist(), abs=5e-4), (name, tag)
        printed = runs["stdout"].series[tag].value.tolist()
        assert printed == pytest.approx(state.value.tolist(), rel=1e-3), tag  # 4 digits printed


def test_the_setups_log_where_they_should(run, request):
    """The steps each setup must give, from its arguments alone: a check that the cases test
    what they claim (dicts at every step, or only at some with accumulation)."""
    (logging_steps, epochs, accumulation), _ = CASES[request.node.callspec.indices["run"]]
    per_epoch = -(-4 // accumulation)  # 4 batches an epoch, the last step may take fewer
    (stdout,) = lossboard.load(run / "console.log")
    total = per_epoch * epochs
    assert stdout.series["train/loss"].step.tolist() == list(range(logging_steps, total + 1, logging_steps))
    assert stdout.series["val/loss"].step.tolist() == [per_epoch * (e + 1) for e in range(epochs)]


def test_prints_and_logging_records_are_read_at_the_trainers_step(run):
    printed = json.loads((run / "prints.json").read_text())
    (stdout,) = lossboard.load(run / "console.log")
    console = (run / "console.log").read_text(errors="replace")
    names = [name for name in ("custom_score", "token_rate") if f"{name}" in console]
    assert "custom_score" in names  # the logging record went to stderr, captured or not
    for name in names:
        (series,) = [s for s in stdout.series.values() if s.source_tag == name]
        assert series.step.tolist() == [p["step"] for p in printed], name
        assert series.value.tolist() == pytest.approx([p[name] for p in printed]), name
    # the dataset sample printed before training is no metric
    assert not [s for s in stdout.series.values() if s.source_tag in ("input_ids", "label")]
