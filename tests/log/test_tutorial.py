"""The PyTorch TensorBoard tutorial's logging, with only the import changed, read back by lossboard.

https://pytorch.org/tutorials/intermediate/tensorboard_tutorial.html logs ``section/plot``
scalars, a grid of sample images, a matplotlib figure of predictions, per-class PR curves and
flushes as it goes. The "model" here is numpy arithmetic (torch tensors when torch is there),
so the test runs anywhere in well under a second.
"""

from __future__ import annotations

import csv
import io
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
        logged["Loss/val"].append((step, val_loss))
        logged["Accuracy/val"].append((step, accuracy))
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
