"""Produce the Lightning stdout fixtures: a tiny LightningModule trained for 2 epochs.

Run from the repository root with the framework venv (lightning, torch CPU):

    /work/fw-venv/bin/python tests/sources/data/lightning/make_logs.py

Writes ``tqdm_file.log`` (stdout and stderr redirected to a file, as ``python train.py > log
2>&1`` does) and ``tqdm_pty.log`` (the same run under ``script``, a 100-column pseudo-terminal),
then ``rich_file.log`` and ``rich_pty.log``: the same training with Lightning's
``RichProgressBar`` (what Lightning picks when ``rich`` is installed), and ``rich_metrics.csv``,
what the run's CSVLogger recorded, for the tests to compare the bar's values with.
The module logs ``train_loss`` (per step), ``train_acc`` (``on_step`` and ``on_epoch``, so the
bar shows ``train_acc_step`` and ``train_acc_epoch``), ``val_loss`` and ``val_acc``, all with
``prog_bar=True``; a CSVLogger in a temporary directory gives the bar its ``v_num``. The
``TQDMProgressBar`` callback is passed explicitly: with ``rich`` installed Lightning 2.6 would
pick its ``RichProgressBar`` instead.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent


def train(bar: str) -> None:
    import lightning as L
    import torch
    from lightning.pytorch.callbacks import RichProgressBar, TQDMProgressBar
    from lightning.pytorch.loggers import CSVLogger
    from torch import nn
    from torch.utils.data import DataLoader, TensorDataset

    class Tiny(L.LightningModule):
        def __init__(self) -> None:
            super().__init__()
            self.net = nn.Linear(8, 2)

        def step(self, batch):
            x, y = batch
            logits = self.net(x)
            return nn.functional.cross_entropy(logits, y), (logits.argmax(1) == y).float().mean()

        def training_step(self, batch, batch_idx):
            loss, acc = self.step(batch)
            self.log("train_loss", loss, prog_bar=True)
            self.log("train_acc", acc, prog_bar=True, on_step=True, on_epoch=True)
            return loss

        def validation_step(self, batch, batch_idx):
            loss, acc = self.step(batch)
            self.log("val_loss", loss, prog_bar=True)
            self.log("val_acc", acc, prog_bar=True)

        def configure_optimizers(self):
            return torch.optim.SGD(self.parameters(), lr=0.1)

    L.seed_everything(0)
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(384, 8, generator=gen)
    y = (x[:, 0] + 0.5 * torch.randn(384, generator=gen) > 0).long()
    train_dl = DataLoader(TensorDataset(x[:256], y[:256]), batch_size=8)
    val_dl = DataLoader(TensorDataset(x[256:], y[256:]), batch_size=16)
    progress = TQDMProgressBar() if bar == "tqdm" else RichProgressBar()
    with tempfile.TemporaryDirectory() as tmp:
        logger = CSVLogger(tmp)
        trainer = L.Trainer(max_epochs=2, logger=logger, default_root_dir=tmp,
                            enable_checkpointing=False, accelerator="cpu", devices=1,
                            callbacks=[progress])
        trainer.fit(Tiny(), train_dl, val_dl)
        if bar == "rich":  # what the logger recorded: the values the bar must show
            (HERE / "rich_metrics.csv").write_bytes((Path(logger.log_dir) / "metrics.csv").read_bytes())


def main() -> None:
    if sys.argv[1:2] == ["--train"]:
        train(sys.argv[2])
        return
    for bar in ("tqdm", "rich"):
        cmd = [sys.executable, str(Path(__file__).resolve()), "--train", bar]
        with open(HERE / f"{bar}_file.log", "w") as out:
            subprocess.run(cmd, stdout=out, stderr=subprocess.STDOUT, check=True)
        shell = "stty cols 100 rows 40; " + " ".join(cmd)
        subprocess.run(["script", "-q", "-e", "-c", shell, str(HERE / f"{bar}_pty.log")],
                       stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, check=True)


if __name__ == "__main__":
    main()
