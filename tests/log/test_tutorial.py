"""The PyTorch TensorBoard tutorial's logging, with only the import changed.

https://pytorch.org/tutorials/intermediate/tensorboard_tutorial.html logs scalars, a grid of
sample images, the model's graph, an embedding, a matplotlib figure of predictions and
per-class PR curves. Two tests:

* `test_the_tutorial_reads_back_through_load_export_and_plot`: the tutorial's kinds of calls
  from a numpy "model" (torch tensors when torch is there), read back by lossboard;
* `test_tensorboard_reads_the_same_from_both_writers`: the tutorial's own code (tutorial.py
  beside this file), run once with torch's writer and once with lossboard's, and what
  TensorBoard's EventMultiplexer reads from the two directories compared tag for tag and step
  for step.
"""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from pathlib import Path

import matplotlib
import numpy as np
import pytest
from click.testing import CliRunner

import lossboard
from lossboard import SummaryWriter  # was: from torch.utils.tensorboard import SummaryWriter
from lossboard.cli import main

matplotlib.use("Agg")

CLASSES = ("T-shirt", "Trouser", "Pullover", "Dress")
EPOCHS = 3
BATCHES = 4


def tutorial(logdir: Path, as_tensor) -> dict:
    """The tutorial's calls; returns what it logged, computed here, for the test to compare."""
    import matplotlib.pyplot as plt

    rng = np.random.default_rng(0)
    logged: dict = {"Loss/train": [], "Loss/val": [], "Accuracy/val": []}
    writer = SummaryWriter(str(logdir))
    images = rng.random((8, 1, 28, 28), dtype=np.float32)
    writer.add_images("four_fashion_mnist_images", as_tensor(images))
    for epoch in range(EPOCHS):
        for batch in range(BATCHES):
            loss = float(2.0 / (1 + epoch * BATCHES + batch))
            writer.add_scalar("Loss/train", as_tensor(np.float32(loss)), epoch * BATCHES + batch)
            logged["Loss/train"].append((epoch * BATCHES + batch, float(np.float32(loss))))
        probs = rng.dirichlet(np.ones(len(CLASSES)), size=64)
        labels = rng.integers(0, len(CLASSES), size=64)
        val_loss, accuracy = float(-np.log(probs[np.arange(64), labels]).mean()), float(
            (probs.argmax(1) == labels).mean())
        step = (epoch + 1) * BATCHES
        writer.add_scalar("Loss/val", val_loss, step)
        writer.add_scalar("Accuracy/val", accuracy, step)
        logged["Loss/val"].append((step, float(np.float32(val_loss))))  # float32, as TensorBoard stores it
        logged["Accuracy/val"].append((step, float(np.float32(accuracy))))
        for index, name in enumerate(CLASSES):
            writer.add_histogram(f"confidence/{name}", as_tensor(probs[:, index]), epoch)
        figure = plt.figure(figsize=(3, 2), dpi=40)
        plt.bar(CLASSES, probs[0])
        writer.add_figure("predictions vs. actuals", figure, global_step=step)
        writer.flush()
    for index, name in enumerate(CLASSES):
        writer.add_pr_curve(name, as_tensor(labels == index), as_tensor(probs[:, index]), global_step=0)
    writer.close()
    return logged


@pytest.fixture(params=["numpy", "torch"])
def as_tensor(request):
    if request.param == "numpy":
        return lambda array: array
    torch = pytest.importorskip("torch", reason="torch is not installed in this environment")
    return lambda array: torch.as_tensor(np.asarray(array))


