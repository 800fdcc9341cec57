"""Produce the real framework logs in this directory (run with /work/fw-venv/bin/python).

* ``lightning_metrics.csv`` - Lightning's CSVLogger for 2 epochs of a tiny classifier on
  synthetic data: ``train_loss`` logged with ``on_step`` and ``on_epoch`` (so the file has
  ``train_loss_step`` and ``train_loss_epoch``), ``val_loss`` and ``val_acc`` per epoch.
* ``keras_training.log`` - Keras 3 (torch backend) CSVLogger for 3 epochs, the default
  file name, with a LearningRateScheduler halving the rate (a ``learning_rate`` column);
  ``keras_history.json`` is ``History.history`` as Keras returned it, the ground truth the
  tests compare against.

Both runs are seeded and take a few seconds on a CPU.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).parent


def make_lightning(workdir: Path) -> None:
    import lightning as L
    import torch
    from lightning.pytorch.loggers import CSVLogger
    from torch.utils.data import DataLoader, TensorDataset

    L.seed_everything(0)
    x = torch.randn(256, 8)
    y = (x[:, 0] + x[:, 1] > 0).long()
    train = DataLoader(TensorDataset(x[:192], y[:192]), batch_size=16)
    val = DataLoader(TensorDataset(x[192:], y[192:]), batch_size=32)

    class Tiny(L.LightningModule):
        def __init__(self) -> None:
            super().__init__()
            self.net = torch.nn.Linear(8, 2)

        def training_step(self, batch, _):
            loss = torch.nn.functional.cross_entropy(self.net(batch[0]), batch[1])
            self.log("train_loss", loss, on_step=True, on_epoch=True)
            return loss

        def validation_step(self, batch, _):
            logits = self.net(batch[0])
            self.log("val_loss", torch.nn.functional.cross_entropy(logits, batch[1]))
            self.log("val_acc", (logits.argmax(1) == batch[1]).float().mean())

        def configure_optimizers(self):
            return torch.optim.SGD(self.parameters(), lr=0.1)

    trainer = L.Trainer(
        max_epochs=2,
        logger=CSVLogger(workdir, name="lightning"),
        log_every_n_steps=4,
        enable_progress_bar=False,
        enable_model_summary=False,
        enable_checkpointing=False,
        accelerator="cpu",
    )
    trainer.fit(Tiny(), train, val)
    shutil.copy(Path(trainer.logger.log_dir) / "metrics.csv", HERE / "lightning_metrics.csv")


def make_keras(workdir: Path) -> None:
    os.environ["KERAS_BACKEND"] = "torch"
    import keras
    import numpy as np

    keras.utils.set_random_seed(0)
    x = np.random.default_rng(0).normal(size=(256, 8)).astype("float32")
    y = (x[:, 0] + x[:, 1] > 0).astype("int64")
    model = keras.Sequential([keras.Input((8,)), keras.layers.Dense(2, activation="softmax")])
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    log = workdir / "training.log"
    history = model.fit(
        x, y, epochs=3, batch_size=32, validation_split=0.25, verbose=0,
        callbacks=[
            # the scheduler adds `learning_rate` to the logs; CSVLogger, listed after it, writes it
            keras.callbacks.LearningRateScheduler(lambda epoch, lr: lr / 2 if epoch else lr),
            keras.callbacks.CSVLogger(str(log)),
        ],
    )
    shutil.copy(log, HERE / "keras_training.log")
    truth = {"epoch": history.epoch, "history": history.history}
    (HERE / "keras_history.json").write_text(json.dumps(truth, indent=1) + "\n")


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as tmp:
        if "keras" not in sys.argv[1:]:
            make_lightning(Path(tmp))
        if "lightning" not in sys.argv[1:]:
            make_keras(Path(tmp))
