"""Produce the PyTorch fixture logs with a script's own output mixed into the example's lines.

Run from the repository root with the project venv (torch CPU, tqdm):

    /work/main/.venv/bin/python tests/sources/data/pytorch/make_mixed_logs.py

Writes ``imagenet_mixed_pipe.log`` (stdout and stderr through a pipe) and
``imagenet_mixed_pty.log`` (the same run under ``script``, a pseudo-terminal, 100 columns) of a
2-epoch run that prints the ImageNet example's ``Epoch: [e][ b/N]``, ``Test: [ b/N]`` and
`` *   Acc@1`` lines (the meters of ``make_logs.py``) and, as training scripts do:

* ``print`` lines before training (a config dump) and after each epoch (``val_loss: ...``,
  ``Learning rate for next epoch: ...``);
* ``logging`` records with asctime prefixes inside the loop (``grad norm: ...``);
* a tqdm bar over the validation batches with the running loss in its postfix.
"""

from __future__ import annotations

import logging
import subprocess
import sys
import time
from pathlib import Path

import torch
from torch import nn

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from make_logs import loaders, progress_line, train_batch, train_meters, val_batch, val_meters  # noqa: E402


def train() -> None:
    from tqdm import tqdm

    logging.basicConfig(format="%(asctime)s - %(name)s - %(levelname)s - %(message)s", level=logging.INFO)
    log = logging.getLogger("train")
    torch.manual_seed(0)
    train_loader, val_loader = loaders(0)
    model = nn.Sequential(nn.Linear(20, 32), nn.ReLU(), nn.Linear(32, 10))
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
    loss_fn = nn.CrossEntropyLoss()
    print("batch_size: 16", flush=True)
    print("print_freq: 5", flush=True)
    log.info("Building model with 2 layers")
    for epoch in range(2):
        meters = train_meters()
        model.train()
        end = time.time()
        for i, (x, y) in enumerate(train_loader):
            end = train_batch(model, opt, loss_fn, x, y, meters, end)
            if i % 5 == 0:
                print(progress_line(f"Epoch: [{epoch}]", i + 1, len(train_loader), meters), flush=True)
                # the gradients of the step just taken; an infinite bound clips nothing
                log.info("grad norm: %.4f", nn.utils.clip_grad_norm_(model.parameters(), float("inf")).item())
        sched.step()
        vmeters = val_meters()
        model.eval()
        with torch.no_grad():
            end = time.time()
            bar = tqdm(val_loader, desc="val")
            for i, (x, y) in enumerate(bar):
                end = val_batch(model, loss_fn, x, y, vmeters, end)
                bar.set_postfix(val_loss=vmeters[1].avg)
                time.sleep(0.03)  # tqdm redraws at most every 0.1 s
                end = time.time()
                if i % 5 == 0:
                    bar.write(progress_line("Test: ", i + 1, len(val_loader), vmeters))
            bar.close()
        print(f" *   Acc@1 {vmeters[2].avg:.3f} Acc@5 {vmeters[3].avg:.3f}", flush=True)
        print(f"val_loss: {vmeters[1].avg:.4f}", flush=True)
        print(f"Learning rate for next epoch: {sched.get_last_lr()[0]}", flush=True)


def main() -> None:
    if sys.argv[1:] == ["--train"]:
        train()
        return
    cmd = [sys.executable, str(Path(__file__).resolve()), "--train"]
    with open(HERE / "imagenet_mixed_pipe.log", "wb") as out:
        run = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, check=True)
        out.write(run.stdout)
    shell = "stty cols 100 rows 40; " + " ".join(cmd)
    subprocess.run(["script", "-q", "-e", "-c", shell, str(HERE / "imagenet_mixed_pty.log")],
                   stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, check=True)


if __name__ == "__main__":
    main()
