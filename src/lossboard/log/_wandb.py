"""Telling W&B's ``sync_tensorboard`` about a writer's directory, as the writers it patches do.

``wandb.init(sync_tensorboard=True)`` (or ``wandb.tensorboard.patch()``) replaces the
``EventFileWriter`` classes of tensorboard, torch and tensorboardX; a writer of one of those
announces its directory when it opens a file, and W&B then follows the event files in it
(those whose names carry this host, as ours do). lossboard writes its files itself, so it
makes the same announcement: without it the sync records nothing of a lossboard run.
Nothing happens unless wandb is already imported, a run is active and the patch is on.
"""

from __future__ import annotations

import sys


def announce(log_dir: str) -> None:
    """Have an active W&B run with ``sync_tensorboard`` follow the event files in ``log_dir``."""
    wandb = sys.modules.get("wandb")
    if wandb is None or getattr(wandb, "run", None) is None:
        return
    if not getattr(wandb, "patched", {}).get("tensorboard"):
        return
    from wandb.integration.tensorboard.monkeypatch import _notify_tensorboard_logdir

    _notify_tensorboard_logdir(log_dir)
