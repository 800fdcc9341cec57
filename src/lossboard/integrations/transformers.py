"""A Hugging Face ``TrainerCallback`` that writes the Trainer's logs through a lossboard
`SummaryWriter`.

::

    from lossboard.integrations.transformers import LossboardCallback

    trainer = Trainer(model, args, train_dataset=train, eval_dataset=val,
                      callbacks=[LossboardCallback()])   # writes <output_dir>/runs/<run_name>/
    trainer.train()

Every dict the Trainer logs (``on_log``) is written at ``state.global_step`` with the tags
lossboard's ``hf-trainer-state`` reader gives the same entry in ``trainer_state.json``, so the
two overlay: ``loss`` is ``train/loss``, ``learning_rate`` ``opt/lr``, ``grad_norm``
``opt/grad_norm``, ``eval_accuracy`` ``val/accuracy``, ``eval_runtime``
``perf/eval_runtime_s``. Each entry's fractional ``epoch`` is written as the scalar ``epoch``
at the same step, which lossboard reads as the epoch of the entry's values (docs/integrations.md,
"One training, one picture"). The end-of-training summary (``train_runtime``, the run's mean
``train_loss``) becomes ``summary/<name>`` points and run metadata, as the readers of both files
give it; ``max_steps`` and ``num_train_epochs`` become metadata.
At ``on_train_begin`` the ``TrainingArguments`` (``to_sanitized_dict``) go to ``add_hparams``.
Only the main process (``state.is_world_process_zero``) writes.

The run is ``<output_dir>/runs/<run_name>``, or ``runs/<Mon DD_HH-MM-SS>_<host>`` without a
``run_name`` (HF's TensorBoard default), ``#2``... when taken: two trainings are two runs.
"""

from __future__ import annotations

import os
import warnings
from typing import Any

try:
    from transformers import TrainerCallback
except ImportError as exc:
    raise ImportError(
        "lossboard.integrations.transformers needs transformers: pip install 'lossboard[transformers]'"
    ) from exc

from lossboard.errors import LossboardWarning
from lossboard.integrations import _names
from lossboard.log.writer import SummaryWriter
from lossboard.sources.formats import _hf


class LossboardCallback(TrainerCallback):
    """Write the Trainer's logs, evaluations and arguments to ``writer``.

    Without a ``writer``, one is made at ``on_train_begin`` from ``writer_kwargs``, with
    ``log_dir`` defaulting to a new run directory (module docstring), and closed at
    ``on_train_end``. Pass ``log_dir`` to continue a run (a resumed training appends to it,
    and its later values win).
    """

    def __init__(self, writer: SummaryWriter | None = None, **writer_kwargs: Any) -> None:
        self.writer = writer
        self._owns_writer = writer is None
        self._writer_kwargs = writer_kwargs
        self._skipped: set[str] = set()

    def on_train_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        if not state.is_world_process_zero:
            return
        writer = self._open(args)
        writer.add_hparams(args.to_sanitized_dict(), {})
        writer.add_meta("max_steps", state.max_steps)
        writer.add_meta("num_train_epochs", state.num_train_epochs)

    def on_log(self, args: Any, state: Any, control: Any, logs: dict | None = None, **kwargs: Any) -> None:
        if not state.is_world_process_zero or not logs:
            return
        writer = self._open(args)
        summary = _hf.is_summary(logs)
        epoch = _hf.number(logs.get("epoch"))
        if epoch is not None and not summary:
            writer.add_scalar("epoch", epoch, state.global_step)
        for name, raw in logs.items():
            if name in ("epoch", "step"):
                continue
            value = _hf.number(raw)
            if value is None:
                self._skip(name, raw)
            elif summary:
                writer.add_meta(name, value)
                writer.add_scalar(_hf.summary_tag(name), value, state.global_step)
            else:
                writer.add_scalar(_hf.tag_of(name), value, state.global_step)

    def on_evaluate(
        self, args: Any, state: Any, control: Any, metrics: dict | None = None, **kwargs: Any
    ) -> None:
        """Flush: the metrics themselves came through `on_log` just before (Trainer.evaluate
        logs them, then calls this), and a dashboard should see them now."""
        if state.is_world_process_zero and self.writer is not None:
            self.writer.flush()

    def on_train_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        if not state.is_world_process_zero or self.writer is None:
            return
        if self._owns_writer:
            self.writer.close()
            self.writer = None
        else:
            self.writer.flush()

    def _open(self, args: Any) -> SummaryWriter:
        if self.writer is None:
            log_dir = self._writer_kwargs.get("log_dir") or _names.run_dir(
                os.path.join(args.output_dir, "runs"), args.run_name or _names.stamp())
            self.writer = SummaryWriter(**{**self._writer_kwargs, "log_dir": log_dir})
        return self.writer

    def _skip(self, name: str, raw: Any) -> None:
        if name not in self._skipped:
            self._skipped.add(name)
            warnings.warn(
                f"Trainer log {name!r} is not a number ({raw!r}); not logged", LossboardWarning, stacklevel=3
            )
