"""Log a few values through a SummaryWriter inside ``wandb.init(sync_tensorboard=True)``, offline.

Usage: WANDB_MODE=offline WANDB_DIR=DIR python wandb_sync.py torch|lossboard LOGDIR

Run by test_wandb_sync.py in a process of its own (W&B starts a service process and threads).
"""

import sys

import numpy as np
import wandb


def main(which: str, logdir: str) -> None:
    run = wandb.init(project="lossboard-test", sync_tensorboard=True)
    if which == "torch":
        from torch.utils.tensorboard import SummaryWriter
    else:
        from lossboard import SummaryWriter  # was: from torch.utils.tensorboard import SummaryWriter
    writer = SummaryWriter(logdir)
    weights = np.random.default_rng(0).normal(size=1000)
    for step in range(6):
        writer.add_scalar("Loss/train", 1.0 / (step + 1), step)
        writer.add_scalar("Accuracy/val", step / 10, step)
        writer.add_scalars("lr", {"group0": 0.1 * 0.5**step, "group1": 0.01}, step)
        if step % 2 == 0:
            writer.add_histogram("weights", weights + step, step)
    writer.close()
    run.finish()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
