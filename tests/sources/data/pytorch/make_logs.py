"""Produce the PyTorch fixture logs by training a tiny model on synthetic data.

Run from the repository root with the framework venv (torch CPU, tqdm):

    /work/fw-venv/bin/python tests/sources/data/pytorch/make_logs.py

Writes
* ``pytorch/imagenet_style.log``: the stdout of a 2-epoch run printed in the format of
  pytorch/examples imagenet/main.py (AverageMeter/ProgressMeter, ``Epoch: [e][ b/N]`` lines,
  ``Test: [ b/N]`` lines and the `` *   Acc@1 .. Acc@5 ..`` summary), redirected to a file;
* ``tqdm/plain_loop_file.log``: the stderr of a plain loop with ``tqdm(loader, desc=f"Epoch {e}")``
  and ``set_postfix(loss=..., acc=...)`` plus a ``val`` bar, redirected to a file;
* ``tqdm/plain_loop_pty.log``: the same loop run under ``script`` (a pseudo-terminal, 100 columns).

The printing code below is written for this project; only the printed format follows the
imagenet example.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

HERE = Path(__file__).resolve().parent
DATA = HERE.parent


def loaders(seed: int) -> tuple[DataLoader, DataLoader]:
    """Synthetic 10-class data a linear model can partly learn: 320 train, 160 val samples."""
    gen = torch.Generator().manual_seed(seed)
    centers = torch.randn(10, 20, generator=gen) * 1.5
    def make(n: int) -> TensorDataset:
        y = torch.randint(0, 10, (n,), generator=gen)
        return TensorDataset(centers[y] + torch.randn(n, 20, generator=gen), y)
    return (
        DataLoader(make(320), batch_size=16, shuffle=True, generator=gen),
        DataLoader(make(160), batch_size=16),
    )


class Meter:
    """Current value and running average, printed as ``Name val (avg)``."""

    def __init__(self, name: str, fmt: str) -> None:
        self.name, self.fmt = name, fmt
        self.val = self.avg = self.sum = 0.0
        self.count = 0

    def update(self, val: float, n: int = 1) -> None:
        self.val = val
        self.sum += val * n
        self.count += n
        self.avg = self.sum / self.count

    def __str__(self) -> str:
        return f"{self.name} {self.val:{self.fmt}} ({self.avg:{self.fmt}})"


def progress_line(prefix: str, batch: int, total: int, meters: list[Meter]) -> str:
    width = len(str(total))
    return "\t".join([f"{prefix}[{batch:{width}d}/{total}]"] + [str(m) for m in meters])


def topk(output: torch.Tensor, target: torch.Tensor, k: int) -> float:
    pred = output.topk(k, dim=1).indices
    return (pred == target[:, None]).any(dim=1).float().mean().item() * 100


def train_meters() -> list[Meter]:
    return [Meter("Time", "6.3f"), Meter("Data", "6.3f"), Meter("Loss", ".4e"),
            Meter("Acc@1", "6.2f"), Meter("Acc@5", "6.2f")]


def val_meters() -> list[Meter]:
    return [Meter("Time", "6.3f"), Meter("Loss", ".4e"), Meter("Acc@1", "6.2f"), Meter("Acc@5", "6.2f")]


def train_batch(model, opt, loss_fn, x, y, meters: list[Meter], end: float) -> float:
    """One optimisation step with the example's meters updated; returns when it ended."""
    meters[1].update(time.time() - end)
    output = model(x)
    loss = loss_fn(output, y)
    opt.zero_grad()
    loss.backward()
    opt.step()
    meters[2].update(loss.item(), x.size(0))
    meters[3].update(topk(output, y, 1), x.size(0))
    meters[4].update(topk(output, y, 5), x.size(0))
    meters[0].update(time.time() - end)
    return time.time()


def val_batch(model, loss_fn, x, y, meters: list[Meter], end: float) -> float:
    """One validation batch with the example's meters updated; returns when it ended."""
    output = model(x)
    meters[1].update(loss_fn(output, y).item(), x.size(0))
    meters[2].update(topk(output, y, 1), x.size(0))
    meters[3].update(topk(output, y, 5), x.size(0))
    meters[0].update(time.time() - end)
    return time.time()


def imagenet_style(out) -> None:
    torch.manual_seed(0)
    train, val = loaders(0)
    model = nn.Sequential(nn.Linear(20, 32), nn.ReLU(), nn.Linear(32, 10))
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()
    print_freq = 5
    for epoch in range(2):
        meters = train_meters()
        model.train()
        end = time.time()
        for i, (x, y) in enumerate(train):
            end = train_batch(model, opt, loss_fn, x, y, meters, end)
            if i % print_freq == 0:
                print(progress_line(f"Epoch: [{epoch}]", i + 1, len(train), meters), file=out)
        vmeters = val_meters()
        model.eval()
        with torch.no_grad():
            end = time.time()
            for i, (x, y) in enumerate(val):
                end = val_batch(model, loss_fn, x, y, vmeters, end)
                if i % print_freq == 0:
                    print(progress_line("Test: ", i + 1, len(val), vmeters), file=out)
        print(f" *   Acc@1 {vmeters[2].avg:.3f} Acc@5 {vmeters[3].avg:.3f}", file=out)


def tqdm_loop() -> None:
    """The plain loop; its bars go to stderr, as tqdm's do by default."""
    from tqdm import tqdm

    torch.manual_seed(1)
    train, val = loaders(1)
    model = nn.Linear(20, 10)
    opt = torch.optim.Adam(model.parameters(), lr=0.05)
    loss_fn = nn.CrossEntropyLoss()
    for epoch in range(2):
        bar = tqdm(train, desc=f"Epoch {epoch}")
        for x, y in bar:
            output = model(x)
            loss = loss_fn(output, y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            bar.set_postfix(loss=loss.item(), acc=(output.argmax(1) == y).float().mean().item())
            time.sleep(0.03)  # a real step takes long enough for tqdm's 0.1 s redraw interval
        with torch.no_grad():
            bar = tqdm(val, desc="val")
            total = correct = seen = 0.0
            for x, y in bar:
                output = model(x)
                total += loss_fn(output, y).item() * len(y)
                correct += (output.argmax(1) == y).sum().item()
                seen += len(y)
                bar.set_postfix(loss=total / seen, acc=correct / seen)
                time.sleep(0.03)


def main() -> None:
    if sys.argv[1:] == ["--tqdm-loop"]:
        tqdm_loop()
        return
    with open(HERE / "imagenet_style.log", "w") as out:
        imagenet_style(out)
    cmd = [sys.executable, str(Path(__file__).resolve()), "--tqdm-loop"]
    with open(DATA / "tqdm" / "plain_loop_file.log", "w") as err:
        subprocess.run(cmd, stderr=err, check=True)
    shell = "stty cols 100 rows 40; " + " ".join(cmd)
    subprocess.run(["script", "-q", "-e", "-c", shell, str(DATA / "tqdm" / "plain_loop_pty.log")],
                   stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, check=True)


if __name__ == "__main__":
    main()
