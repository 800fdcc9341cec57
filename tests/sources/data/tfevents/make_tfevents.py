"""Write small TensorBoard event files the way real training code does, plus the truth.

Run from this directory with the framework venv:

    /work/fw-venv/bin/python make_tfevents.py

* ``torch/``: ``torch.utils.tensorboard.SummaryWriter``: ``add_scalar`` (``Loss/val``,
  ``Accuracy/test``, ``training loss`` with a NaN and an inf), one ``new_style=True`` tensor
  scalar, ``add_scalars`` (one sub-directory file per key), a histogram and a text summary
  that must be ignored.
* ``torch-purge/``: a second writer opened with ``purge_step=3`` (a restart: SessionLog.START).
* ``tb-writer/``: tensorboard's own TensorFlow-free ``EventFileWriter`` with TF2-style tensor
  scalars (``scalars`` plugin metadata on the first value of each tag only).

``truth.json`` holds, per file, every (tag, step, value) logged, values as ``repr`` strings so
NaN and inf survive JSON.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
from tensorboard.compat.proto import event_pb2, summary_pb2
from tensorboard.summary.writer.event_file_writer import EventFileWriter
from tensorboard.util import tensor_util
from torch.utils.tensorboard import SummaryWriter

HERE = Path(__file__).parent
truth: dict[str, list[list]] = {}


def note(path: Path, tag: str, step: int, value: float) -> None:
    truth.setdefault(path.relative_to(HERE).as_posix(), []).append([tag, step, repr(float(value))])


def only_file(directory: Path) -> Path:
    (path,) = directory.glob("events.out.tfevents.*")
    return path


def torch_run() -> None:
    out = HERE / "torch"
    writer = SummaryWriter(str(out))
    train_loss = [0.9, 0.7, float("nan"), 0.5, float("inf"), 0.3]
    logged = []
    for step, loss in enumerate(train_loss):
        writer.add_scalar("Loss/val", loss, step)
        logged.append(("Loss/val", step, loss))
        writer.add_scalar("training loss", loss * 2, step)
        logged.append(("training loss", step, np.float32(loss * 2)))
        writer.add_histogram("weights", np.linspace(-1, 1, 50) * (step + 1), step)
        if step % 2 == 1:
            writer.add_scalar("Accuracy/test", 0.5 + step / 20, step)
            logged.append(("Accuracy/test", step, np.float32(0.5 + step / 20)))
            writer.add_scalars("run", {"a": step, "b": -step}, step)
    writer.add_scalar("lr", 0.125, 5, new_style=True)
    logged.append(("lr", 5, 0.125))
    writer.add_text("notes", "a text summary is not a curve", 0)
    writer.close()
    main = only_file(out)
    for tag, step, value in logged:
        note(main, tag, step, np.float32(value))
    for key, sign in (("a", 1), ("b", -1)):
        sub = only_file(out / f"run_{key}")
        for step in (1, 3, 5):
            note(sub, "run", step, sign * step)


def purge_run() -> None:
    out = HERE / "torch-purge"
    writer = SummaryWriter(str(out), purge_step=3)
    for step in (3, 4):
        writer.add_scalar("Loss/train", 1.0 / step, step)
    writer.close()
    path = only_file(out)
    for step in (3, 4):
        note(path, "Loss/train", step, np.float32(1.0 / step))


def tb_writer_run() -> None:
    out = HERE / "tb-writer"
    out.mkdir()
    writer = EventFileWriter(str(out))
    for step in range(4):
        for tag, value in (("train/loss", 1.0 / (step + 1)), ("eval/accuracy", 0.25 * step)):
            summary_value = summary_pb2.Summary.Value(
                tag=tag, tensor=tensor_util.make_tensor_proto(np.float32(value))
            )
            if step == 0:  # TF2 writes the plugin metadata with a tag's first value only
                summary_value.metadata.plugin_data.plugin_name = "scalars"
            writer.add_event(event_pb2.Event(
                wall_time=1_700_000_000.0 + step, step=step,
                summary=summary_pb2.Summary(value=[summary_value]),
            ))
            note(out / "x", tag, step, np.float32(value))
    writer.close()
    path = only_file(out)
    truth[path.relative_to(HERE).as_posix()] = truth.pop((out / "x").relative_to(HERE).as_posix())


def main() -> None:
    for name in ("torch", "torch-purge", "tb-writer"):
        shutil.rmtree(HERE / name, ignore_errors=True)
    torch_run()
    purge_run()
    tb_writer_run()
    (HERE / "truth.json").write_text(json.dumps(truth, indent=1) + "\n")


if __name__ == "__main__":
    main()