def test_the_tutorial_reads_back_through_load_export_and_plot(tmp_path, as_tensor):
    logdir = tmp_path / "runs" / "fashion_mnist_experiment_1"
    logged = tutorial(logdir, as_tensor)

    (run,) = lossboard.load(logdir)
    for source_tag, expected in logged.items():
        (series,) = [s for s in run.series.values() if s.source_tag == source_tag]
        assert list(zip(series.step.tolist(), series.value.tolist())) == expected
    kinds = [(m.kind, m.tag) for m in run.media]
    assert kinds.count(("image", "predictions vs. actuals")) == EPOCHS
    assert ("image", "four_fashion_mnist_images") in kinds
    assert sum(kind == "histogram" for kind, _ in kinds) == EPOCHS * len(CLASSES)
    assert sorted(tag for kind, tag in kinds if kind == "pr_curve") == sorted(CLASSES)

    runner = CliRunner()
    exported = runner.invoke(main, ["export", str(logdir)])
    assert exported.exit_code == 0, exported.output
    rows = list(csv.DictReader(io.StringIO(exported.output)))
    assert len(rows) == sum(len(v) for v in logged.values())
    assert {row["source_tag"] for row in rows} == set(logged)

    plotted = runner.invoke(main, ["plot", str(logdir), "-o", str(tmp_path / "figures"), "--x", "step"])
    assert plotted.exit_code == 0, plotted.output
    written = [Path(line) for line in plotted.output.split()]
    assert written and all(path.stat().st_size > 0 for path in written)


def test_tensorboard_reads_the_same_from_both_writers(tmp_path):
    pytest.importorskip("torch", reason="torch is not installed in this environment")
    script = Path(__file__).with_name("tutorial.py")
    for writer in ("torch", "lossboard"):
        (tmp_path / writer).mkdir()
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path), "TUTORIAL_WRITER": writer,
               "MPLBACKEND": "Agg"}
        done = subprocess.run([sys.executable, str(script)], cwd=tmp_path / writer, env=env,
                              capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stderr
        assert "Finished Training" in done.stdout
    theirs, ours = (read_back(tmp_path / writer / "runs") for writer in ("torch", "lossboard"))
    assert sorted(ours) == sorted(theirs) == ["fashion_mnist_experiment_1"]
    # what the tutorial logs (40 batches of 4): the comparison below is not of empty sets
    (logged,) = theirs.values()
    assert [step for step, _ in logged["scalars"]["training loss"]] == [9, 19, 29, 39]
    assert [step for step, *_ in logged["images"]["predictions vs. actuals"]] == [9, 19]
    assert [size for _, *size in logged["images"]["predictions vs. actuals"]] == [[4800, 1200]] * 2
    assert len(logged["tensors"]) == 10  # a PR curve per class
    for run in theirs:
        for kind in ("scalars", "images", "tensors", "audio", "histograms"):
            assert ours[run][kind] == theirs[run][kind], (run, kind)
        assert ours[run]["graph"] == theirs[run]["graph"] is True
    mine, torchs = (tmp_path / writer / "runs" / "fashion_mnist_experiment_1" for writer in ("lossboard", "torch"))
    assert (mine / "projector_config.pbtxt").read_text() == (torchs / "projector_config.pbtxt").read_text()
    for name in ("tensors.tsv", "metadata.tsv"):
        assert (mine / "00000" / "default" / name).read_text() == (torchs / "00000" / "default" / name).read_text()


def read_back(root: Path) -> dict:
    """Per run, per kind, per tag: what TensorBoard's multiplexer holds, as comparable values."""
    from tensorboard.backend.event_processing import event_accumulator, event_multiplexer

    multiplexer = event_multiplexer.EventMultiplexer(
        size_guidance={kind: 0 for kind in event_accumulator.DEFAULT_SIZE_GUIDANCE})
    multiplexer.AddRunsFromDirectory(str(root)).Reload()
    out = {}
    for run, tags in multiplexer.Runs().items():
        accumulator = multiplexer.GetAccumulator(run)
        out[run] = {
            "scalars": {tag: [(e.step, e.value) for e in accumulator.Scalars(tag)] for tag in tags["scalars"]},
            "images": {tag: [(e.step, e.height, e.width) for e in accumulator.Images(tag)] for tag in tags["images"]},
            "tensors": {tag: [(e.step, _plugin(accumulator, tag)) for e in accumulator.Tensors(tag)]
                        for tag in tags["tensors"] if _plugin(accumulator, tag) != "lossboard_meta"},
            "audio": tags["audio"], "histograms": tags["histograms"], "graph": tags["graph"],
        }
    return out


def _plugin(accumulator, tag: str) -> str:
    return accumulator.SummaryMetadata(tag).plugin_data.plugin_name
