"""Loading what `lossboard run` saved: one run per directory, run.json as its metadata."""

from __future__ import annotations

import io
import shlex
import sys
from pathlib import Path

import lossboard
from lossboard.log.run import run_command

# two epochs of Keras 1 verbose=2 output, the shape of corpus file 13
CHILD = r"""
print("Epoch 1/2")
print("3083s - loss: 0.5000 - acc: 0.8000 - val_loss: 0.4000 - val_acc: 0.8500")
print("Epoch 2/2")
print("3079s - loss: 0.3000 - acc: 0.9000 - val_loss: 0.3500 - val_acc: 0.8700")
raise SystemExit(3)
"""


def test_a_run_directory_loads_as_one_run_with_what_ran(tmp_path: Path) -> None:
    status = run_command([sys.executable, "-c", CHILD], logdir=tmp_path, name="keras-demo",
                         stdout=io.BytesIO(), stderr=io.BytesIO())
    assert status == 3
    (run,) = lossboard.load(tmp_path)
    assert run.name == "keras-demo" and run.formats == ["keras-stdout"]
    assert run.series["val/accuracy"].value.tolist() == [0.85, 0.87]
    assert run.meta["exit_status"] == "3" and run.meta["status"] == "failed"
    assert shlex.split(run.meta["command"]) == [sys.executable, "-c", CHILD]
    assert run.meta["cwd"] and run.meta["start_time"] and run.meta["end_time"]


def test_a_script_under_lossboard_run_logs_into_the_same_run(tmp_path: Path) -> None:
    script = (
        "from lossboard import SummaryWriter\n"
        "with SummaryWriter() as writer:\n"
        "    for step in range(3):\n"
        "        writer.add_scalar('train/grad_scale', 2.0 ** step, step)\n"
        "print('Epoch 1/1')\n"
        "print('1s - loss: 0.5000 - val_loss: 0.4000')\n"
    )
    env_path = str(Path(lossboard.__file__).parents[1])
    child = f"import sys; sys.path.insert(0, {env_path!r}); exec({script!r})"
    assert run_command([sys.executable, "-c", child], logdir=tmp_path, name="both",
                       stdout=io.BytesIO(), stderr=io.BytesIO()) == 0
    (run,) = lossboard.load(tmp_path)
    assert run.name == "both" and sorted(run.formats) == ["keras-stdout", "tfevents"]
    # the writer's steps and the printed epoch are both kept: neither file resumes the other
    assert run.series["val/loss"].value.tolist() == [0.4]
    assert run.series["train/grad_scale"].value.tolist() == [1.0, 2.0, 4.0]
