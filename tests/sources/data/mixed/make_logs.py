"""Produce the mixed-output fixture logs: a tiny torch model trained on synthetic data, printing
its metrics in the styles people write by hand, each captured through a pipe and a terminal.

Run from the repository root with a Python that has torch (CPU) and tqdm:

    /work/main/.venv/bin/python tests/sources/data/mixed/make_logs.py

Writes ``STYLE_pipe.log`` (stdout and stderr redirected to one file) and ``STYLE_pty.log``
(the same run under util-linux ``script -q -e`` in a 100-column pseudo-terminal) for each
style below. Training is seeded and single-threaded, so both captures print the same numbers.

* ``space_pairs``: ``Epoch 1 loss 2.1214 acc 0.4343 val_loss 1.8972 val_acc 0.7557``;
* ``colon_epoch``: ``Epoch 10: train_loss 0.0357, val_loss 0.1, val_acc 0.9``;
* ``tutorial``: the PyTorch transfer-learning tutorial's ``Epoch 0/4`` and ``----------``
  header, then ``train Loss: 0.61 Acc: 0.81`` and ``val Loss: …`` lines with no counter;
* ``step_pipes``: ``Epoch 3/3 | Step 20/20 | Avg Loss: 0.31 | Accuracy: 88.1%``;
* ``logger_bar``: tqdm writing through a logger (the common ``TqdmToLogger`` recipe), so every
  bar state is a record of its own: ``2026-… - INFO - Epoch 1:  40%|████      | 8/20 [...]``;
* ``glued``: tqdm redrawn with ``\\r`` on stderr while ``logging`` writes records to the same
  stream, one inside the loop (glued onto the bar, no newline between) and the epoch summary
  ``Epoch [1/4], Training Loss: …, Validation Loss: …, Accuracy: …%`` after it, as in the
  corpus's file 41 and 42.
"""

from __future__ import annotations

import io
import logging
import subprocess
import sys
import time
from pathlib import Path

import torch
from torch import nn
from tqdm import tqdm

HERE = Path(__file__).resolve().parent
STYLES = ("space_pairs", "colon_epoch", "tutorial", "step_pipes", "logger_bar", "glued")
EPOCHS = {"space_pairs": 5, "colon_epoch": 10, "tutorial": 5, "step_pipes": 3, "logger_bar": 2, "glued": 4}
BATCHES = 20


class Task:
    """A linear classifier on seeded synthetic data: 20 batches of 16 to train, 5 to validate."""

    def __init__(self) -> None:
        torch.manual_seed(0)
        torch.set_num_threads(1)
        centers = torch.randn(4, 8) * 1.2
        labels = torch.randint(0, 4, (BATCHES * 16 + 80,))
        inputs = centers[labels] + torch.randn(len(labels), 8)
        self.train = list(zip(inputs[: BATCHES * 16].split(16), labels[: BATCHES * 16].split(16)))
        self.val = list(zip(inputs[BATCHES * 16 :].split(16), labels[BATCHES * 16 :].split(16)))
        self.model = nn.Linear(8, 4)
        self.optimizer = torch.optim.SGD(self.model.parameters(), lr=0.05)
        self.scheduler = torch.optim.lr_scheduler.StepLR(self.optimizer, step_size=2, gamma=0.5)
        self.loss_fn = nn.CrossEntropyLoss()

    def step(self, x: torch.Tensor, y: torch.Tensor) -> tuple[float, int]:
        self.optimizer.zero_grad()
        out = self.model(x)
        loss = self.loss_fn(out, y)
        loss.backward()
        self.optimizer.step()
        return loss.item(), int((out.argmax(1) == y).sum())

    def evaluate(self) -> tuple[float, float]:
        with torch.no_grad():
            losses = [self.loss_fn(self.model(x), y).item() * len(y) for x, y in self.val]
            correct = sum(int((self.model(x).argmax(1) == y).sum()) for x, y in self.val)
        return sum(losses) / 80, correct / 80

    def epoch(self, each_batch=None) -> tuple[float, float]:
        """One epoch; ``each_batch(i, running_loss, running_acc)`` after every batch."""
        total = correct = seen = 0
        for i, (x, y) in enumerate(self.train, 1):
            loss, hits = self.step(x, y)
            total, correct, seen = total + loss * len(y), correct + hits, seen + len(y)
            if each_batch is not None:
                each_batch(i, total / seen, correct / seen)
        self.scheduler.step()
        return total / seen, correct / seen


def space_pairs(task: Task) -> None:
    for epoch in range(1, EPOCHS["space_pairs"] + 1):
        loss, acc = task.epoch()
        val_loss, val_acc = task.evaluate()
        print(f"Epoch {epoch} loss {loss:.4f} acc {acc:.4f} val_loss {val_loss:.4f} val_acc {val_acc:.4f}")


