"""Keras 3 callback that logs ``model.fit`` through a lossboard `SummaryWriter`.

::

    from lossboard.integrations.keras import LossboardCallback

    model.fit(x, y, validation_split=0.2, epochs=10,
              callbacks=[LossboardCallback(log_dir="runs/mnist")])

One step axis for the whole training (docs/integrations.md, "One training, one picture"):

* batch logs, the running means since the epoch began that the progress bar shows, go to
  ``train_batch/*`` at step = batches trained since the callback was made (1 after the first);
* epoch logs (``loss``, ``accuracy``, ``val_loss``...) go to ``train/*`` and ``val/*`` at the
  step at which they were recorded: the batches trained when the epoch ended;
* ``epoch`` (epochs completed: 1 at the end of ``Epoch 1/N``, 0.5 half-way through it) at each
  of those steps, so every value has the epoch Keras prints (``initial_epoch`` counts on);
* the learning rate goes to ``opt/lr`` at each epoch's step: the ``learning_rate`` of the epoch
  logs where a callback put it there (``ReduceLROnPlateau``), else ``model.optimizer.learning_rate``.

Without a writer or ``log_dir``, the run is ``runs/<model name>_<Mon DD_HH-MM-SS>_<host>``
(``#2``... if that is taken), made when training begins.

A value that is not one number (``F1Score`` gives one per class) is skipped with one
`LossboardWarning` per name. A writer the callback made is closed at ``on_train_end`` (a
later ``fit`` opens a new file in the same directory); a writer passed in is only flushed.
"""

from __future__ import annotations

import warnings
from typing import Any

try:
    import keras
except ImportError as exc:
    raise ImportError("lossboard.integrations.keras needs Keras 3: pip install 'lossboard[keras]'") from exc

from lossboard import tags
from lossboard.errors import LossboardWarning
from lossboard.integrations import _names
from lossboard.log.writer import SummaryWriter


class LossboardCallback(keras.callbacks.Callback):
    """Write batch and epoch logs, and the learning rate, to ``writer``.

    Without a ``writer``, one is made from ``writer_kwargs`` (``log_dir=...``, as for
    `SummaryWriter`). ``batch_logs=False`` writes epoch-level values only.
    """

    def __init__(
        self, writer: SummaryWriter | None = None, *, batch_logs: bool = True, **writer_kwargs: Any
    ) -> None:
        super().__init__()
        self._owns_writer = writer is None
        self.writer = writer
        self._writer_kwargs = writer_kwargs
        self._batch_logs = batch_logs
        self._batches = 0  # batches trained so far, over every fit(): the batch step
        self._epoch_start = 0  # batches trained before the current epoch
        self._epoch = 0  # the current epoch, 0-based as Keras counts
        self._skipped: set[str] = set()

    def on_train_begin(self, logs: dict | None = None) -> None:
        if self.writer is None:  # the first fit(), or the next after on_train_end closed ours
            if not self._writer_kwargs.get("log_dir"):
                name = f"{getattr(self.model, 'name', 'keras')}_{_names.stamp()}"
                self._writer_kwargs = {**self._writer_kwargs, "log_dir": _names.run_dir("runs", name)}
            self.writer = SummaryWriter(**self._writer_kwargs)

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self._epoch_start = self._batches
        self._epoch = epoch

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        # ``batch`` is the last batch of the group when steps_per_execution > 1
        self._batches = self._epoch_start + batch + 1
        if self._batch_logs:
            steps = self.params.get("steps") if self.params else None
            if steps:
                self.writer.add_scalar("epoch", self._epoch + (batch + 1) / steps, self._batches)
            for name, value in (logs or {}).items():
                tag = tags.canonical(name, tags.BATCH)
                if tag.startswith("train_batch/"):  # a batch log's learning rate is no mean
                    self._write(tag, name, value, self._batches)

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        step = self._batches
        logs = logs or {}
        if not (self._batch_logs and self.params and self.params.get("steps")):  # else written already
            self.writer.add_scalar("epoch", epoch + 1, step)
        for name, value in logs.items():
            self._write(tags.canonical(name, tags.TRAIN), name, value, step)
        if not any(tags.canonical(name) == "opt/lr" for name in logs):
            optimizer = getattr(self.model, "optimizer", None)
            if optimizer is not None:
                # a backend tensor: the writer reads it by its module, without numpy
                rate = keras.ops.convert_to_tensor(optimizer.learning_rate)
                self._write("opt/lr", "learning_rate", rate, step)

    def on_train_end(self, logs: dict | None = None) -> None:
        if self._owns_writer:
            self.writer.close()
            self.writer = None
        else:
            self.writer.flush()

    def _write(self, tag: str, name: str, value: Any, step: int) -> None:
        try:
            self.writer.add_scalar(tag, value, step)
        except (TypeError, ValueError) as exc:
            if name not in self._skipped:
                self._skipped.add(name)
                warnings.warn(
                    f"Keras log {name!r} is not one number ({exc}); not logged",
                    LossboardWarning,
                    stacklevel=3,
                )