def colon_epoch(task: Task) -> None:
    for epoch in range(1, EPOCHS["colon_epoch"] + 1):
        loss, _ = task.epoch()
        val_loss, val_acc = task.evaluate()
        print(f"Epoch {epoch}: train_loss {loss:.4f}, val_loss {val_loss:.4f}, val_acc {val_acc:.4f}")


def tutorial(task: Task) -> None:
    since = time.time()
    best_acc = 0.0
    num_epochs = EPOCHS["tutorial"]
    for epoch in range(num_epochs):
        print(f"Epoch {epoch}/{num_epochs - 1}")
        print("-" * 10)
        loss, acc = task.epoch()
        print(f"train Loss: {loss:.4f} Acc: {acc:.4f}")
        val_loss, val_acc = task.evaluate()
        print(f"val Loss: {val_loss:.4f} Acc: {val_acc:.4f}")
        best_acc = max(best_acc, val_acc)
        print()
    elapsed = time.time() - since
    print(f"Training complete in {elapsed // 60:.0f}m {elapsed % 60:.0f}s")
    print(f"Best val Acc: {best_acc:4f}")


def step_pipes(task: Task) -> None:
    epochs = EPOCHS["step_pipes"]

    def report(epoch: int):
        def each_batch(i: int, loss: float, acc: float) -> None:
            if i % 5 == 0:
                print(f"Epoch {epoch}/{epochs} | Step {i}/{BATCHES} | Avg Loss: {loss:.2f} | Accuracy: {acc * 100:.1f}%")
        return each_batch

    for epoch in range(1, epochs + 1):
        task.epoch(report(epoch))


class _ToLogger(io.StringIO):
    """tqdm's output sent to a logger, one record per redraw (the usual TqdmToLogger recipe)."""

    def __init__(self, logger: logging.Logger) -> None:
        super().__init__()
        self.logger = logger

    def write(self, text: str) -> int:
        text = text.strip("\r\n\t ")
        if text:
            self.logger.info(text)
        return len(text)


def logger_bar(task: Task) -> None:
    logging.basicConfig(format="%(asctime)s - %(levelname)s - %(message)s", level=logging.INFO, stream=sys.stdout)
    logger = logging.getLogger("train")
    for epoch in range(1, EPOCHS["logger_bar"] + 1):
        with tqdm(total=BATCHES, desc=f"Epoch {epoch}", file=_ToLogger(logger), mininterval=0, ascii=False) as bar:
            def each_batch(i: int, loss: float, acc: float) -> None:
                bar.set_postfix(loss=f"{loss:.4f}", refresh=False)
                bar.update()
            loss, _ = task.epoch(each_batch)
        val_loss, val_acc = task.evaluate()
        logger.info(f"Epoch {epoch} done: train_loss={loss:.4f} val_loss={val_loss:.4f} val_acc={val_acc:.4f}")


def glued(task: Task) -> None:
    logging.basicConfig(format="%(asctime)s - %(name)s - %(levelname)s - %(message)s", level=logging.INFO)
    logger = logging.getLogger("mixed_train")
    epochs = EPOCHS["glued"]
    logger.info(f"Learning rate for next epoch: {task.optimizer.param_groups[0]['lr']:.6f}")
    step = 0
    for epoch in range(1, epochs + 1):
        with tqdm(total=BATCHES, desc=f"Epoch {epoch}/{epochs} [Train]") as bar:
            def each_batch(i: int, loss: float, acc: float, bar=bar, epoch: int = epoch) -> None:
                nonlocal step
                bar.set_postfix(loss=f"{loss:.4f}")
                bar.update()
                if step % 30 == 0:
                    logger.info(f"Train: STEP {step} - EPOCH {epoch - 1}/{epochs} | loss: {loss:.3E}")
                step += 1
                time.sleep(0.01)
            loss, _ = task.epoch(each_batch)
        val_loss, val_acc = task.evaluate()
        logger.info(
            f"Epoch [{epoch}/{epochs}], Training Loss: {loss:.4f}, Validation Loss: {val_loss:.4f}, "
            f"Accuracy: {val_acc * 100:.2f}%"
        )
        logger.info(f"Learning rate for next epoch: {task.optimizer.param_groups[0]['lr']:.6f}")


def capture(style: str) -> None:
    cmd = [sys.executable, str(Path(__file__).resolve()), style]
    with open(HERE / f"{style}_pipe.log", "w") as out:
        subprocess.run(cmd, stdout=out, stderr=subprocess.STDOUT, check=True)
    shell = "stty cols 100 rows 40; " + " ".join(cmd)
    subprocess.run(["script", "-q", "-e", "-c", shell, str(HERE / f"{style}_pty.log")],
                   stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, check=True)


def main() -> None:
    if sys.argv[1:] and sys.argv[1] in STYLES:
        globals()[sys.argv[1]](Task())
        return
    for style in STYLES:
        capture(style)


if __name__ == "__main__":
    main()
